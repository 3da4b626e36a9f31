// The page: inputs, settings, preview, run, results. It is built on the public API
// (dicom-deid.js), like the <dicom-deid> element: the engine work happens there, in workers;
// this file only wires the interface. Every value shown comes from the engine; nothing is
// sent anywhere.
import {
  checkLists, checkOptions, clearSpool, deidentify, entriesFromDrop, generateSecret, listSource, loadEngine, messageOf,
  outputSupport, PRESETS, pickOutputFile, presetOptions, previewFile, readSecretFile, secretFingerprint,
} from './dicom-deid.js';
import { PixelReview } from './pixel-review.js';
import { countsList, el, fmtBytes, plural, problemRows, progressView, reasonsText, saveBlob, setSummaryData } from './ui.js';

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

/** An empty selection (what listSource gives for no files). */
const NOTHING = { entries: [], items: [], badZips: [], zips: 0, files: 0, bytes: 0 };

const state = {
  output: { savePicker: false, opfs: false }, // outputSupport()
  presets: {}, // preset name → full configuration
  entries: [],
  expanded: NOTHING, // the selection of `entries` (listSource)
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
  review: null, // the burned-in text review (pixel-review.js)
  ready: false, // the engine and the presets are loaded (body data-state left 'loading')
  touched: new Set(), // settings fields the user changed while the page was starting
};

// The handlers are wired when this module is evaluated, before the engine has loaded (issue 18):
// what the user does meanwhile (files chosen or dropped, lists, settings) waits for `ready`.
let markReady;
const ready = new Promise((resolve) => {
  markReady = resolve;
});

// ---------------------------------------------------------------- messages

function showError(id, message) {
  const box = $(id);
  box.textContent = message || '';
  box.hidden = !message;
}

// ---------------------------------------------------------------- capabilities

