// Where a run's instances go after the self-check: the `destination` option of deidentify()
// and sendResult(). Only the written instances are sent (the zip's DICOM entries, never the
// key, the log, the manifest or the run statement; held and excluded files are not in the zip);
// the engine says which of them an archive can store.
//
//   {kind: 'stow', url, headers | getHeaders(), stream?, limits?: {max_bytes, max_count},
//    retry?: {max_attempts, base_delay_ms, max_delay_ms}}
//   {kind: 's3', presign(request), partSize?, retry?}: the zip, not the instances (s3-upload.js)
import { DeidError, messageOf } from './errors.js';
import { Ledger } from './ledger.js';
import { checkS3Destination } from './s3-upload.js';
import { StowSender } from './stow.js';

let ledger = null;
/** The page's one ledger (IndexedDB). */
export function theLedger() {
  if (!ledger) ledger = new Ledger();
  return ledger;
}

/** Whether `v` is a plain object of header names to values. */
const isHeaders = (v) => v != null && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string');

/**
 * The destination checked, its URL made absolute (against the page), or DeidError
 * 'bad-options' saying what is wrong.
 */
export function checkDestination(d) {
  if (d == null) return null;
  const bad = (why) => new DeidError('bad-options', `destination: ${why}`);
  if (typeof d !== 'object') throw bad("must be an object such as {kind: 'stow', url}");
  if (d.kind === 's3') return checkS3Destination(d);
  if (d.kind !== 'stow') throw bad(`unknown kind ${JSON.stringify(d.kind)} (known: 'stow', 's3')`);
  let url;
  try {
    url = new URL(String(d.url), globalThis.location ? globalThis.location.href : undefined);
  } catch {
    throw bad(`url ${JSON.stringify(d.url)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('url must be http: or https:');
  if (d.headers != null && !isHeaders(d.headers)) throw bad('headers must be an object of header names to text values');
  if (d.getHeaders != null && typeof d.getHeaders !== 'function') throw bad('getHeaders must be a function');
  for (const k of ['max_bytes', 'max_count']) {
    const v = d.limits && d.limits[k];
    if (v != null && !(Number.isInteger(v) && v > 0)) throw bad(`limits.${k} must be a whole number above 0`);
  }
  return Object.freeze({
    kind: 'stow', url: url.href, headers: d.headers, getHeaders: d.getHeaders, stream: !!d.stream,
    limits: d.limits ? { ...d.limits } : undefined, retry: d.retry ? { ...d.retry } : undefined,
  });
}

/** A sender to `destination` (checked), reporting `{phase: 'send', …}` to `onProgress`. */
export function openSender(core, destination, signal, onProgress) {
  return new StowSender({ core, destination, ledger: theLedger(), signal, onProgress });
}

/**
 * The instances of a zip that may be sent: `instances` ([{path, at, size}]) each with the
 * SHA-256 its manifest lists (`vouched`: the engine's vouch of the zip, {ok, instances: {path:
 * sha256}}). A zip refused, or an instance its manifest does not list, refuses the whole:
 * DeidError 'unvouched' naming what does not hold, before anything is sent.
 */
export function vouchedInstances(vouched, instances) {
  if (!vouched.ok) {
    const e = new DeidError('unvouched', vouched.message);
    Object.assign(e, { problems: vouched.problems });
    throw e;
  }
  return instances.map(({ path, at, size }) => {
    if (!Object.hasOwn(vouched.instances, path)) throw new DeidError('unvouched', `${path}: not in the manifest, never sent; nothing of the zip is sent`);
    return { path, at, size, sha256: vouched.instances[path] };
  });
}

/**
 * Sends the written instances of a finished run, read back from its zip (`zip`: the File or
 * Blob; `instances`: [{path, at, size, sha256}] from vouchedInstances, where each one's bytes
 * are and what they must hash to): resolves to the delivery {url, state: 'done' | 'cancelled'
 * | 'error', results, counts, seconds}.
 * @returns {Promise<import('../dicom-deid.js').DeidDelivery>}
 */
export async function sendFromZip(core, destination, zip, instances, signal, onProgress) {
  const sender = openSender(core, destination, signal, onProgress);
  try {
    for (const { path, at, size, sha256 } of instances) {
      await sender.add({ path, vouched: sha256, read: async () => new Uint8Array(await zip.slice(at, at + size).arrayBuffer()) });
    }
    return { url: destination.url, state: /** @type {'done'} */ ('done'), ...(await sender.finish()) };
  } catch (e) {
    // The run's result stands; the delivery says why it stopped.
    const state = /** @type {'cancelled' | 'error'} */ (signal.aborted ? 'cancelled' : 'error');
    const code = state === 'error' && e instanceof DeidError ? e.code : undefined;
    return { url: destination.url, state, code, error: state === 'error' ? messageOf(e) : undefined, results: sender.results, counts: { ...sender.counts }, seconds: 0 };
  }
}
