// The output fallbacks of browsers with less than Chromium: OPFS without writable streams
// (older Safari: a sync access handle in a worker) and no file handle that can be posted to a
// worker (WebKit: "The object can not be cloned"), no OPFS at all (memory, with a notice), and
// OPFS failing inside the output worker (memory, with a notice, never an error). All must still
// give the CLI's zip byte for byte.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, SECRET_TEXT, assertSameAsCli, download, launchBrowser, loadSecret, opfsNames, runCli, startServer, tempDir,
  waitDone, watchErrors,
} from './helpers.mjs';

describe('output fallbacks', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let tmp;
  let cli;

  before(async () => {
    tmp = tempDir('deid-e2e-fallback-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    cli = runCli(CORPUS, secretFile, tmp.dir);
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  /**
   * Opens the page with `strip` run first (removing browser features; `workerPrefix`: code run
   * first in the output worker), runs the corpus.
   */
  async function runWithout(strip, workerPrefix = '') {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.addInitScript(strip);
    if (workerPrefix) {
      await page.route('**/sink-worker.js', async (route) => {
        const res = await route.fetch();
        await route.fulfill({ response: res, body: `${workerPrefix}\n${await res.text()}` });
      });
    }
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
    await loadSecret(page);
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 20, null, { timeout: LONG });
    await page.getByTestId('start').click();
    await waitDone(page);
    const got = { zip: await download(page, 'download-zip'), key: await download(page, 'download-key'), log: await download(page, 'download-log') };
    return { page, errors, got };
  }

  it('spools through a sync access handle when OPFS files have no createWritable nor can be posted to a worker', async () => {
    const { page, errors, got } = await runWithout(() => {
      delete window.showSaveFilePicker;
      delete FileSystemFileHandle.prototype.createWritable;
      // As WebKit: a file handle cannot be cloned into a worker.
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (msg, transfer) {
        if (msg && Object.values(msg).some((v) => v instanceof FileSystemHandle)) throw new DOMException('The object can not be cloned.', 'DataCloneError');
        return post.call(this, msg, transfer);
      };
    });
    assertSameAsCli(got, cli, 'sync-handle');
    assert.ok((await opfsNames(page)).some((n) => n.startsWith('dicom-deid-spool-')), 'the zip was spooled in OPFS');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('keeps the zip in memory, and says so, without OPFS', async () => {
    const { page, errors, got } = await runWithout(() => {
      delete window.showSaveFilePicker;
      delete StorageManager.prototype.getDirectory;
    });
    assert.match(await page.locator('#capabilities').textContent(), /no private file storage/);
    assertSameAsCli(got, cli, 'memory');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('keeps the zip in memory, and says so, when OPFS fails in the output worker', async () => {
    const { page, errors, got } = await runWithout(() => {
      delete window.showSaveFilePicker;
    }, 'navigator.storage.getDirectory = () => Promise.reject(new DOMException("refused", "SecurityError"));');
    assert.equal(await page.getByTestId('memory-note').isVisible(), true);
    assertSameAsCli(got, cli, 'worker-opfs-fails');
    assert.ok(!(await opfsNames(page)).some((n) => n.startsWith('dicom-deid-spool-')), 'nothing spooled');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
