// The Send step, as the page (app.js) and the <dicom-deid> element both show it: shown only when
// the host configured a destination; Send (and, after failures, Send the failed again), Cancel,
// "send each image as it is written", the progress (images and bytes, rate, failures) and a
// table of the images not stored with their reasons. The sending itself is the session's.
//
//   const view = new SendView({ part: (name) => node });
//   view.listen(session); view.wire(session); view.relabel();
//
// Parts: send-step, send-url, send-stream, send-button, send-cancel, send-progress,
// send-progress-text, send-summary, send-failures (a table with a tbody).
import { fmtNumber, t } from '../i18n/i18n.js';
import { el, fmtBytes } from './render.js';

/** Rows of the failures table at most (the rest: "and N more"). */
const MAX_ROWS = 500;

export class SendView {
  #part;
  #session = null;
  #last = null;
  #progress = null;

  /** @param {{ part: (name: string) => any }} options */
  constructor({ part }) {
    this.#part = part;
  }

  /** Renders the session's sending events. */
  listen(session) {
    this.#session = session;
    session.addEventListener('send', (e) => this.showSend(/** @type {CustomEvent} */ (e).detail));
    session.addEventListener('send-progress', (e) => this.showProgress(/** @type {CustomEvent} */ (e).detail));
    session.addEventListener('state', () => this.update());
    session.addEventListener('run', () => this.update());
  }

  /** Forwards the step's controls to the session. */
  wire(session) {
    this.#part('send-button').addEventListener('click', () => session.send());
    this.#part('send-cancel').addEventListener('click', () => session.cancelSend());
    const stream = this.#part('send-stream');
    stream.addEventListener('change', () => {
      session.streamSend = stream.checked;
    });
  }

  /** Shows or hides the step and sets its controls from the session. */
  update() {
    const s = this.#session;
    const step = this.#part('send-step');
    step.hidden = !s || !s.destination;
    if (!s || !s.destination) return;
    const s3 = s.destination.kind === 's3';
    this.#part('send-url').textContent = s3 ? t('send.s3-target') : s.destination.url;
    this.#part('send-button').disabled = !s.canSend;
    this.#part('send-cancel').disabled = !s.sending;
    this.#part('send-stream').disabled = s.state === 'running';
    const d = this.#last && this.#last.delivery;
    const failed = d && (s3 ? d.state === 'error' : d.counts && d.counts.failed > 0);
    this.#part('send-button').textContent = t(failed ? (s3 ? 'send.s3-retry' : 'send.retry') : 'send.button');
  }

  /** A 'send-progress' report. */
  showProgress(p) {
    this.#progress = p;
    const bar = this.#part('send-progress');
    bar.value = p.total ? p.done / p.total : 0;
    bar.dataset.done = String(p.done);
    bar.dataset.total = String(p.total);
    if (p.totalBytes != null) {
      // To S3: the zip's parts.
      this.#part('send-progress-text').textContent = t('send.s3-progress', {
        sent: fmtNumber(p.sent), total: fmtNumber(p.total), size: fmtBytes(p.bytes), mbps: fmtNumber(p.mbps, { maximumFractionDigits: 1 }),
      });
      return;
    }
    this.#part('send-progress-text').textContent = t('send.progress', {
      sent: fmtNumber(p.sent), total: fmtNumber(p.total), size: fmtBytes(p.bytes), failed: fmtNumber(p.failed),
      rate: fmtNumber(p.rate, { maximumFractionDigits: 1 }), mbps: fmtNumber(p.mbps, { maximumFractionDigits: 1 }),
    });
  }

  /** A 'send' event: started, or ended with its delivery. */
  showSend(ev) {
    this.#last = ev;
    const summary = this.#part('send-summary');
    if (ev.outcome === 'started') {
      summary.dataset.state = 'sending';
      for (const k of Object.keys(summary.dataset)) if (!['state', 'testid'].includes(k)) delete summary.dataset[k];
      summary.textContent = t('send.sending');
      this.#part('send-failures').hidden = true;
      this.update();
      return;
    }
    const d = ev.delivery;
    const c = d.counts;
    summary.dataset.state = ev.outcome;
    if (c) {
      for (const k of ['stored', 'warning', 'failed', 'already', 'not_storable', 'requests', 'bytes']) summary.dataset[k] = String(c[k]);
      summary.dataset.seconds = String(d.seconds);
    }
    if (d.etag) summary.dataset.etag = d.etag;
    if (ev.outcome === 'done' && d.kind === 's3') summary.textContent = t('send.s3-done', { size: fmtBytes(d.bytes), etag: d.etag });
    else if (ev.outcome === 'done') {
      summary.textContent = t('send.done', {
        stored: fmtNumber(c.stored + c.warning), already: fmtNumber(c.already), failed: fmtNumber(c.failed), unstorable: fmtNumber(c.not_storable),
      });
    } else if (ev.outcome === 'cancelled') summary.textContent = t('send.cancelled');
    else summary.textContent = t('send.error', { message: d.error || '' });
    const rows = (d.results || []).filter((r) => r.status === 'failed' || r.status === 'not_storable' || r.status === 'warning');
    const table = this.#part('send-failures');
    const body = table.querySelector('tbody');
    body.replaceChildren(...rows.slice(0, MAX_ROWS).map((r) => el('tr', { 'data-status': r.status },
      el('td', { text: r.path }), el('td', { text: t(`send.status.${r.status}`) }), el('td', { text: r.reason || '' }))));
    if (rows.length > MAX_ROWS) body.append(el('tr', {}, el('td', { colspan: '3', text: t('res.more', { n: rows.length - MAX_ROWS }) })));
    table.hidden = rows.length === 0;
    this.update();
  }

  /** Everything again in the language just chosen. */
  relabel() {
    if (this.#progress) this.showProgress(this.#progress);
    if (this.#last) this.showSend(this.#last);
    this.update();
  }
}
