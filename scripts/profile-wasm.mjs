#!/usr/bin/env node
// Profile (not part of the test run): the wasm engine's per-file work, outside the browser, in
// Node's V8 (the engine of Chromium), one thread, files read from disk before the clock starts.
//
//   node scripts/profile-wasm.mjs [FOLDER] [--pkg DIR] [--repeat R] [--cpu-prof FILE.cpuprofile]
//
// Runs what one page worker does for each file — scan_file_prefix (16 KiB) at the scan, then
// WebEngine.process_parts at the rewrite (which returns the new header and the CRC-32 of the
// whole output) — over every file of FOLDER (default bench-data/corpus-600), with the page's
// default options (basic profile). Prints MB/s of each phase (input bytes / engine time). With
// --cpu-prof, a V8 CPU profile is written and its self time summed by function (the wasm's
// function names come from its name section: give --pkg a wasm-bindgen output built without
// wasm-opt, e.g. `wasm-bindgen --target web --out-dir /tmp/pkg-names
// target/wasm32-unknown-unknown/release/dicom_deid.wasm`) and printed, top 40.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const a = { folder: join(ROOT, 'bench-data/corpus-600'), pkg: join(ROOT, 'pkg'), repeat: 1, prof: null };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--pkg') a.pkg = resolve(argv[++i]);
    else if (v === '--repeat') a.repeat = Number(argv[++i]);
    else if (v === '--cpu-prof') a.prof = resolve(argv[++i]);
    else if (v.startsWith('-')) throw new Error(`unknown option ${v}`);
    else a.folder = resolve(v);
  }
  return a;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Self time by function name, from a V8 .cpuprofile (sample counts × interval). */
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) || 0) + 1);
  const total = profile.samples.length;
  const byName = new Map();
  for (const [id, c] of counts) {
    const f = byId.get(id).callFrame;
    const name = f.functionName || `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})`;
    byName.set(name, (byName.get(name) || 0) + c);
  }
  return [...byName].sort((x, y) => y[1] - x[1]).map(([name, c]) => [name, (100 * c) / total]);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const wb = await import(pathToFileURL(join(a.pkg, 'dicom_deid.js')).href);
  await wb.default({ module_or_path: readFileSync(join(a.pkg, 'dicom_deid_bg.wasm')) });
  const files = walk(a.folder).map((p) => ({ path: relative(a.folder, p), bytes: new Uint8Array(readFileSync(p)) }));
  const total = files.reduce((s, f) => s + f.bytes.length, 0);
  const secret = new TextEncoder().encode('profile secret');
  const config = wb.preset_config('basic');
  const session = a.prof ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  let scanMs = 0;
  let processMs = 0;
  let written = 0;
  for (let r = 0; r < a.repeat; r++) {
    const job = new wb.WebJob(config, secret, undefined, undefined);
    let t = performance.now();
    const prefixLen = 16 << 10;
    for (const f of files) {
      const rec = f.bytes.length > prefixLen ? wb.scan_file_prefix(f.path, f.bytes.subarray(0, prefixLen), f.bytes.length) : undefined;
      job.add_scan((rec ?? wb.scan_file(f.path, f.bytes)).record);
    }
    const spec = job.plan();
    scanMs += performance.now() - t;
    const engine = new wb.WebEngine(spec, secret);
    const byPath = new Map(files.map((f) => [f.path, f]));
    t = performance.now();
    for (const p of job.paths_to_process()) {
      const out = engine.process_parts(p, byPath.get(p).bytes);
      if (out.head !== undefined) written++;
    }
    processMs += performance.now() - t;
    engine.free();
    job.free();
  }
  const mb = (total * a.repeat) / 1e6;
  console.log(`${files.length} files, ${(total / 1e6).toFixed(1)} MB, ${a.repeat} run(s), ${written} written`);
  console.log(`scan:    ${(scanMs / 1000).toFixed(3)} s  ${(mb / (scanMs / 1000)).toFixed(0)} MB/s  ${((1000 * scanMs) / (files.length * a.repeat)).toFixed(0)} us/file`);
  console.log(`process: ${(processMs / 1000).toFixed(3)} s  ${(mb / (processMs / 1000)).toFixed(0)} MB/s  ${((1000 * processMs) / (files.length * a.repeat)).toFixed(0)} us/file`);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(a.prof, JSON.stringify(profile));
    console.log(`profile: ${a.prof}; self time by function (% of samples):`);
    for (const [name, pct] of selfTimes(profile).slice(0, 40)) console.log(`${pct.toFixed(1).padStart(6)}  ${name}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
