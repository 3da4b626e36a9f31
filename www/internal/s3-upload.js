// Uploading the result zip to S3 (or any store that speaks S3's PUT and multipart upload) with
// URLs the host presigns: the page never holds a credential. This module does the network
// (fetch) and the order of the steps; the engine decides the rest (src/deliver/, through the
// bindings of src/web.rs, given here as `core`): the MD5 of each part (its ETag), the ETag of a
// multipart upload, whether a returned ETag is the expected one, and what to do after a failed
// attempt (retry after N ms, presign again, give up).
//
//   const delivery = await uploadZip(zip, destination, core, { signal, onProgress });
//
// A zip of at most `partSize` bytes is one presigned PUT; a larger one a multipart upload: the
// host creates it, presigns each UploadPart, and completes it with the parts' ETags (or aborts
// it when the upload fails or is cancelled). Each part is read from the zip (a Blob: a file in
// OPFS, a picked file or memory) in bounded slices to be hashed, then sent as a slice of the
// Blob: at most PARALLEL parts are in flight, none held whole in memory.
import { DeidError, messageOf } from './errors.js';
import { sleep, withTimeout } from './timing.js';

/** The part size when the host gives none (bytes). */
export const DEFAULT_PART_SIZE = 16 << 20;
/** The smallest part size accepted (S3 itself takes parts of 5 MiB or more but the last). */
export const MIN_PART_SIZE = 64 << 10;
/** The largest part (S3's limit). */
export const MAX_PART_SIZE = 5 * 1024 ** 3;
/** The most parts of one upload (S3's limit); the part size grows for a larger zip. */
export const MAX_PARTS = 10_000;
/** Parts in flight at once. */
const PARALLEL = 3;
/** Bytes read at once to hash a part. */
const HASH_SLICE = 4 << 20;
/** The longest one attempt may take: a minute, plus a second per 256 KiB of its body. */
const attemptMs = (bytes) => 60_000 + Math.ceil(bytes / (256 << 10)) * 1000;
/** The longest the host's presign callback may take. */
const PRESIGN_MS = 60_000;

const aborted = () => new DeidError('aborted', 'the upload was cancelled');

/**
 * An S3 destination checked before anything is run, as a frozen copy: {kind: 's3',
 * presign(request), partSize?, retry?}. Throws DeidError 'bad-options'.
 */
export function checkS3Destination(d) {
  const bad = (why) => new DeidError('bad-options', `destination: ${why}`);
  if (typeof d.presign !== 'function') throw bad("an S3 destination needs presign(request): the host's function that returns presigned URLs");
  if (d.partSize != null && !(Number.isSafeInteger(d.partSize) && d.partSize >= MIN_PART_SIZE && d.partSize <= MAX_PART_SIZE)) {
    throw bad(`partSize must be a whole number of bytes from ${MIN_PART_SIZE} to ${MAX_PART_SIZE}`);
  }
  const presign = d.presign.bind(d);
  // Never streamed: the zip is complete only when the run is.
  return Object.freeze({ kind: /** @type {'s3'} */ ('s3'), presign, partSize: d.partSize, retry: d.retry ? { ...d.retry } : undefined, stream: false });
}

/** The bytes of `hex` (an MD5 digest) in base64, as the Content-MD5 header takes them. */
function base64OfHex(hex) {
  let s = '';
  for (let i = 0; i < hex.length; i += 2) s += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(s);
}

/** The MD5 (hex) of a Blob, read HASH_SLICE bytes at a time, hashed by the engine. */
async function md5Of(blob, core, signal) {
  const h = core.md5();
  try {
    for (let at = 0; at < blob.size; at += HASH_SLICE) {
      if (signal.aborted) throw aborted();
      h.update(new Uint8Array(await blob.slice(at, Math.min(blob.size, at + HASH_SLICE)).arrayBuffer()));
    }
    return h.hex();
  } finally {
    h.free();
  }
}

