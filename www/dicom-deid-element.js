// <dicom-deid>: the whole de-identification workflow as one custom element, for research
// portals. One tag, no build step:
//
//   <script type="module" src="/path/to/dicom-deid/dicom-deid-element.js"></script>
//   <dicom-deid preset="research" id-prefix="SUBJ"></dicom-deid>
//
// It renders, in its shadow DOM: folder/zip choice (picker, input or drop), preset and ID
// prefix, mapping and key CSVs, the project secret (generate, load, save), start/cancel,
// progress, the three downloads and the summary. It is built on the public API
// (dicom-deid.js), whose files (workers, wasm) are found next to this module, whatever the
// host page's path. It follows the host's font and colours (inherited, or set through the
// --dicom-deid-* custom properties listed below) and raises events on itself:
//   progress  detail: {phase, done, total, bytes, totalBytes, elapsed}   (bubbles)
//   done      detail: the summary {seen, written, rejected, skipped, by_reason, …} (bubbles);
//             the whole result (zip Blob, keyCsv, logCsv, …) is then in `element.result`
//   error     detail: a DeidError (code 'aborted' when the user cancelled)
//   send-progress  detail: {phase: 'send', done, total, sent, failed, bytes, rate, mbps} (bubbles)
//   sent      detail: the delivery {url, state, results, counts, seconds} (bubbles)
// Attributes: preset (basic | research | keep-list), id-prefix, stow-url (an archive's STOW-RS
// URL: the Send step is shown), stow-stream (send each image as it is written). Properties:
// options (more configuration keys, as for the CLI's --config), secret (set a project secret),
// destination ({kind: 'stow', url, headers | getHeaders()}: credentials go here, never in an
// attribute), result, state; send() and cancelSend() as the Send step's buttons.
// data-testid hooks inside the shadow root, as on the page: folder-input, zip-input, pick-folder,
// drop-zone, counts, preset, id-prefix, mapping-input, key-input, secret-input, secret-generate,
// secret-save, secret-status, start, cancel, progress, error, summary, download-zip,
// download-key, download-log, problems, send-step, send-url, send-stream, send-button, send-cancel,
// send-progress, send-progress-text, send-summary, send-failures; the burned-in text review (pixel-review.js, shared with
// the page): pixel-review, pixel-undecided, pixel-bulk-exclude, pixel-bulk-clean, pixel-bulk-keep,
// pixel-grid, pixel-cell, pixel-thumb, pixel-detail, pixel-group (the selected group's editor),
// pixel-preview, pixel-clean, pixel-keep, pixel-exclude, pixel-rules-download, pixel-rules-input;
// the recipe (recipe-panel.js, shared with the page): recipe, recipe-input, recipe-status,
// recipe-report, recipe-accept, recipe-params, recipe-param-NAME, recipe-md5, recipe-blocker,
// recipe-preset, recipe-preset-download (start from a preset: its recipe downloaded);
// the audit (audit-view.js): audit, audit-start, audit-status, audit-result, audit-download-json,
// audit-download-html, audit-download-detail; the check of a received zip (verify-view.js):
// verify, verify-zip-input, verify-key-input, verify-drop, verify-result, verify-problems.
import { PRESETS, entriesFromDrop, pickOutputFile, DeidError } from './dicom-deid.js';
import { AuditView } from './ui/audit-view.js';
import { PixelReview } from './ui/pixel-review.js';
import { RecipePanel } from './ui/recipe-panel.js';
import { VerifyView } from './ui/verify-view.js';
import { languageSelect, onLanguage, t, translate } from './i18n/i18n.js';
import { DeidSession, toDeidError } from './ui/session.js';
import { RunView } from './ui/run-view.js';
import { SendView } from './ui/send-view.js';
import { count, el, fmtBytes } from './ui/render.js';

