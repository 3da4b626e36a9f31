// The recipe of a run, in the page and the <dicom-deid> element alike: load a recipe file (this
// project's TOML/JSON, a CTP DicomAnonymizer script in XML or .properties form, a pydicom deid
// recipe: the engine recognises the format), show its import report (every row: imported as
// what, approximated, not supported and why, ignored), ask for the explicit acceptance of a
// report that lists unsupported rows, ask for the recipe's parameters, and warn when it uses
// CTP's unkeyed MD5 pseudonyms. What it adds to the options (`apply`) is checked by the engine:
// a report not accepted, a parameter missing or a bad UID root refuse the options there. It also
// offers a preset's recipe as a download (the engine's text, the CLI's `recipe show NAME`), to
// start a site's own recipe from it.
//
//   const panel = new RecipePanel(container, { onChange });   // the host's heading above it
//   panel.apply(config)     // the config with recipe, params, accept_import_report
//   panel.blocker()         // null, or the message key of what Start waits for
//   panel.relabel()         // everything again after a language switch
import { PRESETS, messageOf, presetRecipe, recipeInfo } from '../dicom-deid.js';
import { t } from '../i18n/i18n.js';
import { el, saveBlob } from './render.js';
import { readText } from './run-view.js';

let uid = 0;

/** A status of the engine's report as a message key. */
const STATUS_KEY = { imported: 'recipe.st-imported', approximated: 'recipe.st-approximated', unsupported: 'recipe.st-unsupported', ignored: 'recipe.st-ignored' };

export class RecipePanel {
  /** The recipe's text (as loaded), its file name and what the engine says of it, or null. */
  text = null;
  name = '';
  info = null;
  /** Parameter name → the value typed. */
  values = {};
  /** Why the file cannot be used (a message), or null. */
  error = null;

  /** @param {HTMLElement} container @param {{ onChange?: () => void }} [hooks] */
  constructor(container, { onChange } = {}) {
    this.container = container;
    this.onChange = onChange || (() => {});
    this.id = `rc${++uid}`;
    container.classList.add('recipe-panel');
    this.input = el('input', { type: 'file', id: `${this.id}-input`, 'data-testid': 'recipe-input', accept: '.toml,.json,.script,.properties,.xml,.txt,text/plain,application/json,application/xml' });
    this.label = el('label', { for: this.input.id });
    this.remove = el('button', { type: 'button', class: 'link', 'data-testid': 'recipe-remove', hidden: '' });
    this.status = el('p', { 'data-testid': 'recipe-status', 'aria-live': 'polite' });
    this.warning = el('p', { class: 'notice warn', 'data-testid': 'recipe-md5', hidden: '' });
    this.errorBox = el('p', { class: 'notice error', 'data-testid': 'recipe-error', role: 'alert', hidden: '' });
    this.report = el('details', { 'data-testid': 'recipe-report', hidden: '' });
    this.accept = el('input', { type: 'checkbox', id: `${this.id}-accept`, 'data-testid': 'recipe-accept' });
    this.acceptText = el('label', { for: this.accept.id });
    this.acceptRow = el('div', { class: 'field check', hidden: '' }, this.accept, this.acceptText);
    this.params = el('fieldset', { 'data-testid': 'recipe-params', hidden: '' });
    this.blockLine = el('p', { class: 'hint', 'data-testid': 'recipe-blocker', 'aria-live': 'polite', hidden: '' });
    this.hint = el('p', { class: 'hint' });
    // Start from a preset: its recipe (the engine's text) downloaded, to edit and load back.
    this.presetMenu = el('select', { id: `${this.id}-preset`, 'data-testid': 'recipe-preset' },
      ...PRESETS.map((p) => el('option', { value: p })));
    this.presetLabel = el('label', { for: this.presetMenu.id });
    this.presetButton = el('button', { type: 'button', 'data-testid': 'recipe-preset-download' });
    this.presetError = el('p', { class: 'notice error', 'data-testid': 'recipe-preset-error', role: 'alert', hidden: '' });
    container.append(this.hint, el('div', { class: 'field' }, this.label, this.input), this.remove, this.status, this.errorBox,
      this.warning, this.report, this.acceptRow, this.params, this.blockLine,
      el('div', { class: 'field' }, this.presetLabel, this.presetMenu, this.presetButton), this.presetError);
    this.presetButton.addEventListener('click', () => this.#downloadPreset());
    this.input.addEventListener('change', () => this.#load(this.input.files && this.input.files[0]));
    this.remove.addEventListener('click', () => {
      this.input.value = '';
      this.#load(null);
    });
    this.accept.addEventListener('change', () => this.#changed());
    this.relabel();
  }

  /** Loads a recipe file (null removes the recipe). */
  async #load(file) {
    this.text = null;
    this.info = null;
    this.error = null;
    this.values = {};
    this.accept.checked = false;
    this.name = file ? file.name : '';
    if (file) {
      try {
        const text = await readText(file);
        this.info = await recipeInfo(text);
        this.text = text;
      } catch (e) {
        this.error = e instanceof Error ? e.message : String(e);
      }
    }
    this.render();
    this.#changed();
  }

  #changed() {
    this.#showBlocker();
    this.onChange();
  }

  /** The chosen preset's recipe as a file (`<name>.toml`), from the engine. */
  async #downloadPreset() {
    const name = this.presetMenu.value;
    this.presetError.hidden = true;
    try {
      const text = await presetRecipe(/** @type {any} */ (name));
      saveBlob(new Blob([text], { type: 'application/toml' }), `${name}.toml`);
    } catch (e) {
      this.presetError.hidden = false;
      this.presetError.textContent = t('recipe.error', { name: `${name}.toml`, message: messageOf(e) });
    }
  }

