// The fixed text of the page (index.html) by message key: the page's elements are marked here,
// at start, with the data-i18n attributes that i18n.translate() reads, so that index.html keeps
// its English text as it is (what shows before the scripts run, or without them).
import { languageSelect, onLanguage, translate, language } from '../i18n/i18n.js';

/** [selector, kind, key]: kind '' (text), 'rich' (marks), 'lead' (first text, keeps <code>/<span>), or an attribute name. */
const PAGE_TEXT = [
  ['#h-send', 'lead', 'send.h'],
  ['#send-intro', '', 'send.intro'],
  ['#send-url-label', '', 'send.url'],
  ['#send-stream-label', '', 'send.stream'],
  ['#send-button', '', 'send.button'],
  ['#send-cancel', '', 'send.cancel'],
  ['#send-progress-text', '', 'send.not-started'],
  ['#h-send-failures', '', 'send.failures'],
  ['#send-col-file', '', 'res.col-file'],
  ['#send-col-status', '', 'send.col-status'],
  ['#send-col-reason', '', 'res.col-reason'],
  ['title', '', 'page.title'],
  ['a.skip', '', 'page.skip'],
  ['.masthead h1', '', 'page.title'],
  ['.masthead .lede', '', 'page.lede'],
  // A site configured with an archive (scripts/site-config.mjs) says what leaves the computer.
  ['#local-note', 'rich', document.querySelector('meta[name="dicom-deid-stow-url"]') ? 'page.local-send' : 'page.local'],
  ['#startup', '', 'page.startup'],
  ['#h-input', 'lead', 'page.h-input'],
  ['.drop-title', '', 'page.drop-title'],
  ['.drop-or', '', 'page.drop-or'],
  ['#pick-folder', '', 'page.pick-folder'],
  ['#folder-input-label', '', 'page.folder-label'],
  ['label[for=zip-input]', '', 'page.zip-label'],
  ['#selection-text', '', 'sel.none'],
  ['#clear-selection', '', 'page.clear-selection'],
  ['#h-settings', 'lead', 'page.h-settings'],
  ['fieldset > p.hint', '', 'page.secret-hint'],
  ['#secret-status', '', 'secret.none'],
  ['#secret-generate', '', 'page.secret-generate'],
  ['label[for=secret-input]', '', 'page.secret-load'],
  ['#secret-save', '', 'page.secret-save'],
  ['label[for=mapping-input]', 'lead', 'page.mapping-label'],
  ['label[for=mapping-input] .hint', '', 'page.mapping-hint'],
  ['label[for=key-input]', 'lead', 'page.key-label'],
  ['label[for=key-input] .hint', '', 'page.key-hint'],
  ['label[for=config-input]', 'lead', 'page.config-label'],
  ['label[for=config-input] .hint', '', 'page.config-hint'],
  ['label[for=preset]', '', 'page.preset-label'],
  ['#preset option[value=basic]', '', 'preset.basic'],
  ['#preset option[value=research]', '', 'preset.research'],
  ['#preset option[value=keep-list]', '', 'preset.keep-list'],
  ['#profile-options', 'aria-label', 'page.profile-options'],
  ['label[for=opt-verify]', 'lead', 'page.verify'],
  ['label[for=opt-id_prefix]', 'lead', 'page.id-prefix'],
  ['label[for=opt-id_digits]', 'lead', 'page.id-digits'],
  ['label[for=opt-id_scheme]', 'lead', 'page.id-scheme'],
  ['#opt-id_scheme option[value=sequential]', '', 'page.scheme-sequential'],
  ['#opt-id_scheme option[value=random]', '', 'page.scheme-random'],
  ['label[for=opt-patient_name]', 'lead', 'page.patient-name'],
  ['#opt-patient_name option[value=research_id]', '', 'page.name-id'],
  ['#opt-patient_name option[value=research_id_ct_date]', '', 'page.name-id-date'],
  ['label[for=opt-birth_date]', 'lead', 'page.birth-date'],
  ['#opt-birth_date option[value=remove]', '', 'page.birth-remove'],
  ['#opt-birth_date option[value=keep_year]', '', 'page.birth-year'],
  ['details > summary', '', 'page.shift-details'],
  ['label[for=opt-default_anchor_date]', 'lead', 'page.anchor'],
  ['label[for=opt-shift_min_days]', 'lead', 'page.shift-min'],
  ['label[for=opt-shift_max_days]', 'lead', 'page.shift-max'],
  ['#h-preview', 'lead', 'page.h-preview'],
  ['#counts', '', 'page.counts-none'],
  ['#preview-next', '', 'page.preview-next'],
  ['#thumb', 'aria-label', 'page.thumb'],
  ['#folder-input', 'aria-label', 'page.pick-folder'],
  ['.table-scroll:has(> #preview-table)', 'aria-label', 'page.scroll-preview'],
  ['#problems .table-scroll', 'aria-label', 'page.scroll-problems'],
  ['#thumb-figure figcaption', '', 'page.thumb-caption'],
  ['#preview-table caption', '', 'page.preview-caption'],
  ['#preview-table th:nth-child(1)', '', 'page.col-tag'],
  ['#preview-table th:nth-child(2)', '', 'page.col-attribute'],
  ['#preview-table th:nth-child(3)', '', 'page.col-before'],
  ['#preview-table th:nth-child(4)', '', 'page.col-after'],
  ['#h-pixels', 'lead', 'page.h-pixels'],
  ['#pixel-review > p.hint', 'rich', 'page.pixels-hint'],
  ['#h-run', 'lead', 'page.h-run'],
  ['#start', '', 'run.start'],
  ['#cancel', '', 'run.cancel'],
  ['#progress-text', '', 'run.not-started'],
  ['#h-results', 'lead', 'page.h-results'],
  ['#summary > p', '', 'res.nothing'],
  ['#download-key', '', 'res.key'],
  ['#download-log', '', 'res.log'],
  ['#downloads-note', '', 'res.note'],
  ['#problems h3', '', 'page.problems-title'],
  ['table.problems th:nth-child(1)', '', 'res.col-file'],
  ['table.problems th:nth-child(2)', '', 'res.col-outcome'],
  ['table.problems th:nth-child(3)', '', 'res.col-reason'],
];