/** The host's presign callback, checked: a timeout, and a DeidError 'send' when it fails. */
async function askHost(destination, request, signal) {
  if (signal.aborted) throw aborted();
  const t = withTimeout(signal, PRESIGN_MS, `presign ${request.op}`);
  try {
    const answer = await Promise.race([
      Promise.resolve().then(() => destination.presign(request)),
      new Promise((_, reject) => t.signal.addEventListener('abort', () => reject(t.signal.reason), { once: true })),
    ]);
    return answer || {};
  } catch (e) {
    if (signal.aborted) throw aborted();
    throw new DeidError('send', `the host's presign (${request.op}) failed: ${messageOf(e)}`, { cause: e });
  } finally {
    t.done();
  }
}

/** A presigned target {url, headers}, checked. */
function targetOf(answer, what) {
  if (!answer || typeof answer.url !== 'string' || !answer.url) throw new DeidError('send', `the host's presign (${what}) gave no url`);
  return { url: answer.url, headers: answer.headers && typeof answer.headers === 'object' ? { ...answer.headers } : {} };
}

/**
 * PUTs `body` to the URL `sign()` presigns, retrying as the engine decides, and checks the
 * ETag returned against `md5` (hex). Resolves to the returned ETag.
 */
async function putChecked({ sign, body, md5, what, core, policy, signal, tally }) {
  let target = targetOf(await sign(), what);
  let refreshed = false;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw aborted();
    tally();
    const t = withTimeout(signal, attemptMs(body.size), what);
    let status;
    let retryAfter;
    let etag = null;
    let failure = '';
    try {
      const r = await fetch(target.url, { method: 'PUT', body, headers: target.headers, signal: t.signal, credentials: 'omit', cache: 'no-store' });
      status = r.status;
      retryAfter = r.headers.get('Retry-After') ?? undefined;
      etag = r.headers.get('ETag');
      await r.body?.cancel().catch(() => {});
    } catch (e) {
      if (signal.aborted) throw aborted();
      failure = messageOf(e);
    } finally {
      t.done();
    }
    const d = core.decide(attempt, refreshed, status, retryAfter, policy);
    if (d.action === 'read_response') {
      if (!(status >= 200 && status < 300)) throw new DeidError('send', `${what}: HTTP ${status}`);
      if (etag == null) throw new DeidError('send', `${what}: the store returned no ETag (the bucket's CORS rule must expose the ETag header)`);
      if (!core.etagMatches(etag, md5)) {
        throw new DeidError('send', `${what}: the store's ETag ${etag} is not the MD5 of the bytes sent (${md5}): the upload was altered on the way`);
      }
      return etag;
    }
    if (d.action === 'retry_after') await sleep(d.delay_ms, signal, aborted);
    else if (d.action === 'refresh_headers') {
      // An expired or refused URL: the host presigns it once more.
      refreshed = true;
      target = targetOf(await sign(), what);
    } else throw new DeidError('send', `${what}: ${d.reason}${failure ? ` (${failure})` : ''}`);
  }
}

/** The part size for a zip of `size` bytes: the host's (or the default), larger when S3's part count would be passed. */
function partSizeFor(size, wanted) {
  return Math.max(wanted || DEFAULT_PART_SIZE, Math.ceil(size / MAX_PARTS));
}

/**
 * Sends the parts of a multipart upload, PARALLEL at a time; `job` holds what every part needs
 * ({zip, destination, core, policy, tally, uploadId, partSize, count, progress}). Resolves to
 * their digests (hex) and ETags in part order. One part failing for good stops the others
 * before the error is passed on.
 */
async function sendParts(job, signal) {
  const { zip, destination, core, policy, tally, uploadId, partSize, count, progress } = job;
  const digests = new Array(count);
  const etags = new Array(count);
  let next = 0;
  let done = 0;
  let sent = 0;
  const stop = new AbortController();
  const cancel = () => stop.abort();
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  const partSignal = stop.signal;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const body = zip.slice(n * partSize, Math.min(zip.size, (n + 1) * partSize));
      const md5 = await md5Of(body, core, partSignal);
      const request = { op: 'part', uploadId, partNumber: n + 1, size: body.size, md5, contentMd5: base64OfHex(md5) };
      const sign = () => askHost(destination, request, partSignal);
      etags[n] = await putChecked({ sign, body, md5, what: `part ${n + 1} of ${count}`, core, policy, signal: partSignal, tally });
      digests[n] = md5;
      done++;
      sent += body.size;
      progress(done, count, sent);
    }
  };
  const workers = Array.from({ length: Math.min(PARALLEL, count) }, worker);
  try {
    await Promise.all(workers);
  } catch (e) {
    stop.abort();
    await Promise.allSettled(workers);
    throw e;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
  return { digests, etags };
}

