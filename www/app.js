// The page: inputs, settings, preview, run, results. The engine work happens in workers
// (pool.js, worker.js, run.js); this file only wires the interface. Every value shown comes
// from the engine; nothing is sent anywhere.
import init, { WebJob, parse_config, preset_config, version } from './pkg/dicom_deid.js';
import { CancelledError, WorkerPool, compileEngine } from './pool.js';
import { runJob } from './run.js';
import { openPickedSink, openSpoolSink, outputSupport, pickSaveFile, removeSpoolFiles } from './sink.js';
import { expand, fromDataTransfer, fromDirectoryHandle, fromFileList } from './sources.js';

const $ = (id) => document.getElementById(id);

/** Profile options (Config JSON `profile.*`), with their PS3.15 names. */
const PROFILE_OPTIONS = [
  ['retain_safe_private', 'Retain Safe Private'],
  ['retain_uids', 'Retain UIDs'],
  ['retain_device_identity', 'Retain Device Identity'],
  ['retain_institution_identity', 'Retain Institution Identity'],
  ['retain_patient_characteristics', 'Retain Patient Characteristics'],
  ['retain_long_full_dates', 'Retain Longitudinal Temporal Information with Full Dates'],
  ['retain_long_modified_dates', 'Retain Longitudinal Temporal Information with Modified Dates'],
  ['clean_descriptors', 'Clean Descriptors'],
  ['clean_structured_content', 'Clean Structured Content'],
  ['clean_graphics', 'Clean Graphics'],
];

const state = {
  module: null,
  helper: null,
  entries: [],
  expanded: { items: [], badZips: [], zips: 0 },
  expanding: null,
  secret: null, // trimmed secret text
  previewSecret: null,
  mapping: null,
  key: null,
  baseConfig: null, // a loaded configuration file (object), or null: the preset
  previewFrom: 0,
  previewSeq: 0,
  controller: null,
  urls: [],
};

// ---------------------------------------------------------------- formatting

