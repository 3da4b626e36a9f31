#!/usr/bin/env node
// Benchmark (not part of the test run): the page's engine in headless Chromium, folder → zip,
// against the native CLI on the same folder.
//
//   node scripts/bench-browser.mjs [FOLDER] [--workers N] [--repeat R] [--ui] [--no-native]
//                                  [--read-once BYTES]   (deidentify's readOnceBytes; API runs)
//
// FOLDER defaults to bench-data/corpus-1g (scripts/bench.sh's corpus), else a small corpus is
// generated into bench-data/corpus-small with scripts/make_bench_corpus.py. The folder is given
// to a webkitdirectory input (Chromium reads the files from disk as File objects); by default
// the public API runs on that FileList (deidentify(), output spooled to OPFS), with --ui the
// page itself (folder-input → start → summary). Prints files, MB, seconds, MB/s (input bytes /
// wall time from start to the finished zip), the scan/process split, and peak memory: the sum
// of RSS and of PSS over Chromium's process tree (sampled from /proc every 250 ms: reading smaps of a big process costs CPU the run needs) and the
// page's JS heap (performance.memory). The native CLI runs on the same folder with the same
// number of threads (peak RSS from /usr/bin/time), and the ratio is printed. The page's zip is
// checked to be byte-identical to the CLI's (SHA-256 of the OPFS spool file on disk). Then, in
// the same page, the same number of workers only read every file (Blob.arrayBuffer(), no engine):
// the ceiling that reading through the browser sets on this machine, with its CPU seconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../tests/e2e/helpers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'target/release/dicom-deid');

function parseArgs(argv) {
  const a = { folder: null, workers: 2, repeat: 1, ui: false, native: true, readOnce: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--workers') a.workers = Number(argv[++i]);
    else if (v === '--repeat') a.repeat = Number(argv[++i]);
    else if (v === '--ui') a.ui = true;
    else if (v === '--no-native') a.native = false;
    else if (v === '--read-once') a.readOnce = Number(argv[++i]);
    else if (v.startsWith('-')) throw new Error(`unknown option ${v}`);
    else a.folder = resolve(v);
  }
  return a;
}

