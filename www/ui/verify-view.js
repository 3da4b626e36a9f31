// The check of a received zip against its signed run statement, shared by the page (app.js) and
// the <dicom-deid> element: a zip chosen or dropped (and optionally the project's public key
// file) is checked by the engine code of `dicom-deid verify` (verifyZip), and every problem is
// listed as the CLI words it, naming the file that differs, is missing or was added, or the
// statement that was edited.
//
//   const check = new VerifyView(container, { heading: 'h2' });
//   check.relabel();                       // after a language switch
//
// Test hooks (data-testid): verify-zip-input, verify-key-input, verify-drop, verify-result
// (data-state idle, checking, done, error; data-ok true/false; data-problems: their number),
// verify-problems (a list item per problem).
import { messageOf, verifyZip } from '../dicom-deid.js';
import { fmtBytes, fmtNumber, t } from '../i18n/i18n.js';
import { el } from './render.js';

export class VerifyView {
  #root;
  #zip = null;
  #key = null;
  #verdict = null;
  #error = null;
  #seq = 0;

  /** `container`: the host's <section>, empty; `heading`: the tag of this view's heading. */
  constructor(container, { heading = 'h2' } = {}) {
    this.#root = container;
    const id = `${container.id || 'verify'}-h`;
    container.setAttribute('aria-labelledby', id);
    const zipId = `${id}-zip`;
    const keyId = `${id}-key`;
    container.replaceChildren(
      el(heading, { id, 'data-part': 'title' }),
      el('p', { class: 'hint', 'data-part': 'hint' }),
      el('div', { class: 'drop verify-drop', 'data-testid': 'verify-drop' },
        el('p', { 'data-part': 'drop' }),
        el('div', { class: 'row' },
          el('input', { type: 'file', id: zipId, accept: '.zip,application/zip', 'data-testid': 'verify-zip-input', class: 'vh visually-hidden' }),
          el('label', { class: 'button-like btn', for: zipId, 'data-part': 'zip-label' }),
          el('input', { type: 'file', id: keyId, accept: '.pub,.txt,text/plain', 'data-testid': 'verify-key-input', class: 'vh visually-hidden' }),
          el('label', { class: 'button-like btn', for: keyId, 'data-part': 'key-label' }))),
      el('p', { class: 'hint', 'data-part': 'key-status' }),
      el('div', { 'data-testid': 'verify-result', 'data-state': 'idle', role: 'status', 'aria-live': 'polite' }));
    const input = (testid, take) => {
      const i = this.#part(testid);
      i.addEventListener('change', () => {
        const f = i.files[0];
        i.value = '';
        if (f) take(f);
      });
    };
    input('verify-zip-input', (f) => this.check(f));
    input('verify-key-input', (f) => {
      this.#key = f;
      this.#sayKey();
      if (this.#zip) this.check(this.#zip);
    });
    const drop = this.#part('verify-drop');
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      // The page's own drop zone (the selection) must not take it too.
      e.stopPropagation();
      drop.classList.remove('over');
      const f = e.dataTransfer && e.dataTransfer.files[0];
      if (f) this.check(f);
    });
    this.relabel();
  }

  #part(testid) {
    return this.#root.querySelector(`[data-testid="${testid}"]`);
  }

  #sayKey() {
    this.#root.querySelector('[data-part=key-status]').textContent = this.#key ? t('verify.key', { name: this.#key.name }) : t('verify.no-key');
  }

  /** Checks `zip` (a File) with the public key chosen, if any, and shows the verdict. */
  async check(zip) {
    this.#zip = zip;
    const seq = ++this.#seq;
    this.#show(null, null, 'checking');
    try {
      const verdict = await verifyZip(zip, { publicKey: this.#key });
      if (seq === this.#seq) this.#show(verdict, null);
    } catch (e) {
      if (seq === this.#seq) this.#show(null, e);
    }
  }

  #show(verdict, error, state = verdict ? 'done' : error ? 'error' : 'idle') {
    this.#verdict = verdict;
    this.#error = error;
    const box = this.#part('verify-result');
    box.dataset.state = state;
    delete box.dataset.ok;
    delete box.dataset.problems;
    const name = this.#zip ? this.#zip.name : '';
    if (state === 'checking') {
      box.replaceChildren(el('p', { text: t('verify.checking', { name }) }));
      return;
    }
    if (state === 'error') {
      box.replaceChildren(el('p', { class: 'error', text: t('verify.failed', { name, message: messageOf(error) }) }));
      return;
    }
    if (state === 'idle') {
      box.replaceChildren();
      return;
    }
    box.dataset.ok = String(verdict.ok);
    box.dataset.problems = String(verdict.problems.length);
    if (verdict.ok) {
      const said = t('verify.ok', { name, entries: fmtNumber(verdict.entries), time: verdict.runTime, key: verdict.keyFingerprint, size: fmtBytes(verdict.bytes) });
      box.replaceChildren(el('p', { class: 'done', text: said }), ...(verdict.keyGiven ? [] : [el('p', { class: 'hint', text: t('verify.compare-key') })]));
      return;
    }
    box.replaceChildren(
      el('p', { class: 'error', text: t('verify.bad', { name, n: verdict.problems.length }) }),
      el('ul', { 'data-testid': 'verify-problems' }, ...verdict.problems.map((p) => el('li', {}, el('code', { text: p })))));
  }

  /** Every text again, in the language just chosen. */
  relabel() {
    const say = (part, key) => {
      this.#root.querySelector(`[data-part=${part}]`).textContent = t(key);
    };
    say('title', 'verify.h');
    say('hint', 'verify.hint');
    say('drop', 'verify.drop');
    say('zip-label', 'verify.zip-label');
    say('key-label', 'verify.key-label');
    this.#sayKey();
    this.#show(this.#verdict, this.#error, this.#part('verify-result').dataset.state === 'checking' ? 'checking' : undefined);
  }
}
