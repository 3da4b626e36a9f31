// The burned-in text review at scale (www/ui/pixel-review.js), in the page, in headless Chromium:
// 500 flagged images in 50 groups, made at test time from the pixel fixtures (tests/data/pixels)
// with pydicom (a new Manufacturer or model name per group, a new SOP Instance UID per copy; two
// groups cropped to 16×16). The groups are a compact grid with a detail pane; the time from the
// selection listed to the grid shown is measured and printed; thumbnails are decoded lazily;
// the grid is a listbox driven by the keyboard; tiny images are scaled up (pixelated), large
// ones fitted; the undecided count stays in sight; the bulk decisions (clean where the rule has
// regions, keep where the detector finds no text, exclude the rest) reach the run's log as
// single decisions do; axe-core finds no serious or critical violation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, OUT, axeProblems, download, launchBrowser, loadSecret, logRows, openPage, reviewGroupOf, reviewGroups, startServer, tempDir,
  waitDone, withoutSavePicker,
} from './helpers.mjs';

/** [fixture, how many groups, group name, crop to 16×16] — 50 groups of 10 images. */
const PLAN = [
  ['us_mono8.dcm', 20, 'vendor', false], // text carriers, no rule: held unless decided
  ['us_mono8.dcm', 5, 'acuson', false], // ACUSON SEQUOIA 480×640: a shipped rule with regions
  ['ct_reformat_clean.dcm', 8, 'ct', false], // 'possible', no text: the detector finds none
  ['ct_reformat_clean.dcm', 2, 'tiny', true], // the same, 16×16
  ['sc_mono16.dcm', 15, 'capture', false], // secondary captures with text
];
const PER_GROUP = 10;

const MAKE = `
import sys, json, os, copy
import numpy as np
import pydicom
from pydicom.uid import generate_uid
src, out, plan, per = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
for fixture, groups, name, tiny in plan:
    base = pydicom.dcmread(os.path.join(src, fixture))
    for g in range(groups):
        for k in range(per):
            d = copy.deepcopy(base)
            if name == 'acuson':
                d.Manufacturer = 'ACUSON'
                d.ManufacturerModelName = 'SEQUOIA %d' % g
            else:
                d.Manufacturer = '%s %d' % (name.upper(), g)
            if tiny:
                a = base.pixel_array[200:216, 200:216].copy()
                d.Rows, d.Columns = 16, 16
                d.PixelData = a.tobytes()
            uid = generate_uid()
            d.SOPInstanceUID = uid
            d.file_meta.MediaStorageSOPInstanceUID = uid
            d.save_as(os.path.join(out, '%s-%02d-%02d.dcm' % (name, g, k)), enforce_file_format=True)
`;

/** The review's container attributes (state, undecided, timings, bulk). */
const reviewData = (page) => page.getByTestId('pixel-review').evaluate((n) => ({ ...n.dataset }));

/** The element that has the focus: its test id, index and selection. */
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return { testid: a.dataset.testid, index: a.dataset.index, selected: a.getAttribute('aria-selected'), outline: getComputedStyle(a).outlineStyle };
});

/** Clicks a bulk button and waits for it to finish; resolves to the time it took (ms). */
async function bulk(page, kind) {
  await page.getByTestId('pixel-review').evaluate((n) => {
    n.dataset.bulk = 'stale';
  });
  const t0 = Date.now();
  await page.getByTestId(`pixel-bulk-${kind}`).click();
  await page.waitForSelector('[data-testid=pixel-review][data-bulk=done]', { timeout: LONG });
  return Date.now() - t0;
}

