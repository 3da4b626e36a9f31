// Where the engine's files come from: the wasm (../pkg/) and the workers' scripts (worker.js,
// sink-worker.js, in this folder), all resolved against this module's own URL, so the
// page, the API and the <dicom-deid> element work from whatever path they are served.
// The single-file offline bundle (scripts/bundle.mjs) replaces this module by one with the
// same exports that takes the wasm from an inlined base64 string and starts the workers from
// Blob URLs of their inlined code.

let compiled = null;

/** Compiles the engine's wasm once; the page, the API and every worker share the module. */
export function compileEngine() {
  if (!compiled) {
    const url = new URL('../pkg/dicom_deid_bg.wasm', import.meta.url);
    const viaBytes = async () => WebAssembly.compile(await (await fetch(url)).arrayBuffer());
    compiled = typeof WebAssembly.compileStreaming === 'function' ? WebAssembly.compileStreaming(fetch(url)).catch(viaBytes) : viaBytes();
    compiled.catch(() => {
      compiled = null;
    });
  }
  return compiled;
}

/** A new engine worker (worker.js). */
export function engineWorker(name) {
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
}

/** A new worker writing to OPFS through a sync access handle (sink-worker.js). */
export function sinkWorker() {
  return new Worker(new URL('./sink-worker.js', import.meta.url), { type: 'module', name: 'deid-sink' });
}
