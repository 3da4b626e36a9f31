// Small pieces shared by the page (app.js) and the <dicom-deid> element: number formatting,
// element building, the progress line and the summary line of a finished run.

export function fmtBytes(n) {
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

export function fmtSeconds(s) {
  if (!isFinite(s)) return '…';
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const plural = (n, one, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

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
    return { value: 0.1 * frac, text: `Reading headers: ${p.done.toLocaleString('en')} of ${plural(p.total, 'file')}`, mbps: 0 };
  }
  const rate = p.elapsed > 0 ? p.bytes / p.elapsed : 0;
  const left = rate > 0 ? (p.totalBytes - p.bytes) / rate : Infinity;
  let text = `De-identifying: ${p.done.toLocaleString('en')} of ${plural(p.total, 'file')}`;
  if (p.done > 0) text += ` · ${(rate / 1e6).toFixed(1)} MB/s`;
  if (p.done > 0 && p.done < p.total) text += ` · about ${fmtSeconds(left)} left`;
  if (p.done === p.total) text += ' · writing the key and the log';
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
  const item = (label, n, testid) => el('div', testid ? { 'data-count': testid } : {}, el('dt', { text: label }), el('dd', { text: (n ?? 0).toLocaleString('en') }));
  return el('dl', { class: 'counts' },
    item('Written', summary.written, 'written'),
    item('Pixels cleaned', cleaned, 'cleaned'),
    item('Held for review', summary.held, 'held'),
    item('Excluded', summary.excluded, 'excluded'),
    item('Rejected', summary.rejected, 'rejected'),
    item('Skipped', summary.skipped, 'skipped'));
}

/** The reasons of a summary in words ("not dicom: 2, truncated: 1"), or ''. */
export function reasonsText(summary) {
  return Object.entries(summary.by_reason || {}).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`).join(', ');
}

/** Table rows (File, Outcome, Reason) of the files not written, at most `max`. */
export function problemRows(problems, max = 2000) {
  const rows = problems.slice(0, max).map((p) =>
    el('tr', { class: `oc-${p.outcome}` }, el('td', {}, el('code', { text: p.source_path })), el('td', { text: p.outcome.replace(/_/g, ' ') }), el('td', { text: p.reason })));
  if (problems.length > max) rows.push(el('tr', {}, el('td', { colspan: '3', text: `… and ${problems.length - max} more: see the log.` })));
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
