// Where the output zip goes, entry by entry as the engine produces it (never the whole zip in
// memory, except in the last-resort fallback). A sink worker (sink-worker.js) makes the zip and
// writes it, so the page's thread never copies file bytes:
//   - a file the user picked with showSaveFilePicker (written through a writable stream);
//   - else a spool file in the Origin Private File System, which the worker opens itself by name
//     (a sync access handle, or a writable stream where the browser has none) and the page reads
//     back afterwards as an ordinary download; no file handle crosses threads (WebKit cannot
//     clone one: "The object can not be cloned");
//   - else (no OPFS at all, or the worker cannot open its file) memory, with a notice shown by
//     the page (where: 'memory').
// Every sink has add(path, bytes), addParts(path, {head, data, tail, crc}) → {at, size} (where the entry's bytes are in the zip), finish() → {file: File|Blob, name, where, remove()}, abort();
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
 * abort(). `out` says where the zip goes: {handle} a file the user picked (posted to the worker),
 * {handle, writable} a stream of it opened here (transferred to the worker), {handle, pageWritable}
 * the same stream kept here (the zip is made in the worker's memory and written at the end),
 * {spool: {root, name}} an OPFS file the worker opens by name, {} memory.
 */
class WorkerSink {
  constructor({ handle = null, writable = null, pageWritable = null, spool = null }, where) {
    this.handle = handle;
    this.writable = writable;
    this.pageWritable = pageWritable;
    this.spool = spool;
    this.where = where;
    this.remove = spool ? () => spool.root.removeEntry(this.spool.name) : null;
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
  async open(module) {
    const w = this.writable;
    // The handle itself goes only when the worker is to open it.
    const handle = w || this.pageWritable ? null : this.handle;
    const msg = { op: 'open', module, spool: this.spool ? this.spool.name : null, handle, writable: w };
    const r = await this.#call(msg, w ? [w] : []);
    // The worker could not open its OPFS file: the zip is in memory (the page says so).
    if (this.spool && r.where === 'memory') this.where = 'memory';
    // The worker wrote to another spool file (WebKitGTK: see sink-worker.js).
    if (this.spool && r.name) this.spool.name = r.name;
    return r;
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
    if (r.blob && this.pageWritable) {
      await this.pageWritable.write(r.blob);
      await this.pageWritable.close();
    } else if (r.blob) return { file: r.blob, name: null, where: this.where, remove: this.remove || (async () => {}) };
    const handle = this.handle || (await this.spool.root.getFileHandle(this.spool.name));
    return { file: await handle.getFile(), name: handle.name, where: this.where, remove: this.remove || (async () => {}) };
  }
  async abort() {
    await this.#call({ op: 'abort' }).catch(() => {});
    this.worker.terminate();
    if (this.pageWritable) await this.pageWritable.abort().catch(() => {});
    if (this.remove) await this.remove().catch(() => {});
  }
}

async function openWorkerSink(module, out, where) {
  const s = new WorkerSink(out, where);
  try {
    await s.open(module);
  } catch (e) {
    s.worker.terminate();
    throw e;
  }
  return s;
}

/** Whether `e` is the error of a value the browser cannot post to a worker. */
const cannotClone = (e) => !!e && e.name === 'DataCloneError';

/**
 * A sink writing to a file the user picked, or an OPFS file given to the API (`module`: the
 * compiled engine). A real file handle goes to the sink worker, which opens it (a sync access
 * handle for an OPFS file, else a writable stream); anything else with createWritable() (a
 * stand-in), or a handle this browser cannot post to a worker (WebKit: DataCloneError), is
 * opened here and its stream handed over; where the stream cannot be posted either, the worker
 * makes the zip in memory and the page writes it to the stream at the end.
 */
export async function openPickedSink(handle, module) {
  if (typeof FileSystemFileHandle === 'function' && handle instanceof FileSystemFileHandle) {
    try {
      return await openWorkerSink(module, { handle }, 'picked');
    } catch (e) {
      if (!cannotClone(e)) throw e;
    }
  }
  const writable = await handle.createWritable();
  try {
    try {
      return await openWorkerSink(module, { handle, writable }, 'picked');
    } catch (e) {
      if (!cannotClone(e)) throw e;
    }
    return await openWorkerSink(module, { handle, pageWritable: writable }, 'picked');
  } catch (e) {
    await writable.abort().catch(() => {});
    throw e;
  }
}

/**
 * A sink spooling to OPFS: the worker creates and opens the file `name` itself (only the name
 * crosses threads). Memory when there is no usable OPFS, or when the worker cannot open it.
 */
export async function openSpoolSink(module) {
  const root = await opfsUsable();
  if (!root) return openWorkerSink(module, {}, 'memory');
  const name = `${SPOOL_PREFIX}${Date.now()}-${Math.random().toString(36).slice(2, 8)}.zip`;
  return openWorkerSink(module, { spool: { root, name } }, 'opfs');
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
