// The engine in a Web Worker. Loads the wasm once (from the compiled module the page sends),
// then answers requests one message at a time:
//   list-zip  {file}                        → {zip: false} | {zip: true, members: [{name, size}]} | {zip: true, error}
//   scan      {item, keep?}                 → {scan: {record, pixel}, kept?} | {unreadable: message}
//                                             keep: read the whole file and keep it for its 'process'
//   setup     {spec, secret}                → {}            (builds the WebEngine for this job)
//   process   {item}                        → {outcome, bytesIn, path?, head?, data?, tail?, crc?}: when
//                                             written, the output is head + the last `tail` bytes of
//                                             data (the input; both transferred), CRC-32 crc; bytesIn:
//                                             the input's size (0 when it could not be read)
//   preview   {item, config, secret, mapping, key} → {before, after, rejection, thumb, why}
//   audit-setup {spec, secret}              → {}            (builds the WebAuditor: the job's options and recipe)
//   audit-scan {item}                       → {scan: {record, header}} | {unreadable: message}
//                                             the whole file read: its scan record and the audit's
//                                             header read with the job's recipe (opaque texts for the WebJob; header
//                                             undefined when the scan found no DICOM header)
//   verify-zip {file, publicKey?}           → {ok, problems, keyFingerprint, ...}: the zip checked
//                                             against its signed statement (verify_zip)
//   vouch-zip {file, publicKey?}            → {ok, instances: {path: sha256}} | {ok: false, problems,
//                                             message}: what of the zip may be sent (vouch_zip_at;
//                                             read in slices, never whole)
//   pixel-preview {item, frame, config}     → {width, height, frames, frame, rgba, info}
//                                             one frame decoded by the engine for the pixel
//                                             review (rgba transferred; nothing is kept)
// An item is {path, file, index?, zip?}: a whole file, or member `index` of the zip `file`
// (whose own source path is `zip`). Values are the engine's typed values (src/web.rs), cloned.
// Errors travel back as {error: message, code?} (the engine's code); nothing here throws across
// the message boundary.
import init, { explain_attributes, verify_zip, vouch_zip_at, pixel_preview, scan_file, scan_file_prefix, scan_prefix_len, is_zip, preview, thumbnail, unreadable_outcome, WebAuditor, WebEngine, WebJob, WebZipReader } from '../pkg/dicom_deid.js';

let ready = null;
let engine = null;
let auditor = null;
// The last zip opened by this worker: members of one zip come in a row (paths are sorted).
let openZip = null; // {key, file, reader: Promise<WebZipReader>}

function zipReader(item) {
  if (openZip && openZip.key === item.zip && openZip.file === item.file) return openZip.reader;
  if (openZip) openZip.reader.then((r) => r.free(), () => {});
  const reader = item.file.arrayBuffer().then((b) => new WebZipReader(new Uint8Array(b)));
  openZip = { key: item.zip, file: item.file, reader };
  return reader;
}

/** The bytes of an item, or throws an Error whose message matches the CLI's rejection detail. */
async function readItem(item) {
  if (item.index !== undefined && item.index !== null) {
    const reader = await zipReader(item);
    return reader.read(item.index);
  }
  try {
    return new Uint8Array(await item.file.arrayBuffer());
  } catch (e) {
    throw new Error(`cannot read file: ${e.message || e}`);
  }
}

async function listZip(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!is_zip(bytes)) return { zip: false };
  let reader;
  try {
    reader = new WebZipReader(bytes);
  } catch (e) {
    return { zip: true, error: String(e.message || e) };
  }
  try {
    const members = [];
    for (let i = 0; i < reader.len(); i++) members.push({ name: reader.name(i), size: reader.size(i) });
    return { zip: true, members };
  } finally {
    reader.free();
  }
}

/** First read for a scan: enough for the headers of most files (the 1 GB benchmark corpus: 97% within 4 KiB). */
const FIRST_PREFIX = 16 << 10;

/**
 * The scan record of a whole file from its first bytes (FIRST_PREFIX, then scan_prefix_len()),
 * or undefined when the headers reach beyond them (or a read fails): then the caller reads it all.
 */
async function scanFromPrefix(item) {
  const size = item.file.size;
  for (const n of [FIRST_PREFIX, scan_prefix_len()]) {
    if (n >= size) return undefined;
    let prefix;
    try {
      prefix = new Uint8Array(await item.file.slice(0, n).arrayBuffer());
    } catch {
      return undefined;
    }
    const rec = scan_file_prefix(item.path, prefix, size);
    if (rec !== undefined) return rec;
  }
  return undefined;
}

// Files read whole for the scan and kept for the rewrite (the page picks them, within a byte
// budget, and sends their 'process' here): such a file is read once instead of twice.
const kept = new Map();

async function scan(item, keep) {
  if (!keep && (item.index === undefined || item.index === null)) {
    const rec = await scanFromPrefix(item);
    if (rec !== undefined) return { scan: rec, size: item.file.size };
  }
  let bytes;
  try {
    bytes = await readItem(item);
  } catch (e) {
    return { unreadable: String(e.message || e) };
  }
  if (keep) kept.set(item.path, bytes);
  return { scan: scan_file(item.path, bytes), size: bytes.length, kept: keep };
}