/** The custom properties the element reads, with their defaults (documented in README.md). */
const CSS = `
:host {
  --_font: var(--dicom-deid-font, inherit);
  --_fg: var(--dicom-deid-fg, inherit);
  --_bg: var(--dicom-deid-bg, transparent);
  --_accent: var(--dicom-deid-accent, #1f5f99);
  --_accent-fg: var(--dicom-deid-accent-fg, #ffffff);
  --_muted: var(--dicom-deid-muted, #5b6670);
  --_border: var(--dicom-deid-border, #cfd6dd);
  --_error: var(--dicom-deid-error, #b3261e);
  --_radius: var(--dicom-deid-radius, 6px);
  --_gap: var(--dicom-deid-gap, 14px);
  display: block;
  font-family: var(--_font);
  color: var(--_fg);
  background: var(--_bg);
  line-height: 1.45;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.root { display: grid; gap: var(--_gap); }
section { border: 1px solid var(--_border); border-radius: var(--_radius); padding: var(--_gap); }
h3 { margin: 0 0 10px; font-size: 1.05em; }
p { margin: 6px 0; }
.hint, .progress-text { color: var(--_muted); font-size: 0.92em; }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 10px var(--_gap); }
label.field { display: grid; gap: 4px; font-size: 0.95em; }
input, select, button { font: inherit; color: inherit; }
input[type=text], select { width: 100%; min-width: 0; padding: 5px 8px; border: 1px solid var(--_border); border-radius: var(--_radius); background: transparent; }
input[type=file] { max-width: 100%; font-size: 0.9em; }
select option { color: initial; }
button, .btn {
  display: inline-block; padding: 6px 14px; border: 1px solid var(--_accent); border-radius: var(--_radius);
  background: transparent; color: var(--_accent); cursor: pointer; text-decoration: none; font-size: 0.95em;
}
button.primary, a.primary { background: var(--_accent); color: var(--_accent-fg); }
button:disabled { opacity: 0.45; cursor: not-allowed; }
button:focus-visible, .vh:focus-visible + .btn, a:focus-visible, select:focus-visible, input:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.link { border: none; padding: 0; text-decoration: underline; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.drop { border: 2px dashed var(--_border); border-radius: var(--_radius); padding: var(--_gap); text-align: center; }
.drop.over { border-color: var(--_accent); }
.drop .row { justify-content: center; }
.lang { display: flex; justify-content: flex-end; }
.lang select { width: auto; }
progress { width: 100%; height: 14px; accent-color: var(--_accent); }
.error { color: var(--_error); font-weight: 600; }
.warn { color: var(--_error); }
dl.counts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 8px 0; }
dl.counts dt { font-size: 0.85em; color: var(--_muted); }
dl.counts dd { margin: 0; font-size: 1.4em; font-weight: 650; }
.downloads { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--_border); vertical-align: top; }
.table-scroll { max-height: 300px; overflow: auto; }
fieldset { border: 1px solid var(--_border); border-radius: var(--_radius); margin: 8px 0; }
.field.check { display: flex; gap: 8px; align-items: baseline; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.92em; }
[hidden] { display: none !important; }
.table-scroll { overflow: auto; max-height: 300px; border: 1px solid var(--_border); border-radius: var(--_radius); margin: 6px 0 10px; }
.table-scroll:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.audit-phi { border-left: 4px solid var(--_error); padding: 4px 10px; margin: 8px 0; }
h4 { margin: 12px 0 4px; font-size: 1em; }
`;

let sheet = null;

/** The element's styles: one constructed stylesheet shared by every instance (no inline <style>, so a strict host CSP is fine). */
function styles(root) {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el('style', { text: CSS }));
  }
}

/** The preset menu's message keys. */
const PRESET_LABELS = { basic: 'preset.basic', research: 'el.preset-research', 'keep-list': 'preset.keep-list' };

/**
 * The shadow tree; every control carries the data-testid named after it, every fixed text the
 * message key it shows (data-i18n…: translated by i18n.translate, again on each switch).
 */
