// A pool of module Web Workers running worker.js, each instantiating the wasm module once (the
// page compiles it once and sends the compiled module). Requests go to the least busy worker;
// each returns a promise. terminate() stops every worker at once and rejects what is pending.
import { engineWorker } from './assets.js';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export class WorkerPool {
  /** Starts `size` workers; `ready` resolves once every one has loaded the engine. */
  constructor(module, size) {
    this.workers = [];
    this.pending = new Map();
    this.nextId = 1;
    this.closed = false;
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = engineWorker(`deid-${i}`);
      const slot = { worker: w, busy: 0 };
      w.onmessage = (ev) => this.#settle(slot, ev.data);
      w.onerror = (ev) => {
        ev.preventDefault();
        this.#fail(new Error(`a worker failed: ${ev.message || 'could not start (module workers unsupported?)'}`));
      };
      this.workers.push(slot);
    }
    this.ready = Promise.all(this.workers.map((s) => this.#send(s, { op: 'init', module })));
  }

  get size() {
    return this.workers.length;
  }

  /** Number of requests sent and not yet answered. */
  get busy() {
    return this.pending.size;
  }

  #send(slot, msg, transfer = []) {
    if (this.closed) return Promise.reject(new CancelledError());
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  #settle(slot, data) {
    const p = this.pending.get(data.id);
    if (!p) return;
    this.pending.delete(data.id);
    slot.busy--;
    if (data.error !== undefined) p.reject(Object.assign(new Error(data.error), data.code ? { code: data.code } : {}));
    else p.resolve(data.result);
  }

  #fail(err) {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }

  /** Index of the least busy worker. */
  leastBusy() {
    let best = 0;
    this.workers.forEach((s, i) => {
      if (s.busy < this.workers[best].busy) best = i;
    });
    return best;
  }

  /** Sends a request to the least busy worker, or to worker `on` when given. */
  run(msg, transfer = [], on = this.leastBusy()) {
    return this.#send(this.workers[on], msg, transfer);
  }

  /** Sends the same request to every worker. */
  broadcast(msg) {
    return Promise.all(this.workers.map((s) => this.#send(s, msg)));
  }

  /** Stops every worker now; pending requests reject with CancelledError. */
  terminate() {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.workers) s.worker.terminate();
    this.#fail(new CancelledError());
  }
}
