// Issue 18: what the user does while the page is still starting (the engine loading) is not
// lost. The engine's start is delayed on purpose (the wasm response is held back), and before
// the page (or the <dicom-deid> element) reports ready a secret is loaded and either a folder is
// set on the folder input or a zip is dropped. Then the selection is counted, and the run gives
// the CLI's zip, key and log byte for byte. Each case is repeated to catch the race; one more
// case sets the folder before the page's script has even run (its request held back too).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, SECRET_TEXT, assertSameAsCli, download, fingerprint, launchBrowser, runCli, startServer, tempDir, watchErrors,
  withoutSavePicker,
} from './helpers.mjs';

const FOLDER = join(CORPUS, 'derived'); // small, with a zip, a DICOMDIR set, a deflated and a truncated file
const ZIP = join(CORPUS, 'derived/ZIPPED_brain_008_009.zip');
const REPEAT = 3;
const WASM_DELAY = 1500; // ms the engine's wasm is held back
const SECRET = { name: 'project.secret', mimeType: 'text/plain', buffer: Buffer.from(SECRET_TEXT) };

/** The CLI's "files seen" count, from its log's summary line. */
function cliSeen(cli) {
  const m = readFileSync(cli.log, 'utf8').trim().split('\n').pop().match(/files seen (\d+)/);
  assert.ok(m, 'the CLI log has a summary line');
  return Number(m[1]);
}