function template() {
  const t = (tag, testid, attrs = {}, ...children) => el(tag, { ...attrs, 'data-testid': testid }, ...children);
  const k = (key) => ({ 'data-i18n': key });
  const lead = (key) => ({ 'data-i18n-lead': key });
  return el('div', { class: 'root', part: 'root' },
    el('div', { class: 'lang' }, languageSelect(document, 'language')),
    el('section', { part: 'section' },
      el('h3', k('el.h-images')),
      t('div', 'drop-zone', { class: 'drop' },
        el('p', k('el.drop')),
        el('div', { class: 'row' },
          t('button', 'pick-folder', { type: 'button', class: 'primary', hidden: '', ...k('page.pick-folder') }),
          t('input', 'folder-input', { type: 'file', id: 'folder-input', webkitdirectory: '', multiple: '', class: 'vh', 'data-i18n-attr': 'aria-label:page.pick-folder' }),
          el('label', { class: 'btn primary', for: 'folder-input', id: 'folder-label', ...k('page.pick-folder') }),
          t('input', 'zip-input', { type: 'file', id: 'zip-input', multiple: '', accept: '.zip,application/zip', class: 'vh' }),
          el('label', { class: 'btn', for: 'zip-input', ...k('page.zip-label') }))),
      el('div', { class: 'row' },
        t('p', 'counts', { 'aria-live': 'polite' }),
        t('button', 'clear', { type: 'button', class: 'link', hidden: '', ...k('sel.clear') }))),
    el('section', { part: 'section' },
      el('h3', k('el.h-settings')),
      el('div', { class: 'grid' },
        el('label', { class: 'field', ...lead('el.preset') }, t('select', 'preset', {}, ...PRESETS.map((p) => el('option', { value: p, ...k(PRESET_LABELS[p]) })))),
        el('label', { class: 'field', ...lead('el.id-prefix') }, t('input', 'id-prefix', { type: 'text', maxlength: '10', autocomplete: 'off', spellcheck: 'false' })),
        el('label', { class: 'field', ...lead('el.mapping') }, t('input', 'mapping-input', { type: 'file', accept: '.csv,text/csv' })),
        el('label', { class: 'field', ...lead('el.key') }, t('input', 'key-input', { type: 'file', accept: '.csv,text/csv' }))),
      el('p', { class: 'hint', ...k('el.secret-hint') }),
      t('p', 'secret-status', { 'aria-live': 'polite', ...k('secret.none') }),
      el('div', { class: 'row' },
        t('button', 'secret-generate', { type: 'button', ...k('el.secret-generate') }),
        t('input', 'secret-input', { type: 'file', id: 'secret-input', class: 'vh' }),
        el('label', { class: 'btn', for: 'secret-input', ...k('page.secret-load') }),
        t('button', 'secret-save', { type: 'button', disabled: '', ...k('page.secret-save') }))),
    el('section', { part: 'section', id: 'recipe', 'data-testid': 'recipe', 'aria-labelledby': 'h-recipe' },
      el('h3', { id: 'h-recipe', ...k('recipe.legend') })),
    el('section', { part: 'section', id: 'audit', 'data-testid': 'audit' }),
    el('section', { part: 'section', id: 'pixel-review', 'aria-labelledby': 'h-pixels' },
      el('h3', { id: 'h-pixels', ...k('page.h-pixels') }),
      el('p', { class: 'hint', ...k('el.pixels-hint') })),
    el('section', { part: 'section' },
      el('h3', k('el.h-run')),
      el('label', { class: 'row hint', id: 'ask-label', hidden: '' }, el('input', { type: 'checkbox', id: 'ask', checked: '' }), el('span', k('run.ask'))),
      el('div', { class: 'row' },
        t('button', 'start', { type: 'button', class: 'primary', disabled: '', ...k('run.start') }),
        t('button', 'cancel', { type: 'button', disabled: '', ...k('run.cancel') })),
      t('progress', 'progress', { max: '1', value: '0', part: 'progress' }),
      el('p', { class: 'progress-text', id: 'progress-text', 'aria-live': 'polite' }),
      t('p', 'error', { class: 'error', role: 'alert', hidden: '' })),
    el('section', { part: 'section' },
      el('h3', k('el.h-results')),
      t('div', 'summary', { 'data-state': 'idle', 'aria-live': 'polite' }, el('p', k('res.nothing'))),
      el('div', { class: 'downloads' },
        t('a', 'download-zip', { class: 'btn primary', hidden: '' }),
        t('a', 'download-key', { class: 'btn', hidden: '' }),
        t('a', 'download-log', { class: 'btn', hidden: '' })),
      el('p', { class: 'hint', id: 'downloads-note', hidden: '', ...k('res.note') }),
      t('table', 'problems', { hidden: '' },
        el('thead', {}, el('tr', {}, el('th', k('res.col-file')), el('th', k('res.col-outcome')), el('th', k('res.col-reason')))),
        el('tbody'))),
    t('section', 'send-step', { part: 'section', hidden: '', 'aria-labelledby': 'h-send' },
      el('h3', { id: 'h-send', ...k('send.h') }),
      el('p', { class: 'hint', ...k('send.intro') }),
      el('p', {}, el('span', k('send.url')), ' ', t('code', 'send-url')),
      el('label', { class: 'row hint' }, t('input', 'send-stream', { type: 'checkbox' }), el('span', k('send.stream'))),
      el('div', { class: 'row' },
        t('button', 'send-button', { type: 'button', class: 'primary', disabled: '', ...k('send.button') }),
        t('button', 'send-cancel', { type: 'button', disabled: '', ...k('send.cancel') })),
      t('progress', 'send-progress', { max: '1', value: '0', part: 'progress', 'aria-labelledby': 'send-progress-text' }),
      t('p', 'send-progress-text', { class: 'progress-text', id: 'send-progress-text', 'aria-live': 'polite', ...k('send.not-started') }),
      t('p', 'send-summary', { 'data-state': 'idle', 'aria-live': 'polite' }),
      t('table', 'send-failures', { hidden: '' },
        el('thead', {}, el('tr', {}, el('th', k('res.col-file')), el('th', k('send.col-status')), el('th', k('res.col-reason')))),
        el('tbody'))),
    el('section', { part: 'section', id: 'verify', 'data-testid': 'verify' }));
}

