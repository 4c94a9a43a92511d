'use strict';
/**
 * Preload for test/main-thread.test.ts: `node --require main-thread-probe.cjs dist/src/main.js`.
 *
 * Records what the MAIN thread loads — every CommonJS `Module._load` request (with the file it resolves to),
 * every native addon opened with `process.dlopen`, and every ESM resolution (through loader hooks registered
 * with `module.register`, which post each resolved URL back over a MessagePort) — and writes it as JSON to
 * the file named by MAIN_THREAD_PROBE_OUT when the process exits.
 *
 * Worker threads inherit execArgv, so this file also runs in every Piscina worker (and in the loader-hooks
 * thread); it does nothing there. For the test's sanity check it also writes the shared objects of the whole
 * process (from process.report), which do include what the workers loaded.
 */
const wt = require('node:worker_threads');

const out = process.env.MAIN_THREAD_PROBE_OUT;

if (wt.isMainThread && out) {
  const fs = require('node:fs');
  const path = require('node:path');
  const Module = require('node:module');
  const { pathToFileURL } = require('node:url');

  const record = { pid: process.pid, cjs: [], dlopen: [], esm: [], cache: [], sharedObjects: [], exitCode: null };

  const originalLoad = Module._load;
  Module._load = function probeLoad(request, parent, isMain) {
    let resolved = null;
    try {
      resolved = Module._resolveFilename(request, parent, isMain);
    } catch {
      // the real load below reports the error
    }
    record.cjs.push({ request, resolved, parent: parent && parent.filename ? parent.filename : null });
    return originalLoad.apply(this, arguments);
  };

  const originalDlopen = process.dlopen;
  process.dlopen = function probeDlopen(module, filename, ...rest) {
    record.dlopen.push(String(filename));
    return originalDlopen.call(this, module, filename, ...rest);
  };

  const { port1, port2 } = new wt.MessageChannel();
  port1.unref(); // never keeps the server alive; drained synchronously at exit
  Module.register(pathToFileURL(path.join(__dirname, 'main-thread-hooks.mjs')), {
    data: { port: port2 },
    transferList: [port2],
  });

  process.on('exit', (code) => {
    let msg;
    while ((msg = wt.receiveMessageOnPort(port1))) record.esm.push(msg.message);
    record.cache = Object.keys(Module._cache);
    try {
      record.sharedObjects = process.report.getReport().sharedObjects ?? [];
    } catch (err) {
      record.sharedObjects = [`report failed: ${err && err.message}`];
    }
    record.exitCode = code;
    fs.writeFileSync(out, JSON.stringify(record, null, 1));
  });
}
