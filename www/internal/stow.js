// Sending de-identified instances to a DICOMweb archive by STOW-RS (PS3.18 10.5). This module
// does the network (fetch) and the queue; every decision is the engine's (src/deliver/, through
// the bindings of src/web.rs, given here as `core`): whether an instance is storable and its
// identifiers and SHA-256, the batches (bytes and count), the multipart body's boundary and
// pieces, what to do after an attempt (retry after N ms, refresh the headers, give up) and what
// the archive's response says of each instance.
//
//   const sender = new StowSender({ core, destination, ledger, signal, onProgress });
//   await sender.add({ path, bytes });   // or { path, size, read() }; waits while the queue is full
//   const delivery = await sender.finish();
//
// Instances the ledger (ledger.js) records as stored at this destination with the same SHA-256
// are not sent again. Only the bytes of one batch being filled and of the batches in flight
// are held.
import { DeidError, messageOf } from './errors.js';
import { sleep, withTimeout } from './timing.js';

/** Requests in flight at once. */
const PARALLEL = 3;
/** The longest an attempt may take (the body sent and the answer read). */
const ATTEMPT_MS = 120_000;
/** The most of an archive's answer that is read (a STOW-RS response lists the instances of one batch). */
const RESPONSE_BYTES = 4 << 20;

/** The body of a response, at most RESPONSE_BYTES of it. */
async function boundedBody(response) {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = RESPONSE_BYTES - size;
    chunks.push(value.length > room ? value.subarray(0, room) : value);
    size += Math.min(value.length, room);
    if (size >= RESPONSE_BYTES) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer());
}

/** The request headers of a destination: its `headers`, or what `getHeaders()` gives (called again after a 401). */
async function headersOf(destination) {
  const h = typeof destination.getHeaders === 'function' ? await destination.getHeaders() : destination.headers;
  return Object.fromEntries(Object.entries(h || {}).map(([k, v]) => [String(k), String(v)]));
}

const aborted = () => new DeidError('aborted', 'the sending was cancelled; what was stored is in the ledger');

export class StowSender {
  #core;
  #destination;
  #ledger;
  #signal;
  #onProgress;
  /** The request headers (a promise: every request waits for the same call of getHeaders()). */
  #headers = null;
  /** Instances waiting for the next batch ({path, sop, sha256, bytes}). */
  #pending = [];
  #inflight = new Set();
  #started = performance.now();
  /** Per-instance results, in the order instances were given. */
  results = [];
  counts = { total: 0, stored: 0, warning: 0, failed: 0, already: 0, not_storable: 0, bytes: 0, requests: 0 };

  /**
   * `core`: the engine's delivery functions (dicom-deid.js). `destination`: {url, headers |
   * getHeaders(), limits?: {max_bytes, max_count}}. `ledger`: a Ledger (ledger.js).
   */
  constructor({ core, destination, ledger, signal, onProgress }) {
    this.#core = core;
    this.#destination = destination;
    this.#ledger = ledger;
    this.#signal = signal;
    this.#onProgress = onProgress || (() => {});
  }

