/**
 * ESM loader hooks for main-thread-probe.cjs. Registered with `module.register()` from the main thread only,
 * so they see the main thread's ESM resolutions (worker threads get no hooks of their own). Each resolved
 * URL is posted over the MessagePort handed in through `initialize(data)`; the probe drains it at exit.
 */
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  port?.postMessage({ specifier, url: result.url, parent: context.parentURL ?? null });
  return result;
}
