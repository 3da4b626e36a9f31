// dicom-deid in the browser: the public ES-module API (types in dicom-deid.d.ts).
//
//   import { deidentify } from './dicom-deid.js';
//   const { zip, keyCsv, logCsv, summary } = await deidentify({ source: dirHandle, secret, options: { preset: 'research' } });
//
// The same engine as the command-line tool (WebAssembly, one worker per core) and the same
// output, byte for byte, for the same input, options and secret. Nothing is sent anywhere:
// files are read and written inside the browser. Every failure is a DeidError with a `code`.
// The page (app.js) and the <dicom-deid> element are built on these functions only.
import init, {
  WebJob, WebMd5, clip_regions, first_matching_rule, parse_config, parse_config_with_preset, parse_config_with_recipe, parse_pixel_rules, pixel_rules_toml, preset_config, preset_recipe, project_public_key,
  recipe_info, s3_etag_matches, s3_multipart_etag, stow_batches, stow_body, stow_decide, stow_instance, stow_outcomes, version as engineVersion,
} from './pkg/dicom_deid.js';
import { compileEngine } from './internal/assets.js';
import { checkDestination, openSender, sendFromZip, vouchedInstances } from './internal/destination.js';
import { DeidError, asDeidError, messageOf } from './internal/errors.js';
import { WorkerPool } from './internal/pool.js';
import { runJob } from './internal/run.js';
import { checkS3Destination, uploadZip } from './internal/s3-upload.js';
import { openPickedSink, openSpoolSink, opfsUsable, outputSupport as hasOutputApis, removeSpoolFiles } from './internal/sink.js';
import { expand, fromDataTransfer, fromSource } from './internal/sources.js';

export { DeidError };

/** The engine's delivery decisions (src/deliver/ through src/web/stow.rs), for the STOW-RS sender. */
const STOW_CORE = Object.freeze({
  check: (bytes, vouched) => stow_instance(bytes, vouched),
  batches: (sizes, limits) => stow_batches(Float64Array.from(sizes), limits),
  body: (parts) => stow_body(parts),
  decide: (attempt, refreshed, status, retryAfter, policy) => stow_decide(attempt, refreshed, status, retryAfter, policy),
  outcomes: (body, contentType, sent) => stow_outcomes(body, contentType, sent),
});

// Each export is checked against its declaration in dicom-deid.d.ts (the type check of
// scripts/test.sh: this module's own name resolves to the .d.ts there).
/** @typedef {typeof import('./dicom-deid.js')} Api */

/** What a plain JS caller that passes no options gets (the checks then reject with DeidError). */
const NO_OPTIONS = /** @type {any} */ (Object.freeze({}));

/** The built-in presets (as the CLI's --preset). */
export const PRESETS = Object.freeze(['basic', 'research', 'keep-list']);

// ---------------------------------------------------------------- the engine

let engine = null;
/** Whether the engine's wasm is instantiated on this thread (its synchronous functions can be called). */
let engineReady = false;

/** A module of one SIMD instruction (i8x16.popcnt): valid only where WebAssembly has SIMD, which the engine is built with. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

function loadEngineOnce() {
  if (!engine) {
    engine = (async () => {
      if (typeof WebAssembly !== 'object' || typeof Worker !== 'function') {
        throw new DeidError('unsupported', 'this browser lacks WebAssembly or Web Workers, which the de-identifier needs');
      }
      if (!WebAssembly.validate(SIMD_PROBE)) {
        throw new DeidError('unsupported', "this browser's WebAssembly lacks SIMD, which the de-identifier needs (Chrome or Edge 91, Firefox 89, Safari 16.4 or later)");
      }
      let module;
      try {
        module = await compileEngine();
        await init({ module_or_path: module });
        engineReady = true;
      } catch (e) {
        throw asDeidError(e, 'unsupported', 'the engine cannot start in this browser: ');
      }
      // One worker for the small jobs between runs: listing zips, previews.
      const helper = new WorkerPool(module, 1);
      try {
        await helper.ready;
      } catch (e) {
        helper.terminate();
        throw asDeidError(e, 'unsupported', 'the engine workers cannot start: ');
      }
      return { module, helper };
    })();
    engine.catch(() => {
      engine = null;
    });
  }
  return engine;
}

/**
 * Loads the engine (compiles the wasm once, starts one helper worker). Every other function
 * does it when needed; calling it first shows a browser's problems before any file is chosen.
 * Resolves to {version}; rejects with DeidError 'unsupported'.
 * @type {Api['loadEngine']}
 */
export async function loadEngine() {
  await loadEngineOnce();
  return { version: engineVersion() };
}

// ---------------------------------------------------------------- options and lists

function configText(options) {
  if (options == null) return '{"preset": "basic"}';
  if (typeof options === 'string') return options;
  if (typeof options === 'object') return JSON.stringify(options);
  throw new DeidError('bad-options', 'options must be an object or JSON/TOML text');
}