/**
 * A multipart upload of `job.zip` in `job.count` parts: created, its parts sent, completed with
 * their ETags and the store's ETag of the whole checked; aborted through the host when anything
 * fails. Resolves to the completed object's ETag.
 */
async function uploadMultipart(job, signal) {
  const { destination, core, partSize, count } = job;
  const created = await askHost(destination, { op: 'create', size: job.zip.size, partSize, parts: count }, signal);
  const uploadId = created.uploadId;
  if (typeof uploadId !== 'string' || !uploadId) throw new DeidError('send', "the host's presign (create) gave no uploadId");
  try {
    job.progress(0, count, 0);
    const { digests, etags } = await sendParts({ ...job, uploadId }, signal);
    const expected = core.multipartEtag(digests);
    const parts = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    const completed = await askHost(destination, { op: 'complete', uploadId, parts }, signal);
    if (typeof completed.etag !== 'string' || !core.etagMatches(completed.etag, expected)) {
      throw new DeidError('send', `the completed upload's ETag ${completed.etag} is not ${expected} (the MD5 of the parts' MD5s and their count): the object is not the zip`);
    }
    return completed.etag;
  } catch (e) {
    // Best effort: the host aborts the upload, so no parts are left behind (and billed).
    await askHost(destination, { op: 'abort', uploadId }, new AbortController().signal).catch((x) => console.warn('the multipart upload could not be aborted', x));
    throw e;
  }
}

/**
 * Uploads `zip` (a Blob) to the store the host presigns for, as one PUT or as a multipart
 * upload. Resolves to the delivery {kind: 's3', state: 'done', mode: 'put' | 'multipart', etag,
 * bytes, parts, seconds, attempts}; rejects with DeidError 'send' (the host's callback failed,
 * a request failed for good, an ETag differs) or 'aborted'. A multipart upload that does not
 * complete is aborted through the host.
 * @param {Blob} zip
 * @param {{ presign: (request: import('../dicom-deid.js').S3PresignRequest) => any, partSize?: number, retry?: import('../dicom-deid.js').RetryPolicy }} destination
 * @param {any} core
 * @param {{ signal: AbortSignal, onProgress?: (progress: import('../dicom-deid.js').SendProgress) => void }} options
 * @returns {Promise<import('../dicom-deid.js').S3Delivery>}
 */
export async function uploadZip(zip, destination, core, { signal, onProgress = () => {} }) {
  const started = performance.now();
  const size = zip.size;
  const partSize = partSizeFor(size, destination.partSize);
  const count = Math.ceil(size / partSize) || 1;
  const progress = (done, total, bytes) => {
    const elapsed = (performance.now() - started) / 1000;
    const per = (x) => (elapsed > 0 ? x / elapsed : 0);
    onProgress({ phase: 'send', done, total, sent: done, failed: 0, bytes, totalBytes: size, elapsed, rate: per(done), mbps: per(bytes / 1e6) });
  };
  let attempts = 0;
  const job = { zip, destination, core, policy: destination.retry, tally: () => attempts++, partSize, count, progress };
  let etag;
  if (count === 1) {
    progress(0, 1, 0);
    const md5 = await md5Of(zip, core, signal);
    const request = { op: 'put', size, md5, contentMd5: base64OfHex(md5) };
    etag = await putChecked({ sign: () => askHost(destination, request, signal), body: zip, md5, what: 'the zip', core, policy: job.policy, signal, tally: job.tally });
    progress(1, 1, size);
  } else {
    etag = await uploadMultipart(job, signal);
  }
  /** @type {'put' | 'multipart'} */
  const mode = count === 1 ? 'put' : 'multipart';
  return { kind: 's3', state: 'done', mode, etag, bytes: size, parts: count, attempts, seconds: (performance.now() - started) / 1000 };
}