describe('burned-in text review at scale: 500 flagged images in 50 groups', { timeout: 15 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let folder;

  before(async () => {
    tmp = tempDir('deid-e2e-pixels-scale-');
    folder = join(tmp.dir, 'many');
    mkdirSync(folder);
    const made = spawnSync('python3', ['-c', MAKE, join(CORPUS, 'pixels'), folder, JSON.stringify(PLAN), String(PER_GROUP)], { encoding: 'utf8' });
    assert.equal(made.status, 0, `pydicom: ${made.stderr}`);
    assert.equal(readdirSync(folder).length, 500);
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

  it('shows the grid soon after the selection is listed; thumbnails are decoded lazily', async () => {
    const t0 = Date.now();
    await page.getByTestId('folder-input').setInputFiles(folder);
    await page.waitForSelector('[data-testid=pixel-review]:is([data-state=ready], [data-state=previewed])', { timeout: LONG });
    const wall = Date.now() - t0;
    const cells = await reviewGroups(page);
    assert.equal(cells.length, 50);
    assert.ok(cells.every((c) => c.count === PER_GROUP));
    const d = await reviewData(page);
    console.log(`selection listed → grid shown: ${d.shownMs} ms (header scan of 500 files ${d.scanMs} ms, grouping and grid ${d.gridMs} ms); `
      + `folder chosen → grid shown (test side) ${wall} ms`);
    assert.ok(Number(d.gridMs) < 1000, `grid built in ${d.gridMs} ms`);
    assert.equal(d.undecided, '500');
    assert.match(await page.getByTestId('pixel-undecided').textContent(), /500 images in 50 groups/);
    await page.waitForSelector('[data-testid=pixel-review][data-state=previewed]', { timeout: LONG });
    const drawn = () => page.locator('[data-testid=pixel-cell][data-thumb=drawn]').count();
    const first = await drawn();
    assert.ok(first >= 6 && first < 50, `${first} thumbnails decoded before scrolling`);
    // The last cell scrolled into view gets its thumbnail.
    await page.getByTestId('pixel-cell').last().scrollIntoViewIfNeeded();
    await page.locator('[data-testid=pixel-cell]:last-child[data-thumb=drawn]').waitFor({ timeout: LONG });
    // The page is not 24,000 px tall: the grid scrolls inside itself.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(height < 8000, `page height ${height}`);
    assert.deepEqual(await axeProblems(page), [], 'axe on the grid');
    mkdirSync(OUT, { recursive: true });
    await page.getByTestId('pixel-review').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'pixel-review-scale.png') });
  });

  it('the grid is a listbox driven by the keyboard; Enter opens the editor, Escape comes back', async () => {
    await page.getByTestId('pixel-cell').first().click();
    const cols = await page.getByTestId('pixel-cell').evaluateAll((cs) => cs.filter((c) => c.offsetTop === cs[0].offsetTop).length);
    assert.ok(cols >= 1);
    const detailKey = () => page.getByTestId('pixel-group').getAttribute('data-key');
    const cellKey = (i) => page.getByTestId('pixel-cell').nth(i).getAttribute('data-key');
    await page.keyboard.press('ArrowRight');
    let f = await focused(page);
    assert.deepEqual([f.testid, f.index, f.selected], ['pixel-cell', '1', 'true']);
    assert.notEqual(f.outline, 'none', 'a visible focus ring');
    assert.equal(await detailKey(), await cellKey(1), 'the detail follows the selection');
    await page.keyboard.press('ArrowDown');
    f = await focused(page);
    assert.equal(f.index, String(Math.min(49, 1 + cols)));
    await page.keyboard.press('End');
    assert.equal((await focused(page)).index, '49');
    await page.keyboard.press('ArrowLeft');
    assert.equal((await focused(page)).index, '48');
    await page.keyboard.press('Home');
    assert.equal((await focused(page)).index, '0');
    assert.equal(await page.locator('[data-testid=pixel-cell][aria-selected=true]').count(), 1);
    assert.equal(await page.locator('[data-testid=pixel-cell][tabindex="0"]').count(), 1, 'one tab stop in the grid');
    await page.locator('[data-testid=pixel-group][data-preview=drawn]').waitFor({ timeout: LONG });
    await page.keyboard.press('Enter');
    assert.equal((await focused(page)).testid, 'pixel-preview');
    // The editor's shortcuts: N adds a rectangle, Delete removes it.
    await page.keyboard.press('n');
    assert.match(await page.locator('[data-testid=pixel-group] .px-rects').textContent(), /1 rectangle/);
    await page.keyboard.press('Delete');
    assert.match(await page.locator('[data-testid=pixel-group] .px-rects').textContent(), /No rectangle/);
    await page.keyboard.press('Escape');
    f = await focused(page);
    assert.deepEqual([f.testid, f.index], ['pixel-cell', '0']);
  });

  it('tiny images are scaled up (pixelated), large ones fitted to the pane', async () => {
    const tiny = await reviewGroupOf(page, (k) => k[3] === 16);
    const t = await tiny.getByTestId('pixel-preview').evaluate((c) => ({ w: c.width, css: c.getBoundingClientRect().width, cls: c.className, rendering: getComputedStyle(c).imageRendering }));
    assert.equal(t.w, 16);
    assert.ok(t.css >= 160, `16 px shown at ${t.css} px`);
    assert.equal(t.rendering, 'pixelated');
    const big = await reviewGroupOf(page, (k) => k[1] === 'VENDOR 0');
    const b = await big.getByTestId('pixel-preview').evaluate((c) => ({ w: c.width, css: c.getBoundingClientRect().width, pane: c.closest('[data-testid=pixel-detail]').clientWidth }));
    assert.equal(b.w, 640);
    assert.ok(b.css <= b.pane, `640 px shown at ${b.css} px in a pane of ${b.pane} px`);
  });

  it('the undecided count stays in sight (sticky) while the review scrolls', async () => {
    await page.getByTestId('pixel-detail').evaluate((n) => n.scrollIntoView({ block: 'end' }));
    const bar = await page.getByTestId('pixel-undecided').evaluate((n) => {
      const r = n.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, vh: innerHeight };
    });
    assert.ok(bar.top >= 0 && bar.bottom <= bar.vh, `the count at ${bar.top}–${bar.bottom} of ${bar.vh}`);
  });

  it('bulk decisions: clean where the rule has regions, keep where no text is found, exclude the rest; the run logs them', async () => {
    const decisions = async () => {
      const all = await reviewGroups(page);
      const by = {};
      for (const g of all) by[g.decision] = (by[g.decision] || 0) + 1;
      return by;
    };
    const clean = await bulk(page, 'clean');
    assert.deepEqual(await decisions(), { none: 45, clean: 5 });
    assert.equal((await reviewData(page)).undecided, '450');
    const keep = await bulk(page, 'keep');
    assert.deepEqual(await decisions(), { none: 35, clean: 5, keep: 10 });
    assert.match(await page.getByTestId('pixel-undecided').textContent(), /350 images in 35 groups/);
    const exclude = await bulk(page, 'exclude');
    assert.deepEqual(await decisions(), { clean: 5, keep: 10, exclude: 35 });
    assert.equal((await reviewData(page)).undecided, '0');
    for (const kind of ['exclude', 'clean', 'keep']) assert.equal(await page.getByTestId(`pixel-bulk-${kind}`).isDisabled(), true);
    console.log(`bulk decisions: clean ${clean} ms, keep (the detector on every image of 45 groups) ${keep} ms, exclude ${exclude} ms`);
    const rules = (await download(page, 'pixel-rules-download')).bytes.toString('utf8');
    assert.equal((rules.match(/^action = /gm) || []).length, 50, 'a rule per group');
    assert.deepEqual(await axeProblems(page), [], 'axe after the bulk decisions');

    await page.getByTestId('start').click();
    await waitDone(page);
    const summary = await page.getByTestId('summary').evaluate((s) => ({ held: s.dataset.held, excluded: s.dataset.excluded, cleaned: s.dataset.cleaned }));
    assert.deepEqual(summary, { held: '0', excluded: '350', cleaned: '50' });
    const rows = logRows((await download(page, 'download-log')).bytes);
    const codes = {};
    for (const r of rows) codes[`${r.outcome}/${r.reason_code}`] = (codes[`${r.outcome}/${r.reason_code}`] || 0) + 1;
    assert.equal(codes['written/pixels_cleaned'], 50, JSON.stringify(codes));
    assert.equal(codes['written/pixels_kept'], 100, JSON.stringify(codes));
    assert.equal(rows.filter((r) => r.outcome === 'excluded').length, 350, JSON.stringify(codes));
    assert.equal(rows.filter((r) => r.outcome === 'held').length, 0);
    // The groups show what the run did to them.
    const cellCounts = await page.getByTestId('pixel-cell').evaluateAll((cs) => cs.reduce((s, c) => s + Number(c.dataset.excluded || 0), 0));
    assert.equal(cellCounts, 350);
    assert.deepEqual(errors, []);
  });
});
