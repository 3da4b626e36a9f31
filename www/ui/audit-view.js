// The audit of the selection (the CLI's `--audit`, a dry run: nothing is written), shared by the
// page (app.js) and the <dicom-deid> element: one implementation rendered into a container the
// host gives. The engine computes everything (auditSource: the workers read every file, the
// engine plans the batch as the run would); this view only shows the summary and offers its
// three files: the summary as JSON and HTML (no PHI: the CLI's bytes) and the detail CSV (PHI,
// labelled and kept apart, like the key).
//
//   const audit = new AuditView(container, session, { heading: 'h2' });
//   audit.relabel();                       // after a language switch
//   audit.recipeChanged();                 // the recipe panel changed (the audit uses its rules)
//   audit.settingsChanged();               // a preset, setting, configuration file or secret changed
//
// Test hooks (data-testid): audit-start, audit-status, audit-result (data-state idle, running,
// done, error; data-files, data-patients, data-studies, data-series, data-k, data-unique,
// data-written …: the summary's counts), audit-download-json, audit-download-html,
// audit-download-detail.
import { messageOf } from '../dicom-deid.js';
import { fmtNumber, t } from '../i18n/i18n.js';
import { count, el, fmtBytes, outcomeText } from './render.js';

/** A table in a focusable scrolling region named `label`: `head` (message keys) and rows of text. */
function table(label, head, rows) {
  return el('div', { class: 'table-scroll audit-table', tabindex: '0', role: 'region', 'aria-label': t('audit.scrolls', { what: label }) },
    el('table', {},
      el('caption', { class: 'vh visually-hidden', text: label }),
      el('thead', {}, el('tr', {}, ...head.map((k) => el('th', { scope: 'col', text: t(k) })))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', { text: String(c) })))))));
}

/** An attribute's action in words (the engine's action names as keys). */
const actionText = (a) => t(`audit.action.${a.replace(/ /g, '-')}`);

export class AuditView {
  #root;
  #session;
  #heading;
  #audit = null;
  #error = null;
  #progress = null;
  #urls = [];

  /**
   * `container`: the host's <section>, empty; `session`: the DeidSession; `heading`: the tag of
   * this view's heading ('h2' in the page, 'h3' in the element), its sub-headings one level down.
   */
  constructor(container, session, { heading = 'h2' } = {}) {
    this.#root = container;
    this.#session = session;
    this.#heading = heading;
    const id = `${container.id || 'audit'}-h`;
    container.setAttribute('aria-labelledby', id);
    container.replaceChildren(
      el(heading, { id, 'data-part': 'title' }),
      el('p', { class: 'hint', 'data-part': 'hint' }),
      el('div', { class: 'row' }, el('button', { type: 'button', 'data-testid': 'audit-start', disabled: '' })),
      el('p', { class: 'hint', 'data-testid': 'audit-status', role: 'status', 'aria-live': 'polite' }),
      el('div', { 'data-testid': 'audit-result', 'data-state': 'idle' }));
    this.#part('audit-start').addEventListener('click', () => this.run());
    session.addEventListener('state', () => this.#enable());
    session.addEventListener('selection', () => this.#changed());
    this.relabel();
  }

  /**
   * The recipe changed (loaded, removed, accepted, a parameter given): the button follows what
   * Start waits for, and an audit shown was made with other rules.
   */
  recipeChanged() {
    this.#changed();
  }

  /** A setting changed (preset, a field, a configuration file, the secret): an audit shown was made with others. */
  settingsChanged() {
    this.#changed();
  }

  #enable() {
    if (this.#part('audit-result').dataset.state === 'running') return;
    this.#part('audit-start').disabled = !this.#session.canStart;
  }

  /** A new selection, recipe or setting: the audit shown was of another one. */
  #changed() {
    this.#enable();
    if (this.#audit || this.#error) this.#show(null, null);
  }

  #part(testid) {
    return this.#root.querySelector(`[data-testid="${testid}"]`);
  }

  /** Runs the audit of the session's selection and shows it. */
  async run() {
    const button = this.#part('audit-start');
    if (button.disabled) return;
    button.disabled = true;
    this.#progress = null;
    this.#show(null, null, 'running');
    try {
      const audit = await this.#session.audit({ onProgress: (p) => this.#onProgress(p) });
      this.#show(audit, null);
    } catch (e) {
      this.#show(null, e);
    } finally {
      button.disabled = !this.#session.canStart;
    }
  }

  #onProgress(p) {
    this.#progress = p;
    this.#part('audit-status').textContent = t('audit.reading', { done: fmtNumber(p.done), files: count(p.total, 'n.files'), size: fmtBytes(p.bytes) });
  }

  #revoke() {
    for (const u of this.#urls) URL.revokeObjectURL(u);
    this.#urls = [];
  }

  #link(testid, text, name, type, label) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    this.#urls.push(url);
    return el('a', { class: 'button-like btn', href: url, download: name, 'data-testid': testid, text: label });
  }

  #show(audit, error, state = audit ? 'done' : error ? 'error' : 'idle') {
    this.#audit = audit;
    this.#error = error;
    this.#revoke();
    const box = this.#part('audit-result');
    for (const k of Object.keys(box.dataset)) if (k !== 'testid') delete box.dataset[k];
    box.dataset.state = state;
    const status = this.#part('audit-status');
    if (state === 'running') {
      status.textContent = t('audit.starting');
      box.replaceChildren();
      return;
    }
    if (state === 'error') {
      status.textContent = '';
      box.replaceChildren(el('p', { class: 'error', role: 'alert', text: t('audit.failed', { message: messageOf(error) }) }));
      return;
    }
    if (state === 'idle') {
      status.textContent = '';
      box.replaceChildren();
      return;
    }
    const s = audit.summary;
    for (const k of ['files', 'patients', 'studies', 'series', 'research_ids', 'pixel_review_pending']) box.dataset[k.replace(/_(.)/g, (_, c) => c.toUpperCase())] = String(s[k]);
    for (const [k, v] of Object.entries(s.outcomes)) box.dataset[`outcome${k.replace(/(^|_)(.)/g, (_, __, c) => c.toUpperCase())}`] = String(v);
    box.dataset.k = String(s.risk.k);
    box.dataset.unique = String(s.risk.unique_patients);
    box.dataset.nested = String(s.nested_attributes.length);
    status.textContent = t('audit.done', { files: count(s.files, 'n.files') });
    box.replaceChildren(...this.#summaryNodes(s), ...this.#downloads(audit));
  }

  /** The summary in words and tables. */
  #summaryNodes(s) {
    const sub = `h${Number(this.#heading.slice(1)) + 1}`;
    const counts = (obj) => Object.entries(obj).map(([k, v]) => [k || '—', fmtNumber(v)]);
    const attrRows = (rows) => rows.map((a) => [a.tag, a.keyword, fmtNumber(a.files), actionText(a.action), a.rule]);
    const outcomes = el('dl', { class: 'counts' },
      ...Object.entries(s.outcomes).map(([o, n]) => el('div', { 'data-count': o }, el('dt', { text: outcomeText(o) }), el('dd', { text: fmtNumber(n) }))));
    const reasons = Object.entries(s.reasons).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${fmtNumber(v)}`).join(', ');
    const r = s.risk;
    const nodes = [
      el('p', { text: t('audit.overview', { files: count(s.files, 'n.files'), patients: fmtNumber(s.patients), studies: fmtNumber(s.studies), series: fmtNumber(s.series), ids: fmtNumber(s.research_ids) }) }),
      el(sub, { text: t('audit.h-outcomes') }), outcomes,
      ...(reasons ? [el('p', { class: 'hint', text: t('res.reasons', { reasons }) })] : []),
      ...(s.pixel_review_pending ? [el('p', { text: t('audit.pending', { images: count(s.pixel_review_pending, 'n.images') }) })] : []),
      ...(s.date_shift_days ? [el('p', { text: t('audit.shift', { from: fmtNumber(s.date_shift_days[0]), to: fmtNumber(s.date_shift_days[1]) }) })] : []),
      el(sub, { text: t('audit.h-risk') }),
      el('p', { 'data-testid': 'audit-risk', text: t('audit.risk', { qis: r.quasi_identifiers.join(', ') || t('audit.none'), patients: fmtNumber(r.patients), classes: fmtNumber(r.classes), k: fmtNumber(r.k), unique: fmtNumber(r.unique_patients) }) }),
      ...(Object.keys(r.unique_by).length ? [table(t('audit.h-unique-by'), ['audit.col-attribute', 'audit.col-patients'], counts(r.unique_by))] : []),
      el(sub, { text: t('audit.h-kinds') }),
      table(t('audit.modalities'), ['audit.col-modality', 'audit.col-files'], counts(s.modalities)),
      table(t('audit.sop-classes'), ['audit.col-sop-class', 'audit.col-files'], counts(s.sop_classes)),
      table(t('audit.transfer-syntaxes'), ['audit.col-transfer-syntax', 'audit.col-files'], counts(s.transfer_syntaxes)),
      el(sub, { text: t('audit.h-attributes') }),
      table(t('audit.h-attributes'), ['audit.col-tag', 'audit.col-keyword', 'audit.col-files', 'audit.col-action', 'audit.col-rule'], attrRows(s.attributes)),
      el(sub, { text: t('audit.h-nested') }),
      table(t('audit.h-nested'), ['audit.col-tag', 'audit.col-keyword', 'audit.col-files', 'audit.col-action', 'audit.col-rule'], attrRows(s.nested_attributes)),
      el(sub, { text: t('audit.h-creators') }),
      table(t('audit.h-creators'), ['audit.col-group', 'audit.col-creator', 'audit.col-files', 'audit.col-elements', 'audit.col-action'],
        s.private_creators.map((c) => [c.group, c.creator, fmtNumber(c.files), fmtNumber(c.elements), c.action])),
    ];
    return nodes;
  }

  /** The summary's downloads (no PHI), then the detail's (PHI), apart and labelled. */
  #downloads(audit) {
    return [
      el('div', { class: 'downloads row' },
        this.#link('audit-download-json', audit.summaryJson, 'audit-summary.json', 'application/json', t('audit.download-json')),
        this.#link('audit-download-html', audit.summaryHtml, 'audit-summary.html', 'text/html', t('audit.download-html'))),
      el('p', { class: 'hint', text: t('audit.summary-note') }),
      el('div', { class: 'audit-phi' },
        el('p', { class: 'warn', text: t('audit.detail-note') }),
        this.#link('audit-download-detail', audit.detailCsv, 'audit-detail.csv', 'text/csv', t('audit.download-detail'))),
    ];
  }

  /** Every text again, in the language just chosen. */
  relabel() {
    const title = this.#root.querySelector('[data-part=title]');
    title.textContent = t('audit.h');
    this.#root.querySelector('[data-part=hint]').textContent = t('audit.hint');
    this.#part('audit-start').textContent = t('audit.start');
    const state = this.#part('audit-result').dataset.state;
    if (state === 'running') {
      if (this.#progress) this.#onProgress(this.#progress);
    } else {
      this.#show(this.#audit, this.#error);
    }
  }
}
