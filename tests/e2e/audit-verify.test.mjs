// The page's Audit view and its check of a received zip, against the CLI on the same files:
// the audit of tests/data (the page's summary JSON and HTML and its detail CSV) equals
// `dicom-deid --audit` with the same options and secret, byte for byte; a zip the CLI made
// passes the page's check, and one changed byte of a DICOM entry, a removed entry and an edited
// statement each fail naming the file, with the same lines as `dicom-deid verify`. The views
// have no serious or critical axe-core violation with their results shown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  CLI, CORPUS, LONG, SECRET_TEXT, axeProblems, download, ensureCli, launchBrowser, loadSecret, openPage, readZip, runCli, startServer, tempDir,
  withoutSavePicker,
} from './helpers.mjs';

/** A stored zip of `entries` ([name, Buffer]), as the engine writes them (no zip64 needed here). */
function storedZip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const head = Buffer.alloc(46);
    head.writeUInt32LE(0x02014b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(20, 6);
    head.writeUInt16LE(0x0800, 8);
    head.writeUInt32LE(crc, 16);
    head.writeUInt32LE(data.length, 20);
    head.writeUInt32LE(data.length, 24);
    head.writeUInt16LE(n.length, 28);
    head.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    central.push(head, n);
    offset += 30 + n.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** `dicom-deid verify ZIP --public-key KEY`: whether it passed, and its problem lines without the zip's name. */
function cliVerify(zip, key) {
  const r = spawnSync(CLI, ['verify', zip, '--public-key', key], { encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => l.slice(zip.length + 2));
  return { ok: r.status === 0, problems: r.status === 0 ? [] : lines.filter((l) => !l.startsWith('FAILED')) };
}

describe('the audit and the check of a received zip on the page', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let secretFile;

  before(async () => {
    ensureCli();
    tmp = tempDir('deid-e2e-audit-');
    secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    server = await startServer();
    browser = await launchBrowser();
    await withoutSavePicker(browser.context);
    ({ page, errors } = await openPage(browser.context, server.url));
    await loadSecret(page);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it("the page's audit equals the CLI's --audit, byte for byte, and counts attributes in sequences", async () => {
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 20, null, { timeout: LONG });
    await page.waitForFunction(() => !document.querySelector('[data-testid=audit-start]').disabled, null, { timeout: LONG });
    const started = Date.now();
    await page.getByTestId('audit-start').click();
    const result = page.locator('[data-testid=audit-result]:is([data-state=done], [data-state=error])');
    await result.waitFor({ timeout: LONG });
    console.log(`# the page's audit of tests/data: ${Date.now() - started} ms`);
    assert.equal(await result.getAttribute('data-state'), 'done', await result.textContent());
    const got = {
      json: await download(page, 'audit-download-json'),
      html: await download(page, 'audit-download-html'),
      csv: await download(page, 'audit-download-detail'),
    };
    assert.equal(got.json.name, 'audit-summary.json');
    assert.equal(got.csv.name, 'audit-detail.csv');

    const dir = join(tmp.dir, 'cli-audit');
    const r = spawnSync(CLI, ['--quiet', '--audit', dir, '--secret-file', secretFile, CORPUS], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const [kind, file] of [['json', 'audit-summary.json'], ['html', 'audit-summary.html'], ['csv', 'audit-detail.csv']]) {
      const theirs = readFileSync(join(dir, file));
      assert.ok(got[kind].bytes.equals(theirs), `the page's ${file} (${got[kind].bytes.length} bytes) differs from the CLI's (${theirs.length} bytes)`);
    }
    const summary = JSON.parse(got.json.bytes.toString('utf8'));
    assert.ok(summary.files > 20 && summary.patients > 1, JSON.stringify(summary).slice(0, 200));
    assert.ok(summary.nested_attributes.length > 0, 'attributes in sequences are counted');
    assert.equal(await result.getAttribute('data-files'), String(summary.files));
    assert.equal(await result.getAttribute('data-nested'), String(summary.nested_attributes.length));
    // The detail (PHI) is labelled as such, apart from the summary's downloads.
    assert.match(await page.locator('#audit .audit-phi').textContent(), /patient data/);
    assert.deepEqual(await axeProblems(page), [], 'the audit shown');
  });

  it("passes a good zip and names the file for a changed byte, a removed entry and an edited statement, as the CLI's verify", async () => {
    const dir = join(tmp.dir, 'run');
    mkdirSync(dir);
    const cli = runCli(CORPUS, secretFile, dir);
    const publicKey = `${secretFile}.pub`;
    const entries = readZip(readFileSync(cli.zip)).map((e) => [e.name, Buffer.from(e.data)]);
    const dicom = entries.findIndex(([n]) => n.endsWith('.dcm'));
    assert.ok(dicom >= 0);
    const statement = entries.findIndex(([n]) => n === 'run-statement.json');
    const changed = entries.map(([n, d], i) => {
      if (i !== dicom) return [n, d];
      const c = Buffer.from(d);
      c[c.length >> 1] ^= 1;
      return [n, c];
    });
    const removed = entries.filter((_, i) => i !== dicom);
    const edited = entries.map(([n, d], i) => (i === statement ? [n, Buffer.from(d.toString('utf8').replace('"written": ', '"written": 1'))] : [n, d]));
    await page.getByTestId('verify-key-input').setInputFiles(publicKey);
    const cases = [
      ['good', storedZip(entries), null],
      ['changed', storedZip(changed), `${entries[dicom][0]}: differs`],
      ['removed', storedZip(removed), `${entries[dicom][0]}: missing`],
      ['edited', storedZip(edited), 'run-statement.json: the signature'],
    ];
    for (const [label, bytes, names] of cases) {
      const file = join(tmp.dir, `${label}.zip`);
      writeFileSync(file, bytes);
      const theirs = cliVerify(file, publicKey);
      await page.getByTestId('verify-zip-input').setInputFiles(file);
      const box = page.locator(`[data-testid=verify-result]:is([data-state=done], [data-state=error])`);
      await page.waitForFunction((name) => {
        const b = document.querySelector('[data-testid=verify-result]');
        return b.dataset.state !== 'checking' && b.textContent.includes(name);
      }, `${label}.zip`, { timeout: LONG });
      assert.equal(await box.getAttribute('data-state'), 'done', await box.textContent());
      const mine = await page.locator('[data-testid=verify-problems] li').allTextContents();
      assert.equal(await box.getAttribute('data-ok'), String(theirs.ok), `${label}: ${mine.join('; ')}`);
      assert.deepEqual(mine, theirs.problems, `${label}: the page's verdict is the CLI's`);
      if (names) assert.ok(mine.some((l) => l.startsWith(names)), `${label}: ${mine.join('; ')}`);
      else assert.equal(theirs.ok, true, 'the CLI passes the good zip');
    }
    assert.deepEqual(await axeProblems(page), [], 'a failed check shown');
    assert.deepEqual(errors, []);
  });
});
