// Where the output zip goes, entry by entry as the engine produces it (never the whole zip in
// memory, except in the last-resort fallback). A sink worker (sink-worker.js) makes the zip and
// writes it, so the page's thread never copies file bytes:
//   - a file the user picked with showSaveFilePicker (written through a writable stream);
//   - else a spool file in the Origin Private File System (a sync access handle in the worker,
//     or a writable stream where the browser has none), offered afterwards as an ordinary
//     download;
//   - else (no OPFS at all) memory, with a warning shown by the page.
// Every sink has add(path, bytes), addParts(path, {head, data, tail, crc}), finish() → {file: File|Blob, name, where, remove()}, abort();
// remove() deletes a spooled zip once it is no longer needed (nothing for the other kinds).

import { sinkWorker } from './assets.js';

const SPOOL_PREFIX = 'dicom-deid-spool-';

/** What this browser offers for the output (OPFS: the API exists; see opfsUsable()). */
export function outputSupport() {
  return {
    savePicker: typeof window.showSaveFilePicker === 'function',
    opfs: !!(navigator.storage && typeof navigator.storage.getDirectory === 'function'),
  };
}

let opfsRoot = null;

/**
 * The OPFS root directory, or null where the API is missing or refuses (a page opened from
 * file://, private windows of some browsers).
 */
export function opfsUsable() {
  if (!opfsRoot) opfsRoot = outputSupport().opfs ? navigator.storage.getDirectory().catch(() => null) : Promise.resolve(null);
  return opfsRoot;
}

/**
 * The output zip, made and written by a sink worker (sink-worker.js): add(path, bytes) hands it
 * one entry (the bytes are transferred, not copied), finish() → {file, name, where, remove()},
 * abort(). `handle` is the file to write; null keeps the zip in memory. `remove` deletes the
 * spool file (OPFS), when there is one.
 */
class WorkerSink {
  constructor(handle, writable, where, remove) {
    this.handle = handle;
    this.writable = writable;
    this.where = where;
    this.remove = remove;
    this.worker = sinkWorker();
    this.pending = new Map();
    this.nextId = 1;
    this.failed = null;
    this.worker.onmessage = (ev) => {
      const p = this.pending.get(ev.data.id);
      this.pending.delete(ev.data.id);
      if (!p) return;
      if (ev.data.error !== undefined) p.reject(new Error(ev.data.error));
      else p.resolve(ev.data.result);
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      this.failed = new Error(`the output worker failed: ${ev.message || 'it could not start'}`);
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
    };
  }
  #call(msg, transfer = []) {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }
  open(module) {
    const w = this.writable;
    return this.#call({ op: 'open', module, handle: w ? null : this.handle, writable: w }, w ? [w] : []);
  }
  /** Adds one entry; `bytes` (a Uint8Array owning its whole buffer) is transferred. */
  add(path, bytes) {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return this.#call({ op: 'add', path, bytes }, whole ? [bytes.buffer] : []);
  }
  /**
   * Adds one entry made by an engine worker: `head` then the last `tail` bytes of `data`, with
   * CRC-32 `crc`; both buffers are transferred.
   */
  addParts(path, { head, data, tail, crc }) {
    const own = (a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
    const transfer = [head, data].filter(own).map((a) => a.buffer);
    return this.#call({ op: 'add-parts', path, head, data, tail, crc }, transfer);
  }
  async finish() {
    const r = await this.#call({ op: 'finish' });
    this.worker.terminate();
    const file = r.blob || (await this.handle.getFile());
    return { file, name: r.blob ? null : this.handle.name, where: this.where, remove: this.remove || (async () => {}) };
  }
  async abort() {
    await this.#call({ op: 'abort' }).catch(() => {});
    this.worker.terminate();
    if (this.remove) await this.remove().catch(() => {});
  }
}

async function openWorkerSink(module, handle, writable, where, remove) {
  const s = new WorkerSink(handle, writable, where, remove);
  try {
    await s.open(module);
  } catch (e) {
    s.worker.terminate();
    throw e;
  }
  return s;
}

/**
 * A sink writing to a file the user picked (`module`: the compiled engine). A real file handle
 * goes to the sink worker, which opens it (a sync access handle for an OPFS file, else a
 * writable stream); anything else with createWritable() (a stand-in) is opened here and its
 * stream handed over.
 */
export async function openPickedSink(handle, module) {
  if (typeof FileSystemFileHandle === 'function' && handle instanceof FileSystemFileHandle) {
    return openWorkerSink(module, handle, null, 'picked', null);
  }
  const writable = await handle.createWritable();
  try {
    return await openWorkerSink(module, handle, writable, 'picked', null);
  } catch (e) {
    await writable.abort().catch(() => {});
    throw e;
  }
}

/** A sink spooling to OPFS (or memory when there is no usable OPFS). */
export async function openSpoolSink(module) {
  const root = await opfsUsable();
  if (!root) return openWorkerSink(module, null, null, 'memory', null);
  const name = `${SPOOL_PREFIX}${Date.now()}-${Math.random().toString(36).slice(2, 8)}.zip`;
  const fh = await root.getFileHandle(name, { create: true });
  return openWorkerSink(module, fh, null, 'opfs', () => root.removeEntry(name));
}

/** Deletes spool files of this page, except `keep` (names); old runs' files are no longer needed. */
export async function removeSpoolFiles(keep = []) {
  const root = await opfsUsable();
  if (!root) return;
  try {
    const names = [];
    for await (const name of root.keys()) if (name.startsWith(SPOOL_PREFIX) && !keep.includes(name)) names.push(name);
    for (const n of names) await root.removeEntry(n).catch(() => {});
  } catch {
    // the storage went away meanwhile: nothing left to remove
  }
}
