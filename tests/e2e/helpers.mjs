// Shared helpers of the end-to-end tests: the static server, headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core; nothing downloads a browser), the CLI run that
// the page is compared with, a small independent zip reader and dcmdump-based attribute reads.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = join(ROOT, 'tests/data');
export const OUT = join(ROOT, 'test-output');
export const CLI = join(ROOT, 'target/release/dicom-deid');
export const PHI_CHECK = join(ROOT, 'target/release/examples/phi_check');
/** A fixed project secret (64 hex characters, the CLI's secret-file format). */
export const SECRET_TEXT = '5f1d3c8a9b7e6d4c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181706\n';

/** Generous limits: the machine may be busy compiling. */
export const LONG = 180_000;

/**
 * The run's time that every run of the tests is given (the zip's run statement records it): the
 * CLI reads SOURCE_DATE_EPOCH (set here, inherited by every CLI the tests start), and the pages
 * run FIXED_CLOCK before their own code (Date and Date.now() give this time), so the page and the
 * CLI write the same zip, byte for byte.
 */
export const RUN_TIME = '2026-12-06T10:00:00.000Z';
process.env.SOURCE_DATE_EPOCH = String(Date.parse(RUN_TIME) / 1000);
/** Page function: Date and Date.now() give `fixed` (ms since 1970) from now on. */
export function installFixedClock(fixed) {
  const Real = Date;
  function FixedDate(...a) {
    if (!new.target) return new Real(fixed).toString();
    return a.length ? new Real(...a) : new Real(fixed);
  }
  FixedDate.prototype = Real.prototype;
  FixedDate.now = () => fixed;
  FixedDate.parse = Real.parse;
  FixedDate.UTC = Real.UTC;
  globalThis.Date = FixedDate;
}
/** The same as a script run before the page's own code (an init script). */
export const FIXED_CLOCK = `(${installFixedClock})(${Date.parse(RUN_TIME)});`;
process.env.DEID_FIXED_CLOCK = FIXED_CLOCK;

/**
 * Starts scripts/serve.mjs on `port` (0: a free one), serving `root` (www/) with serve.mjs's
 * `flags` (e.g. ['--connect', origin]); resolves to {url, origin, stop()}.
 */