async function auditScan(item) {
  if (!auditor) throw new Error('the audit is not set up');
  let bytes;
  try {
    bytes = await readItem(item);
  } catch (e) {
    return { unreadable: String(e.message || e) };
  }
  return { scan: auditor.scan(item.path, bytes) };
}

async function verifyZip(file, publicKey) {
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    throw new Error(`cannot read file: ${e.message || e}`);
  }
  return verify_zip(bytes, publicKey ?? undefined);
}

/**
 * The zip checked against its signed statement before anything of it is sent: read in slices
 * of the Blob (FileReaderSync, which dedicated workers have), so a zip of any size costs the
 * engine's bounded buffers.
 */
function vouchZip(file, publicKey) {
  const reader = new FileReaderSync();
  const readAt = (at, length) => new Uint8Array(reader.readAsArrayBuffer(file.slice(at, at + length)));
  return vouch_zip_at(file.size, readAt, publicKey ?? undefined);
}

async function processItem(item) {
  if (!engine) throw new Error('the engine is not set up');
  let bytes = kept.get(item.path);
  kept.delete(item.path);
  try {
    if (bytes === undefined) bytes = await readItem(item);
  } catch (e) {
    return { outcome: unreadable_outcome(item.path, String(e.message || e)), bytesIn: 0 };
  }
  // The output is `head` then the input's last `tail` bytes (its pixel data): the input buffer
  // itself goes to the zip, transferred, so the pixel data is never copied out of the engine.
  const r = engine.process_parts(item.path, bytes);
  if (r.head === undefined) return { outcome: r.outcome, bytesIn: r.bytesIn };
  return { outcome: r.outcome, bytesIn: r.bytesIn, path: r.path, head: r.head, data: bytes, tail: r.tail, crc: r.crc };
}

/** Before/after rows of one file, planned as if it were the whole job (illustrative IDs). */
async function previewItem({ item, config, secret, mapping, key }) {
  const bytes = await readItem(item);
  const out = { before: null, after: null, rejection: null, thumb: null, why: {}, error: null };
  try {
    out.before = preview(bytes);
  } catch (e) {
    out.error = String(e.message || e);
    return out;
  }
  out.thumb = thumbnail(bytes, 256) || null;
  // Who decides each top-level attribute (the CLI's --explain); the options are checked below.
  try {
    for (const { path, why } of explain_attributes(bytes, config)) out.why[path] = why;
  } catch {
    out.why = {};
  }
  const job = new WebJob(config, secret, mapping ?? undefined, key ?? undefined);
  try {
    job.add_scan(scan_file(item.path, bytes).record);
    const spec = job.plan();
    const eng = new WebEngine(spec, secret);
    try {
      const r = eng.process(item.path, bytes);
      out.rejection = r.rejection ?? null;
      if (r.bytes) out.after = preview(r.bytes);
    } finally {
      eng.free();
    }
  } finally {
    job.free();
  }
  return out;
}

/** One frame of an image for the pixel review (pixel_preview). */
async function pixelPreviewItem({ item, frame, config }) {
  const bytes = await readItem(item);
  const p = pixel_preview(bytes, frame || 0, config);
  return { width: p.width, height: p.height, frames: p.frames, frame: p.frame, rgba: p.rgba, info: p.info };
}

async function handle(msg) {
  switch (msg.op) {
    case 'init':
      ready = init({ module_or_path: msg.module });
      await ready;
      return {};
    case 'list-zip':
      return listZip(msg.file);
    case 'scan':
      return scan(msg.item, !!msg.keep);
    case 'audit-setup':
      if (auditor) auditor.free();
      auditor = new WebAuditor(msg.spec, msg.secret);
      return {};
    case 'audit-scan':
      return auditScan(msg.item);
    case 'verify-zip':
      return verifyZip(msg.file, msg.publicKey);
    case 'vouch-zip':
      return vouchZip(msg.file, msg.publicKey);
    case 'setup':
      if (engine) engine.free();
      engine = new WebEngine(msg.spec, msg.secret);
      return {};
    case 'process':
      return processItem(msg.item);
    case 'preview':
      return previewItem(msg);
    case 'pixel-preview':
      return pixelPreviewItem(msg);
    default:
      throw new Error(`unknown request ${msg.op}`);
  }
}

self.onmessage = async (ev) => {
  const msg = ev.data;
  try {
    if (msg.op !== 'init') await ready;
    const result = await handle(msg);
    const own = (a) => a && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
    const transfer = result ? [result.head, result.data].filter(own).map((a) => a.buffer) : [];
    if (result && result.thumb && result.thumb.rgba) transfer.push(result.thumb.rgba.buffer);
    if (result && msg.op === 'pixel-preview' && own(result.rgba)) transfer.push(result.rgba.buffer);
    self.postMessage({ id: msg.id, result }, transfer);
  } catch (e) {
    self.postMessage({ id: msg.id, error: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined });
  }
};