/**
 * The full configuration the engine takes (an object), or DeidError 'bad-options'. Needs the engine loaded.
 * `preset` (optional) is the starting preset when the options name none; the engine merges it
 * as a value (any valid text works: `{}`, comments), never spliced into the text. `recipe`
 * (optional, its text): its base and settings under the options' keys.
 */
function configJson(options, preset, recipe) {
  try {
    if (recipe != null) return parse_config_with_recipe(configText(options), preset || 'basic', recipe);
    return preset ? parse_config_with_preset(configText(options), preset) : parse_config(configText(options));
  } catch (e) {
    throw asDeidError(e, 'bad-options');
  }
}

/**
 * The full configuration of a preset (every option with its value), as an object.
 * @type {Api['presetOptions']}
 */
export async function presetOptions(name) {
  await loadEngineOnce();
  try {
    return preset_config(name);
  } catch (e) {
    throw asDeidError(e, 'bad-options');
  }
}

/**
 * Checks options (an object such as {preset: 'research', id_prefix: 'SUBJ'}, or the JSON/TOML
 * text of a CLI configuration file) and returns the full configuration: the preset with the
 * given keys on top. Rejects with DeidError 'bad-options' saying what is wrong.
 * @type {Api['checkOptions']}
 */
export async function checkOptions(options, preset, recipe) {
  await loadEngineOnce();
  return configJson(options, preset, recipe);
}

/**
 * The recipe text of a preset, as shipped with the engine (the CLI's `recipe show NAME`): a
 * starting point for a site's own recipe.
 * @type {Api['presetRecipe']}
 */
export async function presetRecipe(name) {
  await loadEngineOnce();
  try {
    return preset_recipe(name);
  } catch (e) {
    throw asDeidError(e, 'bad-options');
  }
}

/**
 * What a recipe is (its text, or a File or Blob: this project's TOML/JSON, a CTP script, a deid
 * recipe): {format, name, base, params: [{name, description, default}], report, counts,
 * needs_acceptance, unkeyed_md5, sha256}. The acceptance of a report that lists unsupported
 * rows is given with the options (`accept_import_report: true`) and checked by the engine.
 * @type {Api['recipeInfo']}
 */
export async function recipeInfo(recipe) {
  await loadEngineOnce();
  const text = typeof recipe === 'string' ? recipe : await textOf(recipe, 'recipe');
  try {
    return recipe_info(text);
  } catch (e) {
    throw asDeidError(e, 'bad-options');
  }
}

async function textOf(blob, what) {
  try {
    // As the CLI reads it: invalid UTF-8 becomes U+FFFD, a byte order mark is kept.
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await blob.arrayBuffer());
  } catch (e) {
    throw asDeidError(e, 'io', `the ${what} cannot be read: `);
  }
}

/** A mapping or key CSV as text (undefined when not given). */
async function listText(value, what, code) {
  if (value == null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof Blob === 'function' && value instanceof Blob) return textOf(value, what);
  throw new DeidError(code, `the ${what} must be CSV text, a File or a Blob`);
}

/**
 * The engine's job for these inputs: the engine reads the options, the secret, the mapping and
 * the key once, and its error's code says which of them is at fault ('bad-options',
 * 'bad-mapping', 'bad-key').
 */
function newJob(config, secret, mapping, key) {
  try {
    return new WebJob(config, secret, mapping, key);
  } catch (e) {
    throw asDeidError(e, 'bad-options');
  }
}

/**
 * A run's or an audit's inputs read and checked (the options, the secret's bytes, the lists'
 * texts): {secretB, job()}, where job() makes the engine's job of them (the caller frees it).
 */
async function jobInputs({ options, mapping, existingKey, secret }) {
  const config = configJson(options);
  const secretB = await secretBytes(secret);
  const m = await listText(mapping, 'mapping CSV', 'bad-mapping');
  const k = await listText(existingKey, 'key CSV', 'bad-key');
  return { secretB, job: () => newJob(config, secretB, m, k) };
}

/**
 * Checks a mapping CSV and/or the key CSV of an earlier batch (text, File or Blob) with the
 * given options, as a run would read them. Rejects with DeidError 'bad-options',
 * 'bad-mapping' or 'bad-key' (the message names the line and the column at fault).
 * @type {Api['checkLists']}
 */
export async function checkLists({ options, mapping, existingKey } = {}) {
  await loadEngineOnce();
  const config = configJson(options);
  const probe = new TextEncoder().encode('check');
  const m = await listText(mapping, 'mapping CSV', 'bad-mapping');
  const k = await listText(existingKey, 'key CSV', 'bad-key');
  newJob(config, probe, m, k).free();
}

// ---------------------------------------------------------------- the project secret

/** Rust's str::trim (Unicode White_Space at both ends), as the CLI trims its secret file. */
const rustTrim = (s) => s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');

