// Cancel: a run on a larger folder is stopped while files are being rewritten; the page goes
// back to idle with nothing kept (no spool file, no download, no error), and a second run on
// the same selection then completes and equals the CLI byte for byte (and prints its speed).
// The larger folder is real DICOM: the corpus de-identified by the CLI with ten different
// secrets, so every copy has its own UIDs (copies of one file would be skipped as duplicates).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS, LONG, SECRET_TEXT, assertSameAsCli, download, launchBrowser, loadSecret, openPage, readZip, runCli, startServer, tempDir, waitDone, withoutSavePicker, opfsNames } from './helpers.mjs';

const COPIES = 10;

describe('cancel, then run again', { timeout: 15 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let bulk;
  let bulkBytes = 0;

  before(async () => {
    tmp = tempDir('deid-e2e-cancel-');
    bulk = join(tmp.dir, 'bulk');
    for (let i = 1; i <= COPIES; i++) {
      const d = join(tmp.dir, `gen${i}`);
      mkdirSync(d);
      const secret = join(d, 's.secret');
      writeFileSync(secret, `copy-${i}-${SECRET_TEXT}`);
      const out = runCli(CORPUS, secret, d);
      for (const e of readZip(readFileSync(out.zip))) {
        if (!e.name.endsWith('.dcm')) continue;
        const p = join(bulk, `c${String(i).padStart(2, '0')}`, e.name);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, e.data);
        bulkBytes += e.data.length;
      }
    }
    server = await startServer();
    browser = await launchBrowser();
    await withoutSavePicker(browser.context);
    ({ page, errors } = await openPage(browser.context, server.url));
    await loadSecret(page);
    await page.getByTestId('folder-input').setInputFiles(bulk);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 0, null, { timeout: LONG });
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('stops a run while files are being written and returns to idle', async () => {
    await page.getByTestId('start').click();
    await page.waitForFunction(() => {
      const p = document.querySelector('[data-testid=progress]').dataset;
      return p.phase === 'process' && Number(p.done) >= 1;
    }, null, { timeout: LONG, polling: 10 });
    const before = await page.getByTestId('progress').evaluate((p) => ({ done: Number(p.dataset.done), total: Number(p.dataset.total) }));
    assert.ok(before.done < before.total, `cancel while running (${before.done}/${before.total})`);
    await page.getByTestId('cancel').click();
    await page.waitForSelector('[data-testid=summary][data-state="cancelled"]', { timeout: LONG });
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'idle');
    assert.equal(await page.getByTestId('start').isEnabled(), true);
    assert.equal(await page.getByTestId('cancel').isEnabled(), false);
    assert.equal(await page.getByTestId('download-zip').isVisible(), false);
    assert.deepEqual(await opfsNames(page), [], 'the partial zip was removed from OPFS');
    assert.deepEqual(errors, []);
  });

  it('then runs the same selection to the end, identical to the CLI', async () => {
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    const cliDir = join(tmp.dir, 'cli');
    mkdirSync(cliDir);
    const cli = runCli(bulk, secretFile, cliDir);
    await page.getByTestId('start').click();
    const counts = await waitDone(page);
    const zip = await download(page, 'download-zip');
    const log = await download(page, 'download-log');
    assert.ok(counts.written >= COPIES * 20, `written ${counts.written}`);
    assertSameAsCli({ zip, log }, cli, 'cancel-rerun');
    assert.deepEqual(errors, []);
    console.log(`in-browser run: ${counts.seen} files, ${(bulkBytes / 1e6).toFixed(1)} MB, ${counts.seconds.toFixed(2)} s, ${counts.mbps.toFixed(1)} MB/s`);
  });
});