function checkCapabilities(out) {
  const problems = [];
  const notes = [];
  const fatal = typeof WebAssembly !== 'object' || typeof Worker !== 'function';
  if (fatal) problems.push('This browser lacks WebAssembly or Web Workers, which this page needs. Use a current Chrome, Edge, Firefox or Safari, or the dicom-deid command-line tool.');
  if (!window.isSecureContext) notes.push('The page is not served from a secure address (https or localhost); some browser features are switched off.');
  if (!out.savePicker && out.opfs) notes.push('This browser cannot write straight to a file you choose: the zip is kept in the browser’s private storage on disk and offered as a download when finished.');
  if (!out.opfs) notes.push(`This browser has no private file storage (OPFS) here: ${out.savePicker ? 'unless you choose where to save it, ' : ''}the zip is held in memory until you download it, so keep batches to a few hundred megabytes.`);
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

/** Fills the form from a configuration; `keep` (a Set of inputs) keeps those fields' values. */
function fillForm(cfg, keep = new Set()) {
  $('preset').value = cfg.preset;
  for (const input of document.querySelectorAll('[data-config]')) {
    if (keep.has(input)) continue;
    const path = input.dataset.config.split('.');
    let v = cfg;
    for (const p of path) v = v == null ? undefined : v[p];
    if (input.type === 'checkbox') input.checked = !!v;
    else input.value = v ?? '';
  }
}

/** The configuration: the preset (or loaded file) with the form's values on top. */
function currentConfig() {
  const cfg = structuredClone(state.baseConfig || state.presets[$('preset').value]);
  for (const input of document.querySelectorAll('[data-config]')) {
    const path = input.dataset.config.split('.');
    let target = cfg;
    for (const p of path.slice(0, -1)) target = target[p];
    const last = path[path.length - 1];
    if (input.type === 'checkbox') target[last] = input.checked;
    else if (input.type === 'number') target[last] = input.value === '' ? NaN : Number(input.value);
    else target[last] = input.value;
  }
  return cfg;
}

/** Validates the settings; returns the full configuration or null (and shows why). */
async function validConfig() {
  try {
    const cfg = await checkOptions(currentConfig());
    showError('settings-error', '');
    return cfg;
  } catch (e) {
    showError('settings-error', `Settings: ${messageOf(e)}`);
    return null;
  }
}

async function readText(file) {
  // Like the CLI (String::from_utf8_lossy): invalid bytes become U+FFFD, a BOM is kept.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer());
}

// ---------------------------------------------------------------- secret

async function setSecret(text, how) {
  state.secret = text;
  const fp = await secretFingerprint(text);
  const status = $('secret-status');
  status.textContent = `${how}. Fingerprint ${fp || '(not available)'}: the same fingerprint means the same secret.`;
  status.dataset.fingerprint = fp;
  status.classList.toggle('warn', how.startsWith('New'));
  $('secret-save').disabled = false;
  schedulePreview();
}

// ---------------------------------------------------------------- selection

/** Adds files (a FileList copy, a directory handle, drop entries) to the selection. */
async function addSource(source) {
  if (!state.ready) {
    $('selection-text').textContent = 'Starting the de-identifier… the chosen files are read as soon as it is ready.';
    await ready;
  }
  let entries;
  try {
    entries = (await listSource(await source)).entries;
  } catch (e) {
    $('selection-text').textContent = `The files cannot be read: ${messageOf(e)}`;
    return;
  }
  if (!entries.length) return;
  state.entries.push(...entries);
  await refreshSelection();
}

async function refreshSelection() {
  const text = $('selection-text');
  text.textContent = 'Reading the selection…';
  // Each zip is listed once (by the API), however often the selection changes.
  const run = listSource(state.entries);
  state.expanding = run;
  let expanded;
  try {
    expanded = await run;
  } catch (e) {
    if (state.expanding === run) state.expanding = null;
    text.textContent = `The selection cannot be read: ${messageOf(e)}`;
    return;
  }
  if (state.expanding !== run) return;
  state.expanding = null;
  state.expanded = expanded;
  renderSelection();
  state.previewFrom = 0;
  schedulePreview(0);
  startReview();
}

// ---------------------------------------------------------------- burned-in text review

/** Reads the selection's headers and lists the images that may show burned-in text. */
async function startReview() {
  if (!state.expanded.items.length) {
    state.review.clear();
    return;
  }
  const config = await validConfig();
  state.review.review(state.expanded, { options: config || undefined }).catch((e) => console.warn('pixel review failed', e));
}

function renderSelection() {
  const { items, badZips, zips, bytes: total } = state.expanded;
  const tops = new Map();
  for (const e of state.entries) {
    const top = e.path.split('/')[0];
    tops.set(top, (tops.get(top) || 0) + 1);
  }
  const list = $('selection-list');
  list.replaceChildren(...[...tops].map(([name, n]) => el('li', { text: `${name} (${plural(n, 'file')})` })));
  $('clear-selection').hidden = state.entries.length === 0;
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
  $('start').disabled = !state.ready || busy || state.expanded.files === 0;
}

// ---------------------------------------------------------------- preview

let previewTimer = null;
function schedulePreview(from) {
  if (from !== undefined) state.previewFrom = from;
  if (!state.ready) return; // the selection is read (and previewed) once the engine is ready
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
  const config = await validConfig();
  if (!config || seq !== state.previewSeq) return;
  // Likely DICOM files first (by name), then the rest; at most 25 files are tried.
  const likely = items.map((it) => looksLikeDicomName(it.path));
  const order = [...items.keys()].filter((i) => likely[i]).concat([...items.keys()].filter((i) => !likely[i]));
  if (!state.secret && !state.previewSecret) state.previewSecret = generateSecret();
  const secret = state.secret || state.previewSecret;
  let tries = 0;
  for (let k = 0; k < order.length && tries < 25; k++) {
    const idx = order[(state.previewFrom + k) % order.length];
    const item = items[idx];
    tries++;
    let r;
    try {
      r = await previewFile(item, { options: config, secret, mapping: state.mapping, existingKey: state.key });
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
  const view = progressView(p);
  bar.value = view.value;
  if (p.phase !== 'scan') bar.dataset.mbps = view.mbps.toFixed(2);
  $('progress-text').textContent = view.text;
}

function setRunning(on) {
  // Keyboard users keep their place: the focus moves between Start and Cancel as they swap.
  const runFocus = [$('start'), $('cancel')].includes(document.activeElement);
  document.body.dataset.state = on ? 'running' : 'idle';
  $('cancel').disabled = !on;
  for (const id of ['folder-input', 'zip-input', 'pick-folder', 'clear-selection', 'secret-input', 'secret-generate', 'mapping-input', 'key-input', 'config-input', 'preset'])
    $(id).disabled = on;
  for (const input of document.querySelectorAll('[data-config], input[name=dest]')) input.disabled = on || (input.id === 'dest-save' && !state.output.savePicker);
  state.review.setDisabled(on);
  updateStart();
  if (runFocus) (on ? $('cancel') : $('start')).focus();
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
  // The save dialog needs the click's user activation: it comes first.
  let handle = null;
  const useSave = $('dest-save').checked && state.output.savePicker;
  if (useSave) {
    try {
      handle = await pickOutputFile('deidentified.zip');
    } catch (e) {
      if (e && e.name === 'AbortError') return; // the user closed the dialog
      showError('run-error', `Cannot open the file to write: ${messageOf(e)}`);
      return;
    }
  }
  const checked = await validConfig();
  if (!checked) return;
  // The review's decisions as pixel rules, in front of the configuration's own.
  const config = state.review.withRules(checked);
  clearResults();
  if (state.expanding) await state.expanding;
  if (!state.secret) await setSecret(generateSecret(), 'New secret generated for this run: save it now, you need it for later batches');
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
  try {
    // One run's zip at a time is kept in OPFS: the earlier ones go.
    if (!handle) await clearSpool();
    const result = await deidentify({
      source: state.expanded,
      options: config,
      secret: state.secret,
      mapping: state.mapping,
      existingKey: state.key,
      output: handle,
      onProgress,
      signal: controller.signal,
    });
    clearTimeout(progressTimer);
    drawProgress();
    showResult(result, handle);
  } catch (e) {
    clearTimeout(progressTimer);
    progressTimer = null;
    if (e.code === 'aborted' || controller.signal.aborted) {
      summary.dataset.state = 'cancelled';
      summary.replaceChildren(el('p', { text: 'Cancelled. The partial zip was discarded; nothing was written.' }));
      $('progress').value = 0;
      $('progress-text').textContent = 'Cancelled.';
    } else {
      summary.dataset.state = 'error';
      summary.replaceChildren(el('p', { text: 'The run stopped with an error; nothing usable was written.' }));
      showError('run-error', messageOf(e));
      $('progress-text').textContent = 'Stopped.';
      console.error(e);
    }
  } finally {
    state.controller = null;
    setRunning(false);
  }
}

function showResult(r, handle) {
  const s = r.summary;
  const t = r.stats;
  const summary = $('summary');
  const mbps = t.bytesIn / 1e6 / Math.max(t.seconds, 1e-9);
  setSummaryData(summary, s, r.cleaned.length);
  summary.dataset.mbps = mbps.toFixed(2);
  summary.dataset.seconds = t.seconds.toFixed(3);
  summary.dataset.scanSeconds = t.scanSeconds.toFixed(3);
  summary.dataset.processSeconds = t.processSeconds.toFixed(3);
  const reasons = reasonsText(s);
  const stem = handle ? handle.name.replace(/\.zip$/i, '') : 'deidentified';
  summary.replaceChildren(
    el('p', { class: 'done', text: `Finished: ${plural(s.seen, 'file')} seen.` }),
    countsList(s, r.cleaned.length),
    el('p', { class: 'hint', text: `${reasons ? `Reasons: ${reasons}. ` : ''}${fmtBytes(t.bytesIn)} de-identified in ${t.seconds.toFixed(1)} s (${mbps.toFixed(1)} MB/s with ${plural(t.workers, 'worker')}: headers read in ${t.scanSeconds.toFixed(1)} s, files rewritten in ${t.processSeconds.toFixed(1)} s).` }),
  );
  if (r.zipLocation === 'picked') {
    summary.append(el('p', { text: `The zip was saved as ${handle.name}.` }));
    link('download-zip', r.zip, `${stem}.zip`, 'Download another copy of the zip');
  } else {
    link('download-zip', r.zip, `${stem}.zip`, `Download the zip (${fmtBytes(r.zip.size)})`);
  }
  // The browser's private storage could not be used (none, or it failed in the output worker).
  if (r.zipLocation === 'memory') summary.append(el('p', { class: 'hint', 'data-testid': 'memory-note', text: 'The zip is held in memory (this browser’s private file storage could not be used): download it before leaving the page.' }));
  link('download-key', new Blob([r.keyCsv], { type: 'text/csv' }), `${stem}-key.csv`, 'Download the key (CSV)');
  link('download-log', new Blob([r.logCsv], { type: 'text/csv' }), `${stem}-log.csv`, 'Download the log (CSV)');
  $('downloads-note').hidden = false;
  $('problems').querySelector('tbody').replaceChildren(...problemRows(r.problems));
  $('problems').hidden = r.problems.length === 0;
  state.review.showResult(r);
  $('progress').value = 1;
  $('progress-text').textContent = `Done: ${plural(s.seen, 'file')} in ${t.seconds.toFixed(1)} s.`;
  summary.dataset.state = 'done';
  $('results').scrollIntoView({ block: 'start', behavior: 'smooth' });
}

// ---------------------------------------------------------------- wiring

function wire() {
  for (const id of ['folder-input', 'zip-input']) {
    $(id).addEventListener('change', async (e) => {
      const files = Array.from(e.target.files);
      e.target.value = '';
      if (files.length) await addSource(files);
    });
  }
  $('pick-folder').addEventListener('click', async () => {
    let dir;
    try {
      dir = await window.showDirectoryPicker({ mode: 'read' });
    } catch (e) {
      if (e && e.name !== 'AbortError') $('selection-text').textContent = `The folder cannot be opened: ${messageOf(e)}`;
      return;
    }
    $('selection-text').textContent = `Reading ${dir.name}…`;
    await addSource(dir);
  });
  $('clear-selection').addEventListener('click', () => {
    state.entries = [];
    state.expanded = NOTHING;
    renderSelection();
    $('preview').hidden = true;
    state.review.clear();
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
    const pending = entriesFromDrop(e.dataTransfer); // before any await: the browser empties the DataTransfer
    $('selection-text').textContent = 'Reading the dropped files…';
    try {
      await addSource(pending);
    } catch (err) {
      $('selection-text').textContent = messageOf(err);
    }
  });

  $('secret-generate').addEventListener('click', () => setSecret(generateSecret(), 'New secret generated: save it now, you need it for later batches'));
  $('secret-input').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (!file) return;
    let text;
    try {
      text = await readSecretFile(file);
    } catch (err) {
      $('secret-status').textContent = `${messageOf(err)}; the secret was not changed.`;
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
      await ready;
      state[field] = f ? await readText(f) : null;
      // The engine reads the list now, so a malformed file is reported before the run.
      const config = await validConfig();
      if (config && state[field] !== null) {
        try {
          await checkLists({ options: config, [field === 'key' ? 'existingKey' : 'mapping']: state[field] });
        } catch (err) {
          state[field] = null;
          e.target.value = '';
          showError('settings-error', `The ${what} ${f.name} cannot be used: ${messageOf(err)}`);
          return;
        }
      }
      schedulePreview();
    });
  }
  $('config-input').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    await ready;
    if (!f) {
      state.baseConfig = null;
      schedulePreview();
      return;
    }
    try {
      // The menu's preset is the starting point unless the file names one (as the CLI's
      // --preset): the engine merges it after parsing, so `{}` or a comment is fine.
      const text = await readText(f);
      state.baseConfig = await checkOptions(text, $('preset').value);
      fillForm(state.baseConfig);
      showError('settings-error', '');
    } catch (err) {
      state.baseConfig = null;
      showError('settings-error', `${f.name}: ${messageOf(err)}`);
    }
    schedulePreview();
  });
  $('preset').addEventListener('change', () => {
    if (!state.ready) {
      // The preset is applied when it is loaded; fields changed before this choice follow it.
      state.touched.clear();
      return;
    }
    state.baseConfig = null;
    $('config-input').value = '';
    fillForm(state.presets[$('preset').value]);
    schedulePreview();
  });
  for (const input of document.querySelectorAll('[data-config]')) {
    // While the page starts, a changed field is remembered so that the preset does not overwrite it.
    input.addEventListener('input', () => {
      if (!state.ready) state.touched.add(input);
    });
    input.addEventListener('change', async () => {
      if (!state.ready) {
        state.touched.add(input);
        return;
      }
      if (await validConfig()) schedulePreview();
    });
  }
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

