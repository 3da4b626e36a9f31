// The page: it renders the workflow's controller (session.js, shared with the <dicom-deid>
// element: sources, secret, lists, start/cancel, progress, result, the pixel review) and adds
// what only the page has: the settings form and configuration file, the preview of one file
// before and after, the notes about the browser. Every value shown comes from the engine;
// nothing is sent anywhere.
import { checkOptions, entriesFromDrop, generateSecret, messageOf, outputSupport, pickOutputFile, previewFile } from '../dicom-deid.js';
import { AuditView } from '../ui/audit-view.js';
import { PixelReview } from '../ui/pixel-review.js';
import { RecipePanel } from '../ui/recipe-panel.js';
import { VerifyView } from '../ui/verify-view.js';
import { t } from '../i18n/i18n.js';
import { setUpPageLanguage } from './page-text.js';
import { DeidSession } from '../ui/session.js';
import { RunView, readText } from '../ui/run-view.js';
import { SendView } from '../ui/send-view.js';
import { count, el, fmtBytes } from '../ui/render.js';

/** An element of the page by id (typed loosely: inputs, selects, tables, canvases). */
const $ = /** @type {(id: string) => any} */ ((id) => document.getElementById(id));
/** The page's settings inputs. */
const configInputs = () => /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('[data-config]'));

/** Profile options (Config JSON `profile.*`); their PS3.15 names are the messages `opt.<name>`. */
const PROFILE_OPTIONS = [
  'retain_safe_private', 'retain_uids', 'retain_device_identity', 'retain_institution_identity', 'retain_patient_characteristics',
  'retain_long_full_dates', 'retain_long_modified_dates', 'clean_descriptors', 'clean_structured_content', 'clean_graphics',
];

/** The page's own state; the workflow's is the session's. */
const state = {
  output: { savePicker: false, opfs: false }, // outputSupport()
  previewSecret: null,
  baseConfig: null, // the preset with the recipe's settings and the loaded file's keys (object), or null: the preset
  configText: null, // the loaded configuration file's text, or null
  recipeText: null, // the recipe whose base and settings the form shows, or null
  recipeShapes: false, // that recipe names a base or has settings
  previewFrom: 0,
  previewSeq: 0,
  ready: false, // the engine and the presets are loaded (body data-state left 'loading')
  touched: new Set(), // settings fields the user changed while the page was starting
  // What the scripts last wrote, drawn again after a language switch (the run view keeps its own):
  selectionLine: null, // [key, params] of a selection message, or null: the counts
  errors: {}, // box id → () => message
};

// The handlers are wired when this module is evaluated, before the engine has loaded, so that
// what the user does meanwhile (files chosen or dropped, lists, settings) waits in the session.
const session = new DeidSession({
  options: () => validConfig(),
  review: new PixelReview($('pixel-review')),
  recipe: new RecipePanel($('recipe'), { onChange: () => recipeChanged() }),
});
// The audit of the selection and the check of a received zip (shared with the element).
const audit = new AuditView($('audit'), session, { heading: 'h2' });
const verify = new VerifyView($('verify'), { heading: 'h2' });
// What the page shares with the element (run-view.js): progress, run states, result, secret, inputs.
const view = new RunView({
  part: $,
  text: { working: 'run.working-page', cancelled: 'run.cancelled-page', secret: 'secret.status-page' },
  stats: true,
  hooks: {
    ended: (run, again) => {
      if (run.outcome === 'done' && !again) $('results').scrollIntoView({ block: 'start', behavior: 'smooth' });
      if (run.outcome !== 'error') return;
      showError('run-error', () => messageOf(run.error));
      if (!again) console.error(run.error);
    },
    secretError: (err) => {
      $('secret-status').removeAttribute('data-i18n');
      $('secret-status').textContent = t('secret.not-changed', { message: messageOf(err) });
    },
    listError: (kind, file, err) => {
      const what = kind === 'mapping' ? 'set.mapping' : 'set.key';
      showError('settings-error', () => t('set.list-error', { what: t(what), name: file.name, message: messageOf(err) }));
    },
    listChanged: () => schedulePreview(),
  },
});