/**
 * A new random secret: 64 hexadecimal characters, the CLI's secret-file format.
 * @type {Api['generateSecret']}
 */
export function generateSecret() {
  if (!(globalThis.crypto && crypto.getRandomValues)) throw new DeidError('unsupported', 'this browser cannot generate a secret: load a secret file');
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * The secret in a secret file (as the CLI's --secret-file: UTF-8 text, trimmed). Rejects with
 * DeidError 'bad-options' when the file is not text or is empty, 'io' when it cannot be read.
 * @type {Api['readSecretFile']}
 */
export async function readSecretFile(file) {
  let bytes;
  try {
    bytes = await file.arrayBuffer();
  } catch (e) {
    throw asDeidError(e, 'io', 'the secret file cannot be read: ');
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new DeidError('bad-options', `${fileName(file) || 'the secret file'} is not a text file`);
  }
  text = rustTrim(text);
  if (!text) throw new DeidError('bad-options', `${fileName(file) || 'the secret file'} is empty`);
  return text;
}

/** The name of a File (a plain Blob has none). */
const fileName = (blob) => /** @type {Partial<File>} */ (blob).name;

/** The secret's bytes as the engine takes them. */
async function secretBytes(secret) {
  if (secret instanceof ArrayBuffer) secret = new Uint8Array(secret);
  if (secret instanceof Uint8Array) {
    if (!secret.length) throw new DeidError('bad-options', 'the project secret is empty');
    return secret;
  }
  let text;
  if (typeof Blob === 'function' && secret instanceof Blob) text = await readSecretFile(secret);
  else if (typeof secret === 'string') text = rustTrim(secret);
  else throw new DeidError('bad-options', 'a project secret is required (text, a secret file or bytes); generateSecret() makes one');
  if (!text) throw new DeidError('bad-options', 'the project secret is empty');
  return new TextEncoder().encode(text);
}

/**
 * A short fingerprint of a secret (first 4 bytes of the SHA-256 of its trimmed text, in hex):
 * the same fingerprint means the same secret. Empty where the browser has no crypto.subtle.
 * @type {Api['secretFingerprint']}
 */
export async function secretFingerprint(secret) {
  if (!(globalThis.crypto && crypto.subtle)) return '';
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', /** @type {BufferSource} */ (await secretBytes(secret))));
  return Array.from(d.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---------------------------------------------------------------- sources

const selections = new WeakSet();
const zipListings = new WeakMap();

/**
 * Lists a source before a run, as the CLI would read it: zips are opened and replaced by their
 * members (`<zip>/<member>`), files sorted by path. `source`: a FileSystemDirectoryHandle, a
 * FileList (e.g. from <input type=file webkitdirectory>), File objects, {path, file} entries,
 * or an array mixing those. Resolves to a selection {files, bytes, zips, items, badZips,
 * entries} that deidentify() and previewFile() take as it is (each zip is read only once).
 * @type {Api['listSource']}
 */
export async function listSource(source) {
  if (selections.has(source)) return /** @type {import('./dicom-deid.js').Selection} */ (source);
  const { helper } = await loadEngineOnce();
  let entries;
  try {
    entries = await fromSource(source);
  } catch (e) {
    throw asDeidError(e, 'io', 'the files cannot be read: ');
  }
  if (!entries) throw new DeidError('bad-options', 'source must be a FileSystemDirectoryHandle, a FileList, File objects or {path, file} entries');
  const listZip = (file) => {
    if (!zipListings.has(file)) {
      const listing = helper.run({ op: 'list-zip', file });
      zipListings.set(file, listing);
      listing.catch(() => zipListings.delete(file));
    }
    return zipListings.get(file);
  };
  let expanded;
  try {
    expanded = await expand(entries, listZip);
  } catch (e) {
    throw asDeidError(e, 'io', 'the files cannot be read: ');
  }
  const { items, badZips, zips } = expanded;
  const selection = Object.freeze({
    entries: Object.freeze(entries),
    items: Object.freeze(items),
    badZips: Object.freeze(badZips),
    zips,
    files: items.length + badZips.length,
    bytes: items.reduce((s, it) => s + (it.size || 0), 0),
  });
  selections.add(selection);
  return selection;
}

/**
 * The {path, file} entries of a drop (folders walked, zips kept as files). Call it inside the
 * `drop` event handler, before any await: the browser empties the DataTransfer afterwards.
 * @type {Api['entriesFromDrop']}
 */
export function entriesFromDrop(dataTransfer) {
  return fromDataTransfer(dataTransfer).catch((e) => {
    throw asDeidError(e, 'io', 'the dropped files cannot be read: ');
  });
}

// ---------------------------------------------------------------- preview

/**
 * One file of a selection before and after de-identification, planned as if it were the whole
 * job (research IDs are illustrative): {before, after, rejection, thumb}, where before/after are
 * element rows {path, keyword, vr, value} (after is null when the file would not be written,
 * and rejection {code, outcome, message} says why)
 * and thumb is {width, height, rgba} for uncompressed pixel data, else null.
 * @type {Api['previewFile']}
 */
export async function previewFile(item, { options, secret, mapping, existingKey } = NO_OPTIONS) {
  const { helper } = await loadEngineOnce();
  const config = configJson(options);
  const bytes = await secretBytes(secret);
  const m = await listText(mapping, 'mapping CSV', 'bad-mapping');
  const k = await listText(existingKey, 'key CSV', 'bad-key');
  try {
    return await helper.run({ op: 'preview', item, config, secret: bytes, mapping: m, key: k });
  } catch (e) {
    throw asDeidError(e, 'io', `${item.path} cannot be previewed: `);
  }
}

// ---------------------------------------------------------------- burned-in text (pixel review)

/** Scans in flight per worker for scanPixelGate (each reads a few KiB). */
const GATE_SCANS_PER_WORKER = 8;

/**
 * Reads the headers of every file of a selection (as a run's scan does, the first KiB of each
 * file where they suffice) and returns the images the pixel gate flags as possibly showing
 * burned-in text (PS3.15 E.3.1): [{item, signature, gate}] in selection order, where
 * signature is {modality, manufacturer, model, rows, columns, image_type, sop_class,
 * photometric, transfer_syntax, burned_in_annotation, recognizable_visual_features} and gate is
 * {class: 'possible' | 'carrier', reasons}. Options: signal (AbortSignal), onProgress({done,
 * total}), workers (default: up to 4). Files that are not DICOM are left out (the run logs them).
 * @type {Api['scanPixelGate']}
 */
export async function scanPixelGate(source, { signal, onProgress, workers } = {}) {
  const { module } = await loadEngineOnce();
  const selection = await listSource(source);
  const items = selection.items;
  const flagged = [];
  if (!items.length) return flagged;
  const cores = (globalThis.navigator && navigator.hardwareConcurrency) || 1;
  const pool = new WorkerPool(module, Math.max(1, Math.min(items.length, Math.floor(workers || Math.min(4, cores)))));
  const stop = () => pool.terminate();
  if (signal) signal.addEventListener('abort', stop);
  const aborted = () => new DeidError('aborted', 'the scan was cancelled');
  try {
    await pool.ready;
    const results = new Array(items.length);
    let next = 0;
    let done = 0;
    const one = async () => {
      while (next < items.length) {
        if (signal && signal.aborted) throw aborted();
        const i = next++;
        const r = await pool.run({ op: 'scan', item: items[i], keep: false });
        results[i] = r;
        done++;
        if (onProgress) onProgress({ done, total: items.length });
      }
    };
    await Promise.all(Array.from({ length: pool.size * GATE_SCANS_PER_WORKER }, one));
    items.forEach((item, i) => {
      const pixel = results[i] && results[i].scan && results[i].scan.pixel;
      if (!pixel || pixel.gate.class === 'pass') return;
      flagged.push({ item, signature: pixel.signature, gate: pixel.gate });
    });
    return flagged;
  } catch (e) {
    if (signal && signal.aborted) throw aborted();
    throw asDeidError(e, 'io', 'the headers cannot be read: ');
  } finally {
    if (signal) signal.removeEventListener('abort', stop);
    pool.terminate();
  }
}

/**
 * One frame of an image decoded by the engine for the pixel review (in the helper worker; the
 * pixels stay in memory): {width, height, frames, frame, rgba (Uint8ClampedArray, width ×
 * height × 4), info: {signature, gate, rule, rule_regions, detected}} where rule is the name
 * of the pixel rule of `options` (the user's, then the shipped defaults) that matches, and
 * rule_regions / detected are [x, y, width, height] rectangles in image pixels.
 * @type {Api['pixelPreview']}
 */
export async function pixelPreview(item, { frame = 0, options } = {}) {
  const { helper } = await loadEngineOnce();
  const config = configJson(options);
  let r;
  try {
    r = await helper.run({ op: 'pixel-preview', item, frame, config });
  } catch (e) {
    throw asDeidError(e, 'io', `${item.path} cannot be shown: `);
  }
  return r;
}

/**
 * Pixel rules (an array of {name, action, regions, match}) as a rules file (TOML), as the CLI's --pixel-rules reads.
 * @type {Api['pixelRulesToml']}
 */
export async function pixelRulesToml(rules) {
  await loadEngineOnce();
  try {
    return pixel_rules_toml(rules);
  } catch (e) {
    throw asDeidError(e, 'bad-options', 'the pixel rules cannot be written: ');
  }
}

/**
 * The rules of a pixel rules file (TOML or JSON text, a File or a Blob), checked: an array of {name, action, regions, match}.
 * @type {Api['parsePixelRules']}
 */
export async function parsePixelRules(text) {
  await loadEngineOnce();
  const t = typeof text === 'string' ? text : await textOf(text, 'rules file');
  try {
    return parse_pixel_rules(t);
  } catch (e) {
    throw asDeidError(e, 'bad-options');
  }
}

/** The engine's function `f` called now: it needs the engine loaded (loadEngine()). */
function loadedCall(f, code, what) {
  if (!engineReady) throw new DeidError('unsupported', `${what}: the engine is not loaded yet (call loadEngine() first)`);
  try {
    return f();
  } catch (e) {
    throw asDeidError(e, code, `${what}: `);
  }
}

/**
 * The first of `rules` (as parsePixelRules gives them) that matches an image's signature
 * (scanPixelGate's or pixelPreview's), or undefined: the engine's own matching (the CLI's).
 * Synchronous: call it once the engine is loaded.
 * @type {Api['firstMatchingRule']}
 */
export function firstMatchingRule(rules, signature) {
  const i = loadedCall(() => first_matching_rule(rules, signature), 'bad-options', 'pixel rules cannot be matched');
  return i === undefined ? undefined : rules[i];
}

/**
 * Rectangles drawn over an image ([x, y, width, height] in image pixels, fractional, maybe past
 * the edges) as a pixel rule's regions: rounded to whole pixels and clipped to width × height by
 * the engine, empty ones dropped. Synchronous: call it once the engine is loaded.
 * @type {Api['clipRegions']}
 */
export function clipRegions(rects, width, height) {
  return loadedCall(() => clip_regions(rects, width, height), 'bad-options', 'regions cannot be clipped');
}

// ---------------------------------------------------------------- the audit and the check of a received zip

/** Files in flight per worker for the audit (each is read whole), and their bytes at most. */
const AUDIT_PER_WORKER = 4;
const AUDIT_IN_FLIGHT_BYTES = 128 << 20;

/**
 * The audit of a selection (the CLI's `--audit`, a dry run: nothing is written): every file is
 * read by the workers (its headers scanned, its structure checked, its attributes at every depth
 * listed) and the engine plans the batch as the run would, with the same options, mapping, key
 * and secret. Resolves to {summary (the object of audit-summary.json), summaryJson,
 * summaryHtml (both without PHI: the CLI's bytes), detailCsv (PHI: one row per file, keep it
 * apart like the key)}. Options as deidentify's (source, options, mapping, existingKey, secret,
 * onProgress({phase: 'audit', done, total, bytes, totalBytes}), signal, workers).
 * @type {Api['auditSource']}
 */
export async function auditSource({ source, options, mapping, existingKey, secret, onProgress, signal, workers } = NO_OPTIONS) {
  const cancelled = () => new DeidError('aborted', 'the audit was cancelled');
  if (signal && signal.aborted) throw cancelled();
  const { module } = await loadEngineOnce();
  const inputs = await jobInputs({ options, mapping, existingKey, secret });
  const job = inputs.job();
  let pool = null;
  const stop = () => pool && pool.terminate();
  if (signal) signal.addEventListener('abort', stop);
  try {
    const selection = await listSource(source);
    const items = selection.items;
    for (const b of selection.badZips) job.add_bad_zip(b.path, b.reason);
    const cores = (globalThis.navigator && navigator.hardwareConcurrency) || 1;
    pool = new WorkerPool(module, Math.max(1, Math.min(items.length || 1, Math.floor(workers || cores))));
    await pool.ready;
    // Each worker reads headers with the job's options and recipe (the CLI's --audit reads).
    await pool.broadcast({ op: 'audit-setup', spec: job.audit_spec(), secret: inputs.secretB });
    const totalBytes = items.reduce((n, it) => n + (it.size || 0), 0);
    const queue = [];
    let inFlight = 0;
    let done = 0;
    let bytes = 0;
    const take = async () => {
      const { item, promise } = queue.shift();
      const r = await promise;
      inFlight -= item.size || 0;
      if (r.unreadable !== undefined) job.add_unreadable(item.path, 0, r.unreadable);
      else {
        job.add_scan(r.scan.record);
        if (r.scan.header !== undefined) job.add_audit_header(item.path, r.scan.header);
      }
      done++;
      bytes += item.size || 0;
      if (onProgress) onProgress({ phase: 'audit', done, total: items.length, bytes, totalBytes });
    };
    for (const item of items) {
      if (signal && signal.aborted) throw cancelled();
      while (queue.length && (queue.length >= pool.size * AUDIT_PER_WORKER || inFlight + (item.size || 0) > AUDIT_IN_FLIGHT_BYTES)) await take();
      inFlight += item.size || 0;
      const promise = pool.run({ op: 'audit-scan', item });
      promise.catch(() => {});
      queue.push({ item, promise });
    }
    while (queue.length) await take();
    if (signal && signal.aborted) throw cancelled();
    try {
      return job.audit();
    } catch (e) {
      throw asDeidError(e, 'bad-options');
    }
  } catch (e) {
    if (signal && signal.aborted) throw cancelled();
    throw asDeidError(e, 'io', 'the files cannot be audited: ');
  } finally {
    if (signal) signal.removeEventListener('abort', stop);
    if (pool) pool.terminate();
    job.free();
  }
}

/**
 * Checks a received zip (a File or Blob) against its signed run statement, the engine code of
 * `dicom-deid verify ZIP [--public-key FILE]`: the signature of run-statement.json, the
 * manifest's SHA-256 recorded there, and every entry's SHA-256 in the manifest. `publicKey`:
 * the project's public key file (its text, a File or a Blob; 64 hex digits). Resolves to {ok,
 * problems (the CLI's lines, each naming the file that differs, is missing or was added, or the
 * statement that was edited), keyFingerprint, keyGiven, entries, runTime, bytes (hashed)};
 * rejects with DeidError 'bad-options' (not a public key) or 'io' (not a readable zip). The zip
 * is read into memory in a worker.
 * @type {Api['verifyZip']}
 */
export async function verifyZip(zip, { publicKey } = {}) {
  const { helper } = await loadEngineOnce();
  if (!(typeof Blob === 'function' && zip instanceof Blob)) throw new DeidError('bad-options', 'the zip must be a File or a Blob');
  const key = publicKey == null ? undefined : typeof publicKey === 'string' ? publicKey : await textOf(publicKey, 'public key');
  try {
    return await helper.run({ op: 'verify-zip', file: zip, publicKey: key });
  } catch (e) {
    throw asDeidError(e, 'io', 'the zip cannot be checked: ');
  }
}

// ---------------------------------------------------------------- output

/**
 * What this browser offers for the output zip: {savePicker} (showSaveFilePicker: written
 * straight to a file the user picks), {opfs} (the zip is spooled to the Origin Private File
 * System, not held in memory). Without either the zip is held in memory.
 * @type {Api['outputSupport']}
 */
export async function outputSupport() {
  return { savePicker: hasOutputApis().savePicker, opfs: (await opfsUsable()) !== null };
}

/**
 * Asks the user where to save the zip (showSaveFilePicker); resolves to the file handle to pass
 * as `output`. Call it first thing in a click handler (the dialog needs the user's click);
 * rejects with the browser's AbortError when the dialog is closed.
 * @type {Api['pickOutputFile']}
 */
export function pickOutputFile(suggestedName = 'deidentified.zip') {
  if (typeof globalThis.showSaveFilePicker !== 'function') {
    return Promise.reject(new DeidError('unsupported', 'this browser cannot ask where to save a file: leave output out and offer the zip Blob as a download'));
  }
  return globalThis.showSaveFilePicker({ suggestedName, types: [{ description: 'Zip archive', accept: { 'application/zip': ['.zip'] } }] });
}

/**
 * Removes zips spooled in OPFS by earlier runs of this origin (their Blobs stop working).
 * @type {Api['clearSpool']}
 */
export function clearSpool() {
  return removeSpoolFiles();
}

// ---------------------------------------------------------------- delivery

/**
 * What of `zip` may be sent: the engine's check of it against its signed statement (as
 * verifyZip's; read in slices in the helper worker, never whole): {ok, instances: {path:
 * sha256}} or {ok: false, problems, message}. A zip that cannot be read as a zip is refused
 * the same way.
 */
async function vouchZip(zip, publicKey) {
  const { helper } = await loadEngineOnce();
  try {
    return await helper.run({ op: 'vouch-zip', file: zip, publicKey });
  } catch (e) {
    const message = `the zip cannot be checked against its signed run statement; nothing of it is sent: ${messageOf(e)}`;
    return { ok: false, problems: [messageOf(e)], message };
  }
}

/** The zip refused unless it holds (signed by `publicKey` when given): DeidError 'unvouched' with verify's lines. */
async function vouchWhole(zip, publicKey) {
  vouchedInstances(await vouchZip(zip, publicKey), []);
}

/** The engine's functions the S3 upload uses (src/deliver/ through src/web.rs): ETags and the retry decision. */
const S3_CORE = Object.freeze({
  md5: () => new WebMd5(),
  multipartEtag: (digests) => s3_multipart_etag(digests),
  etagMatches: (returned, expected) => s3_etag_matches(returned, expected),
  decide: STOW_CORE.decide,
});

/**
 * Uploads a zip (deidentify()'s `zip`: only the zip, never the key or the log) to S3 with URLs
 * the host's `destination.presign(request)` gives: one PUT up to `destination.partSize`
 * (default 16 MiB), else a multipart upload; every ETag checked against the MD5 the engine
 * computes; network errors, 5xx, 408 and 429 retried with backoff. Resolves to the delivery;
 * rejects with DeidError 'unvouched' (the zip does not hold against its signed statement:
 * nothing is uploaded), 'send' or 'aborted'. Also the way to retry a failed delivery.
 * @type {Api['uploadToS3']}
 */
export async function uploadToS3(zip, destination, { signal, onProgress, publicKey } = {}) {
  await loadEngineOnce();
  if (!(typeof Blob === 'function' && zip instanceof Blob)) throw new DeidError('bad-options', 'the zip to upload must be a Blob');
  if (!destination || destination.kind !== 's3') throw new DeidError('bad-options', "the destination must be {kind: 's3', presign}");
  if (onProgress != null && typeof onProgress !== 'function') throw new DeidError('bad-options', 'onProgress must be a function');
  const checked = checkS3Destination(destination);
  const key = publicKey == null ? undefined : typeof publicKey === 'string' ? publicKey : await textOf(publicKey, 'public key');
  await vouchWhole(zip, key);
  return uploadZip(zip, checked, S3_CORE, { signal: signal || new AbortController().signal, onProgress: onProgress || (() => {}) });
}

// ---------------------------------------------------------------- the run

/**
 * De-identifies `source` into a zip, a key CSV and a log CSV, exactly as the CLI does.
 * Options: source (as listSource, or a selection from it), options (object or JSON/TOML text;
 * default {preset: 'basic'}), mapping and existingKey (CSV text, File or Blob), secret (text,
 * a secret File, or bytes), onProgress({phase, done, total, bytes, totalBytes, elapsed}),
 * signal (AbortSignal), output (a FileSystemFileHandle to write the zip to; else the zip is
 * spooled to OPFS, or memory), workers (default: one per core), readOnceBytes (bytes of files
 * the scan reads whole and keeps for the rewrite, so that they are read once; default 256 MiB,
 * 0 reads every file twice and holds the least memory), runTime (the run's date and time that
 * the zip's run statement records: a Date or RFC 3339 text; default now; the same time, input,
 * options and secret give the same zip, byte for byte), destination (where the written instances
 * go: {kind: 'stow', url, headers | getHeaders(), stream?}; sent when the run is complete, or as
 * they are written with stream: true; onProgress then also reports {phase: 'send', …}; the
 * result's `delivery` says what became of each instance).
 * @type {Api['deidentify']}
 */
export async function deidentify({ source, options, mapping, existingKey, secret, onProgress, signal, output, workers, readOnceBytes, runTime, destination } = NO_OPTIONS) {
  const cancelled = () => new DeidError('aborted', 'the run was cancelled; nothing was kept');
  if (signal && signal.aborted) throw cancelled();
  const { module } = await loadEngineOnce();
  const { secretB, job: newJobOf } = await jobInputs({ options, mapping, existingKey, secret });
  if (output != null && typeof output.createWritable !== 'function') {
    throw new DeidError('bad-options', 'output must be a FileSystemFileHandle (from showSaveFilePicker or OPFS)');
  }
  if (onProgress != null && typeof onProgress !== 'function') throw new DeidError('bad-options', 'onProgress must be a function');
  if (readOnceBytes != null && !(Number.isFinite(readOnceBytes) && readOnceBytes >= 0)) {
    throw new DeidError('bad-options', 'readOnceBytes must be a number of bytes (0 or more)');
  }
  const when = runTime == null ? new Date() : runTime instanceof Date ? runTime : new Date(String(runTime));
  if (Number.isNaN(when.getTime())) throw new DeidError('bad-options', 'runTime must be a Date or an RFC 3339 date and time');
  const dest = checkDestination(destination);
  // The one job of the run: its inputs are checked here, before anything is listed or opened.
  const job = newJobOf();
  let selection;
  let sink;
  try {
    selection = await listSource(source);
    if (!selection.files) throw new DeidError('bad-options', 'the source holds no files');
    if (signal && signal.aborted) throw cancelled();
    try {
      sink = output ? await openPickedSink(output, module) : await openSpoolSink(module);
    } catch (e) {
      throw asDeidError(e, 'io', 'the output zip cannot be opened: ');
    }
  } catch (e) {
    job.free();
    throw e;
  }
  const size = Math.max(1, Math.floor(workers || (globalThis.navigator && navigator.hardwareConcurrency) || 1));
  const report = (p) => {
    try {
      if (onProgress) onProgress(p);
    } catch (e) {
      // The caller's drawing failed: the run goes on; the error stays visible.
      setTimeout(() => {
        throw e;
      });
    }
  };
  const runSignal = signal || new AbortController().signal;
  // Streaming: each written instance goes to the sender as the run writes it.
  const streaming = dest && dest.stream ? openSender(STOW_CORE, dest, runSignal, report) : null;
  const r = await runJob({
    module,
    job,
    items: selection.items,
    badZips: selection.badZips,
    secret: secretB,
    sink,
    workers: size,
    readOnceBytes,
    runTime: when.toISOString(),
    onProgress: report,
    signal: runSignal,
    onWritten: streaming ? (instance) => streaming.add(instance) : undefined,
  });
  const result = {
    zip: r.output.file,
    zipLocation: r.output.where,
    keyCsv: r.key,
    logCsv: r.log,
    summary: r.summary,
    problems: r.problems,
    cleaned: r.cleaned,
    stats: { seconds: r.seconds, scanSeconds: r.phases.scan, processSeconds: r.phases.process, bytesIn: r.bytesWritten, workers: size },
    discard: () => r.output.remove().catch(() => {}),
    instances: r.instances,
    publicKey: project_public_key(secretB),
    delivery: null,
  };
  if (streaming) result.delivery = await finishStream(streaming, dest, runSignal);
  else if (dest) result.delivery = await deliverChecked(result, dest, runSignal, report);
  return result;
}

/**
 * The delivery of a streaming sender once the run is written.
 * @returns {Promise<import('./dicom-deid.js').DeidDelivery>}
 */
async function finishStream(sender, dest, signal) {
  try {
    return { url: dest.url, state: /** @type {'done'} */ ('done'), ...(await sender.finish()) };
  } catch (e) {
    if (!signal.aborted) throw asDeidError(e, 'io', 'the sending failed: ');
    return { url: dest.url, state: /** @type {'cancelled'} */ ('cancelled'), results: sender.results, counts: { ...sender.counts }, seconds: 0 };
  }
}

/**
 * Sends the written instances of a finished run (deidentify()'s result) to `destination`:
 * what the ledger of this browser does not hold as stored there with the same bytes, so a
 * second call retries the failed ones only; and only what the zip's signed statement and
 * manifest vouch for: a zip that does not hold against them (an entry changed or added, the
 * statement edited) is refused as a whole with DeidError 'unvouched', nothing sent (to S3:
 * nothing uploaded), and each instance read back must hash to what the manifest lists.
 * Resolves to the delivery {url, state, results, counts, seconds}; onProgress({phase: 'send',
 * …}); `signal` cancels (state 'cancelled').
 * @type {Api['sendResult']}
 */
export async function sendResult(result, { destination, signal, onProgress } = NO_OPTIONS) {
  await loadEngineOnce();
  const dest = checkDestination(destination);
  if (!dest) throw new DeidError('bad-options', 'destination is required');
  if (!result || !result.zip || !Array.isArray(result.instances)) throw new DeidError('bad-options', "result must be deidentify()'s result");
  if (onProgress != null && typeof onProgress !== 'function') throw new DeidError('bad-options', 'onProgress must be a function');
  try {
    const sendSignal = signal || new AbortController().signal;
    const vouched = vouchedInstances(await vouchZip(result.zip, result.publicKey), result.instances);
    const delivery = dest.kind === 's3'
      ? await deliverZip(result.zip, dest, sendSignal, onProgress || (() => {}))
      : await sendFromZip(STOW_CORE, dest, result.zip, vouched, sendSignal, onProgress || (() => {}));
    result.delivery = delivery;
    return delivery;
  } catch (e) {
    throw asDeidError(e, 'io', 'the sending failed: ');
  }
}

/**
 * A finished run's zip delivered to `dest` after the check of it (the zip was just written,
 * but it is read back: spooled or picked, it may have changed): a zip refused gives the
 * delivery state 'error', code 'unvouched'; the run's result stands.
 * @returns {Promise<import('./dicom-deid.js').DeidDelivery | import('./dicom-deid.js').S3Delivery>}
 */
async function deliverChecked(result, dest, signal, report) {
  let vouched;
  try {
    vouched = vouchedInstances(await vouchZip(result.zip, result.publicKey), result.instances);
  } catch (e) {
    const error = asDeidError(e, 'unvouched');
    if (dest.kind === 's3') return { kind: 's3', state: 'error', code: error.code, error: error.message };
    return { url: dest.url, state: 'error', code: error.code, error: error.message, results: [], counts: { total: 0, stored: 0, warning: 0, failed: 0, already: 0, not_storable: 0, bytes: 0, requests: 0 }, seconds: 0 };
  }
  if (dest.kind === 's3') return deliverZip(result.zip, dest, signal, report);
  return sendFromZip(STOW_CORE, dest, result.zip, vouched, signal, report);
}

/**
 * The run's zip uploaded to an S3 destination: the delivery, state 'done', 'cancelled' or
 * 'error' (with the error's code and message); the zip stays the result, and uploadToS3 (or
 * sendResult) tries again.
 */
/** @returns {Promise<import('./dicom-deid.js').S3Delivery>} */
async function deliverZip(zip, destination, signal, onProgress) {
  try {
    return await uploadZip(zip, destination, S3_CORE, { signal, onProgress });
  } catch (e) {
    const error = asDeidError(e, 'send');
    const state = signal.aborted || error.code === 'aborted' ? 'cancelled' : 'error';
    return { kind: 's3', state, code: error.code, error: error.message };
  }
}

/** The message of anything thrown, for display. */
export { messageOf };
