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
// Attributes: preset (basic | research | keep-list), id-prefix. Properties: options (more
// configuration keys, as for the CLI's --config), secret (set a project secret), result, state.
// data-testid hooks inside the shadow root, as on the page: folder-input, zip-input, pick-folder,
// drop-zone, counts, preset, id-prefix, mapping-input, key-input, secret-input, secret-generate,
// secret-save, secret-status, start, cancel, progress, error, summary, download-zip,
// download-key, download-log, problems; the burned-in text review (pixel-review.js, shared with
// the page): pixel-review, pixel-group, pixel-preview, pixel-clean, pixel-keep, pixel-exclude,
// pixel-rules-download, pixel-rules-input.
import {
  PRESETS, checkLists, deidentify, entriesFromDrop, generateSecret, listSource, loadEngine, messageOf, outputSupport,
  pickOutputFile, readSecretFile, secretFingerprint, DeidError,
} from './dicom-deid.js';
import { PixelReview } from './pixel-review.js';
import { countsList, el, fmtBytes, plural, problemRows, progressView, reasonsText, saveBlob, setSummaryData } from './ui.js';

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
progress { width: 100%; height: 14px; accent-color: var(--_accent); }
.error { color: var(--_error); font-weight: 600; }
.warn { color: var(--_error); }
dl.counts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 8px 0; }
dl.counts dt { font-size: 0.85em; color: var(--_muted); }
dl.counts dd { margin: 0; font-size: 1.4em; font-weight: 650; }
.downloads { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 0.88em; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--_border); vertical-align: top; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.92em; }
[hidden] { display: none !important; }
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

const PRESET_LABELS = {
  basic: 'basic: PS3.15 Basic Profile',
  research: 'research: shifted dates, patient characteristics',
  'keep-list': 'keep-list: only what image analysis needs',
};