/** Whether `name` (an attribute's value) is one of the presets. */
const isPreset = (name) => /** @type {readonly unknown[]} */ (PRESETS).includes(name);

/**
 * Checked against its declaration by the type check of scripts/test.sh (this module's own name
 * resolves to dicom-deid-element.d.ts there).
 * @typedef {import('./dicom-deid-element.js').DicomDeidElement} DeclaredElement
 * @implements {DeclaredElement}
 */
export class DicomDeidElement extends HTMLElement {
  static get observedAttributes() {
    return ['preset', 'id-prefix', 'stow-url', 'stow-stream'];
  }

  #root;
  #session;
  /** What the element shares with the page (run-view.js): progress, run states, result, secret, inputs. */
  #view;
  /** The Send step (send-view.js, shared with the page). */
  #sendView;
  #started = false;
  #stopLanguage = null;
  #audit;
  #verify;

  /**
   * Extra configuration keys (as for the CLI's --config), under preset and id-prefix.
   * @type {import('./dicom-deid.js').DeidOptions}
   */
  options = {};

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    styles(this.#root);
    this.#root.append(template());
    translate(this.#root);
    // The workflow is the session's (session.js, shared with the page); this element renders it.
    // The burned-in text review: the same module as the page's, rendered into this shadow tree.
    this.#session = new DeidSession({
      options: () => this.#config(),
      review: new PixelReview(this.#root.getElementById('pixel-review')),
      recipe: new RecipePanel(this.#root.getElementById('recipe'), { onChange: () => this.#recipeChanged() }),
    });
    this.#audit = new AuditView(this.#id('audit'), this.#session, { heading: 'h3' });
    this.#verify = new VerifyView(this.#id('verify'), { heading: 'h3' });
    this.#view = new RunView({
      part: (name) => this.#q(name) || this.#id(name),
      text: { working: 'run.working', cancelled: 'run.cancelled-element', secret: 'secret.status' },
      hooks: {
        ended: (run, again) => this.#ended(run, again),
        secretError: (err) => this.#fail(err),
        listError: (_kind, _file, err) => this.#fail(err),
        listChanged: () => this.#clearError(),
        add: (source) => this.#add(source),
      },
    });
    this.#sendView = new SendView({ part: (name) => this.#q(name) || this.#id(name) });
    this.#listen();
  }

  /**
   * Where the written instances go: {kind: 'stow', url, headers | getHeaders()} (the Send step
   * is shown), or null. The `stow-url` attribute sets one without headers.
   * @type {import('./dicom-deid.js').DeidDestination | null}
   */
  get destination() {
    return this.#session.destination;
  }

  set destination(d) {
    this.#session.destination = d ? { ...d } : null;
    this.#sendView.update();
  }

  /** Sends the last result's images to the destination (what the Send button does). */
  send() {
    return this.#session.send();
  }

  /** Cancels the sending under way. */
  cancelSend() {
    this.#session.cancelSend();
  }

  /** The result of the last run (deidentify()'s), or null. */
  get result() {
    return this.#session.result;
  }

  /** 'loading', 'idle', 'running', 'unsupported' (also on the host as data-state). */
  get state() {
    return /** @type {DeclaredElement['state']} */ (this.dataset.state || 'loading');
  }

  /** Sets the project secret (text, as in a secret file). */
  set secret(text) {
    this.#session.setSecret(String(text), 'host').catch((e) => this.#fail(e));
  }

  #q(testid) {
    return this.#root.querySelector(`[data-testid="${testid}"]`);
  }

  #id(id) {
    return this.#root.getElementById(id);
  }

  attributeChangedCallback(name, _old, value) {
    if (name === 'preset' && isPreset(value)) this.#q('preset').value = value;
    if (name === 'id-prefix') this.#q('id-prefix').value = value ?? '';
    if (name === 'preset' || name === 'id-prefix') this.#audit?.settingsChanged();
    if (name === 'stow-url') this.destination = value ? { kind: 'stow', url: value } : null;
    if (name === 'stow-stream') {
      this.#session.streamSend = value !== null;
      this.#q('send-stream').checked = value !== null;
    }
  }

  connectedCallback() {
    if (!this.#stopLanguage) this.#stopLanguage = onLanguage(() => this.#relabel());
    if (this.#started) return;
    this.#started = true;
    this.dataset.state = 'loading';
    this.#q('preset').value = isPreset(this.getAttribute('preset')) ? this.getAttribute('preset') : 'basic';
    this.#q('id-prefix').value = this.getAttribute('id-prefix') ?? '';
    this.#view.say('run.loading');
    this.#showSelection({ status: 'ready' });
    // Wired at once, before the engine has loaded, so that what the user does meanwhile waits
    // for the engine in the session. Files already on an input (set before the handlers) are read.
    this.#wire();
    for (const id of ['folder-input', 'zip-input', 'secret-input', 'mapping-input', 'key-input']) {
      const input = this.#q(id);
      if (input.files && input.files.length > 0) input.dispatchEvent(new Event('change'));
    }
    this.#session.load();
  }

  disconnectedCallback() {
    this.#session.dispose();
    if (this.#stopLanguage) this.#stopLanguage();
    this.#stopLanguage = null;
  }

  /** Every text again, in the language just chosen. */
  #relabel() {
    translate(this.#root);
    this.#view.relabel();
    this.#sendView.relabel();
    this.#showSelection({ status: 'ready' });
    this.#session.review.relabel();
    this.#session.recipe.relabel();
    this.#audit.relabel();
    this.#verify.relabel();
  }

  // ------------------------------------------------------------ events and messages

  #emit(type, detail, bubbles = true) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles, composed: bubbles }));
  }

  /** Shows an error and raises the `error` event with it (as a DeidError). */
  #fail(e) {
    const err = toDeidError(e);
    const box = this.#q('error');
    box.textContent = err.message.replace(/^./, (c) => c.toUpperCase());
    box.hidden = false;
    this.#emit('error', err, false);
  }

  #clearError() {
    const box = this.#q('error');
    box.hidden = true;
    box.textContent = '';
  }

  /** The session's events, rendered. */
  #listen() {
    const s = this.#session;
    s.addEventListener('state', () => this.#showState());
    s.addEventListener('error', (e) => this.#fail(e.detail));
    s.addEventListener('selection', (e) => this.#showSelection(e.detail));
    s.addEventListener('progress', (e) => this.#emit('progress', e.detail));
    s.addEventListener('send-progress', (e) => this.#emit('send-progress', e.detail));
    s.addEventListener('send', (e) => {
      if (e.detail.outcome !== 'started') this.#emit('sent', e.detail.delivery);
    });
    this.#view.listen(s);
    this.#sendView.listen(s);
  }

  #showState() {
    const s = this.#session;
    if (s.state === 'unsupported') this.#view.say('run.unsupported');
    if (this.state === 'loading' && s.state === 'idle') {
      const picker = typeof window.showDirectoryPicker === 'function';
      this.#q('pick-folder').hidden = !picker;
      this.#id('folder-label').hidden = picker;
      this.#id('ask-label').hidden = !s.support.savePicker;
      this.#view.say('run.not-started');
    }
    this.dataset.state = s.state;
    this.#update();
  }

  // ------------------------------------------------------------ inputs

  #wire() {
    const s = this.#session;
    for (const id of ['preset', 'id-prefix']) this.#q(id).addEventListener('change', () => this.#audit.settingsChanged());
    this.#q('pick-folder').addEventListener('click', async () => {
      let dir;
      try {
        dir = await window.showDirectoryPicker({ mode: 'read' });
      } catch (e) {
        if (e && e.name !== 'AbortError') this.#fail(toDeidError(e, `${t('sel.folder-error', { message: '' })}`));
        return;
      }
      this.#add(dir);
    });
    this.#q('clear').addEventListener('click', () => s.clear());
    const zone = this.#q('drop-zone');
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('over');
      if (e.dataTransfer) e.dataTransfer.dropEffect = this.state === 'running' ? 'none' : 'copy';
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      // While loading too: the drop is read once the engine is ready.
      if ((this.state !== 'idle' && this.state !== 'loading') || !e.dataTransfer) return;
      this.#add(entriesFromDrop(e.dataTransfer));
    });

    this.#view.wire(s);
    this.#sendView.wire(s);
    this.#q('start').addEventListener('click', () => this.start());
    this.#q('cancel').addEventListener('click', () => this.cancel());
  }

  #add(source) {
    this.#clearError();
    this.#session.add(source);
  }

  /** @param {{ status: string, error?: unknown }} selection */
  #showSelection({ status, error }) {
    const counts = this.#q('counts');
    if (status === 'waiting') counts.textContent = t('sel.waiting');
    else if (status === 'reading') counts.textContent = t('sel.reading');
    if (status === 'error') this.#fail(error);
    if (status === 'ready' || status === 'error') {
      const sel = this.#session.selection;
      if (!sel.files) {
        counts.textContent = t('sel.none');
        counts.dataset.files = '0';
      } else {
        let text = t('sel.counts', { files: count(sel.items.length, 'n.files'), size: fmtBytes(sel.bytes) });
        if (sel.zips) text += t('sel.with-zips', { zips: count(sel.zips, 'n.zips') });
        if (sel.badZips.length) text += t('sel.bad-zips-short', { zips: count(sel.badZips.length, 'n.zips') });
        counts.textContent = `${text}.`;
        counts.dataset.files = String(sel.items.length);
      }
    }
    this.#q('clear').hidden = !this.#session.entries.length;
    this.#update();
  }

  #config() {
    const options = { ...this.options, preset: this.#q('preset').value };
    const prefix = this.#q('id-prefix').value.trim();
    if (prefix) options.id_prefix = prefix;
    return this.#session.recipe.apply(options);
  }

  /** A recipe that names its preset starts from it (as the CLI does); Start follows the panel. */
  #recipeChanged() {
    const base = this.#session.recipe.base;
    if (base && isPreset(base)) this.#q('preset').value = base;
    this.#clearError();
    this.#update();
    this.#audit.recipeChanged();
  }

  #update() {
    const running = this.state === 'running';
    // While loading the inputs stay usable (what is chosen is read once the engine is ready);
    // Start waits for the engine.
    const usable = this.state !== 'unsupported' && !running;
    this.#q('start').disabled = !this.#session.canStart;
    this.#q('cancel').disabled = !running;
    for (const id of ['folder-input', 'zip-input', 'pick-folder', 'clear', 'preset', 'id-prefix', 'mapping-input', 'key-input', 'secret-input', 'secret-generate']) {
      this.#q(id).disabled = !usable;
    }
  }

  // ------------------------------------------------------------ the run

  /** Starts a run on the chosen files (what the Start button does). Resolves when it ends. */
  async start() {
    if (!this.#session.canStart) return;
    // The save dialog needs the click's user activation: it comes first.
    let output = null;
    if (this.#session.support.savePicker && this.#id('ask').checked) {
      try {
        output = await pickOutputFile('deidentified.zip');
      } catch (e) {
        if (e && e.name !== 'AbortError') this.#fail(e);
        return;
      }
    }
    this.#clearError();
    this.#view.clearResults();
    await this.#session.start({ output });
  }

  /** Cancels the running run, if any (what the Cancel button does). */
  cancel() {
    this.#session.cancel();
  }

  /** A run ended (shown by the view): its event, unless only the language changed. */
  #ended(run, again) {
    if (again) return;
    if (run.outcome === 'done') this.#emit('done', run.result.summary);
    else if (run.outcome === 'cancelled') this.#emit('error', run.error, false);
    else this.#fail(run.error);
  }
}

if (!customElements.get('dicom-deid')) customElements.define('dicom-deid', DicomDeidElement);