/**
 * Files set on an input whose change event came before the handlers (the module still loading):
 * handled as if the event came now. The folder and zip inputs are emptied by their handler, so
 * files still on them were never read; `all` also takes the inputs that keep their file.
 */
function catchUp(all) {
  const ids = all ? ['folder-input', 'zip-input', 'secret-input', 'mapping-input', 'key-input', 'config-input'] : ['folder-input', 'zip-input'];
  for (const id of ids) {
    const input = $(id);
    if (input.files && input.files.length > 0) input.dispatchEvent(new Event('change'));
  }
}

async function main() {
  state.output = await outputSupport();
  if (!checkCapabilities(state.output)) {
    document.body.dataset.state = 'unsupported';
    $('startup').hidden = true;
    return;
  }
  let version;
  try {
    ({ version } = await loadEngine());
    state.presets = Object.fromEntries(await Promise.all(PRESETS.map(async (p) => [p, await presetOptions(p)])));
  } catch (e) {
    const box = $('capabilities');
    box.hidden = false;
    box.classList.add('error');
    box.textContent = messageOf(e).replace(/^./, (c) => c.toUpperCase());
    document.body.dataset.state = 'unsupported';
    $('startup').hidden = true;
    return;
  }
  $('version').textContent = version;
  // The chosen preset (maybe changed while starting), without the fields the user has changed.
  fillForm(state.presets[$('preset').value] || state.presets.basic, state.touched);
  state.touched.clear();
  state.ready = true;
  $('startup').hidden = true;
  document.body.dataset.state = 'idle';
  updateStart();
  markReady(); // what the user did while the page was starting runs now, in order
  catchUp(false);
}

// At once, before the engine: the form, the review and every handler.
buildProfileChecks();
state.review = new PixelReview($('pixel-review'));
wire();
catchUp(true);
main();