describe('choices made while the page is starting are kept', { timeout: 15 * 60_000 }, () => {
  let server;
  let browser;
  let tmp;
  const cli = {};

  before(async () => {
    tmp = tempDir('deid-e2e-startup-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    // The element in examples/embed-example.html has preset="research" id-prefix="CARDIO".
    const config = join(tmp.dir, 'config.toml');
    writeFileSync(config, 'preset = "research"\nid_prefix = "CARDIO"\n');
    for (const [name, input, extra] of [['folder', FOLDER, []], ['zip', ZIP, []], ['elemFolder', FOLDER, ['--config', config]], ['elemZip', ZIP, ['--config', config]]]) {
      const dir = join(tmp.dir, name);
      mkdirSync(dir);
      cli[name] = runCli(input, secretFile, dir, extra);
    }
    server = await startServer();
    browser = await launchBrowser();
    await withoutSavePicker(browser.context);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  /** A new page opening `path` with the wasm (and maybe page/app.js) held back; returns as soon as the response starts. */
  async function openStarting(path, { holdScript = 0 } = {}) {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.route('**/pkg/dicom_deid_bg.wasm', async (route) => {
      await sleep(WASM_DELAY);
      await route.continue();
    });
    if (holdScript) {
      await page.route(`${server.url}page/app.js`, async (route) => {
        await sleep(holdScript);
        await route.continue();
      });
    }
    await page.goto(`${server.url}${path}`, { waitUntil: 'commit' });
    return { page, errors };
  }

  /** Clicks Start, waits for the end and downloads the zip, key and log (of the page, or of the element). */
  async function runAndDownload(page, inElement) {
    await page.getByTestId('start').click();
    const state = await page.waitForFunction((el) => {
      const root = el ? document.querySelector('dicom-deid').shadowRoot : document;
      const s = root.querySelector('[data-testid=summary]').dataset.state;
      return ['done', 'error', 'cancelled'].includes(s) && s;
    }, inElement, { timeout: LONG });
    assert.equal(await state.jsonValue(), 'done');
    return { zip: await download(page, 'download-zip'), key: await download(page, 'download-key'), log: await download(page, 'download-log') };
  }

  // ------------------------------------------------------------ the page

  /** The page's state and what it shows while starting. */
  const pageStarting = (page) => page.evaluate(() => ({
    state: document.body.dataset.state,
    notice: !document.getElementById('startup').hidden,
    start: document.querySelector('[data-testid=start]').disabled,
  }));

  async function pageCase(label, act, expected) {
    const { page, errors } = await openStarting('');
    // The module has run (its handlers are wired) but the engine is still loading.
    await page.waitForFunction(() => document.getElementById('profile-options').childElementCount > 0, null, { timeout: LONG });
    await page.getByTestId('secret-input').setInputFiles(SECRET);
    await act(page);
    assert.deepEqual(await pageStarting(page), { state: 'loading', notice: true, start: true }, `${label}: done while the page was starting`);
    await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
    await page.waitForFunction((n) => document.querySelector('[data-testid=counts]').dataset.files === String(n), expected.seen, { timeout: LONG });
    assert.equal(await page.getByTestId('secret-status').getAttribute('data-fingerprint'), fingerprint(SECRET_TEXT));
    assert.equal(await page.locator('#startup').isHidden(), true, 'the starting notice goes once ready');
    const got = await runAndDownload(page, false);
    assertSameAsCli(got, expected.cli, `startup-${label}`);
    assert.deepEqual(errors, []);
    await page.close();
  }

  for (let i = 1; i <= REPEAT; i++) {
    it(`page: a folder set on the input while starting is counted and run as the CLI (try ${i})`, async () => {
      await pageCase(`page-folder-${i}`, (page) => page.getByTestId('folder-input').setInputFiles(FOLDER), { seen: cliSeen(cli.folder), cli: cli.folder });
    });
  }

  for (let i = 1; i <= REPEAT; i++) {
    it(`page: a zip dropped while starting is counted and run as the CLI (try ${i})`, async () => {
      await pageCase(`page-drop-${i}`, (page) => page.evaluate((b64) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'ZIPPED_brain_008_009.zip', { type: 'application/zip' }));
        document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, readFileSync(ZIP).toString('base64')), { seen: cliSeen(cli.zip), cli: cli.zip });
    });
  }

  it('page: files set on the inputs before its script has run are read when it starts', async () => {
    const { page, errors } = await openStarting('', { holdScript: 2000 });
    await page.getByTestId('secret-input').setInputFiles(SECRET);
    await page.getByTestId('folder-input').setInputFiles(FOLDER);
    // Nothing of app.js has run yet: no handler saw these change events.
    assert.equal(await page.evaluate(() => document.getElementById('profile-options').childElementCount), 0, 'set before app.js ran');
    await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
    await page.waitForFunction((n) => document.querySelector('[data-testid=counts]').dataset.files === String(n), cliSeen(cli.folder), { timeout: LONG });
    await page.waitForFunction((fp) => document.querySelector('[data-testid=secret-status]').dataset.fingerprint === fp, fingerprint(SECRET_TEXT), { timeout: LONG });
    const got = await runAndDownload(page, false);
    assertSameAsCli(got, cli.folder, 'startup-page-before-script');
    assert.deepEqual(errors, []);
    await page.close();
  });

  // ------------------------------------------------------------ the element

  const elementStarting = (page) => page.evaluate(() => {
    const d = document.querySelector('dicom-deid');
    const root = d.shadowRoot;
    return {
      state: d.dataset.state,
      starting: /^Starting/.test(root.getElementById('progress-text').textContent),
      start: root.querySelector('[data-testid=start]').disabled,
    };
  });

  async function elementCase(label, act, expected) {
    const { page, errors } = await openStarting('examples/embed-example.html');
    await page.waitForSelector('dicom-deid[data-state="loading"]', { timeout: LONG });
    await page.getByTestId('secret-input').setInputFiles(SECRET);
    await act(page);
    assert.deepEqual(await elementStarting(page), { state: 'loading', starting: true, start: true }, `${label}: done while the element was starting`);
    await page.waitForSelector('dicom-deid[data-state="idle"]', { timeout: LONG });
    await page.waitForFunction((n) => document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=counts]').dataset.files === String(n), expected.seen, { timeout: LONG });
    assert.equal(await page.getByTestId('secret-status').getAttribute('data-fingerprint'), fingerprint(SECRET_TEXT));
    const got = await runAndDownload(page, true);
    assertSameAsCli(got, expected.cli, `startup-${label}`);
    assert.deepEqual(errors, []);
    await page.close();
  }

  for (let i = 1; i <= REPEAT; i++) {
    it(`element: a folder set on its input while starting is counted and run as the CLI (try ${i})`, async () => {
      await elementCase(`element-folder-${i}`, (page) => page.getByTestId('folder-input').setInputFiles(FOLDER), { seen: cliSeen(cli.elemFolder), cli: cli.elemFolder });
    });
  }

  for (let i = 1; i <= REPEAT; i++) {
    it(`element: a zip dropped on it while starting is counted and run as the CLI (try ${i})`, async () => {
      await elementCase(`element-drop-${i}`, (page) => page.evaluate((b64) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'ZIPPED_brain_008_009.zip', { type: 'application/zip' }));
        const zone = document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=drop-zone]');
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, readFileSync(ZIP).toString('base64')), { seen: cliSeen(cli.elemZip), cli: cli.elemZip });
    });
  }
});
