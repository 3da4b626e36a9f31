// One de-identification run in the browser, the same steps as the CLI:
//   1. the workers scan every file's headers; the page's WebJob collects the scans;
//   2. WebJob.plan() decides every ID, shift and output path; each worker gets the plan;
//   3. the workers rewrite the files in the order of paths_to_process(); at most four files per
//      worker and IN_FLIGHT_BYTES are in flight (back-pressure), and results are taken in that
//      order (a reorder window), so the zip's entries come in the CLI's order and the zip is
//      byte-identical; each written file's bytes go, transferred, to the sink worker, which
//      makes the zip and writes it (the page's thread never copies them);
//   4. the manifest/notes entries and the central directory close the zip; the key and the log
//      come from the WebJob.
// Internal: the public entry is deidentify() in dicom-deid.js, which checks the inputs first.
import { DeidError, asDeidError } from './errors.js';
import { WorkerPool } from './pool.js';

/** Files in flight per worker (reads wait on the browser: a few in flight keep the cores busy). */
const PER_WORKER = 4;
/** Input bytes in flight at most (beyond one file), whatever the number of files: memory stays flat. */
const IN_FLIGHT_BYTES = 128 << 20;
/** Entries queued in the sink worker at most, and their bytes (input buffers, transferred). */
const SINK_ENTRIES = 16;
const SINK_BYTES = 64 << 20;
/** Scans in flight per worker: a scan reads a few KiB, and each read waits on the browser. */
const SCANS_PER_WORKER = 32;
/**
 * Default bytes of files read whole by the scan and kept in the workers for the rewrite (files
 * of at most KEEP_FILE_BYTES, first come first kept): each is read once instead of twice. A study
 * of up to this size is read once in all.
 */
const READ_ONCE_BYTES = 256 << 20;
const KEEP_FILE_BYTES = 8 << 20;

/** Marks a promise as handled (it is awaited later, maybe never if the run stops first). */
function quiet(promise) {
  promise.catch(() => {});
  return promise;
}

/** A written instance's bytes (a copy): the engine's head, then the last `tail` bytes of `data`. */
function instanceBytes({ head, data, tail }) {
  const out = new Uint8Array(head.length + tail);
  out.set(head, 0);
  out.set(data.subarray(data.length - tail), head.length);
  return out;
}

const aborted = () => new DeidError('aborted', 'the run was cancelled; nothing was kept');

/**
 * Runs a job: `job` is the engine's WebJob for the run's options, secret, mapping and key
 * (this function frees it). `items` come from sources.expand(); `sink` from sink.js; `secret`
 * is the bytes of the trimmed secret text; `runTime` the run's time for its statement (RFC 3339). `onProgress({phase, done, total, bytes, totalBytes, elapsed})` is
 * called often (the page throttles its drawing). Resolves to {output, key, log, summary,
 * problems, seconds, phases: {scan, process} (seconds), bytesWritten, instances: [{path, at, size}]
 * (the written instances and where their bytes are in the zip, in the zip's order)}. `onWritten`
 * (optional) is given each written instance ({path, bytes}, a copy) as it is written; rejects with a DeidError:
 * 'aborted' when `signal` aborts, 'unsupported' when the workers cannot start, else 'io'.
 */