  /** The options with the recipe's: its text, the parameters given, the acceptance of its report. */
  apply(config) {
    if (!this.text) return config;
    const out = { ...config, recipe: this.text };
    const params = Object.fromEntries(Object.entries(this.values).filter(([, v]) => v.trim() !== ''));
    if (Object.keys(params).length) out.params = params;
    if (this.info && this.info.needs_acceptance && this.accept.checked) out.accept_import_report = true;
    return out;
  }

  /** The preset the recipe runs on, when it names one. */
  get base() {
    return this.info ? this.info.base : null;
  }

  /** What Start waits for: a message key, or null. */
  blocker() {
    if (this.error) return 'recipe.blocked-error';
    if (!this.info) return null;
    if (this.info.needs_acceptance && !this.accept.checked) return 'recipe.blocked-accept';
    const missing = this.info.params.filter((p) => p.default == null && !(this.values[p.name] || '').trim());
    if (missing.length) return 'recipe.blocked-params';
    return null;
  }

  #showBlocker() {
    const key = this.blocker();
    this.blockLine.hidden = !key;
    this.blockLine.textContent = key ? t(key) : '';
  }

  /** Disables the controls (while a run works). */
  setDisabled(on) {
    for (const c of [this.input, this.remove, this.accept, this.presetMenu, this.presetButton, ...this.params.querySelectorAll('input')]) c.disabled = on;
  }

  /** Every text again (after a language switch, or a new recipe). */
  relabel() {
    this.hint.textContent = t('recipe.hint');
    this.label.textContent = t('recipe.file');
    this.remove.textContent = t('recipe.remove');
    this.acceptText.textContent = t('recipe.accept');
    this.presetLabel.textContent = t('recipe.start-from');
    this.presetButton.textContent = t('recipe.download-preset');
    for (const o of this.presetMenu.options) o.textContent = t(`preset.${o.value}`);
    this.render();
    this.#showBlocker();
  }

  /** Shows the loaded recipe: status line, warning, report, acceptance, parameters. */
  render() {
    const info = this.info;
    this.remove.hidden = !this.text && !this.error;
    this.errorBox.hidden = !this.error;
    this.errorBox.textContent = this.error ? t('recipe.error', { name: this.name, message: this.error }) : '';
    this.status.textContent = !info ? t('recipe.none') : this.#statusText(info);
    this.status.dataset.sha256 = info ? info.sha256 : '';
    this.warning.hidden = !(info && info.unkeyed_md5);
    this.warning.textContent = t('recipe.md5');
    this.acceptRow.hidden = !(info && info.needs_acceptance);
    this.#renderReport(info);
    this.#renderParams(info);
  }

  #statusText(info) {
    const name = info.name || this.name;
    const format = t(`recipe.format-${info.format}`);
    let text = t('recipe.loaded', { name, format });
    if (info.counts) text += ` ${t('recipe.counts', info.counts)}`;
    if (info.base) text += ` ${t('recipe.base', { preset: info.base })}`;
    return `${text} ${t('recipe.sha', { sha: info.sha256 })}`;
  }

  #renderReport(info) {
    const rows = info && info.report ? info.report.rows : [];
    this.report.hidden = !rows.length;
    if (!rows.length) {
      this.report.replaceChildren();
      return;
    }
    const open = this.report.open || (info && info.needs_acceptance);
    const body = el('tbody');
    // The rows that need reading first: not supported, then approximated, then the others.
    const order = ['unsupported', 'approximated', 'imported', 'ignored'];
    const sorted = [...rows].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
    for (const r of sorted) {
      body.append(el('tr', { class: `rs-${r.status}` },
        el('td', { text: t(STATUS_KEY[r.status] || r.status) }),
        el('td', {}, el('code', { text: r.source })),
        el('td', {}, el('code', { text: r.construct })),
        el('td', { text: r.detail })));
    }
    const head = el('tr', {}, ...['recipe.col-status', 'recipe.col-source', 'recipe.col-construct', 'recipe.col-detail'].map((k) => el('th', { scope: 'col', text: t(k) })));
    const table = el('table', { class: 'recipe-report' }, el('caption', { class: 'visually-hidden vh', text: t('recipe.report') }), el('thead', {}, head), body);
    this.report.replaceChildren(
      el('summary', { text: t('recipe.report-summary', { rows: String(rows.length) }) }),
      el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('recipe.report-region') }, table));
    this.report.open = !!open;
  }

  #renderParams(info) {
    const params = info ? info.params : [];
    this.params.hidden = !params.length;
    const inputs = params.map((p) => {
      const id = `${this.id}-param-${p.name}`;
      const input = el('input', { type: 'text', id, 'data-param': p.name, 'data-testid': `recipe-param-${p.name}`, autocomplete: 'off', spellcheck: 'false' });
      input.value = this.values[p.name] || '';
      if (p.default != null) input.placeholder = p.default;
      else input.setAttribute('aria-required', 'true');
      input.addEventListener('change', () => {
        this.values[p.name] = input.value;
        this.#changed();
      });
      input.addEventListener('input', () => {
        this.values[p.name] = input.value;
        this.#changed();
      });
      const need = p.default == null ? t('recipe.param-required') : t('recipe.param-default', { value: p.default });
      return el('div', { class: 'field' },
        el('label', { for: id }, el('code', { text: p.name }), ` ${p.description} (${need})`), input);
    });
    this.params.replaceChildren(el('legend', { text: t('recipe.params') }), ...inputs);
  }
}
