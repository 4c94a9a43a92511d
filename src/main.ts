import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { warmUp } from './warm-up.js';

/** Starts the service; a bad setting stops start-up with one line that names it. */
async function main() {
  let config;
  let app;
  try {
    config = loadConfig();
    app = await buildApp(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const stop = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    // A keep-alive connection busy at the signal would hold close() for keepAliveTimeout (72 s): close each
    // connection as soon as its request is answered.
    setInterval(() => app.server.closeIdleConnections(), 100).unref();
    setTimeout(() => {
      app.log.warn({ grace_s: config.shutdownGraceMs / 1000 }, 'requests still in flight after the grace period; exiting');
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    await app.close();
    process.exit(0);
  };
  // Ctrl-C on `npm start` reaches this process twice: from the terminal (the whole process group) and forwarded
  // by npm. A repeat within a second is that; a later one means "now": exit without waiting for the drain.
  let stopping = 0;
  const onSignal = (signal: string) => {
    if (!stopping) {
      stopping = Date.now();
      void stop(signal);
    } else if (Date.now() - stopping > 1000) {
      app.log.warn({ signal }, 'second signal: exiting without waiting for requests in flight');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  await warmUp(app);
  await app.listen({ host: config.host, port: config.port });
  // The memory backend keeps nothing under DATA_DIR: naming it would suggest it does.
  const where = config.storageBackend === 'local' ? { data_dir: config.dataDir } : {};
  app.log.info({ storage_backend: config.storageBackend, workers: config.workers, ...where }, 'dataset service ready');
  // glibc reads these only at process start, so they cannot be set from here or from .env.
  if (process.platform === 'linux' && process.env.MALLOC_ARENA_MAX === undefined) {
    app.log.warn(
      'MALLOC_ARENA_MAX is not set: glibc keeps the memory of freed tables in per-thread arenas, so RSS stays near its peak; ' +
        'start with MALLOC_ARENA_MAX=2 (npm start does)',
    );
  }
  if (process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
    app.log.warn(
      'MALLOC_MMAP_THRESHOLD_ is not set: glibc raises its mmap threshold up to 32 MiB, so freed column buffers of that ' +
        'size stay in its arenas; start with MALLOC_MMAP_THRESHOLD_=4194304 (npm start does)',
    );
  }
}

main().catch((err) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
