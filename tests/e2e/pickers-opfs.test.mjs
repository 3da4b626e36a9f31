// The File System Access path: the corpus is copied into the Origin Private File System inside
// the page, showDirectoryPicker and showSaveFilePicker are replaced by functions returning OPFS
// handles (headless Chromium cannot show the dialogs), and the zip is streamed into the
// "picked" file. The result must be byte-identical to the CLI's.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, SECRET_TEXT, assertSameAsCli, copyToOpfs, download, launchBrowser, loadSecret, openPage, opfsNames, readOpfsFile, runCli,
  startServer, tempDir, waitDone, walkFiles,
} from './helpers.mjs';

describe('picked folder and save file (File System Access API over OPFS)', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let cli;
  let counts;
  let zip;
  const got = {};

  before(async () => {
    tmp = tempDir('deid-e2e-pick-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    cli = runCli(CORPUS, secretFile, tmp.dir);
    server = await startServer();
    browser = await launchBrowser();
    ({ page, errors } = await openPage(browser.context, server.url));

    // Copy the corpus into OPFS under data/ (the folder name the CLI logs).
    await copyToOpfs(page, CORPUS, 'data');
    await page.evaluate(() => {
      window.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('data');
      window.showSaveFilePicker = async (opts) => {
        window.savePickerOptions = opts;
        return (await navigator.storage.getDirectory()).getFileHandle('picked-output.zip', { create: true });
      };
    });

    await loadSecret(page);
    await page.getByTestId('pick-folder').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 0, null, { timeout: LONG });
    assert.equal(await page.locator('#dest-save').isChecked(), true, 'save dialog is the default where it exists');
    await page.getByTestId('start').click();
    counts = await waitDone(page);
    zip = await readOpfsFile(page, 'picked-output.zip');
    got.key = await download(page, 'download-key');
    got.log = await download(page, 'download-log');
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('reads the picked folder with the CLI source paths and writes the picked file', async () => {
    const files = walkFiles(CORPUS).length;
    // The corpus zip holds two members: it is listed as those, not as itself.
    assert.equal(await page.getByTestId('counts').getAttribute('data-files'), String(files + 1));
    assert.equal(await page.evaluate(() => window.savePickerOptions.suggestedName), 'deidentified.zip');
    assert.equal(counts.seen, files + 1);
    assert.equal(got.key.name, 'picked-output-key.csv');
    assert.equal(got.log.name, 'picked-output-log.csv');
  });

  it('zip (written through the picked handle), key and log equal the CLI output byte for byte', () => {
    assertSameAsCli({ ...got, zip: { bytes: zip } }, cli, 'pickers-opfs');
  });

  it('spools nothing to OPFS when the user picked the file, and logs no error', async () => {
    assert.deepEqual(await opfsNames(page), ['data', 'picked-output.zip']);
    assert.deepEqual(errors, []);
  });
});
