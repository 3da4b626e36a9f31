// What the page (app.js) and the <dicom-deid> element both show of the session (session.js):
// the progress line and bar, the run's states, the result (summary, counts, downloads, the files
// not written), the secret's status and the controls every host has (folder and zip inputs,
// secret, mapping and key). Each host keeps only its layout and markup: it gives the view a
// lookup of its nodes by part name and the message keys where its words differ, and hooks for
// what it does besides (events, error boxes).
//
//   const view = new RunView({ part: (name) => node, text: { working: 'run.working', … }, hooks });
//   view.listen(session);          // 'secret', 'draw', 'run' events rendered
//   view.wire(session);            // the shared controls forwarded to the session
//   view.relabel();                // everything again after a language switch
//
// Parts: progress, progress-text, summary, download-zip, download-key, download-log,
// downloads-note, problems, secret-status, secret-save, secret-generate, secret-input,
// folder-input, zip-input, mapping-input, key-input.
import { fmtDateTime, fmtNumber, fmtSeconds, t } from '../i18n/i18n.js';
import { count, countsList, el, fmtBytes, problemRows, progressView, reasonsText, saveBlob, setSummaryData } from './render.js';
import { Downloads } from './session.js';

/** Like the CLI (String::from_utf8_lossy): invalid bytes become U+FFFD, a byte order mark is kept. */
export async function readText(file) {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await file.arrayBuffer());
}

/**
 * @typedef {object} RunViewText The message keys where the hosts' words differ.
 * @property {string} working     the summary while a run works
 * @property {string} cancelled   the summary of a cancelled run
 * @property {string} secret      the secret's status line ({how, fingerprint})
 *
 * @typedef {object} RunViewHooks What a host does besides rendering (all optional).
 * @property {(run: any, again: boolean) => void} [ended]  a run ended (done, cancelled, error); `again`: only relabelled
 * @property {(kind: string, file: File, error: unknown) => void} [listError]  a mapping or key list refused
 * @property {(error: unknown) => void} [secretError]  a secret file refused
 * @property {(source: any) => void} [add]  files chosen on the folder or zip input (default: session.add)
 * @property {() => void} [listChanged]  a mapping or key list set (or removed)
 */

export class RunView {
  #part;
  #text;
  #stats;
  #hooks;
  #downloads = new Downloads();
  /** What the progress line says: a message key and its parameters, or a progress report. */
  #line = { key: 'run.not-started', params: {}, p: null };
  #secret = null;
  #run = null;

  /**
   * `part(name)`: the host's node of that part. `text`: its message keys (RunViewText).
   * `stats`: the result's hint also gives the run's speed and times. `hooks`: RunViewHooks.
   * @param {{ part: (name: string) => any, text: RunViewText, stats?: boolean, hooks?: RunViewHooks }} options
   */
  constructor({ part, text, stats = false, hooks = {} }) {
    this.#part = part;
    this.#text = text;
    this.#stats = stats;
    this.#hooks = hooks;
  }

  /** The session's events this view renders. */
  listen(session) {
    const on = (type, show) => session.addEventListener(type, (e) => show(/** @type {CustomEvent} */ (e).detail));
    on('secret', (s) => this.showSecret(s));
    on('draw', (p) => this.drawProgress(p));
    on('run', (r) => this.showRun(r));
  }

  // ------------------------------------------------------------ progress

  /** The progress line: message `key` with `params`, or a progress report `p`. */
  say(key, params = {}, p = null) {
    this.#line = { key, params, p };
    this.#part('progress-text').textContent = p ? progressView(p).text : t(key, params);
  }

  drawProgress(p) {
    const bar = this.#part('progress');
    bar.dataset.phase = p.phase;
    bar.dataset.done = String(p.done);
    bar.dataset.total = String(p.total);
    const view = progressView(p);
    bar.value = view.value;
    if (p.phase !== 'scan') bar.dataset.mbps = view.mbps.toFixed(2);
    this.say('', {}, p);
  }

  // ------------------------------------------------------------ secret

  /** A 'secret' event of the session shown: how it came and its fingerprint. */
  showSecret(secret) {
    const { how, name, fingerprint } = secret;
    this.#secret = secret;
    const status = this.#part('secret-status');
    status.removeAttribute('data-i18n');
    status.textContent = t(this.#text.secret, { how: t(`secret.${how}`, { name }), fingerprint: fingerprint || t('secret.no-fingerprint') });
    status.dataset.fingerprint = fingerprint;
    status.classList.toggle('warn', how === 'generated' || how === 'run');
    this.#part('secret-save').disabled = false;
  }

  // ------------------------------------------------------------ the run

  /** Hides the last run's downloads and problems (and frees their URLs). */
  clearResults() {
    this.#downloads.revoke();
    for (const name of ['download-zip', 'download-key', 'download-log']) {
      const a = this.#part(name);
      a.hidden = true;
      a.removeAttribute('href');
    }
    this.#part('downloads-note').hidden = true;
    this.#part('problems').hidden = true;
  }

  #link(name, { url, name: file }, label) {
    const a = this.#part(name);
    a.href = url;
    a.download = file;
    a.textContent = label;
    a.hidden = false;
  }