function corpusFolder(given) {
  if (given) return given;
  const big = join(ROOT, 'bench-data/corpus-1g');
  if (existsSync(big) && readdirSync(big).some((n) => n.startsWith('.done'))) return big;
  const small = join(ROOT, 'bench-data/corpus-small');
  if (!existsSync(join(small, '.done'))) {
    console.log(`== generating ${small} (300 CT slices + compressed files)`);
    rmSync(small, { recursive: true, force: true });
    const r = spawnSync('python3', [join(ROOT, 'scripts/make_bench_corpus.py'), small, '--slices', '300'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('make_bench_corpus.py failed');
    writeFileSync(join(small, '.done'), '');
  }
  return small;
}

/** Files below `dir` (hidden marker files left out, as the generator's .done*). */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.done'))
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

// ---------------------------------------------------------------- memory of a process tree

function children() {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

function treeOf(pid) {
  const kids = children();
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(kids.get(p) || []));
  }
  return out;
}

/** {rss, pss} in bytes summed over the tree below `pid`. */
function treeMemory(pid) {
  let rss = 0;
  let pss = 0;
  for (const p of treeOf(pid)) {
    try {
      const t = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      rss += Number((t.match(/^Rss:\s+(\d+)/m) || [0, 0])[1]) * 1024;
      pss += Number((t.match(/^Pss:\s+(\d+)/m) || [0, 0])[1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return { rss, pss };
}

/** The Chromium browser process of a profile (the one without --type=). */
function browserPid(profile) {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(profile) && !cmd.includes('--type=')) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('the Chromium process was not found');
}

/** CPU seconds (user, system) of each process of the tree below `pid`, by Chromium process type. */
function treeCpu(pid) {
  const hz = 100;
  const out = {};
  for (const p of treeOf(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const type = (cmd.match(/--type=([\w-]+)/) || [0, p === pid ? 'browser' : 'other'])[1] + (cmd.includes('--utility-sub-type=') ? `:${cmd.match(/--utility-sub-type=([\w.]+)/)[1]}` : '');
      const o = (out[type] ||= { user: 0, sys: 0 });
      o.user += Number(f[11]) / hz;
      o.sys += Number(f[12]) / hz;
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function cpuDelta(a, b) {
  return Object.entries(b)
    .map(([k, v]) => [k, v.user - (a[k]?.user || 0), v.sys - (a[k]?.sys || 0)])
    .filter(([, u, s]) => u + s >= 0.05)
    .map(([k, u, s]) => `${k} ${u.toFixed(1)}+${s.toFixed(1)}`)
    .join(', ');
}

function sampler(pid) {
  const peak = { rss: 0, pss: 0 };
  const base = treeMemory(pid);
  const cpu0 = treeCpu(pid);
  const tick = () => {
    const m = treeMemory(pid);
    peak.rss = Math.max(peak.rss, m.rss);
    peak.pss = Math.max(peak.pss, m.pss);
  };
  const timer = setInterval(tick, 250);
  return { base, stop: () => (clearInterval(timer), tick(), (peak.cpu = cpuDelta(cpu0, treeCpu(pid))), peak) };
}

// ---------------------------------------------------------------- runs

const MB = 1e6;
const fmt = (label, files, bytes, s, rest) =>
  `${label.padEnd(34)} ${String(files).padStart(5)} files ${(bytes / MB).toFixed(0).padStart(6)} MB ${s.toFixed(2).padStart(7)} s ${(bytes / MB / s).toFixed(1).padStart(7)} MB/s  ${rest}`;

async function sha256File(path) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk);
  return h.digest('hex');
}

/** The largest file below the profile's storage: the OPFS spool zip. */
function largestFile(dir) {
  let best = null;
  const visit = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) {
        const size = statSync(p).size;
        if (!best || size > best.size) best = { path: p, size };
      }
    }
  };
  visit(dir);
  return best;
}

async function browserRun(folder, secret, { workers, ui, readOnce }) {
  const profile = mkdtempSync(join(tmpdir(), 'deid-bench-profile-'));
  const server = await startServer(join(ROOT, 'www'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-precise-memory-info'],
  });
  try {
    // The page spools the zip to OPFS: no save dialog in headless Chromium.
    if (ui) await context.addInitScript(() => delete window.showSaveFilePicker);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => (m.type() === 'error' || m.text().startsWith('[bench]')) && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="idle"]', { timeout: 120_000 });
    const pid = browserPid(profile);
    let r;
    if (ui) {
      await page.getByTestId('secret-input').setInputFiles({ name: 'bench.secret', mimeType: 'text/plain', buffer: Buffer.from(secret) });
      await page.waitForFunction(() => document.querySelector('[data-testid=secret-status]').dataset.fingerprint, null, { timeout: 60_000 });
      await page.getByTestId('folder-input').setInputFiles(folder);
      await page.waitForFunction(() => !document.querySelector('[data-testid=start]').disabled, null, { timeout: 600_000 });
      const mem = sampler(pid);
      const t0 = Date.now();
      await page.getByTestId('start').click();
      const s = page.locator('[data-testid=summary]:is([data-state="done"], [data-state="error"], [data-state="cancelled"])');
      await s.waitFor({ timeout: 3_600_000 });
      const seconds = (Date.now() - t0) / 1000;
      const peak = mem.stop();
      const state = await s.getAttribute('data-state');
      if (state !== 'done') throw new Error(`the page's run ended ${state}`);
      const d = await page.getByTestId('summary').evaluate((e) => ({ ...e.dataset }));
      console.log(`   the page's own figures: ${d.seconds} s, ${d.mbps} MB/s`);
      r = { seconds, written: Number(d.written), heap: await page.evaluate(() => performance.memory?.jsHeapSizeLimit && performance.memory.usedJSHeapSize), peak, base: mem.base };
    } else {
      await page.evaluate(() => {
        const i = document.createElement('input');
        i.type = 'file';
        i.webkitdirectory = true;
        i.id = 'bench-dir';
        i.hidden = true;
        document.body.append(i);
      });
      await page.locator('#bench-dir').setInputFiles(folder);
      const mem = sampler(pid);
      r = await page.evaluate(
        async ({ secret, workers, readOnceBytes }) => {
          const api = await import('./dicom-deid.js');
          let heap = 0;
          const timer = setInterval(() => (heap = Math.max(heap, performance.memory ? performance.memory.usedJSHeapSize : 0)), 100);
          const t0 = performance.now();
          const selection = await api.listSource(document.getElementById('bench-dir').files);
          const res = await api.deidentify({ source: selection, secret, workers, readOnceBytes });
          const seconds = (performance.now() - t0) / 1000;
          clearInterval(timer);
          let uaMemory = null;
          if (typeof performance.measureUserAgentSpecificMemory === 'function' && globalThis.crossOriginIsolated) {
            uaMemory = (await performance.measureUserAgentSpecificMemory()).bytes;
          }
          return { seconds, stats: res.stats, summary: res.summary, zipSize: res.zip.size, keyCsv: res.keyCsv, heap, uaMemory, where: res.zipLocation };
        },
        { secret, workers, readOnceBytes: readOnce },
      );
      r.peak = mem.stop();
      r.base = mem.base;
      r.written = r.summary.written;
      // The ceiling set by reading alone: the same number of workers read every file through
      // Blob.arrayBuffer() (4 in flight each, as the engine workers do) and do nothing else.
      const cpu0 = treeCpu(pid);
      r.readOnly = await page.evaluate(async ({ workers }) => {
        const files = [...document.getElementById('bench-dir').files];
        const src = `self.onmessage = async (e) => { let i = 0; const fs = e.data;
          await Promise.all([0, 1, 2, 3].map(async () => { while (i < fs.length) await fs[i++].arrayBuffer(); }));
          self.postMessage(0); };`;
        const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
        const t0 = performance.now();
        await Promise.all([...Array(workers).keys()].map((k) => new Promise((res, rej) => {
          const w = new Worker(url);
          w.onmessage = () => (w.terminate(), res());
          w.onerror = (e) => rej(new Error(e.message));
          w.postMessage(files.filter((_, j) => j % workers === k));
        })));
        return { seconds: (performance.now() - t0) / 1000 };
      }, { workers }).catch((e) => ({ error: String(e.message || e) }));
      r.readOnly.cpu = cpuDelta(cpu0, treeCpu(pid));
      const spool = largestFile(profile);
      if (spool && spool.size === r.zipSize) r.zipSha = await sha256File(spool.path);
    }
    r.errors = errors;
    return r;
  } finally {
    await context.close().catch(() => {});
    server.stop();
    rmSync(profile, { recursive: true, force: true });
  }
}

function nativeRun(folder, secretFile, threads, outDir) {
  const zip = join(outDir, 'native.zip');
  rmSync(zip, { force: true });
  const timeFile = join(outDir, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, CLI, '--out', zip, '--secret-file', secretFile, '--threads', String(threads), '-q', folder], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the CLI failed: ${r.stderr}`);
  const [seconds, rssKb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  return { seconds, rss: rssKb * 1024, zip };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const folder = corpusFolder(args.folder);
  const files = walk(folder);
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  // Warm the page cache, as scripts/bench.sh does: both runs read from memory.
  for (const f of files) readFileSync(f);
  const tmp = mkdtempSync(join(tmpdir(), 'deid-bench-'));
  const secretFile = join(tmp, 'bench.secret');
  const secret = 'b'.repeat(64);
  writeFileSync(secretFile, secret);
  console.log(`== ${folder}: ${files.length} files, ${(bytes / MB).toFixed(0)} MB; ${args.workers} workers, Chromium ${spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
  const lines = [];
  try {
    let best = null;
    for (let i = 0; i < args.repeat; i++) {
      const r = await browserRun(folder, secret, args);
      if (r.errors.length) console.log(`   page messages: ${r.errors.slice(0, 40).join(' | ')}`);
      const split = r.stats ? `scan ${r.stats.scanSeconds.toFixed(2)} s, process ${r.stats.processSeconds.toFixed(2)} s` : '';
      console.log(`   run ${i + 1}: ${r.seconds.toFixed(2)} s ${split}`);
      if (!best || r.seconds < best.seconds) best = r;
    }
    const r = best;
    const mem = `peak tree RSS ${(r.peak.rss / MB).toFixed(0)} MB, PSS ${(r.peak.pss / MB).toFixed(0)} MB (idle page: PSS ${(r.base.pss / MB).toFixed(0)} MB), JS heap ${(r.heap / MB).toFixed(0)} MB${r.uaMemory ? `, UA memory ${(r.uaMemory / MB).toFixed(0)} MB` : ''}`;
    lines.push(fmt(`browser${args.ui ? ' page' : ' API'}, ${args.workers} workers`, files.length, bytes, r.seconds, `${r.written} written; ${mem}`));
    lines.push(`   CPU seconds (user+sys) by Chromium process: ${r.peak.cpu}`);
    if (r.stats) lines.push(`   scan ${r.stats.scanSeconds.toFixed(2)} s, process ${r.stats.processSeconds.toFixed(2)} s; zip ${r.where}, ${(r.zipSize / MB).toFixed(0)} MB`);
    if (r.readOnly && r.readOnly.seconds) {
      lines.push(fmt(`reading only (Blob ceiling), ${args.workers} workers`, files.length, bytes, r.readOnly.seconds, `CPU ${r.readOnly.cpu}`));
    } else if (r.readOnly) lines.push(`   reading-only pass failed: ${r.readOnly.error}`);
    if (args.native) {
      const n = nativeRun(folder, secretFile, args.workers, tmp);
      lines.push(fmt(`native CLI, ${args.workers} threads`, files.length, bytes, n.seconds, `peak RSS ${(n.rss / MB).toFixed(0)} MB`));
      lines.push(`browser / native: ${((100 * n.seconds) / r.seconds).toFixed(0)}%`);
      if (r.zipSha) {
        const same = r.zipSha === (await sha256File(n.zip));
        lines.push(`zip byte-identical to the CLI's: ${same ? 'yes' : 'NO'}`);
        const key = readFileSync(`${n.zip.slice(0, -4)}-key.csv`, 'utf8');
        if (r.keyCsv !== undefined) lines.push(`key CSV identical: ${r.keyCsv === key ? 'yes' : 'NO'}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log('\n== results');
  for (const l of lines) console.log(l);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