/** The shadow tree; every control carries the data-testid named after it. */
function template() {
  const t = (tag, testid, attrs = {}, ...children) => el(tag, { ...attrs, 'data-testid': testid }, ...children);
  return el('div', { class: 'root', part: 'root' },
    el('section', { part: 'section' },
      el('h3', { text: 'Images' }),
      t('div', 'drop-zone', { class: 'drop' },
        el('p', { text: 'Drop a folder or zip files here, or' }),
        el('div', { class: 'row' },
          t('button', 'pick-folder', { type: 'button', class: 'primary', hidden: '' }, 'Choose a folder…'),
          t('input', 'folder-input', { type: 'file', id: 'folder-input', webkitdirectory: '', multiple: '', class: 'vh', 'aria-label': 'Choose a folder' }),
          el('label', { class: 'btn primary', for: 'folder-input', id: 'folder-label' }, 'Choose a folder…'),
          t('input', 'zip-input', { type: 'file', id: 'zip-input', multiple: '', accept: '.zip,application/zip', class: 'vh' }),
          el('label', { class: 'btn', for: 'zip-input' }, 'Add zip files…'))),
      el('div', { class: 'row' },
        t('p', 'counts', { 'aria-live': 'polite' }, 'No files chosen yet.'),
        t('button', 'clear', { type: 'button', class: 'link', hidden: '' }, 'Clear'))),
    el('section', { part: 'section' },
      el('h3', { text: 'Settings' }),
      el('div', { class: 'grid' },
        el('label', { class: 'field' }, 'Preset', t('select', 'preset', {}, ...PRESETS.map((p) => el('option', { value: p, text: PRESET_LABELS[p] || p })))),
        el('label', { class: 'field' }, 'Research ID prefix', t('input', 'id-prefix', { type: 'text', maxlength: '10', autocomplete: 'off', spellcheck: 'false' })),
        el('label', { class: 'field' }, 'Mapping CSV (optional)', t('input', 'mapping-input', { type: 'file', accept: '.csv,text/csv' })),
        el('label', { class: 'field' }, 'Key CSV of an earlier batch (optional)', t('input', 'key-input', { type: 'file', accept: '.csv,text/csv' }))),
      el('p', { class: 'hint', text: 'The project secret makes research IDs, date shifts and new UIDs repeatable across batches. Keep it with the key, never with the shared data.' }),
      t('p', 'secret-status', { 'aria-live': 'polite' }, 'No secret loaded: one will be generated when you start.'),
      el('div', { class: 'row' },
        t('button', 'secret-generate', { type: 'button' }, 'Generate a secret'),
        t('input', 'secret-input', { type: 'file', id: 'secret-input', class: 'vh' }),
        el('label', { class: 'btn', for: 'secret-input' }, 'Load secret file…'),
        t('button', 'secret-save', { type: 'button', disabled: '' }, 'Save secret file…'))),
    el('section', { part: 'section', id: 'pixel-review', 'aria-labelledby': 'h-pixels' },
      el('h3', { id: 'h-pixels', text: 'Burned-in text' }),
      el('p', { class: 'hint', text: 'Images that may show names in the pixels (ultrasound, screen and secondary captures…) are held unless you decide here: draw rectangles over the text and clean them, keep them as they are, or leave them out. The decisions download as a rules file for the next batch or the command line.' })),
    el('section', { part: 'section' },
      el('h3', { text: 'De-identify' }),
      el('label', { class: 'row hint', id: 'ask-label', hidden: '' }, el('input', { type: 'checkbox', id: 'ask', checked: '' }), 'Ask where to save the zip (written straight to disk)'),
      el('div', { class: 'row' },
        t('button', 'start', { type: 'button', class: 'primary', disabled: '' }, 'Start'),
        t('button', 'cancel', { type: 'button', disabled: '' }, 'Cancel')),
      t('progress', 'progress', { max: '1', value: '0', part: 'progress' }),
      el('p', { class: 'progress-text', id: 'progress-text', 'aria-live': 'polite', text: 'Not started.' }),
      t('p', 'error', { class: 'error', role: 'alert', hidden: '' })),
    el('section', { part: 'section' },
      el('h3', { text: 'Results' }),
      t('div', 'summary', { 'data-state': 'idle', 'aria-live': 'polite' }, el('p', { text: 'Nothing has been processed yet.' })),
      el('div', { class: 'downloads' },
        t('a', 'download-zip', { class: 'btn primary', hidden: '' }),
        t('a', 'download-key', { class: 'btn', hidden: '' }),
        t('a', 'download-log', { class: 'btn', hidden: '' })),
      el('p', { class: 'hint', id: 'downloads-note', hidden: '', text: 'The key and the log contain patient data (MRNs, original paths): store them apart from the zip.' }),
      t('table', 'problems', { hidden: '' },
        el('thead', {}, el('tr', {}, el('th', { text: 'File' }), el('th', { text: 'Outcome' }), el('th', { text: 'Reason' }))),
        el('tbody'))));
}

export class DicomDeidElement extends HTMLElement {
  static get observedAttributes() {
    return ['preset', 'id-prefix'];
  }

  #root;
  #entries = [];
  #selection = null;
  #listing = null;
  #adding = new Set(); // selections being read (start() waits for them)
  #secret = null;
  #mapping = null;
  #key = null;
  #controller = null;
  #urls = [];
  #progress = null;
  #timer = null;
  #support = { savePicker: false, opfs: false };
  #started = false;
  #review;

  /** Extra configuration keys (as for the CLI's --config), under preset and id-prefix. */
  options = {};

  /** The result of the last run (deidentify()'s), or null. */
  result = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    styles(this.#root);
    this.#root.append(template());
    // The burned-in text review: the same module as the page's, rendered into this shadow tree.
    this.#review = new PixelReview(this.#root.getElementById('pixel-review'));
  }

  /** 'loading', 'idle', 'running', 'unsupported' (also on the host as data-state). */
  get state() {
    return this.dataset.state || 'loading';
  }

  /** Sets the project secret (text, as in a secret file). */
  set secret(text) {
    this.#setSecret(String(text), 'Secret set by the page').catch((e) => this.#fail(e));
  }

