// The page in headless Chromium on the test corpus, fed through the webkitdirectory input, with
// no showSaveFilePicker (so the zip is spooled to OPFS and downloaded, as in Firefox/Safari),
// compared with the CLI on the same folder with the same secret.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, OUT, PHI_CHECK, SECRET_TEXT, dcmValues, download, launchBrowser, loadSecret, openPage, parseCsv,
  assertSameAsCli, readZip, runCli, startServer, tempDir, waitDone, withoutSavePicker,
} from './helpers.mjs';

/** The data set of a DICOM file as bytes to search: inflated when the transfer syntax is deflate. */
function searchable(bytes) {
  if (bytes.length > 144 && bytes.toString('latin1', 128, 132) === 'DICM') {
    const metaEnd = 144 + bytes.readUInt32LE(140);
    if (bytes.toString('latin1', 132, metaEnd).includes('1.2.840.10008.1.2.1.99')) {
      return Buffer.concat([bytes.subarray(0, metaEnd), inflateRawSync(bytes.subarray(metaEnd))]);
    }
  }
  return bytes;
}

/** Bytes of an input given its source path (`data/...`, maybe inside a zip). */
function inputBytes(sourcePath) {
  const rel = sourcePath.replace(/^data\//, '');
  const m = rel.match(/^(.*?\.zip)\/(.*)$/i);
  if (!m) return readFileSync(join(CORPUS, rel));
  const entry = readZip(readFileSync(join(CORPUS, m[1]))).find((e) => e.name.replace(/^\/+/, '') === m[2]);
  assert.ok(entry, `member ${m[2]} of ${m[1]}`);
  return entry.data;
}

describe('page vs CLI on the corpus (folder input, OPFS spool, downloads)', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let cli;
  let counts;
  const requests = [];
  const got = {};

  before(async () => {
    tmp = tempDir('deid-e2e-cli-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    cli = runCli(CORPUS, secretFile, tmp.dir);
    server = await startServer();
    browser = await launchBrowser();
    browser.context.on('request', (r) => requests.push(r.url()));
    // As in browsers without the File System Access save dialog.
    await withoutSavePicker(browser.context);
    ({ page, errors } = await openPage(browser.context, server.url));
    await loadSecret(page);
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForSelector('[data-testid=preview]:not([hidden])', { timeout: LONG });
    assert.equal(await page.locator('#dest-download').isChecked(), true, 'download destination without showSaveFilePicker');
    await page.getByTestId('start').click();
    counts = await waitDone(page);
    got.zip = await download(page, 'download-zip');
    got.key = await download(page, 'download-key');
    got.log = await download(page, 'download-log');
    console.log(`in-browser run: ${counts.seen} files, ${counts.seconds.toFixed(2)} s, ${counts.mbps.toFixed(1)} MB/s (written files' input bytes / wall time)`);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('shows a before/after preview of one file, with changes highlighted and a thumbnail', async () => {
    const preview = page.getByTestId('preview');
    assert.ok(Number(await preview.getAttribute('data-changed')) > 0);
    assert.ok((await page.locator('#preview-table tr.st-changed, #preview-table tr.st-removed').count()) > 0);
    const p = await preview.getAttribute('data-path');
    assert.ok(p.startsWith('data/'), p);
    // The previewed file is native (uncompressed) pixel data in this corpus: a thumbnail is drawn.
    assert.equal(await page.locator('#thumb-figure').isVisible(), true);
    const before = await page.locator('#preview-table tr').filter({ hasText: 'PatientID' }).first().locator('td.before').textContent();
    assert.equal(before, dcmValues(join(CORPUS, p.replace(/^data\//, ''))).PatientID);
    // Every input is counted before the start (the corpus has no unreadable zip).
    assert.equal(await page.getByTestId('counts').getAttribute('data-files'), String(counts.seen));
  });

  it('counts match the CLI', () => {
    const summary = readFileSync(cli.log, 'utf8').trim().split('\n').pop();
    const m = summary.match(/files seen (\d+), written (\d+), rejected (\d+), skipped (\d+)/);
    assert.ok(m, summary);
    assert.deepEqual([counts.seen, counts.written, counts.rejected, counts.skipped], m.slice(1).map(Number));
    assert.ok(counts.written > 20, 'most of the corpus is written');
  });

  it('zip, key and log are byte-identical to the CLI output', () => {
    assert.equal(got.zip.name, 'deidentified.zip');
    assert.equal(got.key.name, 'deidentified-key.csv');
    assert.equal(got.log.name, 'deidentified-log.csv');
    assertSameAsCli(got, cli, 'page-vs-cli');
  });

  it('the key maps each research ID to the original MRN', () => {
    const key = parseCsv(got.key.bytes.toString('utf8'));
    const [head, ...rows] = key;
    const rid = head.indexOf('research_id');
    const mrn = head.indexOf('mrn');
    assert.ok(rid >= 0 && mrn >= 0, head.join(','));
    const log = parseCsv(got.log.bytes.toString('utf8')).filter((r) => !r[0].startsWith('#'));
    const [lh, ...lrows] = log;
    const written = lrows.filter((r) => r[lh.indexOf('outcome')] === 'written');
    const entries = new Map(readZip(got.zip.bytes).map((e) => [e.name, e.data]));
    let checked = 0;
    for (const r of written) {
      const src = r[lh.indexOf('source_path')];
      const out = r[lh.indexOf('output_path')];
      const inFile = join(tmp.dir, 'in.dcm');
      const outFile = join(tmp.dir, 'out.dcm');
      writeFileSync(inFile, inputBytes(src));
      assert.ok(entries.has(out), `${out} in the zip`);
      writeFileSync(outFile, entries.get(out));
      const original = dcmValues(inFile).PatientID;
      const researchId = dcmValues(outFile).PatientID;
      assert.ok(researchId, `${out} has a PatientID`);
      assert.ok(rows.some((k) => k[rid] === researchId), `research ID ${researchId} is in the key`);
      if (!original) continue;
      assert.notEqual(researchId, original);
      assert.ok(rows.some((k) => k[rid] === researchId && k[mrn] === original), `${src}: key maps ${researchId} to ${original}`);
      checked++;
    }
    assert.ok(checked >= 15, `checked ${checked} files with an MRN`);
  });

  it('no original PatientID, PatientName or StudyInstanceUID is left in the zip', () => {
    const log = parseCsv(got.log.bytes.toString('utf8')).filter((r) => !r[0].startsWith('#'));
    const [lh, ...lrows] = log;
    const values = new Set();
    for (const r of lrows.filter((x) => x[lh.indexOf('outcome')] !== 'skipped')) {
      const f = join(tmp.dir, 'in.dcm');
      writeFileSync(f, inputBytes(r[lh.indexOf('source_path')]));
      for (const v of Object.values(dcmValues(f))) {
        for (const part of [v, ...v.split('^')]) if (part.trim().length >= 4) values.add(part.trim());
      }
    }
    assert.ok(values.size >= 30, `collected ${values.size} identifying values`);
    const leaks = [];
    for (const e of readZip(got.zip.bytes)) {
      const hay = searchable(Buffer.from(e.data)).toString('latin1');
      for (const v of values) if (hay.includes(v)) leaks.push(`${e.name}: ${v}`);
    }
    assert.deepEqual(leaks, []);
    if (existsSync(PHI_CHECK)) {
      const zipPath = join(tmp.dir, 'page.zip');
      writeFileSync(zipPath, got.zip.bytes);
      const r = spawnSync(PHI_CHECK, [CORPUS, zipPath], { encoding: 'utf8' });
      assert.equal(r.status, 0, `phi_check: ${r.stdout}${r.stderr}`);
    } else {
      console.log('target/release/examples/phi_check not built: only the independent check ran');
    }
  });

  it('no request leaves the page origin, and the CSP blocks other origins', async () => {
    const seen = [...requests];
    assert.ok(seen.some((u) => u.endsWith('.wasm')), 'the wasm was loaded');
    const foreign = seen.filter((u) => {
      if (u.startsWith('data:')) return false;
      const url = new URL(u.startsWith('blob:') ? u.slice(5) : u);
      return url.origin !== server.origin;
    });
    assert.deepEqual(foreign, []);
    const violated = await page.evaluate(async () => {
      const v = new Promise((res) => document.addEventListener('securitypolicyviolation', (e) => res(e.effectiveDirective), { once: true }));
      await fetch('http://127.0.0.2:9/probe').catch(() => {});
      return Promise.race([v, new Promise((res) => setTimeout(() => res(null), 10_000))]);
    });
    assert.equal(violated, 'connect-src');
  });

  it('leaves no page errors and a screenshot of the finished page', async () => {
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'page-done.png'), fullPage: true });
    assert.ok(readFileSync(join(OUT, 'page-done.png')).length > 10_000);
    assert.deepEqual(errors.filter((e) => !e.includes('127.0.0.2')), []);
  });
});
