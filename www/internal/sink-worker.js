// The output zip in a worker of its own: the engine's WebZipSink (stored entries, CRCs, the
// central directory) and the writes to disk happen here, so the page's thread never copies
// file bytes. Requests, answered in order (each after the previous one is done):
//   open   {module, spool?, handle?, writable?} → {where: 'sync'|'stream'|'memory', name?}  starts
//            the zip and opens its output (name: the spool file's name, when it is another):
//            spool: the name of the OPFS spool file, which this worker creates and opens itself
//                   (navigator.storage.getDirectory() here: no handle crosses threads, which
//                   WebKit cannot do), written through a sync access handle (direct writes, no
//                   round trip to the browser), else through a writable stream; if OPFS fails
//                   here in any way, memory instead (where: 'memory', the page says so);
//            handle: a file the user picked (Chromium posts its handle), opened the same way;
//            writable: a stream transferred from the page (a file the user picked);
//            none: the zip is kept in memory.
//   add    {path, bytes}  → {}       one entry (bytes transferred here)
//   add-parts {path, head, data, tail, crc} → {at, size}  one entry: head + the last `tail` bytes of data,
//            CRC-32 crc (from the engine worker; head and data transferred here); `at`: the
//            offset of the entry's bytes in the zip, `size` their length
//   finish {}             → {blob?}  the central directory; closes the output (memory: the Blob)
//   abort  {}             → {}       closes without finishing (a writable stream is discarded)
import init, { WebZipSink } from '../pkg/dicom_deid.js';

/** Bytes gathered before one write to a writable stream (each write is a round trip to the browser). */
const BATCH = 8 << 20;

/** Writes through a sync access handle (OPFS files, in workers only). */
class SyncOut {
  constructor(handle) {
    this.handle = handle;
    this.at = 0;
    handle.truncate(0);
  }
  async write(chunk) {
    let done = 0;
    while (done < chunk.length) {
      const n = this.handle.write(chunk.subarray(done), { at: this.at + done });
      if (n <= 0) throw new Error('the disk is full or the file cannot grow');
      done += n;
    }
    this.at += chunk.length;
  }
  async close() {
    this.handle.flush();
    this.handle.close();
  }
  async abort() {
    this.handle.close();
  }
}

/**
 * Writes to a writable stream, gathering chunks into batches of about BATCH bytes; one write is
 * in flight while the next batch fills, so memory stays under two batches.
 */
class StreamOut {
  constructor(writable) {
    this.writer = writable.getWriter();
    this.parts = [];
    this.size = 0;
    this.inflight = Promise.resolve();
  }
  async write(chunk) {
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
    this.inflight = this.writer.write(batch);
    // A failed write is reported by the next flush (or close), never left unhandled.
    this.inflight.catch(() => {});
  }
  async close() {
    await this.flush();
    await this.inflight;
    await this.writer.close();
  }
  async abort() {
    await this.inflight.catch(() => {});
    await this.writer.abort().catch(() => {});
  }
}

/** Keeps the zip in memory (no usable file storage); the Blob is made at the end. */
class MemoryOut {
  constructor() {
    this.parts = [];
  }
  async write(chunk) {
    this.parts.push(chunk);
  }
  async close() {
    const blob = new Blob(this.parts, { type: 'application/zip' });
    this.parts = [];
    return blob;
  }
  async abort() {
    this.parts = [];
  }
}

let zip = null;
let out = null;
/** Bytes of the zip written so far: where the next entry's local header starts. */
let written = 0;

/** Writes `chunk` to the output and counts it. */
async function put(chunk) {
  await out.write(chunk);
  written += chunk.length;
}

async function openOut({ spool, handle, writable }) {
  if (writable) return { out: new StreamOut(writable), where: 'stream' };
  if (spool) return openSpool(spool);
  if (!handle) return { out: new MemoryOut(), where: 'memory' };
  return openHandle(handle);
}

/**
 * The OPFS spool file `name`, opened here → {out, where, name}; memory when OPFS fails in this
 * worker in any way. WebKitGTK refuses sync access handles ("Backend does not support this
 * operation") and then refuses a writable stream of that file: the stream goes to a second file
 * (`name` with `-w` before `.zip`), whose name the page is told.
 */
async function openSpool(name) {
  let root = null;
  try {
    root = await self.navigator.storage.getDirectory();
    const fh = await root.getFileHandle(name, { create: true });
    const sync = await syncOut(fh);
    if (sync) return { out: sync, where: 'sync', name };
    const other = name.replace(/\.zip$/, '-w.zip');
    const out = new StreamOut(await (await root.getFileHandle(other, { create: true })).createWritable());
    await root.removeEntry(name).catch(() => {});
    return { out, where: 'stream', name: other };
  } catch {
    // Whatever was created stays empty: remove it (best effort).
    if (root) for (const n of [name, name.replace(/\.zip$/, '-w.zip')]) await root.removeEntry(n).catch(() => {});
    return { out: new MemoryOut(), where: 'memory' };
  }
}

/** A sync access handle's output for `handle`, or null where the browser refuses one. */
async function syncOut(handle) {
  if (typeof handle.createSyncAccessHandle !== 'function') return null;
  try {
    return new SyncOut(await handle.createSyncAccessHandle());
  } catch {
    return null; // locked, or refused: a writable stream instead
  }
}

/** A file handle, written through a sync access handle where possible, else a writable stream. */
async function openHandle(handle) {
  const sync = await syncOut(handle);
  if (sync) return { out: sync, where: 'sync' };
  return { out: new StreamOut(await handle.createWritable()), where: 'stream' };
}

async function handle(msg) {
  switch (msg.op) {
    case 'open': {
      await init({ module_or_path: msg.module });
      const o = await openOut(msg);
      out = o.out;
      zip = new WebZipSink();
      written = 0;
      return o.name ? { where: o.where, name: o.name } : { where: o.where };
    }
    case 'add':
      await put(zip.add(msg.path, msg.bytes));
      return {};
    case 'add-parts': {
      // The bytes never enter this worker's wasm memory: the engine worker gave their CRC.
      const tail = msg.data.subarray(msg.data.length - msg.tail);
      await put(zip.entry(msg.path, msg.head.length + tail.length, msg.crc));
      // Where the entry's bytes start in the zip (stored, so they are the file itself): a
      // destination reads the instance back from the finished zip there.
      const at = written;
      await put(msg.head);
      await put(tail);
      return { at, size: msg.head.length + tail.length };
    }
    case 'finish': {
      await put(zip.finish());
      zip.free();
      zip = null;
      const blob = await out.close();
      out = null;
      return blob ? { blob } : {};
    }
    case 'abort':
      if (zip) zip.free();
      zip = null;
      if (out) await out.abort();
      out = null;
      return {};
    default:
      throw new Error(`unknown request ${msg.op}`);
  }
}

let queue = Promise.resolve();

self.onmessage = (ev) => {
  const msg = ev.data;
  queue = queue.then(async () => {
    try {
      self.postMessage({ id: msg.id, result: await handle(msg) });
    } catch (e) {
      self.postMessage({ id: msg.id, error: String((e && e.message) || e) });
    }
  });
};
