// The page run by a WebDriver-driven browser (Firefox over WebDriver BiDi, WebKitGTK over
// WebKitWebDriver), compared with the CLI. WebDriver cannot upload a folder: a few small files
// of the corpus go in one by one through the folder input turned into a plain multiple-file
// input (each file's path in the page is then its name, as the CLI names files given one by
// one). The zip, key and log are read back from the page's download links (blob: URLs), so no
// browser download directory is involved.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, LONG, RUN_TIME, SECRET_TEXT, installFixedClock, runCli, tempDir } from './helpers.mjs';

/** Small files with distinct names and varied encodings (ISO 2022 Korean, deflate, SR, RTSTRUCT). */
export const FEW_FILES = [
  'fixtures/korean_iso2022_ir149.dcm',
  'pydicom/rtstruct.dcm',
  'dicomscope/reportsi.dcm',
  'derived/DEFLATED_brain_007.dcm',
].map((p) => join(CORPUS, p));

/** The CLI run on FEW_FILES with the fixed secret: {tmp, cli, secretFile}. */
export function cliOnFewFiles(prefix) {
  const tmp = tempDir(prefix);
  const secretFile = join(tmp.dir, 'project.secret');
  writeFileSync(secretFile, SECRET_TEXT);
  const cli = runCli(FEW_FILES[0], secretFile, tmp.dir, FEW_FILES.slice(1));
  return { tmp, cli, secretFile };
}

/**
 * Polls `check` (a page function returning a truthy value when done) through `b.eval` every
 * 250 ms until it is truthy; returns it. Throws with `what` after `timeout` ms.
 */
export async function waitUntil(b, check, arg, what, timeout = LONG) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await b.eval(check, arg);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Page function: the bytes behind a download link, base64 (read from its blob: URL). */
function linkBytes(testId) {
  return (async () => {
    const a = document.querySelector(`[data-testid=${testId}]`);
    const bytes = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  })();
}

/**
 * Runs the page through the browser adapter `b` = {eval(fn, arg) → value (fn runs in the page,
 * may return a promise), upload(testId, paths), click(testId)}: loads the secret, uploads `files`,
 * waits for the preview, starts, waits for the end; returns {zip, key, log} ({bytes} each), the
 * summary's state and whether the zip was kept in memory.
 */
export async function runPage(b, url, secretFile, files) {
  await waitUntil(b, () => document.body.dataset.state === 'idle', null, 'the engine');
  await b.upload('secret-input', [secretFile]);
  await waitUntil(b, () => document.querySelector('[data-testid=secret-status]').dataset.fingerprint, null, 'the secret');
  // A plain multiple-file input: WebDriver uploads files, not folders.
  await b.eval(() => document.querySelector('[data-testid=folder-input]').removeAttribute('webkitdirectory'));
  await b.upload('folder-input', files);
  // The preview moves the Start button: wait for it first.
  await waitUntil(b, () => !document.querySelector('[data-testid=preview]').hidden, null, 'the preview');
  await waitUntil(b, () => !document.querySelector('[data-testid=start]').disabled, null, 'the Start button');
  // The tests' clock (the run's time in the zip's statement, as the CLI is given it).
  await b.eval(installFixedClock, Date.parse(RUN_TIME));
  await b.click('start');
  const state = await waitUntil(b, () => {
    const s = document.querySelector('[data-testid=summary]').dataset.state;
    return ['done', 'error', 'cancelled'].includes(s) ? s : null;
  }, null, 'the end of the run');
  if (state !== 'done') return { state, error: await b.eval(() => document.querySelector('#run-error').textContent) };
  const got = {};
  for (const kind of ['zip', 'key', 'log']) got[kind] = { bytes: Buffer.from(await b.eval(linkBytes, `download-${kind}`), 'base64') };
  const inMemory = await b.eval(() => !!document.querySelector('[data-testid=memory-note]'));
  const errors = await b.eval(() => window.__errors || []);
  return { state, got, inMemory, errors };
}

/** Page code run before the page's own: records uncaught errors in window.__errors. */
export const RECORD_ERRORS = `window.__errors = [];
addEventListener('error', (e) => window.__errors.push(String(e.message)));
addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason && e.reason.message || e.reason)));`;
