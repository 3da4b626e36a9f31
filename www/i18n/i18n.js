// The words of the page and the <dicom-deid> element, in the user's language: one message
// catalogue per language (messages-en.js, messages-ko.js, the same keys), chosen from the
// browser's languages (navigator.languages) and switchable at any time; numbers, sizes, times
// and dates are formatted with Intl for that locale. The engine's own messages (the reasons in
// the log, the errors of options, mappings and keys) are the command-line tool's, in English.
//
//   t('sel.files', { n: 3 })        // "3 files" / "파일 3개"
//   setLanguage('ko'); onLanguage(() => render());
import { EN } from './messages-en.js';
import { KO } from './messages-ko.js';

/** The catalogues by language code, with the name of each language in itself. */
export const CATALOGUES = Object.freeze({ en: EN, ko: KO });
export const LANGUAGE_NAMES = Object.freeze({ en: 'English', ko: '한국어' });
export const LANGUAGES = Object.freeze(Object.keys(CATALOGUES));

const STORE_KEY = 'dicom-deid-language';

/** The first supported language among `preferred` (BCP 47 tags, e.g. navigator.languages), else English. */
export function chooseLanguage(preferred) {
  for (const tag of preferred || []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

function storedLanguage() {
  try {
    const v = globalThis.localStorage && localStorage.getItem(STORE_KEY);
    return v && LANGUAGES.includes(v) ? v : null;
  } catch {
    return null; // storage refused (file://, privacy settings): the browser's languages decide
  }
}

const nav = globalThis.navigator;
let current = storedLanguage() || chooseLanguage(nav && (nav.languages && nav.languages.length ? nav.languages : [nav.language]));
const listeners = new Set();

/** The current language code ('en', 'ko'). */
export function language() {
  return current;
}

/** The locale for Intl: the browser's own tag when it is of the current language (ko-KR), else the code. */
export function locale() {
  const tags = (nav && nav.languages) || [];
  return tags.find((tag) => String(tag).toLowerCase().split('-')[0] === current) || current;
}

/** Switches the language (remembered for this site where storage is allowed); listeners re-render. */
export function setLanguage(code) {
  if (!LANGUAGES.includes(code) || code === current) return;
  current = code;
  try {
    if (globalThis.localStorage) localStorage.setItem(STORE_KEY, code);
  } catch {
    // not remembered: fine
  }
  for (const fn of [...listeners]) fn(code);
}

/** Calls `fn(code)` after each switch; returns a function that stops it. */
export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A number in the locale's digits and separators. */
export function fmtNumber(n, options) {
  return new Intl.NumberFormat(locale(), options).format(n);
}

/** A byte count in decimal units (kB, MB, GB, TB), the number formatted for the locale. */
export function fmtBytes(n) {
  if (n < 1e3) return t('unit.bytes', { n });
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1e3;
  let i = 0;
  while (v >= 1e3 && i < units.length - 1) {
    v /= 1e3;
    i++;
  }
  const digits = v < 10 ? 1 : 0;
  return `${fmtNumber(v, { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${units[i]}`;
}

/** Seconds with one decimal ("12.3 s"). */
export function fmtSeconds(s) {
  return t('unit.seconds', { s: fmtNumber(s, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
}

/** A duration left, roughly ("about 2 min 5 s"). */
export function fmtDuration(s) {
  if (!isFinite(s)) return '…';
  if (s < 60) return t('unit.s', { n: Math.max(1, Math.round(s)) });
  const m = Math.floor(s / 60);
  if (m < 60) return t('unit.min-s', { m, s: Math.round(s % 60) });
  return t('unit.h-min', { h: Math.floor(m / 60), m: m % 60 });
}

/** A date and time for the locale (medium date, short time). */
export function fmtDateTime(date) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/**
 * The message `key` in the current language with `{name}` replaced by `params` (numbers
 * formatted for the locale). A message may be {one, other, …}: chosen by the plural rules of
 * the locale for `params.n`. Unknown keys give the English message, then the key itself.
 */
export function t(key, params = {}) {
  let m = CATALOGUES[current][key] ?? EN[key] ?? key;
  if (typeof m === 'object') m = m[new Intl.PluralRules(locale()).select(Number(params.n) || 0)] ?? m.other;
  return m.replace(/\{(\w+)\}/g, (all, name) => {
    const v = params[name];
    if (v === undefined || v === null) return all;
    return typeof v === 'number' ? fmtNumber(v) : String(v);
  });
}

/**
 * Puts message `key` into `node`: text with `**strong**` and `` `code` `` marks made into
 * <strong> and <code> elements (the catalogue holds no HTML).
 */
export function putRich(node, key, params) {
  const doc = node.ownerDocument;
  const parts = t(key, params).split(/(\*\*[^*]+\*\*|`[^`]+`)/);
  node.replaceChildren(
    ...parts.filter(Boolean).map((p) => {
      if (p.startsWith('**')) return Object.assign(doc.createElement('strong'), { textContent: p.slice(2, -2) });
      if (p.startsWith('`')) return Object.assign(doc.createElement('code'), { textContent: p.slice(1, -1) });
      return doc.createTextNode(p);
    }),
  );
}

/**
 * Translates the marked elements under `root`: `data-i18n` (the element's text),
 * `data-i18n-rich` (text with marks, see putRich), `data-i18n-lead` (only its first text, keeping
 * the elements after it: a label's <code>), `data-i18n-attr="attr:key;attr:key"` (attributes).
 */
export function translate(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.getAttribute('data-i18n'));
  for (const node of root.querySelectorAll('[data-i18n-rich]')) putRich(node, node.getAttribute('data-i18n-rich'));
  for (const node of root.querySelectorAll('[data-i18n-lead]')) {
    const text = [...node.childNodes].find((c) => c.nodeType === 3 && c.textContent.trim());
    const value = t(node.getAttribute('data-i18n-lead'));
    // The words replaced, the spaces around them kept (between a step number and a heading).
    if (text) text.textContent = text.textContent.replace(/\S(?:[\s\S]*\S)?/, value);
    else node.prepend(value);
  }
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.getAttribute('data-i18n-attr').split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

/** A <select> of the languages (each named in itself), switching on change; `testid` for tests. */
export function languageSelect(doc, id) {
  const select = doc.createElement('select');
  select.id = id;
  select.dataset.testid = 'language';
  select.setAttribute('data-i18n-attr', 'aria-label:lang.label');
  select.setAttribute('aria-label', t('lang.label'));
  for (const code of LANGUAGES) {
    const o = doc.createElement('option');
    o.value = code;
    o.lang = code;
    o.textContent = LANGUAGE_NAMES[code];
    select.append(o);
  }
  select.value = current;
  select.addEventListener('change', () => setLanguage(select.value));
  onLanguage((code) => {
    select.value = code;
  });
  return select;
}
