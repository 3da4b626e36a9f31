// Where the output zip goes, chunk by chunk as the engine produces it (never the whole zip in
// memory, except in the last-resort fallback):
//   - a file the user picked with showSaveFilePicker (written through a writable stream);
//   - else a spool file in the Origin Private File System (writable stream, or a sync access
//     handle in a small worker where writable streams are missing), offered afterwards as an
//     ordinary download;
//   - else (no OPFS at all) memory, with a warning shown by the page.
// Every sink has write(chunk), finish() → {file: File|Blob, name, where, remove()}, abort();
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

/** Bytes gathered before one write to disk (each write is a round trip to the browser). */
const BATCH = 8 << 20;

/**
 * Gathers small chunks into batches of about BATCH bytes and writes each batch with `put`,
 * one write in flight while the next batch fills: memory stays under two batches.
 */
class Batcher {
  constructor(put) {
    this.put = put;
    this.parts = [];
    this.size = 0;
    this.inflight = Promise.resolve();
    this.bytes = 0;
  }
  async write(chunk) {
    if (chunk.length === 0) return;
    this.bytes += chunk.length;
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= BATCH) await this.flush();
  }
  async flush() {
    await this.inflight;
    if (this.size === 0) return;
    let batch = this.parts[0];
    if (this.parts.length > 1) {
      batch = new Uint8Array(this.size);
      let at = 0;
      for (const p of this.parts) {
        batch.set(p, at);
        at += p.length;
      }
    }
    this.parts = [];
    this.size = 0;
    this.inflight = this.put(batch);
    // A failed write is reported by the next flush (or finish), never left unhandled.
    this.inflight.catch(() => {});
  }
  async drain() {
    await this.flush();
    await this.inflight;
  }
}

class StreamSink {
  constructor(writable, fileHandle, where, onAbort) {
    this.writable = writable;
    this.fileHandle = fileHandle;
    this.where = where;
    this.onAbort = onAbort;
    this.batcher = new Batcher((b) => writable.write(b));
  }
  get bytes() {
    return this.batcher.bytes;
  }
  write(chunk) {
    return this.batcher.write(chunk);
  }
  async finish() {
    await this.batcher.drain();
    await this.writable.close();
    const remove = this.onAbort || (async () => {});
    return { file: await this.fileHandle.getFile(), name: this.fileHandle.name, where: this.where, remove };
  }
  async abort() {
    await this.batcher.inflight.catch(() => {});
    try {
      await this.writable.abort();
    } catch {
      // already closed or errored: nothing left to undo
    }
    if (this.onAbort) await this.onAbort().catch(() => {});
  }
}

/** A sync access handle in a dedicated worker (browsers whose OPFS lacks createWritable). */
class SyncHandleSink {
  constructor(name, root, fileHandle) {
    this.name = name;
    this.root = root;
    this.fileHandle = fileHandle;
    this.where = 'opfs';
    this.batcher = new Batcher((chunk) => this.#call({ op: 'write', chunk }, [chunk.buffer]));
    this.worker = sinkWorker();
    this.pending = new Map();
    this.nextId = 1;
    this.worker.onmessage = (ev) => {
      const p = this.pending.get(ev.data.id);
      this.pending.delete(ev.data.id);
      if (!p) return;
      if (ev.data.error !== undefined) p.reject(new Error(ev.data.error));
      else p.resolve();
    };
  }
  #call(msg, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }
  open() {
    return this.#call({ op: 'open', name: this.name });
  }
  get bytes() {
    return this.batcher.bytes;
  }
  write(chunk) {
    return this.batcher.write(chunk);
  }
  async finish() {
    await this.batcher.drain();
    await this.#call({ op: 'close' });
    this.worker.terminate();
    const remove = () => this.root.removeEntry(this.name);
    return { file: await this.fileHandle.getFile(), name: this.name, where: this.where, remove };
  }
  async abort() {
    await this.batcher.inflight.catch(() => {});
    await this.#call({ op: 'close' }).catch(() => {});
    this.worker.terminate();
    await this.root.removeEntry(this.name).catch(() => {});
  }
}

class MemorySink {
  constructor() {
    this.parts = [];
    this.bytes = 0;
    this.where = 'memory';
  }
  async write(chunk) {
    this.bytes += chunk.length;
    this.parts.push(chunk);
  }
  async finish() {
    return { file: new Blob(this.parts, { type: 'application/zip' }), name: null, where: this.where, remove: async () => {} };
  }
  async abort() {
    this.parts = [];
  }
}

/** A sink writing to a file the user picked. */
export async function openPickedSink(handle) {
  return new StreamSink(await handle.createWritable(), handle, 'picked', null);
}

/** A sink spooling to OPFS (or memory when there is no usable OPFS). */
export async function openSpoolSink() {
  const root = await opfsUsable();
  if (!root) return new MemorySink();
  const name = `${SPOOL_PREFIX}${Date.now()}-${Math.random().toString(36).slice(2, 8)}.zip`;
  const fh = await root.getFileHandle(name, { create: true });
  const remove = () => root.removeEntry(name);
  if (typeof fh.createWritable === 'function') {
    return new StreamSink(await fh.createWritable(), fh, 'opfs', remove);
  }
  const s = new SyncHandleSink(name, root, fh);
  await s.open();
  return s;
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
