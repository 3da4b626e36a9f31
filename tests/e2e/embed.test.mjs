// The <dicom-deid> element embedded in a host page (www/examples/embed-example.html, a made-up research
// portal with its own fonts and colours), served the way a portal would: the page under
// /portal/ and the element's files under /vendor/dicom-deid/, so everything it loads must be
// found from its own module URL. A folder goes in through the input inside the shadow root; the
// zip, key and log that come out equal the CLI's with the same options; the events fire.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, OUT, ROOT, SECRET_TEXT, assertSameAsCli, download, fingerprint, launchBrowser, runCli, startServer, tempDir,
  watchErrors, withoutSavePicker,
} from './helpers.mjs';

/** Evaluates `fn(shadowRoot, arg)` with the element's shadow root. */
function inShadow(page, fn, arg) {
  return page.evaluate(([src, a]) => new Function(`return (${src})`)()(document.querySelector('dicom-deid').shadowRoot, a), [fn.toString(), arg]);
}

describe('<dicom-deid> in a host page', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let cli;
  const requests = [];

  before(async () => {
    tmp = tempDir('deid-e2e-embed-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    const config = join(tmp.dir, 'config.toml');
    // The element's attributes: preset="research" id-prefix="CARDIO".
    writeFileSync(config, 'preset = "research"\nid_prefix = "CARDIO"\n');
    cli = runCli(CORPUS, secretFile, tmp.dir, ['--config', config]);

    const site = join(tmp.dir, 'site');
    mkdirSync(join(site, 'portal'), { recursive: true });
    mkdirSync(join(site, 'vendor'));
    symlinkSync(join(ROOT, 'www'), join(site, 'vendor/dicom-deid'));
    // The example's references (relative to www/examples/) become the vendored copy's.
    const vendored = (ref) => `../vendor/dicom-deid${new URL(ref, 'http://host/examples/').pathname}`;
    const host = readFileSync(join(ROOT, 'www/examples/embed-example.html'), 'utf8')
      .replace(/(src|href)="((?:\.\.\/)?(?:embed-example\.\w+|dicom-deid-element\.js))"/g, (_, attr, ref) => `${attr}="${vendored(ref)}"`);
    assert.equal((host.match(/vendor\/dicom-deid\//g) || []).length, 3, 'the host page refers to the element, its css and its script');
    writeFileSync(join(site, 'portal/submit.html'), host);

    server = await startServer(site);
    browser = await launchBrowser();
    browser.context.on('request', (r) => requests.push(r.url()));
    await withoutSavePicker(browser.context);
    page = await browser.context.newPage();
    errors = watchErrors(page);
    await page.goto(`${server.url}portal/submit.html`);
    await page.waitForSelector('dicom-deid[data-state="idle"]', { timeout: LONG });
    await page.evaluate(() => {
      window.seen = [];
      const d = document.querySelector('dicom-deid');
      for (const type of ['progress', 'done', 'error']) {
        d.addEventListener(type, (e) => window.seen.push({ type, detail: type === 'error' ? { code: e.detail.code, message: e.detail.message, isError: e.detail instanceof Error } : e.detail }));
      }
    });
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('loads its wasm and workers from its own path and takes its attributes', async () => {
    const own = `${server.origin}/vendor/dicom-deid/`;
    assert.ok(requests.includes(`${own}pkg/dicom_deid_bg.wasm`), 'wasm from the element path');
    assert.ok(requests.includes(`${own}internal/worker.js`), 'worker from the element path');
    assert.deepEqual(await inShadow(page, (root) => [root.querySelector('[data-testid=preset]').value, root.querySelector('[data-testid=id-prefix]').value]), ['research', 'CARDIO']);
  });

  it("follows the host's font and colours through the custom properties", async () => {
    const look = () => inShadow(page, (root) => {
      const start = getComputedStyle(root.querySelector('[data-testid=start]'));
      return { accent: start.backgroundColor, ink: start.color, font: getComputedStyle(root.querySelector('h3')).fontFamily, border: getComputedStyle(root.querySelector('section')).borderTopColor };
    });
    const before = await look();
    assert.equal(before.accent, 'rgb(12, 107, 88)');
    assert.equal(before.ink, 'rgb(255, 253, 248)');
    assert.match(before.font, /^Georgia/);
    assert.equal(before.border, 'rgb(217, 207, 188)');
    // Live: the host changes a property, the element follows.
    await page.evaluate(() => document.querySelector('dicom-deid').style.setProperty('--dicom-deid-accent', 'rgb(150, 20, 60)'));
    assert.equal((await look()).accent, 'rgb(150, 20, 60)');
    await page.evaluate(() => document.querySelector('dicom-deid').style.removeProperty('--dicom-deid-accent'));
    assert.equal((await look()).accent, 'rgb(12, 107, 88)');
  });

  it('reports a malformed mapping CSV at once, as an error event with code bad-mapping', async () => {
    await page.getByTestId('mapping-input').setInputFiles({ name: 'wrong.csv', mimeType: 'text/csv', buffer: Buffer.from('MRN\n123\n') });
    await page.waitForFunction(() => window.seen.some((e) => e.type === 'error'), null, { timeout: LONG });
    const err = await page.evaluate(() => window.seen.find((e) => e.type === 'error').detail);
    assert.equal(err.code, 'bad-mapping');
    assert.equal(err.isError, true);
    assert.match(err.message, /mapping CSV line 2: expected at least 3 columns/);
    assert.match(await page.getByTestId('error').textContent(), /^Mapping CSV line 2/);
    assert.equal(await page.getByTestId('mapping-input').inputValue(), '', 'the unusable list is not kept');
    await page.evaluate(() => {
      window.seen = [];
    });
  });

  it('de-identifies a folder: zip, key and log equal the CLI; progress and done events fire', async () => {
    await page.getByTestId('secret-input').setInputFiles({ name: 'project.secret', mimeType: 'text/plain', buffer: Buffer.from(SECRET_TEXT) });
    await page.waitForFunction((fp) => document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=secret-status]').dataset.fingerprint === fp, fingerprint(SECRET_TEXT), { timeout: LONG });
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForFunction(() => Number(document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=counts]').dataset.files) > 20, null, { timeout: LONG });
    await page.getByTestId('start').click();
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=summary]').dataset.state), null, { timeout: LONG });
    const shown = await inShadow(page, (root) => ({ ...root.querySelector('[data-testid=summary]').dataset }));
    assert.equal(shown.state, 'done', await page.getByTestId('error').textContent());
    const got = { zip: await download(page, 'download-zip'), key: await download(page, 'download-key'), log: await download(page, 'download-log') };
    assert.equal(got.zip.name, 'deidentified.zip');
    assertSameAsCli(got, cli, 'embed');
    assert.match(got.key.bytes.toString('utf8'), /^CARDIO\d{4},/m, 'research IDs carry the id-prefix');

    const seen = await page.evaluate(() => window.seen);
    const progress = seen.filter((e) => e.type === 'progress').map((e) => e.detail);
    const done = seen.filter((e) => e.type === 'done').map((e) => e.detail);
    assert.deepEqual(seen.filter((e) => e.type === 'error'), []);
    assert.deepEqual([...new Set(progress.map((p) => p.phase))], ['scan', 'process']);
    const last = progress[progress.length - 1];
    assert.equal(last.done, last.total);
    assert.equal(done.length, 1);
    assert.deepEqual([done[0].seen, done[0].written, done[0].rejected, done[0].skipped], [shown.seen, shown.written, shown.rejected, shown.skipped].map(Number));
    // The CLI's summary line has the same counts.
    const summaryLine = readFileSync(cli.log, 'utf8').trim().split('\n').pop();
    assert.match(summaryLine, new RegExp(`files seen ${done[0].seen}, written ${done[0].written}, rejected ${done[0].rejected}, skipped ${done[0].skipped}`));
    // The whole result is on the element; the host page's own listener saw the events too.
    assert.equal(await page.evaluate(() => document.querySelector('dicom-deid').result.keyCsv), got.key.bytes.toString('utf8'));
    assert.match(await page.getByTestId('event-log').textContent(), new RegExp(`done: ${done[0].written} written`));
  });

  it('sends nothing off the origin, logs no page error, and leaves a screenshot', async () => {
    const foreign = requests.filter((u) => !u.startsWith(server.origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(foreign, []);
    assert.deepEqual(errors, []);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'embed-done.png'), fullPage: true });
  });
});
