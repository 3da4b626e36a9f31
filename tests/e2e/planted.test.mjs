// The planted identities of tests/planted-data (one invented patient planted in one more place or
// spelling per file: kept attributes, dates and IDs in other notations, names in other spellings,
// text as OB, UTF-16 in a private element, issuers) through the page, under the basic and
// research presets: every file written, the zip, key and log byte-identical to the CLI's, no
// finding by the independent PHI checker, and no spelling of the patient in the zip's bytes
// (folded here: NFKD, marks dropped, lower case; read as UTF-8, Latin-1 and UTF-16).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  LONG, PHI_CHECK, ROOT, SECRET_TEXT, assertSameAsCli, download, launchBrowser, loadSecret, openPage,
  parseCsv, readZip, runCli, startServer, tempDir, waitDone, withoutSavePicker,
} from './helpers.mjs';

const PLANTED = join(ROOT, 'tests/planted-data');

const fold = (s) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** The spellings of the planted patient found in some bytes. */
function leaks(bytes) {
  const b = Buffer.from(bytes);
  const views = [b.toString('utf8'), b.toString('latin1'), b.toString('utf16le'), b.subarray(1).toString('utf16le')].map(fold);
  const found = [];
  for (const v of views) {
    for (const w of ['muller', 'ludenscheidt', 'jorg', 'elsewhere general', 'northwind', 'southport', '17 march 1952', 'march 17, 1952']) {
      if (v.includes(w)) found.push(w);
    }
    // Digits with single separators joined, leading zeros dropped.
    const joined = v.replace(/(\d)[ ./-](?=\d)/g, '$1');
    for (const run of joined.match(/\d+/g) ?? []) {
      const core = run.replace(/^0+/, '');
      if (['99218877', '20240017', '19520317'].includes(core)) found.push(`digits ${core}`);
    }
  }
  return [...new Set(found)];
}

describe('planted identities through the page (basic and research)', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let tmp;
  let secretFile;

  before(async () => {
    tmp = tempDir('deid-e2e-planted-');
    secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    server = await startServer();
    browser = await launchBrowser();
    await withoutSavePicker(browser.context);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  for (const preset of ['basic', 'research']) {
    it(`${preset}: every planted file is written clean, the same bytes as the CLI`, async () => {
      const { page, errors } = await openPage(browser.context, server.url);
      await loadSecret(page);
      await page.selectOption('#preset', preset);
      await page.getByTestId('folder-input').setInputFiles(PLANTED);
      await page.waitForSelector('[data-testid=preview]:not([hidden])', { timeout: LONG });
      await page.getByTestId('start').click();
      const counts = await waitDone(page);
      const got = {
        zip: await download(page, 'download-zip'),
        key: await download(page, 'download-key'),
        log: await download(page, 'download-log'),
      };
      const dir = join(tmp.dir, preset);
      spawnSync('mkdir', ['-p', dir]);
      const cli = runCli(PLANTED, secretFile, dir, ['--preset', preset]);
      assertSameAsCli(got, cli, `planted-${preset}`);
      const [head, ...rows] = parseCsv(got.log.bytes.toString('utf8')).filter((r) => !r[0].startsWith('#'));
      const outcome = head.indexOf('outcome');
      const dicom = rows.filter((r) => r[head.indexOf('source_path')].endsWith('.dcm'));
      assert.ok(dicom.length >= 25, `${dicom.length} planted files in the log`);
      assert.deepEqual(dicom.filter((r) => r[outcome] !== 'written').map((r) => r.join(',')), [], 'every planted file is written');
      assert.equal(counts.written, dicom.length);
      const found = [];
      for (const e of readZip(got.zip.bytes)) {
        const l = leaks(e.data);
        if (l.length) found.push(`${e.name}: ${l.join(', ')}`);
      }
      assert.deepEqual(found, [], 'no spelling of the planted patient in the zip');
      if (existsSync(PHI_CHECK)) {
        const zipPath = join(dir, 'page.zip');
        writeFileSync(zipPath, got.zip.bytes);
        const r = spawnSync(PHI_CHECK, [PLANTED, zipPath], { encoding: 'utf8' });
        assert.equal(r.status, 0, `phi_check: ${r.stdout}${r.stderr}`);
      } else {
        console.log('target/release/examples/phi_check not built: only the folded byte search ran');
      }
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});