function fmtBytes(n) {
  if (n < 1e3) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1e3;
  let i = 0;
  while (v >= 1e3 && i < units.length - 1) {
    v /= 1e3;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function fmtSeconds(s) {
  if (!isFinite(s)) return '…';
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function showError(id, message) {
  const box = $(id);
  box.textContent = message || '';
  box.hidden = !message;
}

// ---------------------------------------------------------------- capabilities

function checkCapabilities() {
  const problems = [];
  const notes = [];
  const out = outputSupport();
  const fatal = typeof WebAssembly !== 'object' || typeof Worker !== 'function';
  if (fatal) problems.push('This browser lacks WebAssembly or Web Workers, which this page needs. Use a current Chrome, Edge, Firefox or Safari, or the dicom-deid command-line tool.');
  if (!window.isSecureContext) notes.push('The page is not served from a secure address (https or localhost); some browser features are switched off.');
  if (!out.savePicker && out.opfs) notes.push('This browser cannot write straight to a file you choose: the zip is kept in the browser’s private storage on disk and offered as a download when finished.');
  if (!out.opfs) notes.push('This browser has no private file storage (OPFS): the zip is held in memory until you download it, so keep batches to a few hundred megabytes.');
  if (typeof window.showDirectoryPicker !== 'function' && !('webkitdirectory' in document.createElement('input'))) notes.push('This browser cannot select folders: drop the folder onto the page, or add zip files.');
  if (!(window.crypto && crypto.getRandomValues)) problems.push('This browser cannot generate a secret: load an existing secret file.');
  const box = $('capabilities');
  box.replaceChildren();
  if (problems.length || notes.length) {
    box.hidden = false;
    box.classList.toggle('error', problems.length > 0);
    box.append(el('p', { class: 'notice-title', text: problems.length ? 'This browser cannot run everything' : 'About this browser' }));
    const ul = el('ul');
    for (const t of [...problems, ...notes]) ul.append(el('li', { text: t }));
    box.append(ul);
  }
  // One folder button: the File System Access picker where it exists, else the input's own.
  const picker = typeof window.showDirectoryPicker === 'function';
  $('pick-folder').hidden = !picker;
  $('folder-input-label').hidden = picker;
  $('folder-input').tabIndex = picker ? -1 : 0;
  const canSave = out.savePicker;
  $('dest-save').disabled = !canSave;
  $('dest-save-label').classList.toggle('disabled', !canSave);
  (canSave ? $('dest-save') : $('dest-download')).checked = true;
  return !fatal;
}

// ---------------------------------------------------------------- settings

function buildProfileChecks() {
  const box = $('profile-options');
  for (const [name, label] of PROFILE_OPTIONS) {
    const id = `opt-profile-${name}`;
    box.append(
      el('div', { class: 'field check' },
        el('input', { type: 'checkbox', id, 'data-config': `profile.${name}` }),
        el('label', { for: id }, `${label} `, el('code', { text: name }))),
    );
  }
}

function fillForm(cfg) {
  $('preset').value = cfg.preset;
  for (const input of document.querySelectorAll('[data-config]')) {
    const path = input.dataset.config.split('.');
    let v = cfg;
    for (const p of path) v = v == null ? undefined : v[p];
    if (input.type === 'checkbox') input.checked = !!v;
    else input.value = v ?? '';
  }
}

/** The configuration as JSON: the preset (or loaded file) with the form's values on top. */
function currentConfig() {
  const cfg = state.baseConfig ? structuredClone(state.baseConfig) : JSON.parse(preset_config($('preset').value));
  for (const input of document.querySelectorAll('[data-config]')) {
    const path = input.dataset.config.split('.');
    let target = cfg;
    for (const p of path.slice(0, -1)) target = target[p];
    const last = path[path.length - 1];
    if (input.type === 'checkbox') target[last] = input.checked;
    else if (input.type === 'number') target[last] = input.value === '' ? NaN : Number(input.value);
    else target[last] = input.value;
  }
  return JSON.stringify(cfg);
}

/** Validates the settings; returns the config JSON or null (and shows why). */
function validConfig() {
  try {
    const json = parse_config(currentConfig());
    showError('settings-error', '');
    return json;
  } catch (e) {
    showError('settings-error', `Settings: ${e.message || e}`);
    return null;
  }
}

async function readText(file) {
  // Like the CLI (String::from_utf8_lossy): invalid bytes become U+FFFD, a BOM is kept.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer());
}

// ---------------------------------------------------------------- secret

/** Rust's str::trim: Unicode White_Space at both ends. */
const rustTrim = (s) => s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');

async function fingerprint(text) {
  if (!(window.crypto && crypto.subtle)) return '';
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(d.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
}

function randomSecret() {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

async function setSecret(text, how) {
  state.secret = text;
  const fp = await fingerprint(text);
  const status = $('secret-status');
  status.textContent = `${how}. Fingerprint ${fp || '(not available)'}: the same fingerprint means the same secret.`;
  status.dataset.fingerprint = fp;
  status.classList.toggle('warn', how.startsWith('New'));
  $('secret-save').disabled = false;
  schedulePreview();
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---------------------------------------------------------------- selection

async function addEntries(entries) {
  if (!entries.length) return;
  state.entries.push(...entries);
  await refreshSelection();
}

const zipListings = new WeakMap();

async function refreshSelection() {
  const text = $('selection-text');
  text.textContent = 'Reading the selection…';
  const run = (async () => {
    // Each zip is listed once (in the helper worker), however often the selection changes.
    const listZip = (file) => {
      if (!zipListings.has(file)) {
        const listing = state.helper.run({ op: 'list-zip', file });
        zipListings.set(file, listing);
        listing.catch(() => zipListings.delete(file));
      }
      return zipListings.get(file);
    };
    return expand(state.entries, listZip);
  })();
  state.expanding = run;
  let expanded;
  try {
    expanded = await run;
  } catch (e) {
    text.textContent = `The selection cannot be read: ${e.message || e}`;
    return;
  }
  if (state.expanding !== run) return;
  state.expanding = null;
  state.expanded = expanded;
  renderSelection();
  state.previewFrom = 0;
  schedulePreview(0);
}

function renderSelection() {
  const { items, badZips, zips } = state.expanded;
  const tops = new Map();
  for (const e of state.entries) {
    const top = e.path.split('/')[0];
    tops.set(top, (tops.get(top) || 0) + 1);
  }
  const list = $('selection-list');
  list.replaceChildren(...[...tops].map(([name, n]) => el('li', { text: `${name} (${plural(n, 'file')})` })));
  $('clear-selection').hidden = state.entries.length === 0;
  const total = items.reduce((s, it) => s + (it.size || 0), 0);
  const inZips = items.filter((it) => it.zip).length;
  if (!state.entries.length) {
    $('selection-text').textContent = 'No files chosen yet.';
    $('counts').textContent = 'Choose a folder or zip files to see what will be processed.';
  } else {
    $('selection-text').textContent = `${plural(items.length + badZips.length, 'file')} chosen.`;
    let t = `${plural(items.length, 'file')}, ${fmtBytes(total)} in total`;
    if (zips) t += ` (${plural(inZips, 'file')} inside ${plural(zips, 'zip')})`;
    t += '.';
    if (badZips.length) t += ` ${plural(badZips.length, 'zip')} cannot be opened and will be listed in the log.`;
    $('counts').textContent = t;
  }
  const counts = $('counts');
  counts.dataset.files = String(items.length);
  counts.dataset.bytes = String(total);
  updateStart();
}

function updateStart() {
  const busy = document.body.dataset.state === 'running';
  $('start').disabled = busy || state.expanded.items.length + state.expanded.badZips.length === 0;
}

// ---------------------------------------------------------------- preview

let previewTimer = null;
function schedulePreview(from) {
  if (from !== undefined) state.previewFrom = from;
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => renderPreview().catch((e) => console.warn('preview failed', e)), 250);
}

const looksLikeDicomName = (p) => {
  const name = p.split('/').pop();
  return name !== 'DICOMDIR' && (/\.(dcm|dicom|ima)$/i.test(name) || !/\.[a-z0-9]{1,5}$/i.test(name));
};

/** Sort key of a preview row path: numbers inside [] padded so that item 10 follows item 9. */
const rowKey = (path) => path.replace(/\[(\d+)\]/g, (_, n) => `[${n.padStart(8, '0')}]`);

function diffRows(before, after) {
  const a = new Map((after || []).map((r) => [r.path, r]));
  const rows = [];
  const seen = new Set();
  for (const r of before) {
    const o = a.get(r.path);
    seen.add(r.path);
    rows.push({ path: r.path, keyword: r.keyword, before: r.value, after: o ? o.value : null, status: !after ? 'same' : !o ? 'removed' : o.value === r.value ? 'same' : 'changed' });
  }
  for (const r of after || []) if (!seen.has(r.path)) rows.push({ path: r.path, keyword: r.keyword, before: null, after: r.value, status: 'added' });
  rows.sort((x, y) => (rowKey(x.path) < rowKey(y.path) ? -1 : rowKey(x.path) > rowKey(y.path) ? 1 : 0));
  return rows;
}

async function renderPreview() {
  const seq = ++state.previewSeq;
  const items = state.expanded.items;
  const box = $('preview');
  if (!items.length) {
    box.hidden = true;
    return;
  }
  const config = validConfig();
  if (!config) return;
  // Likely DICOM files first (by name), then the rest; at most 25 files are tried.
  const likely = items.map((it) => looksLikeDicomName(it.path));
  const order = [...items.keys()].filter((i) => likely[i]).concat([...items.keys()].filter((i) => !likely[i]));
  if (!state.secret && !state.previewSecret) state.previewSecret = randomSecret();
  const secret = new TextEncoder().encode(state.secret || state.previewSecret);
  let tries = 0;
  for (let k = 0; k < order.length && tries < 25; k++) {
    const idx = order[(state.previewFrom + k) % order.length];
    const item = items[idx];
    tries++;
    let r;
    try {
      r = await state.helper.run({ op: 'preview', item, config, secret, mapping: state.mapping, key: state.key });
    } catch {
      continue;
    }
    if (seq !== state.previewSeq) return;
    if (!r.before) continue;
    state.previewShown = (state.previewFrom + k) % order.length;
    state.lastPreview = { item, r };
    showPreview(item, r);
    return;
  }
  if (seq !== state.previewSeq) return;
  box.hidden = false;
  $('preview-title').textContent = 'No DICOM file found to preview among the first files tried.';
  $('preview-table').tBodies[0].replaceChildren();
  $('thumb-figure').hidden = true;
}

function afterCell(row) {
  if (row.status === 'removed') return el('td', { class: 'after', text: 'removed' });
  if (row.after === '' && row.before) return el('td', { class: 'after empty', text: '(empty)' });
  return el('td', { class: 'after', text: row.after ?? '' });
}

function showPreview(item, r) {
  const box = $('preview');
  box.hidden = false;
  box.dataset.path = item.path;
  $('preview-title').replaceChildren('Preview of ', el('code', { text: item.path }));
  const notes = [];
  const outcome = r.outcome;
  if (outcome && outcome.result && outcome.result.Err) {
    const err = outcome.result.Err;
    notes.push(`This file would not be written (${err.kind.replace(/_/g, ' ')}${err.detail ? `: ${typeof err.detail === 'string' ? err.detail : Object.values(err.detail).join(', ')}` : ''}).`);
  } else {
    notes.push('Research IDs and accession numbers here are numbered as if this were the only file; the run numbers every patient of the selection.');
  }
  if (!state.secret) notes.push('No project secret yet: new UIDs and date shifts in this preview use a temporary one.');
  $('preview-note').textContent = notes.join(' ');
  const rows = diffRows(r.before, r.after);
  const changed = rows.filter((x) => x.status !== 'same').length;
  box.dataset.changed = String(changed);
  const only = $('preview-changes-only').checked;
  const tbody = $('preview-table').tBodies[0];
  const frag = document.createDocumentFragment();
  for (const row of rows) {
    if (only && row.status === 'same') continue;
    const tr = el('tr', { class: `st-${row.status}` },
      el('td', { class: 'tag' }, el('code', { text: row.path })),
      el('td', { text: row.keyword }),
      el('td', { class: 'before', text: row.before ?? '' }),
      afterCell(row));
    if (row.status !== 'same') tr.setAttribute('aria-label', `${row.keyword}: ${row.status}`);
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
  const fig = $('thumb-figure');
  if (r.thumb) {
    const c = $('thumb');
    c.width = r.thumb.width;
    c.height = r.thumb.height;
    c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(r.thumb.rgba), r.thumb.width, r.thumb.height), 0, 0);
    fig.hidden = false;
  } else {
    fig.hidden = true;
  }
}

// ---------------------------------------------------------------- run

let progressTimer = null;
let lastProgress = null;
function onProgress(p) {
  lastProgress = p;
  if (!progressTimer) progressTimer = setTimeout(drawProgress, 100);
}

function drawProgress() {
  progressTimer = null;
  const p = lastProgress;
  if (!p) return;
  const bar = $('progress');
  bar.dataset.phase = p.phase;
  bar.dataset.done = String(p.done);
  bar.dataset.total = String(p.total);
  const frac = p.totalBytes > 0 ? p.bytes / p.totalBytes : p.total ? p.done / p.total : 1;
  let text;
  if (p.phase === 'scan') {
    bar.value = 0.1 * frac;
    text = `Reading headers: ${p.done.toLocaleString('en')} of ${plural(p.total, 'file')}`;
  } else {
    bar.value = 0.1 + 0.9 * frac;
    const rate = p.elapsed > 0 ? p.bytes / p.elapsed : 0;
    const left = rate > 0 ? (p.totalBytes - p.bytes) / rate : Infinity;
    text = `De-identifying: ${p.done.toLocaleString('en')} of ${plural(p.total, 'file')}`;
    if (p.done > 0) text += ` · ${(rate / 1e6).toFixed(1)} MB/s`;
    if (p.done > 0 && p.done < p.total) text += ` · about ${fmtSeconds(left)} left`;
    if (p.done === p.total) text += ' · writing the key and the log';
    bar.dataset.mbps = (rate / 1e6).toFixed(2);
  }
  $('progress-text').textContent = text;
}

function setRunning(on) {
  document.body.dataset.state = on ? 'running' : 'idle';
  $('cancel').disabled = !on;
  for (const id of ['folder-input', 'zip-input', 'pick-folder', 'clear-selection', 'secret-input', 'secret-generate', 'mapping-input', 'key-input', 'config-input', 'preset'])
    $(id).disabled = on;
  for (const input of document.querySelectorAll('[data-config], input[name=dest]')) input.disabled = on || (input.id === 'dest-save' && !outputSupport().savePicker);
  updateStart();
}

function clearResults() {
  for (const u of state.urls) URL.revokeObjectURL(u);
  state.urls = [];
  for (const id of ['download-zip', 'download-key', 'download-log']) {
    const a = $(id);
    a.hidden = true;
    a.removeAttribute('href');
  }
  $('downloads-note').hidden = true;
  $('problems').hidden = true;
  showError('run-error', '');
}

function link(id, blob, name, label) {
  const a = $(id);
  const url = URL.createObjectURL(blob);
  state.urls.push(url);
  a.href = url;
  a.download = name;
  a.textContent = label;
  a.hidden = false;
}

async function start() {
  if (document.body.dataset.state === 'running') return;
  const config = validConfig();
  if (!config) return;
  clearResults();
  let handle = null;
  const useSave = $('dest-save').checked && outputSupport().savePicker;
  if (useSave) {
    try {
      handle = await pickSaveFile('deidentified.zip');
    } catch (e) {
      if (e && e.name === 'AbortError') return; // the user closed the dialog
      showError('run-error', `Cannot open the file to write: ${e.message || e}`);
      return;
    }
  }
  if (state.expanding) await state.expanding;
  if (!state.secret) await setSecret(randomSecret(), 'New secret generated for this run: save it now, you need it for later batches');
  const controller = new AbortController();
  state.controller = controller;
  setRunning(true);
  const summary = $('summary');
  summary.dataset.state = 'running';
  for (const k of Object.keys(summary.dataset)) if (k !== 'state' && k !== 'testid') delete summary.dataset[k];
  summary.replaceChildren(el('p', { text: 'Working… the page stays usable; you can cancel at any time.' }));
  lastProgress = null;
  $('progress').value = 0;
  $('progress-text').textContent = 'Starting the workers…';
  let sink = null;
  try {
    if (handle) sink = await openPickedSink(handle);
    else {
      await removeSpoolFiles();
      sink = await openSpoolSink();
    }
    const workers = Math.max(1, navigator.hardwareConcurrency || 1);
    const result = await runJob({
      module: state.module,
      items: state.expanded.items,
      badZips: state.expanded.badZips,
      config,
      secret: new TextEncoder().encode(state.secret),
      mapping: state.mapping,
      key: state.key,
      sink,
      workers,
      onProgress,
      signal: controller.signal,
    });
    clearTimeout(progressTimer);
    drawProgress();
    showResult(result, handle, workers);
  } catch (e) {
    clearTimeout(progressTimer);
    progressTimer = null;
    if (e instanceof CancelledError || controller.signal.aborted) {
      summary.dataset.state = 'cancelled';
      summary.replaceChildren(el('p', { text: 'Cancelled. The partial zip was discarded; nothing was written.' }));
      $('progress').value = 0;
      $('progress-text').textContent = 'Cancelled.';
    } else {
      summary.dataset.state = 'error';
      summary.replaceChildren(el('p', { text: 'The run stopped with an error; nothing usable was written.' }));
      showError('run-error', `${e.message || e}`);
      $('progress-text').textContent = 'Stopped.';
      console.error(e);
    }
  } finally {
    state.controller = null;
    setRunning(false);
  }
}

function showResult(r, handle, workers) {
  const s = r.summary;
  const summary = $('summary');
  const mbps = r.bytesWritten / 1e6 / Math.max(r.seconds, 1e-9);
  summary.dataset.written = String(s.written);
  summary.dataset.rejected = String(s.rejected);
  summary.dataset.skipped = String(s.skipped);
  summary.dataset.seen = String(s.seen);
  summary.dataset.mbps = mbps.toFixed(2);
  summary.dataset.seconds = r.seconds.toFixed(3);
  summary.dataset.scanSeconds = r.phases.scan.toFixed(3);
  summary.dataset.processSeconds = r.phases.process.toFixed(3);
  const dl = el('dl', { class: 'counts' },
    el('div', {}, el('dt', { text: 'Written' }), el('dd', { text: s.written.toLocaleString('en') })),
    el('div', {}, el('dt', { text: 'Rejected' }), el('dd', { text: s.rejected.toLocaleString('en') })),
    el('div', {}, el('dt', { text: 'Skipped' }), el('dd', { text: s.skipped.toLocaleString('en') })));
  const reasons = Object.entries(s.by_reason || {}).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`).join(', ');
  const stem = handle ? handle.name.replace(/\.zip$/i, '') : 'deidentified';
  summary.replaceChildren(
    el('p', { class: 'done', text: `Finished: ${plural(s.seen, 'file')} seen.` }),
    dl,
    el('p', { class: 'hint', text: `${reasons ? `Reasons: ${reasons}. ` : ''}${fmtBytes(r.bytesWritten)} de-identified in ${r.seconds.toFixed(1)} s (${mbps.toFixed(1)} MB/s with ${plural(workers, 'worker')}: headers read in ${r.phases.scan.toFixed(1)} s, files rewritten in ${r.phases.process.toFixed(1)} s).` }),
  );
  if (r.output.where === 'picked') {
    summary.append(el('p', { text: `The zip was saved as ${handle.name}.` }));
    link('download-zip', r.output.file, `${stem}.zip`, 'Download another copy of the zip');
  } else {
    link('download-zip', r.output.file, `${stem}.zip`, `Download the zip (${fmtBytes(r.output.file.size)})`);
  }
  link('download-key', new Blob([r.key], { type: 'text/csv' }), `${stem}-key.csv`, 'Download the key (CSV)');
  link('download-log', new Blob([r.log], { type: 'text/csv' }), `${stem}-log.csv`, 'Download the log (CSV)');
  $('downloads-note').hidden = false;
  const tbody = $('problems').querySelector('tbody');
  const shown = r.problems.slice(0, 2000);
  tbody.replaceChildren(...shown.map((p) => el('tr', { class: `oc-${p.outcome}` }, el('td', {}, el('code', { text: p.source_path })), el('td', { text: p.outcome.replace(/_/g, ' ') }), el('td', { text: p.reason }))));
  if (r.problems.length > shown.length) tbody.append(el('tr', {}, el('td', { colspan: '3', text: `… and ${r.problems.length - shown.length} more: see the log.` })));
  $('problems').hidden = r.problems.length === 0;
  $('progress').value = 1;
  $('progress-text').textContent = `Done: ${plural(s.seen, 'file')} in ${r.seconds.toFixed(1)} s.`;
  summary.dataset.state = 'done';
  $('results').scrollIntoView({ block: 'start', behavior: 'smooth' });
}

// ---------------------------------------------------------------- wiring

function wire() {
  $('folder-input').addEventListener('change', async (e) => {
    const entries = fromFileList(e.target.files);
    e.target.value = '';
    await addEntries(entries);
  });
  $('zip-input').addEventListener('change', async (e) => {
    const entries = Array.from(e.target.files, (file) => ({ path: file.name, file }));
    e.target.value = '';
    await addEntries(entries);
  });
  $('pick-folder').addEventListener('click', async () => {
    let dir;
    try {
      dir = await window.showDirectoryPicker({ mode: 'read' });
    } catch (e) {
      if (e && e.name !== 'AbortError') $('selection-text').textContent = `The folder cannot be opened: ${e.message || e}`;
      return;
    }
    $('selection-text').textContent = `Reading ${dir.name}…`;
    await addEntries(await fromDirectoryHandle(dir));
  });
  $('clear-selection').addEventListener('click', () => {
    state.entries = [];
    state.expanded = { items: [], badZips: [], zips: 0 };
    renderSelection();
    $('preview').hidden = true;
  });

  const zone = $('drop-zone');
  let depth = 0;
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    zone.classList.add('over');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('over');
  });
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = document.body.dataset.state === 'running' ? 'none' : 'copy';
  });
  document.addEventListener('drop', async (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('over');
    if (document.body.dataset.state === 'running' || !e.dataTransfer) return;
    const pending = fromDataTransfer(e.dataTransfer);
    $('selection-text').textContent = 'Reading the dropped files…';
    try {
      await addEntries(await pending);
    } catch (err) {
      $('selection-text').textContent = `The dropped files cannot be read: ${err.message || err}`;
    }
  });

  $('secret-generate').addEventListener('click', () => setSecret(randomSecret(), 'New secret generated: save it now, you need it for later batches'));
  $('secret-input').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    let text;
    try {
      text = rustTrim(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await file.arrayBuffer()));
    } catch {
      $('secret-status').textContent = `${file.name} is not a text file; the secret was not changed.`;
      return;
    }
    if (!text) {
      $('secret-status').textContent = `${file.name} is empty; the secret was not changed.`;
      return;
    }
    await setSecret(text, `Secret loaded from ${file.name}`);
  });
  $('secret-save').addEventListener('click', () => {
    if (state.secret) saveBlob(new Blob([`${state.secret}\n`], { type: 'text/plain' }), 'dicom-deid.secret');
  });

  for (const [id, field, what] of [['mapping-input', 'mapping', 'mapping CSV'], ['key-input', 'key', 'key CSV']]) {
    $(id).addEventListener('change', async (e) => {
      const f = e.target.files[0];
      state[field] = f ? await readText(f) : null;
      // The engine reads the list now, so a malformed file is reported before the run.
      const config = validConfig();
      if (config && state[field] !== null) {
        try {
          new WebJob(config, new TextEncoder().encode('check'), field === 'mapping' ? state.mapping : undefined, field === 'key' ? state.key : undefined).free();
        } catch (err) {
          state[field] = null;
          e.target.value = '';
          showError('settings-error', `The ${what} ${f.name} cannot be used: ${err.message || err}`);
          return;
        }
      }
      schedulePreview();
    });
  }
  $('config-input').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    if (!f) {
      state.baseConfig = null;
      schedulePreview();
      return;
    }
    try {
      let text = await readText(f);
      if (!text.includes('preset')) text = /^\s*\{/.test(text) ? text.replace('{', `{"preset": ${JSON.stringify($('preset').value)},`) : `preset = "${$('preset').value}"\n${text}`;
      state.baseConfig = JSON.parse(parse_config(text));
      fillForm(state.baseConfig);
      showError('settings-error', '');
    } catch (err) {
      state.baseConfig = null;
      showError('settings-error', `${f.name}: ${err.message || err}`);
    }
    schedulePreview();
  });
  $('preset').addEventListener('change', () => {
    state.baseConfig = null;
    $('config-input').value = '';
    fillForm(JSON.parse(preset_config($('preset').value)));
    schedulePreview();
  });
  for (const input of document.querySelectorAll('[data-config]')) input.addEventListener('change', () => {
    if (validConfig()) schedulePreview();
  });
  $('preview-changes-only').addEventListener('change', () => {
    if (state.lastPreview) showPreview(state.lastPreview.item, state.lastPreview.r);
  });
  $('preview-next').addEventListener('click', () => schedulePreview((state.previewShown ?? -1) + 1));
  $('start').addEventListener('click', start);
  $('cancel').addEventListener('click', () => {
    if (state.controller) {
      $('progress-text').textContent = 'Cancelling…';
      state.controller.abort();
    }
  });
  window.addEventListener('beforeunload', (e) => {
    if (document.body.dataset.state === 'running') e.preventDefault();
  });
}

async function main() {
  buildProfileChecks();
  if (!checkCapabilities()) {
    document.body.dataset.state = 'unsupported';
    return;
  }
  try {
    state.module = await compileEngine();
    await init({ module_or_path: state.module });
    state.helper = new WorkerPool(state.module, 1);
    await state.helper.ready;
  } catch (e) {
    const box = $('capabilities');
    box.hidden = false;
    box.classList.add('error');
    box.textContent = `The engine cannot start in this browser: ${e.message || e}`;
    document.body.dataset.state = 'unsupported';
    return;
  }
  $('version').textContent = version();
  fillForm(JSON.parse(preset_config('basic')));
  wire();
  document.body.dataset.state = 'idle';
  updateStart();
}

main();