  /** A 'run' event of the session shown; `again` when only the language changed. */
  showRun(run, again = !!this.#run && run === this.#run) {
    const { outcome } = run;
    const summary = this.#part('summary');
    if (outcome !== 'cancelling') this.#run = run;
    if (outcome === 'started') {
      if (again) return;
      summary.dataset.state = 'running';
      for (const k of Object.keys(summary.dataset)) if (k !== 'state' && k !== 'testid') delete summary.dataset[k];
      summary.replaceChildren(el('p', { text: t(this.#text.working) }));
      this.#part('progress').value = 0;
      this.say('run.starting');
      return;
    }
    if (outcome === 'cancelling') {
      this.say('run.cancelling');
      return;
    }
    if (outcome === 'done') {
      this.#showResult(run);
    } else {
      const cancelled = outcome === 'cancelled';
      summary.dataset.state = cancelled ? 'cancelled' : 'error';
      summary.replaceChildren(el('p', { text: t(cancelled ? this.#text.cancelled : 'run.failed') }));
      this.#part('progress').value = 0;
      this.say(cancelled ? 'run.cancelled' : 'run.stopped');
    }
    if (this.#hooks.ended) this.#hooks.ended(run, again);
  }

  /** The hint under the counts: the reasons, and (stats) the run's speed and times. */
  #hint(s, st) {
    const reasons = reasonsText(s);
    const parts = reasons ? [t('res.reasons', { reasons })] : [];
    if (this.#stats) {
      const mbps = st.bytesIn / 1e6 / Math.max(st.seconds, 1e-9);
      parts.push(t('res.stats', {
        size: fmtBytes(st.bytesIn), seconds: fmtSeconds(st.seconds), mbps: fmtNumber(mbps, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
        workers: count(st.workers, 'n.workers'), scan: fmtSeconds(st.scanSeconds), process: fmtSeconds(st.processSeconds),
      }));
    }
    return parts.join(' ');
  }

  #showResult({ result: r, output, finishedAt }) {
    const s = r.summary;
    const st = r.stats;
    const summary = this.#part('summary');
    setSummaryData(summary, s, r.cleaned.length);
    summary.dataset.mbps = (st.bytesIn / 1e6 / Math.max(st.seconds, 1e-9)).toFixed(2);
    summary.dataset.seconds = st.seconds.toFixed(3);
    summary.dataset.scanSeconds = st.scanSeconds.toFixed(3);
    summary.dataset.processSeconds = st.processSeconds.toFixed(3);
    const hint = this.#hint(s, st);
    summary.replaceChildren(
      el('p', { class: 'done', text: t('res.finished-at', { when: fmtDateTime(finishedAt), files: count(s.seen, 'n.files') }) }),
      countsList(s, r.cleaned.length),
      ...(hint ? [el('p', { class: 'hint', text: hint })] : []),
    );
    const picked = r.zipLocation === 'picked' && output;
    const links = this.#downloads.of(r, picked ? output.name.replace(/\.zip$/i, '') : 'deidentified');
    if (picked) summary.append(el('p', { text: t('res.saved', { name: output.name }) }));
    // The browser's private storage could not be used (none, or it failed in the output worker).
    if (r.zipLocation === 'memory') summary.append(el('p', { class: 'hint', 'data-testid': 'memory-note', text: t('res.memory') }));
    this.#link('download-zip', links.zip, picked ? t('res.zip-again') : t('res.zip', { size: fmtBytes(r.zip.size) }));
    this.#link('download-key', links.key, t('res.key'));
    this.#link('download-log', links.log, t('res.log'));
    this.#part('downloads-note').hidden = false;
    const problems = this.#part('problems');
    problems.querySelector('tbody').replaceChildren(...problemRows(r.problems));
    problems.hidden = r.problems.length === 0;
    this.#part('progress').value = 1;
    this.say('res.done', { files: count(s.seen, 'n.files'), seconds: fmtSeconds(st.seconds) });
    summary.dataset.state = 'done';
  }

  /** Everything this view wrote, again in the language just chosen. */
  relabel() {
    const { key, params, p } = this.#line;
    this.say(key, params, p);
    if (this.#secret) this.showSecret(this.#secret);
    if (this.#run) this.showRun(this.#run);
  }

  // ------------------------------------------------------------ the shared controls

  /** Forwards the folder and zip inputs, the secret's controls and the lists to the session. */
  wire(session) {
    const hooks = this.#hooks;
    const add = hooks.add || ((source) => session.add(source));
    for (const name of ['folder-input', 'zip-input']) {
      const input = this.#part(name);
      input.addEventListener('change', () => {
        const files = Array.from(input.files);
        input.value = '';
        if (files.length) add(files);
      });
    }
    this.#part('secret-generate').addEventListener('click', () => session.generateSecret());
    const secretInput = this.#part('secret-input');
    secretInput.addEventListener('change', async () => {
      const file = secretInput.files[0];
      secretInput.value = '';
      if (!file) return;
      try {
        await session.loadSecretFile(file);
      } catch (err) {
        if (hooks.secretError) hooks.secretError(err);
      }
    });
    this.#part('secret-save').addEventListener('click', () => {
      const blob = session.secretBlob();
      if (blob) saveBlob(blob, 'dicom-deid.secret');
    });
    for (const [name, kind] of [['mapping-input', 'mapping'], ['key-input', 'existingKey']]) {
      const input = this.#part(name);
      // The engine reads the list now, so a malformed file is reported before the run.
      input.addEventListener('change', async () => {
        const file = input.files[0] || null;
        try {
          await session.setList(kind, file ? await readText(file) : null);
        } catch (err) {
          input.value = '';
          if (hooks.listError) hooks.listError(kind, file, err);
          return;
        }
        if (hooks.listChanged) hooks.listChanged();
      });
    }
  }
}
