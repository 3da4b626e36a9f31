// The release bundle of scripts/bundle.sh (built here when missing or older than www/): the
// folder (README.txt, SHA256SUMS) and its zip; the folder served from a static server under
// another path with every other request refused; the single-file page opened from file:// in a
// browser without network. Both de-identify the corpus exactly as the CLI does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, OUT, ROOT, SECRET_TEXT, assertSameAsCli, download, launchBrowser, loadSecret, openPage, readZip, runCli, startServer,
  tempDir, waitDone, walkFiles, withoutSavePicker,
} from './helpers.mjs';

const VERSION = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/^version\s*=\s*"([^"]+)"/m)[1];
const NAME = `dicom-deid-${VERSION}`;
const DIST = join(ROOT, 'dist');
const FOLDER = join(DIST, NAME);
const SINGLE = join(DIST, `${NAME}-offline.html`);

/** Runs scripts/bundle.sh unless dist/ is newer than every file of www/ and the bundler. */
function ensureBundle() {
  const newest = Math.max(...[...walkFiles(join(ROOT, 'www')), join(ROOT, 'scripts/bundle.mjs')].map((f) => statSync(f).mtimeMs));
  const built = [FOLDER, SINGLE, `${FOLDER}.zip`].every((p) => existsSync(p)) ? statSync(SINGLE).mtimeMs : 0;
  if (built < newest) {
    const r = spawnSync('bash', [join(ROOT, 'scripts/bundle.sh')], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scripts/bundle.sh failed: ${r.stderr}`);
  }
}

/** The Content-Security-Policy meta of an HTML text. */
const cspOf = (html) => html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/)[1];
const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Runs the corpus through the page at `url` (already open in `page`); returns the downloads. */
async function runCorpus(page) {
  await loadSecret(page);
  await page.getByTestId('folder-input').setInputFiles(CORPUS);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 20, null, { timeout: LONG });
  await page.getByTestId('start').click();
  await waitDone(page);
  return { zip: await download(page, 'download-zip'), key: await download(page, 'download-key'), log: await download(page, 'download-log') };
}

describe('release bundle (scripts/bundle.sh)', { timeout: 10 * 60_000 }, () => {
  let tmp;
  let cli;

  before(() => {
    ensureBundle();
    tmp = tempDir('deid-e2e-bundle-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    cli = runCli(CORPUS, secretFile, tmp.dir);
  });

  after(() => tmp?.cleanup());

  it('the folder has a README, checksums of every file that verify, and its zip holds the same files', () => {
    const files = walkFiles(FOLDER).map((f) => relative(FOLDER, f));
    for (const f of ['index.html', 'dicom-deid.js', 'dicom-deid.d.ts', 'dicom-deid-element.js', 'dicom-deid-element.d.ts', 'internal/worker.js', 'internal/sink-worker.js', 'page/app.js', 'page/style.css', 'examples/embed-example.html', 'pkg/dicom_deid_bg.wasm', 'dicom-deid-offline.html', 'README.txt', 'SHA256SUMS']) {
      assert.ok(files.includes(f), `${f} in the folder`);
    }
    const readme = readFileSync(join(FOLDER, 'README.txt'), 'utf8');
    assert.match(readme, new RegExp(`DICOM de-identifier ${VERSION.replace(/\./g, '\\.')}`));
    assert.match(readme, /double-click dicom-deid-offline\.html/);
    assert.match(readme, /What stays on your machine\nEverything\./);
    const sums = new Map(readFileSync(join(FOLDER, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.match(/^([0-9a-f]{64}) {2}(.+)$/).slice(1, 3).reverse()));
    assert.deepEqual([...sums.keys()].sort(), files.filter((f) => f !== 'SHA256SUMS').sort());
    for (const [f, sum] of sums) assert.equal(createHash('sha256').update(readFileSync(join(FOLDER, f))).digest('hex'), sum, f);
    const zipped = readZip(readFileSync(`${FOLDER}.zip`));
    assert.deepEqual(zipped.map((e) => e.name).sort(), files.map((f) => `${NAME}/${f}`).sort());
    for (const e of zipped) assert.ok(Buffer.compare(e.data, readFileSync(join(DIST, e.name))) === 0, `${e.name} in the zip`);
    assert.equal(Buffer.compare(readFileSync(join(FOLDER, 'dicom-deid-offline.html')), readFileSync(SINGLE)), 0);
  });

  it('the single file inlines everything and allows only its own scripts and style, by hash; the page keeps its strict CSP', () => {
    const html = readFileSync(SINGLE, 'utf8');
    assert.deepEqual(html.match(/\s(src|href)="(?!data:|#)[^"]*"/g), null, 'no file or URL is referred to');
    const csp = cspOf(html);
    const scripts = [...html.matchAll(/<script(?: type="module"| nomodule)>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 2);
    assert.equal(styles.length, 1);
    assert.equal(csp.match(/script-src ([^;]*)/)[1], `${scripts.map(sha256).join(' ')} 'wasm-unsafe-eval'`);
    assert.equal(csp.match(/style-src ([^;]*)/)[1], sha256(styles[0]));
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /connect-src 'none'/);
    assert.match(csp, /worker-src blob:/);
    assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|[\s:]\*/);
    const page = cspOf(readFileSync(join(ROOT, 'www/index.html'), 'utf8'));
    assert.match(page, /script-src 'self' 'wasm-unsafe-eval';/);
    assert.doesNotMatch(page, /'unsafe-inline'|sha256|'unsafe-eval'/);
  });

  it('the folder, served from a static server under another path with every other request refused, equals the CLI', async () => {
    const site = join(tmp.dir, 'site');
    cpSync(FOLDER, join(site, 'intranet/tools', NAME), { recursive: true });
    const server = await startServer(site);
    const browser = await launchBrowser();
    try {
      const refused = [];
      await browser.context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${server.origin}/`)) return route.continue();
        refused.push(url);
        return route.abort('internetdisconnected');
      });
      await withoutSavePicker(browser.context);
      const { page, errors } = await openPage(browser.context, `${server.url}intranet/tools/${NAME}/`);
      const got = await runCorpus(page);
      assertSameAsCli(got, cli, 'bundle-folder');
      assert.deepEqual(refused, []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      server.stop();
    }
  });

  it('the single file, copied alone and opened from file:// without network, equals the CLI', async () => {
    const usb = join(tmp.dir, 'usb-stick');
    mkdirSync(usb);
    const copy = join(usb, `${NAME}-offline.html`);
    cpSync(SINGLE, copy);
    const browser = await launchBrowser();
    try {
      await browser.context.setOffline(true);
      const requests = [];
      browser.context.on('request', (r) => requests.push(r.url()));
      await browser.context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort('internetdisconnected')));
      await withoutSavePicker(browser.context);
      const { page, errors } = await openPage(browser.context, pathToFileURL(copy).href);
      assert.equal(await page.evaluate(() => location.protocol), 'file:');
      const got = await runCorpus(page);
      assertSameAsCli(got, cli, 'bundle-single-file');
      assert.deepEqual(requests.filter((u) => !/^(file|blob|data):/.test(u)), []);
      assert.deepEqual(errors, []);
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'offline-done.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("the folder's index.html opened from file:// says to open the single file instead", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(join(FOLDER, 'index.html')).href);
      const notice = page.getByTestId('file-notice');
      await notice.waitFor({ timeout: LONG });
      assert.match(await notice.textContent(), /open dicom-deid-offline\.html/);
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'unsupported');
    } finally {
      await browser.close();
    }
  });
});