export async function runJob({ module, job, items, badZips, secret, sink, workers, readOnceBytes = READ_ONCE_BYTES, runTime, onProgress, signal, onWritten }) {
  const pool = new WorkerPool(module, workers);
  const stop = () => pool.terminate();
  signal.addEventListener('abort', stop);
  const check = () => {
    if (signal.aborted) throw aborted();
  };
  const started = performance.now();
  try {
    await pool.ready.catch((e) => {
      throw signal.aborted ? aborted() : asDeidError(e, 'unsupported', 'the engine workers cannot start: ');
    });
    check();
    const window = pool.size * PER_WORKER;

    // 1. Scan.
    for (const b of badZips) job.add_bad_zip(b.path, b.reason);
    const totalBytes = items.reduce((s, it) => s + (it.size || 0), 0);
    let done = 0;
    let bytes = 0;
    const report = (phase, total, tb) =>
      onProgress({ phase, done, total, bytes, totalBytes: tb, elapsed: (performance.now() - started) / 1000 });
    const scans = [];
    // Source path → the worker holding its bytes (read whole by the scan).
    const keptOn = new Map();
    let keptBytes = 0;
    const takeScan = async () => {
      const { item, promise, on } = scans.shift();
      const r = await promise;
      if (r.unreadable !== undefined) job.add_unreadable(item.path, 0, r.unreadable);
      else job.add_scan(r.scan.record);
      if (r.kept) keptOn.set(item.path, on);
      done++;
      bytes += item.size || 0;
      report('scan', items.length, totalBytes);
    };
    for (const item of items) {
      check();
      const size = item.size || 0;
      const keep = item.index == null && size <= KEEP_FILE_BYTES && keptBytes + size <= readOnceBytes;
      if (keep) keptBytes += size;
      const on = pool.leastBusy();
      scans.push({ item, on, promise: quiet(pool.run({ op: 'scan', item, keep }, [], on)) });
      if (scans.length >= pool.size * SCANS_PER_WORKER) await takeScan();
    }
    while (scans.length) await takeScan();
    check();

    const scanned = performance.now();

    // 2. Plan, and give every worker the plan. A plan that cannot be made (random IDs that do
    // not fit in the digits) is an options error, found before anything is written.
    let spec;
    try {
      spec = job.plan();
    } catch (e) {
      throw asDeidError(e, 'bad-options');
    }
    await pool.broadcast({ op: 'setup', spec, secret });
    check();

    // 3. Rewrite, writing in the planned order.
    const byPath = new Map(items.map((it) => [it.path, it]));
    const todo = job.paths_to_process().map((p) => byPath.get(p)).filter(Boolean);
    const todoBytes = todo.reduce((s, it) => s + (it.size || 0), 0);
    const processStart = performance.now();
    done = 0;
    bytes = 0;
    let bytesWritten = 0;
    const reportProcess = () =>
      onProgress({
        phase: 'process',
        done,
        total: todo.length,
        bytes,
        totalBytes: todoBytes,
        elapsed: (performance.now() - processStart) / 1000,
      });
    reportProcess();
    const queue = [];
    // The written instances: their path and where their bytes are in the zip ({path, at, size}).
    const instances = [];
    // Entries handed to the sink and not yet written, oldest first (the sink writes them in order).
    const writes = [];
    let writeBytes = 0;
    const takeWrite = async () => {
      const w = writes.shift();
      writeBytes -= w.size;
      await w.promise;
    };
    let inFlight = 0;
    const takeResult = async () => {
      const { item, promise } = queue.shift();
      inFlight -= item.size || 0;
      const r = await promise;
      check();
      if (r.head && r.path !== undefined) {
        // Up to SINK_ENTRIES entries (SINK_BYTES) queued in the sink while the next results
        // are taken: waiting for each write before the next cost a round trip per file.
        const size = r.data.byteLength + r.head.byteLength;
        // A destination that streams takes a copy of the instance before its buffers go to the
        // sink (awaited: the destination's queue holds the run back when it is full).
        if (onWritten) await onWritten({ path: r.path, bytes: instanceBytes(r) });
        while (writes.length && (writes.length >= SINK_ENTRIES || writeBytes + size > SINK_BYTES)) await takeWrite();
        const path = r.path;
        const promise = quiet(sink.addParts(path, r).then((at) => at && instances.push({ path, at: at.at, size: at.size })));
        writes.push({ size, promise });
        writeBytes += size;
        // The worker's answer carries the engine's input size; a missing one must not turn the
        // run's byte count (and its MB/s) into NaN.
        bytesWritten += Number.isFinite(r.bytesIn) ? r.bytesIn : item.size || 0;
      }
      job.record(r.outcome);
      done++;
      bytes += item.size || 0;
      reportProcess();
    };
    for (const item of todo) {
      check();
      while (queue.length && (queue.length >= window || inFlight + (item.size || 0) > IN_FLIGHT_BYTES)) await takeResult();
      inFlight += item.size || 0;
      const on = keptOn.has(item.path) ? keptOn.get(item.path) : pool.leastBusy();
      queue.push({ item, promise: quiet(pool.run({ op: 'process', item }, [], on)) });
    }
    while (queue.length) await takeResult();
    pool.terminate();

    while (writes.length) await takeWrite();

    // 4. Close the zip; the key and the log.
    for (const [path, entry] of job.final_entries(runTime)) await sink.add(path, entry);
    check();
    const output = await sink.finish();
    const seconds = (performance.now() - started) / 1000;
    const phases = { scan: (scanned - started) / 1000, process: (performance.now() - processStart) / 1000 };
    const rows = job.log_rows();
    return {
      output,
      key: job.key_csv(),
      log: job.log_csv(),
      summary: job.summary(),
      problems: rows.filter((r) => r.outcome !== 'written'),
      cleaned: rows.filter((r) => r.outcome === 'written' && r.reason_code === 'pixels_cleaned'),
      seconds,
      phases,
      bytesWritten,
      instances,
    };
  } catch (e) {
    pool.terminate();
    await sink.abort();
    if (signal.aborted) throw aborted();
    throw asDeidError(e, 'io');
  } finally {
    signal.removeEventListener('abort', stop);
    job.free();
  }
}