// The Send step: only when the site is configured with an archive (scripts/site-config.mjs
// writes its URL into this meta tag and allows exactly it in the page's CSP).
const sendView = new SendView({ part: $ });
const stowUrl = document.querySelector('meta[name="dicom-deid-stow-url"]');
if (stowUrl && stowUrl.getAttribute('content')) {
  session.destination = { kind: 'stow', url: new URL(stowUrl.getAttribute('content'), location.href).href };
  document.body.dataset.send = 'configured';
}

// ---------------------------------------------------------------- messages

/** Shows the message `say()` gives in box `id` (again after a language switch); null clears it. */
function showError(id, say) {
  const box = $(id);
  if (say) state.errors[id] = say;
  else delete state.errors[id];
  box.textContent = say ? say() : '';
  box.hidden = !say;
}

/** The selection line: message `key` with `params` (null: the counts of the selection). */
function saySelection(key, params = {}) {
  state.selectionLine = key ? [key, params] : null;
  if (key) $('selection-text').textContent = t(key, params);
}

// ---------------------------------------------------------------- capabilities

function checkCapabilities(out) {
  const problems = [];
  const notes = [];
  const fatal = typeof WebAssembly !== 'object' || typeof Worker !== 'function';
  if (fatal) problems.push('cap.fatal');
  if (!window.isSecureContext) notes.push('cap.insecure');
  if (!out.savePicker && out.opfs) notes.push('cap.opfs-only');
  if (!out.opfs) notes.push(out.savePicker ? 'cap.no-opfs-picker' : 'cap.no-opfs');
  if (typeof window.showDirectoryPicker !== 'function' && !('webkitdirectory' in document.createElement('input'))) notes.push('cap.no-folders');
  if (!(window.crypto && crypto.getRandomValues)) problems.push('cap.no-random');
  const box = $('capabilities');
  box.replaceChildren();
  if (problems.length || notes.length) {
    box.hidden = false;
    box.classList.toggle('error', problems.length > 0);
    box.append(el('p', { class: 'notice-title', text: t(problems.length ? 'cap.title-problems' : 'cap.title-notes') }));
    const ul = el('ul');
    for (const key of [...problems, ...notes]) ul.append(el('li', { text: t(key) }));
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
  for (const name of PROFILE_OPTIONS) {
    const id = `opt-profile-${name}`;
    box.append(
      el('div', { class: 'field check' },
        el('input', { type: 'checkbox', id, 'data-config': `profile.${name}` }),
        el('label', { for: id, 'data-i18n-lead': `opt.${name}` }, `${t(`opt.${name}`)} `, el('code', { text: name }))),
    );
  }
}

/** Fills the form from a configuration; `keep` (a Set of inputs) keeps those fields' values. */
function fillForm(cfg, keep = new Set()) {
  $('preset').value = cfg.preset;
  for (const input of configInputs()) {
    if (keep.has(input)) continue;
    const path = input.dataset.config.split('.');
    let v = cfg;
    for (const p of path) v = v == null ? undefined : v[p];
    if (input.type === 'checkbox') input.checked = !!v;
    else input.value = v ?? '';
  }
}

/**
 * The settings under the form, as the CLI's --preset, --recipe and --config make them: the
 * preset, the recipe's settings, the loaded configuration file's keys (the engine merges them);
 * null when neither a recipe nor a file is loaded (the preset alone).
 */
async function resolveBase() {
  const recipe = session.recipe.text;
  if (state.configText == null && recipe == null) return null;
  return checkOptions(state.configText ?? '', $('preset').value, recipe ?? undefined);
}

/** Whether a recipe's info changes the settings (a base preset, or settings of its own). */
const shapesSettings = (info) => !!info && (!!info.base || Object.keys(info.settings || {}).length > 0);

/**
 * A recipe loaded, removed, accepted or given a parameter: a recipe that names its preset starts
 * from it (as the CLI does), unless a configuration file is loaded; its settings go under the
 * form's (a loaded file's keys over them); then Start and the preview.
 */
async function recipeChanged() {
  const text = session.recipe.text;
  if (state.ready && text !== state.recipeText) {
    const before = state.recipeShapes;
    state.recipeText = text;
    state.recipeShapes = shapesSettings(session.recipe.info);
    const base = session.recipe.base;
    if (base && state.configText == null && session.presets[base]) $('preset').value = base;
    if (before || state.recipeShapes || state.configText != null) {
      try {
        state.baseConfig = await resolveBase();
        showError('settings-error', null);
      } catch (e) {
        state.baseConfig = null;
        showError('settings-error', () => t('set.error', { message: messageOf(e) }));
      }
      fillForm(state.baseConfig || session.presets[$('preset').value]);
    }
  }
  updateStart();
  audit.recipeChanged();
  schedulePreview();
}

/** The configuration: the preset (or loaded file) with the form's values on top, and the recipe. */
function currentConfig() {
  const cfg = structuredClone(state.baseConfig || session.presets[$('preset').value]);
  for (const input of configInputs()) {
    const path = input.dataset.config.split('.');
    let target = cfg;
    for (const p of path.slice(0, -1)) target = target[p];
    const last = path[path.length - 1];
    if (input.type === 'checkbox') target[last] = input.checked;
    else if (input.type === 'number') target[last] = input.value === '' ? NaN : Number(input.value);
    else target[last] = input.value;
  }
  return session.recipe.apply(cfg);
}

/** Validates the settings; returns the full configuration or null (and shows why). */
async function validConfig() {
  try {
    const cfg = await checkOptions(currentConfig());
    showError('settings-error', null);
    return cfg;
  } catch (e) {
    showError('settings-error', () => t('set.error', { message: messageOf(e) }));
    return null;
  }
}

// ---------------------------------------------------------------- selection

/** What the session says of the selection, shown. */
function showSelection({ status, error }) {
  if (status === 'waiting') saySelection('sel.waiting');
  else if (status === 'reading') saySelection('sel.reading');
  else if (status === 'error') saySelection('sel.error', { message: messageOf(error) });
  else {
    saySelection(null);
    renderSelection();
    if (!session.selection.items.length) $('preview').hidden = true;
    state.previewFrom = 0;
    schedulePreview(0);
  }
}

function renderSelection() {
  const { items, badZips, zips, bytes: total } = session.selection;
  const tops = new Map();
  for (const e of session.entries) {
    const top = e.path.split('/')[0];
    tops.set(top, (tops.get(top) || 0) + 1);
  }
  const list = $('selection-list');
  list.replaceChildren(...[...tops].map(([name, n]) => el('li', { text: t('sel.chip', { name, files: count(n, 'n.files') }) })));
  $('clear-selection').hidden = session.entries.length === 0;
  const inZips = items.filter((it) => it.zip).length;
  const counts = $('counts');
  counts.removeAttribute('data-i18n');
  if (!session.entries.length) {
    if (!state.selectionLine) $('selection-text').textContent = t('sel.none');
    counts.textContent = t('page.counts-none');
  } else {
    if (!state.selectionLine) $('selection-text').textContent = t('sel.chosen', { files: count(items.length + badZips.length, 'n.files') });
    let text = t('sel.counts', { files: count(items.length, 'n.files'), size: fmtBytes(total) });
    if (zips) text += t('sel.in-zips', { files: count(inZips, 'n.files'), zips: count(zips, 'n.zips') });
    text += '.';
    if (badZips.length) text += t('sel.bad-zips', { zips: count(badZips.length, 'n.zips') });
    counts.textContent = text;
  }
  counts.dataset.files = String(items.length);
  counts.dataset.bytes = String(total);
  updateStart();
}

function updateStart() {
  $('start').disabled = !session.canStart;
}

// ---------------------------------------------------------------- preview

let previewTimer = null;
/** A setting changed (preset, a field, the configuration file, the secret): an audit shown is of other settings; the preview follows. */
function settingsChanged() {
  audit.settingsChanged();
  schedulePreview();
}

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
  const items = session.selection.items;
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
  if (!session.secret && !state.previewSecret) state.previewSecret = generateSecret();
  const secret = session.secret || state.previewSecret;
  let tries = 0;
  for (let k = 0; k < order.length && tries < 25; k++) {
    const idx = order[(state.previewFrom + k) % order.length];
    const item = items[idx];
    tries++;
    let r;
    try {
      r = await previewFile(item, { options: config, secret, mapping: session.mapping, existingKey: session.existingKey });
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
  state.lastPreview = null;
  $('preview-title').textContent = t('prev.none');
  $('preview-table').tBodies[0].replaceChildren();
  $('thumb-figure').hidden = true;
}

function afterCell(row) {
  if (row.status === 'removed') return el('td', { class: 'after', text: t('prev.removed') });
  if (row.after === '' && row.before) return el('td', { class: 'after empty', text: t('prev.empty') });
  return el('td', { class: 'after', text: row.after ?? '' });
}

/** Who decided a top-level attribute (the engine's --explain words, without the attribute's name). */
function whyOf(why, row) {
  const text = (why || {})[row.path];
  if (!text) return '';
  const prefix = `${row.keyword}: `;
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

function showPreview(item, r) {
  const box = $('preview');
  box.hidden = false;
  box.dataset.path = item.path;
  $('preview-title').replaceChildren(t('prev.of'), el('code', { text: item.path }));
  const notes = [];
  if (r.rejection) {
    notes.push(t('prev.not-written', { message: r.rejection.message }));
  } else {
    notes.push(t('prev.numbered'));
  }
  if (!session.secret) notes.push(t('prev.temp-secret'));
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
      afterCell(row),
      el('td', { class: 'why', text: whyOf(r.why, row) }));
    if (row.status !== 'same') tr.setAttribute('aria-label', t('prev.row', { keyword: row.keyword, status: t(`prev.status-${row.status}`) }));
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

/** The session's state on the page: body data-state and what may be used. */
function showState() {
  const on = session.state === 'running';
  // Keyboard users keep their place: the focus moves between Start and Cancel as they swap.
  const runFocus = [$('start'), $('cancel')].includes(document.activeElement);
  if (session.state !== 'loading' && session.state !== 'unsupported') document.body.dataset.state = session.state;
  $('cancel').disabled = !on;
  for (const id of ['folder-input', 'zip-input', 'pick-folder', 'clear-selection', 'secret-input', 'secret-generate', 'mapping-input', 'key-input', 'config-input', 'preset'])
    $(id).disabled = on;
  for (const input of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('[data-config], input[name=dest]'))) input.disabled = on || (input.id === 'dest-save' && !state.output.savePicker);
  updateStart();
  if (runFocus) (on ? $('cancel') : $('start')).focus();
}

function clearResults() {
  view.clearResults();
  showError('run-error', null);
}

async function start() {
  if (!session.canStart) return;
  // The save dialog needs the click's user activation: it comes first.
  let handle = null;
  const useSave = $('dest-save').checked && state.output.savePicker;
  if (useSave) {
    try {
      handle = await pickOutputFile('deidentified.zip');
    } catch (e) {
      if (e && e.name === 'AbortError') return; // the user closed the dialog
      showError('run-error', () => t('run.open-error', { message: messageOf(e) }));
      return;
    }
  }
  if (!(await validConfig())) return;
  clearResults();
  // One run's zip at a time is kept in OPFS: the earlier ones go.
  await session.start({ output: handle, clearSpool: true });
}

/** Everything the scripts wrote, again in the language just chosen (the fixed text is page-text.js's). */
function relabel() {
  checkCapabilities(state.output);
  view.relabel();
  sendView.relabel();
  renderSelection();
  if (state.selectionLine) saySelection(...state.selectionLine);
  for (const [id, say] of Object.entries(state.errors)) showError(id, say);
  if (state.lastPreview) showPreview(state.lastPreview.item, state.lastPreview.r);
  else if (!$('preview').hidden) $('preview-title').textContent = t('prev.none');
  session.review.relabel();
  session.recipe.relabel();
  audit.relabel();
  verify.relabel();
}

// ---------------------------------------------------------------- wiring

function wire() {
  $('pick-folder').addEventListener('click', async () => {
    let dir;
    try {
      dir = await window.showDirectoryPicker({ mode: 'read' });
    } catch (e) {
      if (e && e.name !== 'AbortError') saySelection('sel.folder-error', { message: messageOf(e) });
      return;
    }
    saySelection('sel.reading-dir', { name: dir.name });
    await session.add(dir);
  });
  $('clear-selection').addEventListener('click', () => session.clear());

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
    saySelection('sel.reading-drop');
    await session.add(pending);
  });

  $('config-input').addEventListener('change', async (e) => {
    const f = e.target.files[0];
    await session.ready;
    state.configText = null;
    if (!f) {
      state.baseConfig = await resolveBase().catch(() => null);
      settingsChanged();
      return;
    }
    try {
      // The menu's preset is the starting point unless the file (or the recipe) names one (as
      // the CLI's --preset): the engine merges it after parsing, so `{}` or a comment is fine.
      state.configText = await readText(f);
      state.baseConfig = await resolveBase();
      fillForm(state.baseConfig);
      showError('settings-error', null);
    } catch (err) {
      state.configText = null;
      state.baseConfig = null;
      showError('settings-error', () => t('set.file-error', { name: f.name, message: messageOf(err) }));
    }
    settingsChanged();
  });
  $('preset').addEventListener('change', () => {
    if (!state.ready) {
      // The preset is applied when it is loaded; fields changed before this choice follow it.
      state.touched.clear();
      return;
    }
    state.configText = null;
    $('config-input').value = '';
    resolveBase().catch(() => null).then((cfg) => {
      state.baseConfig = cfg;
      fillForm(cfg || session.presets[$('preset').value]);
      settingsChanged();
    });
  });
  for (const input of configInputs()) {
    // While the page starts, a changed field is remembered so that the preset does not overwrite it.
    input.addEventListener('input', () => {
      if (!state.ready) state.touched.add(input);
    });
    input.addEventListener('change', async () => {
      if (!state.ready) {
        state.touched.add(input);
        return;
      }
      audit.settingsChanged();
      if (await validConfig()) schedulePreview();
    });
  }
  $('preview-changes-only').addEventListener('change', () => {
    if (state.lastPreview) showPreview(state.lastPreview.item, state.lastPreview.r);
  });
  $('preview-next').addEventListener('click', () => schedulePreview((state.previewShown ?? -1) + 1));
  $('start').addEventListener('click', start);
  $('cancel').addEventListener('click', () => session.cancel());
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

function listen() {
  const on = (type, show) => session.addEventListener(type, (e) => show(/** @type {CustomEvent} */ (e).detail));
  on('state', showState);
  on('selection', showSelection);
  on('secret', () => settingsChanged());
  view.listen(session);
  view.wire(session);
  sendView.listen(session);
  sendView.wire(session);
  sendView.update();
}

async function main() {
  state.output = await outputSupport();
  if (!checkCapabilities(state.output)) {
    document.body.dataset.state = 'unsupported';
    $('startup').hidden = true;
    return;
  }
  const started = await session.load(() => {
    $('version').textContent = session.version;
    // The chosen preset (maybe changed while starting), without the fields the user has changed.
    fillForm(session.presets[$('preset').value] || session.presets.basic, state.touched);
    state.touched.clear();
    state.ready = true;
    $('startup').hidden = true;
    // a recipe loaded while the engine started: its base and settings now
    if (session.recipe.text != null) recipeChanged();
  });
  if (!started) {
    const box = $('capabilities');
    box.hidden = false;
    box.classList.add('error');
    box.textContent = messageOf(session.error).replace(/^./, (c) => c.toUpperCase());
    document.body.dataset.state = 'unsupported';
    $('startup').hidden = true;
    return;
  }
  catchUp(false);
}

// At once, before the engine: the language, the form, the handlers; the session says what happens.
setUpPageLanguage(document, relabel);
buildProfileChecks();
listen();
wire();
catchUp(true);
main();