  #q(testid) {
    return this.#root.querySelector(`[data-testid="${testid}"]`);
  }

  #id(id) {
    return this.#root.getElementById(id);
  }

  attributeChangedCallback(name, _old, value) {
    if (name === 'preset' && value && PRESETS.includes(value)) this.#q('preset').value = value;
    if (name === 'id-prefix') this.#q('id-prefix').value = value ?? '';
  }

  connectedCallback() {
    if (this.#started) return;
    this.#started = true;
    this.dataset.state = 'loading';
    this.#q('preset').value = PRESETS.includes(this.getAttribute('preset')) ? this.getAttribute('preset') : 'basic';
    this.#q('id-prefix').value = this.getAttribute('id-prefix') ?? '';
    this.#id('progress-text').textContent = 'Starting the de-identifier… files and settings chosen now are used as soon as it is ready.';
    this.#update();
    // Wired at once, before the engine has loaded (issue 18): what the user does meanwhile waits
    // for the engine inside the API. Files already on an input (set before the handlers) are read.
    this.#wire();
    for (const id of ['folder-input', 'zip-input', 'secret-input', 'mapping-input', 'key-input']) {
      const input = this.#q(id);
      if (input.files && input.files.length > 0) input.dispatchEvent(new Event('change'));
    }
    this.#load();
  }

  disconnectedCallback() {
    if (this.#controller) this.#controller.abort();
  }

  async #load() {
    try {
      await loadEngine();
      this.#support = await outputSupport();
    } catch (e) {
      this.dataset.state = 'unsupported';
      this.#id('progress-text').textContent = 'Cannot start in this browser.';
      this.#update();
      this.#fail(e);
      return;
    }
    const picker = typeof window.showDirectoryPicker === 'function';
    this.#q('pick-folder').hidden = !picker;
    this.#id('folder-label').hidden = picker;
    this.#id('ask-label').hidden = !this.#support.savePicker;
    this.dataset.state = 'idle';
    this.#id('progress-text').textContent = 'Not started.';
    this.#update();
  }

  // ------------------------------------------------------------ events and messages

  #emit(type, detail, bubbles = true) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles, composed: bubbles }));
  }

  /** Shows an error and raises the `error` event with it (as a DeidError). */
  #fail(e) {
    const err = e instanceof DeidError ? e : new DeidError('io', messageOf(e), { cause: e });
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

  // ------------------------------------------------------------ inputs

  #wire() {
    for (const id of ['folder-input', 'zip-input']) {
      this.#q(id).addEventListener('change', (e) => {
        const files = Array.from(e.target.files);
        e.target.value = '';
        if (files.length) this.#add(files);
      });
    }
    this.#q('pick-folder').addEventListener('click', async () => {
      let dir;
      try {
        dir = await window.showDirectoryPicker({ mode: 'read' });
      } catch (e) {
        if (e && e.name !== 'AbortError') this.#fail(new DeidError('io', `the folder cannot be opened: ${messageOf(e)}`));
        return;
      }
      this.#add(dir);
    });
    this.#q('clear').addEventListener('click', () => {
      this.#entries = [];
      this.#selection = null;
      this.#showSelection();
      this.#review.clear();
    });
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

    this.#q('secret-generate').addEventListener('click', () => this.#setSecret(generateSecret(), 'New secret generated: save it now, you need it for later batches'));
    this.#q('secret-input').addEventListener('change', async (e) => {
      const file = e.target.files[0];
      e.target.value = '';
      if (!file) return;
      try {
        await this.#setSecret(await readSecretFile(file), `Secret loaded from ${file.name}`);
      } catch (err) {
        this.#fail(err);
      }
    });
    this.#q('secret-save').addEventListener('click', () => {
      if (this.#secret) saveBlob(new Blob([`${this.#secret}\n`], { type: 'text/plain' }), 'dicom-deid.secret');
    });
    for (const [id, field] of [['mapping-input', 'mapping'], ['key-input', 'existingKey']]) {
      const input = this.#q(id);
      // (e.target is cleared once the event has been dispatched: shadow trees hide it.)
      input.addEventListener('change', async () => {
        const file = input.files[0] || null;
        if (field === 'mapping') this.#mapping = null;
        else this.#key = null;
        if (!file) return;
        this.#clearError();
        try {
          await checkLists({ options: this.#config(), [field]: file });
        } catch (err) {
          input.value = '';
          this.#fail(err);
          return;
        }
        if (field === 'mapping') this.#mapping = file;
        else this.#key = file;
      });
    }
    this.#q('start').addEventListener('click', () => this.start());
    this.#q('cancel').addEventListener('click', () => this.cancel());
  }

  async #add(source) {
    this.#clearError();
    this.#q('counts').textContent = this.state === 'loading' ? 'Starting the de-identifier… the chosen files are read as soon as it is ready.' : 'Reading the selection…';
    // Whole selections are listed after each addition; the latest listing (which has every
    // entry added so far) wins, whatever the order in which the additions are read.
    const run = (async () => {
      const added = await listSource(await source);
      this.#entries.push(...added.entries);
      const listing = listSource([...this.#entries]);
      this.#listing = listing;
      const selection = await listing;
      if (this.#listing === listing) {
        this.#selection = selection;
        this.#review.review(selection, { options: this.#config() }).catch(() => {});
      }
    })();
    this.#adding.add(run);
    try {
      await run;
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#adding.delete(run);
      if (!this.#adding.size) this.#listing = null;
      this.#showSelection();
    }
  }

  #showSelection() {
    const s = this.#selection;
    const counts = this.#q('counts');
    if (!s || !s.files) {
      counts.textContent = 'No files chosen yet.';
      counts.dataset.files = '0';
    } else {
      let text = `${plural(s.items.length, 'file')}, ${fmtBytes(s.bytes)} in total`;
      if (s.zips) text += ` (with the members of ${plural(s.zips, 'zip')})`;
      if (s.badZips.length) text += `; ${plural(s.badZips.length, 'zip')} cannot be opened and will be listed in the log`;
      counts.textContent = `${text}.`;
      counts.dataset.files = String(s.items.length);
    }
    this.#q('clear').hidden = !this.#entries.length;
    this.#update();
  }

  async #setSecret(text, how) {
    const fp = await secretFingerprint(text);
    this.#secret = text;
    const status = this.#q('secret-status');
    status.textContent = `${how}. Fingerprint ${fp || '(not available)'}.`;
    status.dataset.fingerprint = fp;
    status.classList.toggle('warn', how.startsWith('New'));
    this.#q('secret-save').disabled = false;
  }

  #config() {
    const options = { ...this.options, preset: this.#q('preset').value };
    const prefix = this.#q('id-prefix').value.trim();
    if (prefix) options.id_prefix = prefix;
    return options;
  }

  #update() {
    const running = this.state === 'running';
    // While loading the inputs stay usable (what is chosen is read once the engine is ready);
    // Start waits for the engine.
    const usable = this.state !== 'unsupported' && !running;
    this.#q('start').disabled = this.state !== 'idle' || !this.#selection || !this.#selection.files;
    this.#q('cancel').disabled = !running;
    for (const id of ['folder-input', 'zip-input', 'pick-folder', 'clear', 'preset', 'id-prefix', 'mapping-input', 'key-input', 'secret-input', 'secret-generate']) {
      this.#q(id).disabled = !usable;
    }
    this.#review.setDisabled(!usable);
  }

  // ------------------------------------------------------------ the run

  #link(a, blob, name, label) {
    const url = URL.createObjectURL(blob);
    this.#urls.push(url);
    a.href = url;
    a.download = name;
    a.textContent = label;
    a.hidden = false;
    return a;
  }

  #clearResults() {
    for (const u of this.#urls) URL.revokeObjectURL(u);
    this.#urls = [];
    for (const id of ['download-zip', 'download-key', 'download-log']) {
      const a = this.#q(id);
      a.hidden = true;
      a.removeAttribute('href');
    }
    this.#id('downloads-note').hidden = true;
    this.#q('problems').hidden = true;
    if (this.result) this.result.discard();
    this.result = null;
  }

  #drawProgress() {
    this.#timer = null;
    const p = this.#progress;
    if (!p) return;
    const bar = this.#q('progress');
    bar.dataset.phase = p.phase;
    bar.dataset.done = String(p.done);
    bar.dataset.total = String(p.total);
    const view = progressView(p);
    bar.value = view.value;
    this.#id('progress-text').textContent = view.text;
  }

  /** Starts a run on the chosen files (what the Start button does). Resolves when it ends. */
  async start() {
    if (this.state !== 'idle' || !this.#selection || !this.#selection.files) return;
    // The save dialog needs the click's user activation: it comes first.
    let output = null;
    if (this.#support.savePicker && this.#id('ask').checked) {
      try {
        output = await pickOutputFile('deidentified.zip');
      } catch (e) {
        if (e && e.name !== 'AbortError') this.#fail(e);
        return;
      }
    }
    this.#clearError();
    this.#clearResults();
    if (this.#adding.size) await Promise.allSettled([...this.#adding]);
    if (!this.#secret) await this.#setSecret(generateSecret(), 'New secret generated for this run: save it now, you need it for later batches');
    const controller = new AbortController();
    this.#controller = controller;
    this.dataset.state = 'running';
    this.#update();
    const summary = this.#q('summary');
    summary.dataset.state = 'running';
    summary.replaceChildren(el('p', { text: 'Working… you can cancel at any time.' }));
    this.#progress = null;
    this.#q('progress').value = 0;
    this.#id('progress-text').textContent = 'Starting the workers…';
    try {
      const result = await deidentify({
        source: this.#selection,
        // The review's decisions as pixel rules, in front of the options' own.
        options: this.#review.withRules(this.#config()),
        secret: this.#secret,
        mapping: this.#mapping,
        existingKey: this.#key,
        output,
        signal: controller.signal,
        onProgress: (p) => {
          this.#progress = p;
          if (!this.#timer) this.#timer = setTimeout(() => this.#drawProgress(), 100);
          this.#emit('progress', p);
        },
      });
      clearTimeout(this.#timer);
      this.#drawProgress();
      this.#showResult(result, output);
      this.result = result;
      this.#emit('done', result.summary);
    } catch (e) {
      clearTimeout(this.#timer);
      this.#timer = null;
      const cancelled = e.code === 'aborted';
      summary.dataset.state = cancelled ? 'cancelled' : 'error';
      summary.replaceChildren(el('p', { text: cancelled ? 'Cancelled: nothing was kept.' : 'The run stopped with an error; nothing usable was written.' }));
      this.#q('progress').value = 0;
      this.#id('progress-text').textContent = cancelled ? 'Cancelled.' : 'Stopped.';
      if (cancelled) this.#emit('error', e, false);
      else this.#fail(e);
    } finally {
      this.#controller = null;
      this.dataset.state = 'idle';
      this.#update();
    }
  }

  /** Cancels the running run, if any (what the Cancel button does). */
  cancel() {
    if (!this.#controller) return;
    this.#id('progress-text').textContent = 'Cancelling…';
    this.#controller.abort();
  }

  #showResult(r, output) {
    const s = r.summary;
    const summary = this.#q('summary');
    setSummaryData(summary, s, r.cleaned.length);
    const reasons = reasonsText(s);
    summary.replaceChildren(
      el('p', { text: `Finished: ${plural(s.seen, 'file')} seen.` }),
      countsList(s, r.cleaned.length),
      ...(reasons ? [el('p', { class: 'hint', text: `Reasons: ${reasons}.` })] : []),
      ...(output ? [el('p', { text: `The zip was saved as ${output.name}.` })] : []),
    );
    const stem = output ? output.name.replace(/\.zip$/i, '') : 'deidentified';
    this.#link(this.#q('download-zip'), r.zip, `${stem}.zip`, output ? 'Download another copy of the zip' : `Download the zip (${fmtBytes(r.zip.size)})`);
    this.#link(this.#q('download-key'), new Blob([r.keyCsv], { type: 'text/csv' }), `${stem}-key.csv`, 'Download the key (CSV)');
    this.#link(this.#q('download-log'), new Blob([r.logCsv], { type: 'text/csv' }), `${stem}-log.csv`, 'Download the log (CSV)');
    this.#id('downloads-note').hidden = false;
    const problems = this.#q('problems');
    problems.tBodies[0].replaceChildren(...problemRows(r.problems));
    problems.hidden = r.problems.length === 0;
    this.#review.showResult(r);
    this.#q('progress').value = 1;
    this.#id('progress-text').textContent = `Done: ${plural(s.seen, 'file')} in ${r.stats.seconds.toFixed(1)} s.`;
    summary.dataset.state = 'done';
  }
}

if (!customElements.get('dicom-deid')) customElements.define('dicom-deid', DicomDeidElement);