/** Labels whose text follows their input (the input first, then the words). */
const TRAILING = [
  ['#dest-save-label', 'page.dest-save'],
  ['#dest-download', 'page.dest-download'],
  ['#preview-changes-only', 'page.changes-only'],
];

/** Marks the page's fixed text with its message keys (once, at start). */
function mark(doc) {
  for (const [selector, kind, key] of PAGE_TEXT) {
    const node = doc.querySelector(selector);
    if (!node) continue;
    if (kind === '') node.setAttribute('data-i18n', key);
    else if (kind === 'rich' || kind === 'lead') node.setAttribute(`data-i18n-${kind}`, key);
    else node.setAttribute('data-i18n-attr', `${kind}:${key}`);
  }
  for (const [selector, key] of TRAILING) {
    const node = doc.querySelector(selector);
    const label = node && (node.tagName === 'LABEL' ? node : node.closest('label'));
    if (!label) continue;
    // The words after the input, in a span of their own.
    const words = [...label.childNodes].filter((c) => c.nodeType === 3);
    const span = doc.createElement('span');
    span.setAttribute('data-i18n', key);
    for (const w of words) w.remove();
    label.append(' ', span);
  }
  // The legends of the fieldsets, in order.
  const legends = ['page.secret-legend', 'page.lists-legend', 'page.profile-legend', 'page.ids-legend', 'page.dest-legend'];
  doc.querySelectorAll('fieldset > legend').forEach((node, i) => {
    if (legends[i]) node.setAttribute('data-i18n', legends[i]);
  });
  const foot = doc.querySelector('footer p');
  const version = foot && foot.querySelector('#version');
  if (foot && version) {
    // "dicom-deid <version> · …": the words after the version.
    const tail = doc.createElement('span');
    tail.setAttribute('data-i18n', 'page.foot');
    while (version.nextSibling) version.nextSibling.remove();
    foot.append(' · ', tail);
  }
}

/**
 * Puts the page in the user's language and adds the language menu to the masthead; `rerender`
 * is called after each switch (the texts the scripts wrote).
 */
export function setUpPageLanguage(doc, rerender) {
  mark(doc);
  const box = doc.createElement('div');
  box.className = 'language';
  const select = languageSelect(doc, 'language');
  // (Set through the CSSOM, which the page's CSP allows: style.css is the page's own.)
  Object.assign(box.style, { display: 'flex', justifyContent: 'flex-end' });
  Object.assign(select.style, { width: 'auto' });
  box.append(select);
  const wrap = doc.querySelector('.masthead .wrap');
  if (wrap) wrap.prepend(box);
  const apply = () => {
    doc.documentElement.lang = language();
    translate(doc);
  };
  apply();
  onLanguage(() => {
    apply();
    rerender();
  });
}