  #report() {
    const c = this.counts;
    const elapsed = (performance.now() - this.#started) / 1000;
    const sent = c.stored + c.warning;
    this.#onProgress({
      phase: 'send', done: sent + c.failed + c.already + c.not_storable, total: c.total, sent, failed: c.failed,
      bytes: c.bytes, elapsed, rate: sent / Math.max(elapsed, 1e-9), mbps: c.bytes / 1e6 / Math.max(elapsed, 1e-9),
    });
  }

  #result(r) {
    this.results.push(r);
    this.counts[r.status === 'already_stored' ? 'already' : r.status] += 1;
    if (r.status === 'stored' || r.status === 'warning') this.counts.bytes += r.size;
  }

  /**
   * One written instance: `bytes`, or `size` and `read()` giving them; `vouched`: the SHA-256
   * the zip's manifest lists for it, when it is read back from a zip (other bytes stop the
   * sending, DeidError 'unvouched'). Not storable ones are reported and never sent; those the
   * ledger holds are skipped; the others are batched. Waits while PARALLEL requests are in flight.
   * @param {{ path: string, bytes?: Uint8Array, read?: () => Promise<Uint8Array>, vouched?: string }} instance
   */
  async add({ path, bytes, read, vouched }) {
    if (this.#signal.aborted) throw aborted();
    this.counts.total += 1;
    const data = bytes || (await read());
    const info = this.#core.check(data, vouched);
    // Read back from a zip: the bytes must be those its manifest lists (the engine compares).
    if (info.vouched === false) throw new DeidError('unvouched', `${path}: ${info.reason}; the sending stopped`);
    if (!info.storable) {
      this.#result({ path, status: 'not_storable', reason: info.reason, size: data.length });
      this.#report();
      return;
    }
    const { sop_instance_uid: sop, sha256 } = info;
    if (await this.#ledger.stored(this.#destination.url, sop, sha256)) {
      this.#result({ path, sop_instance_uid: sop, sha256, status: 'already_stored', reason: '', size: data.length });
      this.#report();
      return;
    }
    this.#pending.push({ path, sop, sha256, bytes: data });
    const cuts = this.#core.batches(this.#pending.map((p) => p.bytes.length), this.#destination.limits);
    if (cuts.length > 1) await this.#dispatch(this.#pending.splice(0, cuts[0][1]));
  }

  /** Sends what is pending and waits for every request; resolves to {results, counts, seconds}. */
  async finish() {
    while (this.#pending.length) {
      const cuts = this.#core.batches(this.#pending.map((p) => p.bytes.length), this.#destination.limits);
      await this.#dispatch(this.#pending.splice(0, cuts[0][1]));
    }
    await Promise.all([...this.#inflight]);
    if (this.#signal.aborted) throw aborted();
    this.#report();
    return { results: this.results, counts: { ...this.counts }, seconds: (performance.now() - this.#started) / 1000 };
  }

  async #dispatch(batch) {
    while (this.#inflight.size >= PARALLEL) await Promise.race([...this.#inflight]);
    if (this.#signal.aborted) throw aborted();
    const p = this.#send(batch).catch((e) => {
      if (!this.#signal.aborted) for (const b of batch) this.#result({ path: b.path, sop_instance_uid: b.sop, sha256: b.sha256, status: 'failed', reason: messageOf(e), size: b.bytes.length });
    });
    const tracked = p.finally(() => this.#inflight.delete(tracked));
    this.#inflight.add(tracked);
  }

  /** One attempt with the headers `headersPromise` gives: {status (undefined: no answer), retryAfter, contentType, body, error}. */
  async #attempt(body, contentType, accept, headersPromise) {
    const headers = await headersPromise;
    const t = withTimeout(this.#signal, ATTEMPT_MS);
    this.counts.requests += 1;
    try {
      const r = await fetch(this.#destination.url, {
        method: 'POST', body, signal: t.signal, credentials: 'same-origin', cache: 'no-store',
        headers: { ...headers, 'Content-Type': contentType, Accept: accept },
      });
      const answer = await boundedBody(r);
      return { status: r.status, retryAfter: r.headers.get('Retry-After') ?? undefined, contentType: r.headers.get('Content-Type') || '', body: answer };
    } catch (e) {
      if (this.#signal.aborted) throw aborted();
      return { status: undefined, retryAfter: undefined, contentType: '', body: new Uint8Array(0), error: messageOf(e) };
    } finally {
      t.done();
    }
  }

  /** Sends one batch until the engine says it is answered or given up; records each instance. */
  async #send(batch) {
    const parts = batch.map((b) => b.bytes);
    const { content_type: contentType, accept, head, end, closing } = this.#core.body(parts);
    const body = new Blob([...parts.flatMap((p) => [head, p, end]), closing]);
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (!this.#headers) this.#headers = headersOf(this.#destination);
      const used = this.#headers;
      const a = await this.#attempt(body, contentType, accept, used);
      const d = this.#core.decide(attempt, refreshed, a.status, a.retryAfter, this.#destination.retry);
      if (d.action === 'retry_after') {
        await sleep(d.delay_ms, this.#signal);
      } else if (d.action === 'refresh_headers') {
        // One new call for the requests that got a 401 with the same headers.
        if (this.#headers === used) this.#headers = headersOf(this.#destination);
        refreshed = true;
      } else {
        await this.#record(batch, d.action === 'fail' ? [d.reason, a.error].filter(Boolean).join(': ') : null, a);
        return;
      }
    }
  }

  /**
   * What became of each instance of `batch`: all failed for `failure`, or the archive's answer
   * `a` read by the engine; the stored ones go into the ledger.
   */
  async #record(batch, failure, a) {
    const outcomes = failure != null
      ? batch.map(() => ({ status: 'failed', reason: failure }))
      : this.#core.outcomes(a.body, a.contentType, batch.map((b) => b.sop));
    const stored = [];
    batch.forEach((b, i) => {
      const o = outcomes[i];
      this.#result({ path: b.path, sop_instance_uid: b.sop, sha256: b.sha256, status: o.status, reason: o.reason, size: b.bytes.length });
      if (o.status === 'stored' || o.status === 'warning') stored.push(b);
    });
    await this.#ledger.record(this.#destination.url, stored.map((b) => ({ sop: b.sop, sha256: b.sha256, path: b.path })));
    this.#report();
  }
}
