// The one browser controller of the workflow, without any DOM of its own: the page (app.js)
// and the <dicom-deid> element (dicom-deid-element.js) each render a DeidSession and forward
// their controls to it. It holds what a run needs and says what happened through events:
//
//   const session = new DeidSession({ options: () => currentOptions(), review });
//   session.addEventListener('state', …)       // session.state: loading | idle | running | unsupported
//   session.load();                             // the engine, the output support, the presets
//   session.add(files | dirHandle | dropPromise)  // the sources; 'selection' events
//   session.setSecret(text, 'loaded', name)     // 'secret' events (fingerprint, how)
//   await session.setList('mapping', file)      // checked by the engine before it is kept
//   await session.audit({ onProgress })         // the dry run of the selection (auditSource)
//   await session.start({ output })             // 'progress', 'draw' (throttled), 'run' events
//   session.cancel();
//
// `review` is the burned-in text review (pixel-review.js): the session gives it each new
// selection, takes its decisions as pixel rules at Start, and shows it the result. `recipe` is
// the recipe panel (recipe-panel.js): Start waits until its report is accepted and its
// parameters given (the host's options carry them; the engine checks them again). Every error
// reaches the host as a DeidError (code and message); the host chooses the words around it.
import {
  DeidError, PRESETS, auditSource, checkLists, clearSpool, deidentify, generateSecret, listSource, loadEngine, messageOf, outputSupport,
  presetOptions, readSecretFile, secretFingerprint, sendResult,
} from '../dicom-deid.js';

/** An empty selection (what listSource gives for no files). */
/** @type {import('../dicom-deid.js').Selection} */
export const NOTHING = Object.freeze({ entries: [], items: [], badZips: [], zips: 0, files: 0, bytes: 0 });

/** Milliseconds between two 'draw' events while a run reports progress. */
const DRAW_EVERY = 100;

/** `e` as a DeidError (kept when it is one, else code `io`). */
export function toDeidError(e, prefix = '') {
  return e instanceof DeidError ? e : new DeidError('io', `${prefix}${messageOf(e)}`, { cause: e });
}

export class DeidSession extends EventTarget {
  /** 'loading', 'idle', 'running' or 'unsupported'. */
  state = 'loading';
  /** What the browser offers for the output (outputSupport()). */
  support = { savePicker: false, opfs: false };
  /** The engine's version, once loaded. */
  version = '';
  /** Preset name → full configuration, once loaded. */
  presets = {};
  /** Every entry added, in order ({path, file}). */
  entries = [];
  /** The listed selection of `entries` (listSource), NOTHING when empty. */
  selection = NOTHING;
  /** The project secret (trimmed text) or null; how it came: 'generated', 'run', 'file', 'host'. */
  secret = null;
  secretHow = null;
  secretName = '';
  fingerprint = '';
  /** The mapping CSV and the earlier key (text, File or Blob), checked, or null. */
  mapping = null;
  existingKey = null;
  /** The last run's result (deidentify()'s), or null. */
  result = null;
  /**
   * Where the written instances go ({kind: 'stow', url, headers | getHeaders()}), set by the
   * host, or null (no Send step). `streamSend`: send each instance as it is written.
   */
  destination = null;
  streamSend = false;
  /** Whether a sending is under way. */
  sending = false;
  /** Why the engine could not start (a DeidError), when state is unsupported. */
  error = null;
  /** The last progress report of the running run. */
  progress = null;

  #options;
  #controller = null;
  #sendController = null;
  #adding = new Set();
  #listing = null;
  #timer = null;
  #markReady;

