// Zips added through zip-input or dropped on the page are read inside (member paths
// `<zip>/<member>` as in the CLI); the preset, option checkboxes, ID settings, a mapping CSV
// (semicolons and a BOM) and an existing key CSV reach the engine exactly as the CLI's
// --config/--mapping/--existing-key do: same zip, key and log, byte for byte. A generated
// secret is saved in the CLI's secret-file format and loads back.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, assertSameAsCli, download, loadSecret, pageWithSecret, runCli, waitDone,
} from './helpers.mjs';

const ZIP = join(CORPUS, 'derived/ZIPPED_brain_008_009.zip');
const MAPPING = join(CORPUS, 'fixtures/mapping_semicolon_bom.csv');

describe('zip input, drop, settings and lists', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let secretFile;

  before(async () => {
    ({ tmp, secretFile, server, browser, page, errors } = await pageWithSecret('deid-e2e-zip-'));
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  async function waitFiles(n) {
    await page.waitForFunction((n) => document.querySelector('[data-testid=counts]').dataset.files === String(n), n, { timeout: LONG });
  }

  async function runAndDownload() {
    await page.getByTestId('start').click();
    const counts = await waitDone(page);
    return {
      counts,
      zip: await download(page, 'download-zip'),
      key: await download(page, 'download-key'),
      log: await download(page, 'download-log'),
    };
  }

  it('reads a zip given through zip-input as the CLI does', async () => {
    await page.getByTestId('zip-input').setInputFiles(ZIP);
    await waitFiles(2);
    const got = await runAndDownload();
    assert.equal(got.counts.written, 2);
    const log = got.log.bytes.toString('utf8');
    assert.match(log, /^ZIPPED_brain_008_009\.zip\/brain_008\.dcm,written,/m);
    assert.match(log, /^ZIPPED_brain_008_009\.zip\/sub\/brain_009\.dcm,written,/m);
    const dir = join(tmp.dir, 'zip');
    mkdirSync(dir);
    assertSameAsCli(got, runCli(ZIP, secretFile, dir), 'zip-input');
  });

  it('lists a zip dropped on the page as its members', async () => {
    await page.locator('#clear-selection').click();
    await waitFiles(0);
    await page.evaluate((b64) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.zip', { type: 'application/zip' }));
      document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, readFileSync(ZIP).toString('base64'));
    await waitFiles(2);
    await page.waitForSelector('[data-testid=preview]:not([hidden])', { timeout: LONG });
    assert.match(await page.getByTestId('preview').getAttribute('data-path'), /^dropped\.zip\/(sub\/)?brain_00[89]\.dcm$/);
  });

  it('reports a malformed mapping CSV when it is loaded, not at the end', async () => {
    await page.getByTestId('mapping-input').setInputFiles({ name: 'wrong.csv', mimeType: 'text/csv', buffer: Buffer.from('not,a\nmapping\n') });
    await page.waitForSelector('#settings-error:not([hidden])', { timeout: LONG });
    assert.match(await page.locator('#settings-error').textContent(), /mapping CSV wrong\.csv cannot be used/);
  });

  it('preset, options, mapping CSV and existing key equal the CLI with the same configuration', async () => {
    await page.locator('#clear-selection').click();
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 20, null, { timeout: LONG });
    await page.getByTestId('preset').selectOption('research');
    assert.equal(await page.locator('#opt-profile-retain_long_modified_dates').isChecked(), true, 'the preset sets its options');
    await page.locator('#opt-profile-retain_safe_private').check();
    await page.locator('#opt-id_prefix').fill('STUDY');
    await page.locator('#opt-id_prefix').dispatchEvent('change');
    await page.locator('#opt-birth_date').selectOption('keep_year');
    await page.getByTestId('mapping-input').setInputFiles(MAPPING);
    const config = join(tmp.dir, 'config.toml');
    writeFileSync(config, 'preset = "research"\nid_prefix = "STUDY"\nbirth_date = "keep_year"\n[profile]\nretain_safe_private = true\n');

    const first = await runAndDownload();
    const dir1 = join(tmp.dir, 'opt1');
    mkdirSync(dir1);
    const cli1 = runCli(CORPUS, secretFile, dir1, ['--config', config, '--mapping', MAPPING]);
    assertSameAsCli(first, cli1, 'options');
    const key = first.key.bytes.toString('utf8');
    assert.match(key, /^RAD001,123565,/m, 'the mapping gives the research ID');

    // A second batch with the first batch's key: the CLI's --existing-key.
    const keyFile = join(tmp.dir, 'first-key.csv');
    writeFileSync(keyFile, first.key.bytes);
    await page.getByTestId('key-input').setInputFiles(keyFile);
    const second = await runAndDownload();
    const dir2 = join(tmp.dir, 'opt2');
    mkdirSync(dir2);
    const cli2 = runCli(CORPUS, secretFile, dir2, ['--config', config, '--mapping', MAPPING, '--existing-key', keyFile]);
    assertSameAsCli(second, cli2, 'existing-key');
    assert.deepEqual(errors, []);
  });

  it('generates a secret in the CLI format, saves it and loads it back', async () => {
    const status = page.getByTestId('secret-status');
    const before = await status.getAttribute('data-fingerprint');
    await page.locator('#secret-generate').click();
    await page.waitForFunction((fp) => document.querySelector('[data-testid=secret-status]').dataset.fingerprint !== fp, before);
    const generated = await status.getAttribute('data-fingerprint');
    const saved = await download(page, 'secret-save');
    assert.equal(saved.name, 'dicom-deid.secret');
    assert.match(saved.bytes.toString('utf8'), /^[0-9a-f]{64}\n$/);
    await loadSecret(page);
    assert.equal(await status.getAttribute('data-fingerprint'), before, 'the fixed secret again');
    const file = join(tmp.dir, 'saved.secret');
    writeFileSync(file, saved.bytes);
    await page.getByTestId('secret-input').setInputFiles(file);
    await page.waitForFunction((fp) => document.querySelector('[data-testid=secret-status]').dataset.fingerprint === fp, generated, { timeout: LONG });
    assert.deepEqual(errors, []);
  });
});
