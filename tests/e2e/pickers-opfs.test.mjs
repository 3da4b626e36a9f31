// The File System Access path: the corpus is copied into the Origin Private File System inside
// the page, showDirectoryPicker and showSaveFilePicker are replaced by functions returning OPFS
// handles (headless Chromium cannot show the dialogs), and the zip is streamed into the
// "picked" file. The result must be byte-identical to the CLI's.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS, LONG, SECRET_TEXT, assertSameAsCli, download, launchBrowser, loadSecret, openPage, runCli, startServer, tempDir, waitDone, opfsNames } from './helpers.mjs';

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

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
    for (const file of walk(CORPUS)) {
      const rel = relative(CORPUS, file).split('/');
      await page.evaluate(
        async ({ parts, b64 }) => {
          let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('data', { create: true });
          for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create: true });
          const fh = await dir.getFileHandle(parts[parts.length - 1], { create: true });
          const w = await fh.createWritable();
          await w.write(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
          await w.close();
        },
        { parts: rel, b64: readFileSync(file).toString('base64') },
      );
    }
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
    zip = Buffer.from(
      await page.evaluate(async () => {
        const f = await (await (await navigator.storage.getDirectory()).getFileHandle('picked-output.zip')).getFile();
        const bytes = new Uint8Array(await f.arrayBuffer());
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      }),
      'base64',
    );
    got.key = await download(page, 'download-key');
    got.log = await download(page, 'download-log');
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('reads the picked folder with the CLI source paths and writes the picked file', async () => {
    const files = walk(CORPUS).length;
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
