// Small pieces shared by the page (app.js) and the <dicom-deid> element: element building, the
// progress line and the summary of a finished run, in the user's language (i18n.js).
import { fmtBytes, fmtDuration, fmtNumber, t } from '../i18n/i18n.js';

export { fmtBytes };

/** `n` things in words: `what` is a plural message key of the catalogue ('n.files'). */
export const count = (n, what) => t(what, { n });

/** An HTML element with attributes (`class`, `text`, others as is) and children. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

/**
 * How to show a progress report of deidentify(): {value} for a <progress max=1> (the scan is
 * the first tenth), {text} in words (files, MB/s, time left), {mbps}.
 */
export function progressView(p) {
  const frac = p.totalBytes > 0 ? p.bytes / p.totalBytes : p.total ? p.done / p.total : 1;
  if (p.phase === 'scan') {
    return { value: 0.1 * frac, text: t('progress.scan', { done: p.done, files: count(p.total, 'n.files') }), mbps: 0 };
  }
  const rate = p.elapsed > 0 ? p.bytes / p.elapsed : 0;
  const left = rate > 0 ? (p.totalBytes - p.bytes) / rate : Infinity;
  let text = t('progress.process', { done: p.done, files: count(p.total, 'n.files') });
  if (p.done > 0) text += t('progress.rate', { mbps: fmtNumber(rate / 1e6, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
  if (p.done > 0 && p.done < p.total) text += t('progress.left', { time: fmtDuration(left) });
  if (p.done === p.total) text += t('progress.closing');
  return { value: 0.1 + 0.9 * frac, text, mbps: rate / 1e6 };
}

/**
 * Puts a run's counts on `node.dataset` (written, rejected, skipped, seen, held, excluded, and
 * cleaned: written with regions blacked out) for tests and styles.
 */
export function setSummaryData(node, summary, cleaned = 0) {
  for (const k of ['written', 'rejected', 'skipped', 'seen', 'held', 'excluded']) node.dataset[k] = String(summary[k] ?? 0);
  node.dataset.cleaned = String(cleaned);
}

/** Written (of which cleaned) / Held / Excluded / Rejected / Skipped as a <dl>. */
export function countsList(summary, cleaned = 0) {
  const item = (n, testid) => el('div', { 'data-count': testid }, el('dt', { text: t(`count.${testid}`) }), el('dd', { text: fmtNumber(n ?? 0) }));
  return el('dl', { class: 'counts' },
    item(summary.written, 'written'),
    item(cleaned, 'cleaned'),
    item(summary.held, 'held'),
    item(summary.excluded, 'excluded'),
    item(summary.rejected, 'rejected'),
    item(summary.skipped, 'skipped'));
}

/** The reasons of a summary ("not dicom: 2, truncated: 1": the log's codes), or ''. */
export function reasonsText(summary) {
  return Object.entries(summary.by_reason || {}).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${fmtNumber(Number(v))}`).join(', ');
}

/** An outcome of the log in words (the log itself keeps its codes). */
export const outcomeText = (outcome) => t(`outcome.${outcome}`) === `outcome.${outcome}` ? outcome.replace(/_/g, ' ') : t(`outcome.${outcome}`);

/** Table rows (File, Outcome, Reason) of the files not written, at most `max`. */
export function problemRows(problems, max = 2000) {
  const rows = problems.slice(0, max).map((p) =>
    el('tr', { class: `oc-${p.outcome}` }, el('td', {}, el('code', { text: p.source_path })), el('td', { text: outcomeText(p.outcome) }), el('td', { text: p.reason })));
  if (problems.length > max) rows.push(el('tr', {}, el('td', { colspan: '3', text: t('res.more', { n: problems.length - max }) })));
  return rows;
}

/** Offers a Blob as a download named `name` (an ordinary browser download). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