export function startServer(root = join(ROOT, 'www'), flags = [], port = 0) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), String(port), root, ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolvePromise({ url: m[0], origin: `http://127.0.0.1:${m[1]}`, stop: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}) before listening: ${out}`)));
  });
}

/** Headless Chromium with a fresh profile and the tests' clock (FIXED_CLOCK); resolves to {context, close()}. */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'deid-e2e-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  await context.addInitScript(FIXED_CLOCK);
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Collects uncaught page errors and console errors (a test asserts there are none). */
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Makes the context's pages look like browsers without the save dialog (Firefox, Safari). */
export function withoutSavePicker(context) {
  // Members of the global object's interface are own properties of `window`.
  return context.addInitScript(() => {
    delete window.showSaveFilePicker;
  });
}

/** Names at the top of the page's Origin Private File System, sorted. */
export function opfsNames(page) {
  return page.evaluate(async () => {
    const out = [];
    for await (const n of (await navigator.storage.getDirectory()).keys()) out.push(n);
    return out.sort();
  });
}

/** Every file below `dir`, sorted. */
export function walkFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walkFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** Copies the folder `dir` into the page's Origin Private File System as the folder `name`. */
export async function copyToOpfs(page, dir, name) {
  for (const file of walkFiles(dir)) {
    await page.evaluate(
      async ({ top, parts, b64 }) => {
        let d = await (await navigator.storage.getDirectory()).getDirectoryHandle(top, { create: true });
        for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p, { create: true });
        const fh = await d.getFileHandle(parts[parts.length - 1], { create: true });
        const w = await fh.createWritable();
        await w.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
        await w.close();
      },
      { top: name, parts: relative(dir, file).split('/'), b64: readFileSync(file).toString('base64') },
    );
  }
}

/** The bytes of a file at the top of the page's Origin Private File System. */
export async function readOpfsFile(page, name) {
  const b64 = await page.evaluate(async (n) => {
    const f = await (await (await navigator.storage.getDirectory()).getFileHandle(n)).getFile();
    const bytes = new Uint8Array(await f.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, name);
  return Buffer.from(b64, 'base64');
}

/** Opens the page and waits until the engine is loaded. */
export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
  return { page, errors };
}

/**
 * What most page tests start from: a temporary folder (`tmp`) holding the fixed secret as
 * `secretFile`, the static server, a browser without the save picker, and the page open with
 * that secret loaded (`page`, `errors`). `close()` stops them all (what was started, when the
 * setup failed midway).
 */
export async function pageWithSecret(prefix) {
  const s = { tmp: tempDir(prefix) };
  s.close = async () => {
    await s.browser?.close();
    s.server?.stop();
    s.tmp.cleanup();
  };
  try {
    s.secretFile = join(s.tmp.dir, 'project.secret');
    writeFileSync(s.secretFile, SECRET_TEXT);
    s.server = await startServer();
    s.browser = await launchBrowser();
    await withoutSavePicker(s.browser.context);
    ({ page: s.page, errors: s.errors } = await openPage(s.browser.context, s.server.url));
    await loadSecret(s.page);
  } catch (e) {
    await s.close();
    throw e;
  }
  return s;
}

/** The page's fingerprint of a secret file: SHA-256 of its trimmed text, first 4 bytes in hex. */
export function fingerprint(secretText) {
  return createHash('sha256').update(secretText.trim()).digest('hex').slice(0, 8);
}

/** Loads the fixed secret through the page's secret file input (and waits until it is in use). */
export async function loadSecret(page) {
  await page.getByTestId('secret-input').setInputFiles({ name: 'project.secret', mimeType: 'text/plain', buffer: Buffer.from(SECRET_TEXT) });
  await page.waitForFunction((fp) => document.querySelector('[data-testid=secret-status]').dataset.fingerprint === fp, fingerprint(SECRET_TEXT), { timeout: LONG });
}

/** Waits for the summary to be done; returns its counts. */
export async function waitDone(page) {
  const summary = page.locator('[data-testid=summary]:is([data-state="done"], [data-state="error"], [data-state="cancelled"])');
  await summary.waitFor({ timeout: LONG });
  const state = await summary.getAttribute('data-state');
  if (state !== 'done') throw new Error(`the run ended ${state}: ${await page.locator('#run-error').textContent()}`);
  return page.getByTestId('summary').evaluate((s) => ({
    written: Number(s.dataset.written),
    rejected: Number(s.dataset.rejected),
    skipped: Number(s.dataset.skipped),
    seen: Number(s.dataset.seen),
    mbps: Number(s.dataset.mbps),
    seconds: Number(s.dataset.seconds),
  }));
}

/** Clicks a download link and returns the downloaded bytes. */
export async function download(page, testId) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: LONG }), page.getByTestId(testId).click()]);
  const path = await dl.path();
  return { bytes: readFileSync(path), name: dl.suggestedFilename() };
}

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the CLI when it is missing or older than the sources. */
export function ensureCli() {
  const stale = !existsSync(CLI) || statSync(CLI).mtimeMs < newestMtime(join(ROOT, 'src'));
  if (stale) {
    const r = spawnSync('cargo', ['build', '--quiet', '--release', '--bin', 'dicom-deid'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cargo build --release --bin dicom-deid failed');
  }
}

/**
 * Runs the CLI on `input` with `secretFile` (and `extraArgs`); writes `<dir>/cli.zip`, `cli-key.csv`,
 * `cli-log.csv`; returns their paths.
 */
export function runCli(input, secretFile, dir, extraArgs = []) {
  ensureCli();
  const zip = join(dir, 'cli.zip');
  const r = spawnSync(CLI, ['--quiet', '--out', zip, '--secret-file', secretFile, ...extraArgs, input], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`CLI failed (${r.status}): ${r.stderr}`);
  return { zip, key: join(dir, 'cli-key.csv'), log: join(dir, 'cli-log.csv') };
}

/**
 * Asserts that the page's downloads (`got.zip|key|log` = {bytes}) equal the CLI's files; a
 * differing page file is kept in test-output/ as `<label>-<kind>` for inspection.
 */
export function assertSameAsCli(got, cli, label) {
  for (const kind of ['zip', 'key', 'log']) {
    if (!got[kind]) continue;
    const mine = got[kind].bytes;
    const theirs = readFileSync(cli[kind]);
    if (Buffer.compare(mine, theirs) !== 0) {
      mkdirSync(OUT, { recursive: true });
      writeFileSync(join(OUT, `${label}-${kind}${kind === 'zip' ? '.zip' : '.csv'}`), mine);
      const wasm = join(ROOT, 'www/pkg/dicom_deid_bg.wasm');
      const stale = existsSync(wasm) && statSync(wasm).mtimeMs < newestMtime(join(ROOT, 'src'))
        ? ' (www/pkg is older than src/: rebuild it with scripts/build-web.sh)' : '';
      assert.fail(`${label}: the page's ${kind} (${mine.length} bytes) differs from the CLI's (${theirs.length} bytes); the page's copy is in test-output/${stale}`);
    }
  }
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads a zip's entries from its central directory (stored or deflated; no zip64 needed here). */
export function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry ${n}`);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + csize);
    entries.push({ name, data: method === 0 ? raw : inflateRawSync(raw) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Values of some attributes of a DICOM file, read by dcmdump (independent of the engine). */
export function dcmValues(file, keywords = ['PatientID', 'PatientName', 'StudyInstanceUID']) {
  const args = ['-q', '+sd', ...keywords.flatMap((k) => ['+P', k]), file];
  let r = spawnSync('dcmdump', args, { encoding: 'utf8' });
  if (!/\[/.test(r.stdout || '')) r = spawnSync('dcmdump', ['-q', '-f', '+sd', '-dc', ...keywords.flatMap((k) => ['+P', k]), file], { encoding: 'utf8' });
  const out = {};
  for (const line of (r.stdout || '').split('\n')) {
    const m = line.match(/^\s*\([0-9a-f]{4},[0-9a-f]{4}\)\s+\w\w\s+\[(.*)\]\s+#.*\s(\w+)\s*$/i);
    if (m && !(m[2] in out)) out[m[2]] = m[1];
  }
  return out;
}

/** Minimal CSV parsing (quotes, commas, newlines inside quotes); rows of strings. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') q = false;
      else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Serious and critical axe violations on the page (as readable lines). */
export async function axeProblems(page) {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') does not apply.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const r = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Log rows (objects by column name) of a log CSV. */
export function logRows(bytes) {
  const [head, ...rows] = parseCsv(bytes.toString('utf8')).filter((r) => r.length > 1 && !r[0].startsWith('#'));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

// ---------------------------------------------------------------- the burned-in text review

/** The groups of the review (the grid's cells): [{index, count, key, decision, title, detected}]. */
export function reviewGroups(page) {
  return page.getByTestId('pixel-cell').evaluateAll((nodes) => nodes.map((n, index) => ({
    index,
    count: Number(n.dataset.count),
    key: JSON.parse(n.dataset.key),
    decision: n.dataset.decision,
    title: n.querySelector('.px-cell-title').textContent,
    detected: n.dataset.detected === undefined ? null : Number(n.dataset.detected),
  })));
}

/**
 * Selects the group whose signature key satisfies `pred(key)` ([modality, manufacturer, model,
 * rows, columns, photometric, sop, imageType]) in the grid; resolves to the detail pane's editor
 * once its image is drawn.
 */
export async function reviewGroupOf(page, pred) {
  const all = await reviewGroups(page);
  const g = all.find((x) => pred(x.key));
  assert.ok(g, `a group among ${all.map((x) => x.title).join(' | ')}`);
  await page.getByTestId('pixel-cell').nth(g.index).click();
  const detail = page.getByTestId('pixel-group');
  await page.waitForFunction((key) => {
    const roots = [document, ...[...document.querySelectorAll('dicom-deid')].map((e) => e.shadowRoot)];
    return roots.some((r) => {
      const n = r.querySelector('[data-testid=pixel-group]');
      return n && n.dataset.key === key && ['drawn', 'error'].includes(n.dataset.preview);
    });
  }, JSON.stringify(g.key), { timeout: LONG });
  return detail;
}