  /**
   * `options()`: the host's options (an object, or a promise of one; null or undefined when
   * they are invalid: the host has said why). `review`: a PixelReview, or null.
   */
  /** @param {{ options?: () => any, review?: any, recipe?: any }} [hooks] */
  constructor({ options, review = null, recipe = null } = {}) {
    super();
    this.#options = options || (() => ({}));
    this.review = review;
    /** The recipe panel (recipe-panel.js), or null: Start waits for what it asks (acceptance, parameters). */
    this.recipe = recipe;
    /** Resolves once the engine is loaded (never when it cannot start). */
    this.ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setState(state) {
    this.state = state;
    if (this.review) this.review.setDisabled(state === 'running' || state === 'unsupported');
    if (this.recipe) this.recipe.setDisabled(state === 'running' || state === 'unsupported');
    this.#emit('state', state);
  }

  /**
   * Loads the engine, the output support and the presets; 'state' tells the outcome, and the
   * result is whether it started. `prepare()` runs once they are loaded, before anything waiting
   * for the engine goes on (the page fills its form from the presets there).
   */
  async load(prepare = () => {}) {
    try {
      this.support = await outputSupport();
      ({ version: this.version } = await loadEngine());
      this.presets = Object.fromEntries(await Promise.all(PRESETS.map(async (p) => [p, await presetOptions(p)])));
    } catch (e) {
      this.error = toDeidError(e);
      this.#setState('unsupported');
      this.#emit('error', this.error);
      return false;
    }
    prepare();
    this.#setState('idle');
    this.#markReady();
    return true;
  }

  // ------------------------------------------------------------ sources

  /**
   * Adds a source (as listSource takes it, or a promise of one: a drop). The whole selection is
   * listed again after each addition; the latest listing wins whatever the order additions end.
   * 'selection' events: {status: 'waiting' | 'reading' | 'ready' | 'error', error?}.
   */
  async add(source) {
    this.#emit('selection', { status: this.state === 'loading' ? 'waiting' : 'reading' });
    const run = (async () => {
      await this.ready;
      const added = await listSource(await source);
      this.entries.push(...added.entries);
      const listing = listSource([...this.entries]);
      this.#listing = listing;
      const selection = await listing;
      if (this.#listing !== listing) return;
      this.selection = selection;
      this.#emit('selection', { status: 'ready' });
      this.#reviewSelection();
    })();
    this.#adding.add(run);
    try {
      await run;
    } catch (e) {
      this.#emit('selection', { status: 'error', error: toDeidError(e) });
    } finally {
      this.#adding.delete(run);
      if (!this.#adding.size) this.#listing = null;
    }
  }

  /** Forgets every source. */
  clear() {
    this.entries = [];
    this.selection = NOTHING;
    if (this.review) this.review.clear();
    this.#emit('selection', { status: 'ready' });
  }

  async #reviewSelection() {
    if (!this.review) return;
    if (!this.selection.items.length) {
      this.review.clear();
      return;
    }
    const options = await this.#options();
    this.review.review(this.selection, { options: options || undefined }).catch((e) => console.warn('pixel review failed', e));
  }

  // ------------------------------------------------------------ secret and lists

  /** Sets the project secret; `how`: 'generated', 'run', 'file' (then `name`) or 'host'. */
  async setSecret(text, how, name = '') {
    const fingerprint = await secretFingerprint(text);
    this.secret = text;
    this.secretHow = how;
    this.secretName = name;
    this.fingerprint = fingerprint;
    this.#emit('secret', { how, name, fingerprint });
  }

  /** A new random secret. */
  generateSecret(how = 'generated') {
    return this.setSecret(generateSecret(), how);
  }

  /** The secret of a secret file; rejects with a DeidError and keeps the secret it had. */
  async loadSecretFile(file) {
    await this.setSecret(await readSecretFile(file), 'file', file.name);
  }

  /** The secret as a secret file's Blob, or null. */
  secretBlob() {
    return this.secret ? new Blob([`${this.secret}\n`], { type: 'text/plain' }) : null;
  }

  /**
   * Sets the mapping CSV (`kind` 'mapping') or the key of an earlier batch ('existingKey'),
   * checked by the engine with the host's options first: rejects with a DeidError
   * ('bad-mapping', 'bad-key', 'bad-options') and keeps none. `null` removes it.
   */
  async setList(kind, value) {
    this[kind] = null;
    if (value == null) return;
    await this.ready;
    const options = await this.#options();
    if (options) await checkLists({ options, [kind]: value });
    this[kind] = value;
  }

  // ------------------------------------------------------------ the run

  /** Whether Start can run now. */
  get canStart() {
    return this.state === 'idle' && this.selection.files > 0 && !(this.recipe && this.recipe.blocker());
  }

  /**
   * The audit of the selection (auditSource: a dry run, nothing written) with the options,
   * lists and secret a Start would use (the review's decisions included; a secret is generated
   * first when there is none, as Start does). Resolves to {summary, summaryJson, summaryHtml,
   * detailCsv}, or null when there is nothing to audit; rejects with a DeidError.
   * @param {{ onProgress?: (p: any) => void }} [hooks]
   */
  async audit({ onProgress } = {}) {
    if (!this.canStart) return null;
    const options = await this.#options();
    if (!options) return null;
    const config = this.review ? this.review.withRules(options) : options;
    if (this.#adding.size) await Promise.allSettled([...this.#adding]);
    if (!this.secret) await this.generateSecret('run');
    return auditSource({
      source: this.selection, options: config, secret: this.secret, mapping: this.mapping, existingKey: this.existingKey, onProgress,
    });
  }

  /**
   * Runs the job on the selection: `output` (a file handle from pickOutputFile, or null: the
   * zip is spooled), `clearSpool` (remove earlier spooled zips of this origin first). Ends with
   * a 'run' event {outcome: 'done' | 'cancelled' | 'error', result?, error?}; resolves to it.
   */
  async start({ output = null, clearSpool: clear = false } = {}) {
    if (!this.canStart) return null;
    const options = await this.#options();
    if (!options) return null;
    // The review's decisions as pixel rules, in front of the options' own.
    const config = this.review ? this.review.withRules(options) : options;
    if (this.#adding.size) await Promise.allSettled([...this.#adding]);
    if (this.result) this.result.discard();
    this.result = null;
    if (!this.secret) await this.generateSecret('run');
    const controller = new AbortController();
    this.#controller = controller;
    this.progress = null;
    this.#setState('running');
    this.#emit('run', { outcome: 'started' });
    let end;
    try {
      if (clear && !output) await clearSpool();
      const stream = this.destination && this.streamSend;
      if (stream) this.#sendStarted();
      const result = await deidentify({
        source: this.selection, options: config, secret: this.secret, mapping: this.mapping, existingKey: this.existingKey,
        output, signal: controller.signal, onProgress: (p) => this.#onProgress(p),
        destination: stream ? { ...this.destination, stream: true } : null,
      });
      if (stream) this.#sendEnded(result.delivery);
      this.#draw();
      this.result = result;
      if (this.review) this.review.showResult(result);
      end = { outcome: 'done', result, output, finishedAt: new Date() };
    } catch (e) {
      this.#stopDrawing();
      const error = toDeidError(e);
      if (this.sending) this.#sendEnded({ state: error.code === 'aborted' ? 'cancelled' : 'error', results: [], counts: null, error: error.message });
      end = { outcome: error.code === 'aborted' || controller.signal.aborted ? 'cancelled' : 'error', error };
    } finally {
      this.#controller = null;
      this.#setState('idle');
    }
    this.#emit('run', end);
    return end;
  }

  /** Cancels the running run, if any; 'run' then ends with outcome 'cancelled'. */
  cancel() {
    if (!this.#controller) return false;
    this.#emit('run', { outcome: 'cancelling' });
    this.#controller.abort();
    return true;
  }

  /** Aborts a run and forgets the result (the host goes away). */
  dispose() {
    this.cancel();
  }

  // ------------------------------------------------------------ sending

  /** Whether Send can run now: a destination, a result, no run and no sending under way. */
  get canSend() {
    return !!this.destination && !!this.result && this.state === 'idle' && !this.sending;
  }

  /**
   * Sends the last result's instances to the destination (those the ledger does not hold: a
   * second Send retries the failed ones). 'send' events {outcome: 'started' | 'done' |
   * 'cancelled' | 'error', delivery?}, 'send-progress' events {phase: 'send', …}.
   */
  async send() {
    if (!this.canSend) return null;
    const controller = new AbortController();
    this.#sendController = controller;
    this.#sendStarted();
    let delivery;
    try {
      delivery = await sendResult(this.result, {
        destination: this.destination, signal: controller.signal, onProgress: (p) => this.#emit('send-progress', p),
      });
    } catch (e) {
      const error = toDeidError(e);
      delivery = { state: 'error', code: error.code, error: error.message, results: [], counts: null };
    }
    this.#sendController = null;
    return this.#sendEnded(delivery);
  }

  /** Cancels the sending under way (a streaming one cancels the run too). */
  cancelSend() {
    if (this.#sendController) this.#sendController.abort();
    else if (this.sending) this.cancel();
  }

  #sendStarted() {
    this.sending = true;
    this.#emit('send', { outcome: 'started' });
  }

  #sendEnded(delivery) {
    this.sending = false;
    const end = { outcome: delivery.state === 'done' ? 'done' : delivery.state, delivery };
    this.#emit('send', end);
    return end;
  }

  #onProgress(p) {
    if (p.phase === 'send') {
      this.#emit('send-progress', p);
      return;
    }
    this.progress = p;
    this.#emit('progress', p);
    if (!this.#timer) this.#timer = setTimeout(() => this.#draw(), DRAW_EVERY);
  }

  #stopDrawing() {
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #draw() {
    this.#stopDrawing();
    if (this.progress) this.#emit('draw', this.progress);
  }
}

/** Object URLs of a result's downloads; `revoke()` frees them. */
export class Downloads {
  #urls = [];

  /** {zip, key, log}: each {url, name}, named after `stem`. */
  of(result, stem) {
    this.revoke();
    const url = (blob) => {
      const u = URL.createObjectURL(blob);
      this.#urls.push(u);
      return u;
    };
    return {
      zip: { url: url(result.zip), name: `${stem}.zip` },
      key: { url: url(new Blob([result.keyCsv], { type: 'text/csv' })), name: `${stem}-key.csv` },
      log: { url: url(new Blob([result.logCsv], { type: 'text/csv' })), name: `${stem}-log.csv` },
    };
  }

  revoke() {
    for (const u of this.#urls) URL.revokeObjectURL(u);
    this.#urls = [];
  }
}
