// The review of burned-in text (www/ui/pixel-review.js) in the page, in headless Chromium, on the
// pixel fixtures (tests/data/pixels, copied to a temporary folder): the flagged images are
// grouped by signature with engine-decoded previews; with nothing decided every text carrier
// is held; rectangles drawn with the mouse and the keyboard, Clean / Keep / Exclude become
// pixel rules; the cleaned images are free of the burned-in names by the OCR oracle
// (tests/support/ocr.py, tesseract); the downloaded rules file gives the CLI (--pixel-rules)
// the same zip, key and log, byte for byte; loading it back in a fresh page re-applies the
// decisions. The <dicom-deid> element shows the same review (the same module).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, OUT, ROOT, SECRET_TEXT, assertSameAsCli, axeProblems, download, fingerprint, launchBrowser, loadSecret, openPage, readZip,
  logRows, reviewGroupOf as groupOf, reviewGroups as groups, runCli, startServer, tempDir, waitDone, watchErrors, withoutSavePicker,
} from './helpers.mjs';

const NAMES = ['DOE', 'JOHN', '12345678'];

/** OCR text of each file (tests/support/ocr.py), by path. */
function ocr(files) {
  if (!files.length) return {};
  const r = spawnSync('python3', [join(ROOT, 'tests/support/ocr.py'), ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ocr.py: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((j) => [j.file, j.text]));
}

/** Writes the zip entries of the given log rows to `dir`; returns their paths. */
function extract(zipBytes, rows, dir) {
  const entries = new Map(readZip(zipBytes).map((e) => [e.name, e.data]));
  mkdirSync(dir, { recursive: true });
  return rows.map((r, i) => {
    assert.ok(entries.has(r.output_path), `${r.output_path} is in the zip`);
    const f = join(dir, `${i}-${r.source_path.split('/').pop()}`);
    writeFileSync(f, entries.get(r.output_path));
    return f;
  });
}

/** Drags on a group's canvas from image point (x0, y0) to (x1, y1), mapped to its CSS size. */
async function dragOn(group, [x0, y0], [x1, y1]) {
  const canvas = group.getByTestId('pixel-preview');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const size = await canvas.evaluate((c) => [c.width, c.height]);
  const at = (x, y) => [box.x + (x / size[0]) * box.width, box.y + (y / size[1]) * box.height];
  const page = canvas.page();
  // Points on the image's edges are nudged inside (the page snaps them back to the edge).
  const inside = ([x, y]) => [Math.min(Math.max(x, box.x + 1), box.x + box.width - 1), Math.min(Math.max(y, box.y + 1), box.y + box.height - 1)];
  const [ax, ay] = inside(at(x0, y0));
  const [bx, by] = inside(at(x1, y1));
  await page.mouse.move(ax, ay);
  await page.mouse.down();
  await page.mouse.move((ax + bx) / 2, (ay + by) / 2, { steps: 4 });
  await page.mouse.move(bx, by, { steps: 4 });
  await page.mouse.up();
}

/** Loads the folder through the page's folder input and waits for every preview. */
async function chooseFolder(page, folder) {
  await page.getByTestId('folder-input').setInputFiles(folder);
  await page.waitForSelector('[data-testid=pixel-review][data-state=previewed]', { timeout: LONG });
}

async function runPage(page) {
  // waitDone() waits for the summary's done state: the previous run's must not count.
  await page.getByTestId('summary').evaluate((s) => {
    s.dataset.state = 'stale';
  });
  await page.getByTestId('start').click();
  const counts = await waitDone(page);
  const extra = await page.getByTestId('summary').evaluate((s) => ({ held: Number(s.dataset.held), excluded: Number(s.dataset.excluded), cleaned: Number(s.dataset.cleaned) }));
  // The results line ("… kB de-identified in … (… MB/s …)") counts the written files' bytes,
  // whatever else the run held, excluded or cleaned: never NaN or undefined.
  const line = await page.getByTestId('summary').textContent();
  assert.doesNotMatch(line, /NaN|undefined|Infinity/, line);
  assert.ok(Number.isFinite(counts.mbps) && counts.mbps >= 0, `MB/s ${counts.mbps}`);
  if (counts.written > 0) assert.match(line, /[1-9][\d.,]* (kB|MB|GB) de-identified/, line);
  return {
    counts: { ...counts, ...extra },
    zip: await download(page, 'download-zip'),
    key: await download(page, 'download-key'),
    log: await download(page, 'download-log'),
  };
}

describe('burned-in text review in the page', { timeout: 15 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let folder;
  let secretFile;
  let undecided;
  let decided;
  let rulesToml;

  before(async () => {
    tmp = tempDir('deid-e2e-pixels-');
    folder = join(tmp.dir, 'pixels');
    mkdirSync(folder);
    for (const f of readdirSync(join(CORPUS, 'pixels')).filter((n) => n.endsWith('.dcm'))) copyFileSync(join(CORPUS, 'pixels', f), join(folder, f));
    secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    server = await startServer();
    browser = await launchBrowser();
    await withoutSavePicker(browser.context);
    ({ page, errors } = await openPage(browser.context, server.url));
    await loadSecret(page);
    const t0 = Date.now();
    await chooseFolder(page, folder);
    // The engine's text detector outlines the burned-in lines of the previews.
    const detected = (await groups(page)).map((g) => g.detected);
    assert.ok(detected.some((n) => n > 0), `detector boxes per group: ${detected}`);
    console.log(`review ready (headers read, ${await page.getByTestId('pixel-cell').count()} groups previewed) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('lists the flagged images grouped by signature, with drawn previews', async () => {
    const all = await groups(page);
    assert.ok(all.length >= 3, `${all.length} groups`);
    // Every fixture except the original CT is flagged (carrier or possible).
    assert.equal(all.reduce((s, g) => s + g.count, 0), readdirSync(folder).length - 1);
    assert.ok(all.every((g) => g.decision === 'none'));
    // A thumbnail per group in the grid; the selected group's image in the detail pane.
    const previews = await page.getByTestId('pixel-thumb').evaluateAll((cs) => cs.map((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) lit++;
      return { w: c.width, h: c.height, lit };
    }));
    assert.equal(previews.length, all.length);
    const canvas = await page.getByTestId('pixel-preview').evaluateAll((cs) => cs.map((c) => ({ label: c.getAttribute('aria-label'), tabindex: c.tabIndex })));
    assert.equal(canvas.length, 1, 'one editor: the selected group');
    for (const p of canvas) assert.ok(p.label && p.tabindex === 0, 'the canvas is labelled and focusable');
    // Colour is drawn as it is; monochrome goes through the detector's luminance windowing.
    const lit = previews.filter((p) => p.lit > 30).length;
    assert.ok(lit === previews.length, `${lit} of ${previews.length} previews drawn: ${previews.map((p) => `${p.w}x${p.h} ${p.lit}`).join(', ')}`);
    const us = await groupOf(page, (k) => k[0] === 'US' && k[5] === 'MONOCHROME2' && k[6] === '1.2.840.10008.5.1.4.1.1.6.1');
    assert.match(await us.textContent(), /modality US often shows burned-in text/);
    // The detector's boxes are known for the banner images.
    assert.equal(await page.getByTestId('pixel-rules-download').isDisabled(), true, 'nothing to download before a decision');
  });

  it('with nothing decided, no text carrier is written: they are held, as by the CLI', async () => {
    undecided = await runPage(page);
    const rows = logRows(undecided.log.bytes);
    const byName = Object.fromEntries(rows.map((r) => [r.source_path.split('/').pop(), r]));
    for (const f of ['us_mono8.dcm', 'us_rgb.dcm', 'us_ybr422_jpeg.dcm', 'us_multiframe_rle.dcm', 'sc_mono16.dcm', 'sc_jpeg_com.dcm']) {
      assert.equal(byName[f].outcome, 'held', `${f}: ${byName[f].outcome} ${byName[f].reason}`);
      assert.equal(byName[f].reason_code, 'pixel_review_needed');
    }
    assert.equal(byName['ct_original.dcm'].outcome, 'written');
    // The CT reformat with text is 'possible': the detector finds its band and holds it.
    assert.equal(byName['ct_reformat_text.dcm'].outcome, 'held');
    assert.equal(undecided.counts.held, 7);
    // The held files are listed with their reasons, in the summary's table and in their groups.
    assert.match(await page.getByTestId('problems').textContent(), /us_mono8\.dcm.*held.*pixel review/s);
    assert.match(await page.getByTestId('pixel-review').textContent(), /held for pixel review/);
    const cli = runCli(folder, secretFile, tmp.dir);
    assertSameAsCli(undecided, cli, 'pixels-undecided');
  });

  // The 'possible' images (DERIVED\SECONDARY CT reformats) go to the engine's text detector when
  // no rule covers them: the one with text is held, the one without is written.
  it('with nothing decided, no written image shows the names (OCR oracle)', () => {
    const rows = logRows(undecided.log.bytes);
    const written = rows.filter((r) => r.outcome === 'written');
    const text = ocr(extract(undecided.zip.bytes, written, join(tmp.dir, 'undecided')));
    for (const [f, t] of Object.entries(text)) for (const n of NAMES) assert.ok(!t.includes(n), `${f}: ${t}`);
  });

  it('decisions drawn with the mouse and the keyboard: clean, keep, exclude', async () => {
    const isUs = (photometric, sop = '1.2.840.10008.5.1.4.1.1.6.1') => (k) => k[0] === 'US' && k[5] === photometric && k[6] === sop;
    // US MONOCHROME2: a rectangle drawn with the mouse over the banner, rows 0–59.
    const mono = await groupOf(page, isUs('MONOCHROME2'));
    await dragOn(mono, [0, 0], [640, 60]);
    const drawn = await mono.locator('.px-rects').textContent();
    assert.match(drawn, /x 0, y 0, 640 × (59|60|61) pixels/, drawn);
    await mono.getByTestId('pixel-clean').click();
    // US RGB and the multi-frame US: the keyboard (N adds a full-width band of an eighth of the height: 0,0,640,60).
    for (const pred of [isUs('RGB'), isUs('MONOCHROME2', '1.2.840.10008.5.1.4.1.1.3.1')]) {
      const g = await groupOf(page, pred);
      const c = g.getByTestId('pixel-preview');
      await c.focus();
      await page.keyboard.press('n');
      // Move it down and back, make it taller and back: the arrows work.
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Shift+ArrowDown');
      await page.keyboard.press('Shift+ArrowUp');
      assert.match(await g.locator('.px-rects').textContent(), /x 0, y 0, 640 × 60 pixels/);
      await g.getByTestId('pixel-clean').click();
    }
    // JPEG US: kept as is (accepted risk).
    await (await groupOf(page, isUs('YBR_FULL_422'))).getByTestId('pixel-keep').click();
    // Secondary captures: excluded.
    const sc = await groupOf(page, (k) => k[6] === '1.2.840.10008.5.1.4.1.1.7');
    assert.equal(await sc.getAttribute('data-count'), '2');
    await sc.getByTestId('pixel-exclude').click();
    // CT reformats: a mouse rectangle over the bottom band, rows 452–511; Delete and redraw once.
    const ct = await groupOf(page, (k) => k[0] === 'CT');
    await dragOn(ct, [100, 100], [200, 200]);
    await ct.getByTestId('pixel-preview').focus();
    await page.keyboard.press('Delete');
    assert.match(await ct.locator('.px-rects').textContent(), /No rectangle/);
    await ct.getByTestId('pixel-clean').click();
    assert.equal(await ct.getAttribute('data-decision'), 'none', 'clean needs a rectangle');
    await dragOn(ct, [0, 452], [512, 512]);
    await ct.getByTestId('pixel-clean').click();
    const all = await groups(page);
    assert.ok(all.every((g) => g.decision !== 'none'), all.map((g) => `${g.title}: ${g.decision}`).join('\n'));

    rulesToml = (await download(page, 'pixel-rules-download')).bytes.toString('utf8');
    assert.match(rulesToml, /action = "clean"/);
    assert.match(rulesToml, /action = "exclude"/);
    assert.match(rulesToml, /action = "keep"/);
    decided = await runPage(page);
    assert.equal(decided.counts.excluded, 2);
    assert.equal(decided.counts.held, 0);
    assert.ok(decided.counts.cleaned >= 5, `cleaned ${decided.counts.cleaned}`);
  });

  it('the cleaned images are free of the burned-in names (OCR oracle)', () => {
    const rows = logRows(decided.log.bytes);
    const cleaned = rows.filter((r) => r.outcome === 'written' && r.reason_code === 'pixels_cleaned');
    assert.deepEqual(cleaned.map((r) => r.source_path.split('/').pop()).sort(),
      ['ct_reformat_clean.dcm', 'ct_reformat_text.dcm', 'us_mono8.dcm', 'us_multiframe_rle.dcm', 'us_rgb.dcm']);
    const text = ocr(extract(decided.zip.bytes, cleaned, join(tmp.dir, 'cleaned')));
    for (const [f, t] of Object.entries(text)) for (const n of NAMES) assert.ok(!t.includes(n), `${f} still shows ${n}: ${t}`);
    // The multi-frame file's frame counter (not identifying, outside the band) survives.
    assert.match(Object.entries(text).find(([f]) => f.endsWith('us_multiframe_rle.dcm'))[1], /FR/);
  });

  it('exclude leaves the files out of the zip; keep writes them as they are', () => {
    const rows = logRows(decided.log.bytes);
    const names = new Set(readZip(decided.zip.bytes).map((e) => e.name));
    for (const f of ['sc_mono16.dcm', 'sc_jpeg_com.dcm']) {
      const r = rows.find((x) => x.source_path.endsWith(f));
      assert.equal(r.outcome, 'excluded', `${f}: ${r.outcome}`);
      assert.ok(!r.output_path || !names.has(r.output_path));
    }
    const kept = rows.find((x) => x.source_path.endsWith('us_ybr422_jpeg.dcm'));
    assert.equal(kept.outcome, 'written');
    assert.equal(kept.reason_code, 'pixels_kept');
  });

  it('the downloaded rules file gives the CLI (--pixel-rules) the same zip, key and log', () => {
    const rules = join(tmp.dir, 'pixel-rules.toml');
    writeFileSync(rules, rulesToml);
    const dir = join(tmp.dir, 'cli-rules');
    mkdirSync(dir);
    const cli = runCli(folder, secretFile, dir, ['--pixel-rules', rules]);
    assertSameAsCli(decided, cli, 'pixels-rules');
  });

  it('loading the rules file in a fresh page re-applies the decisions: the same zip', async () => {
    const fresh = await openPage(browser.context, server.url);
    try {
      await loadSecret(fresh.page);
      await chooseFolder(fresh.page, folder);
      await fresh.page.getByTestId('pixel-rules-input').setInputFiles({ name: 'pixel-rules.toml', mimeType: 'application/toml', buffer: Buffer.from(rulesToml) });
      await fresh.page.waitForFunction(() => [...document.querySelectorAll('[data-testid=pixel-cell]')].every((g) => g.dataset.decision !== 'none'), null, { timeout: LONG });
      const again = await runPage(fresh.page);
      assert.equal(Buffer.compare(again.zip.bytes, decided.zip.bytes), 0, 'the same zip');
      assert.equal(Buffer.compare(again.log.bytes, decided.log.bytes), 0, 'the same log');
      assert.deepEqual(fresh.errors, []);
      await fresh.page.close();
    } finally {
      if (!fresh.page.isClosed()) await fresh.page.close();
    }
  });

  it('leaves no page errors and a screenshot', async () => {
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'pixel-review.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});

describe('burned-in text review in the <dicom-deid> element (the same module); a multi-frame image', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let tmp;

  before(async () => {
    tmp = tempDir('deid-e2e-pixels-el-');
    server = await startServer();
    browser = await launchBrowser();
    await withoutSavePicker(browser.context);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('groups, previews and applies an exclude decision inside the shadow root', async () => {
    const folder = join(tmp.dir, 'pixels');
    mkdirSync(folder);
    for (const f of readdirSync(join(CORPUS, 'pixels')).filter((n) => n.endsWith('.dcm'))) copyFileSync(join(CORPUS, 'pixels', f), join(folder, f));
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}examples/embed-example.html`);
    await page.waitForSelector('dicom-deid[data-state="idle"]', { timeout: LONG });
    await page.getByTestId('secret-input').setInputFiles({ name: 'project.secret', mimeType: 'text/plain', buffer: Buffer.from(SECRET_TEXT) });
    await page.waitForFunction((fp) => document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=secret-status]').dataset.fingerprint === fp, fingerprint(SECRET_TEXT), { timeout: LONG });
    await page.getByTestId('folder-input').setInputFiles(folder);
    await page.waitForFunction(() => document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=pixel-review]').dataset.state === 'previewed', null, { timeout: LONG });
    const all = await groups(page);
    assert.ok(all.length >= 3, `${all.length} groups`);
    const lit = await page.getByTestId('pixel-thumb').evaluateAll((cs) => cs.map((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 10) n++;
      return n;
    }));
    assert.ok(lit.filter((n) => n > 30).length >= 2, `drawn previews: ${lit.join(', ')}`);
    const sc = await groupOf(page, (k) => k[6] === '1.2.840.10008.5.1.4.1.1.7');
    await sc.getByTestId('pixel-exclude').click();
    const us = await groupOf(page, (k) => k[0] === 'US' && k[5] === 'MONOCHROME2' && k[6] === '1.2.840.10008.5.1.4.1.1.6.1');
    await dragOn(us, [0, 0], [640, 60]);
    const drawn = await us.locator('.px-rects').textContent();
    assert.match(drawn, /x 0, y 0, 640 × (59|60|61) pixels/, drawn);
    await us.getByTestId('pixel-clean').click();
    assert.equal(await page.getByTestId('pixel-review').getAttribute('data-decided'), '2');
    await page.getByTestId('start').click();
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=summary]').dataset.state), null, { timeout: LONG });
    const shown = await page.evaluate(() => ({ ...document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=summary]').dataset }));
    assert.equal(shown.state, 'done');
    assert.equal(shown.excluded, '2');
    assert.equal(shown.cleaned, '1');
    // The other three US images are held (and the CT reformat with text, by the detector).
    assert.ok(['3', '4'].includes(shown.held), `held ${shown.held}`);
    const log = logRows((await download(page, 'download-log')).bytes);
    assert.equal(log.find((r) => r.source_path.endsWith('us_mono8.dcm')).reason_code, 'pixels_cleaned');
    assert.deepEqual(errors, []);
  });

  it('shows the frame chosen with the slider (keyboard), lists the frames with text and stays accessible', async () => {
    // 10 frames, the identity burned into frames 4, 5 and 6 only (tests/data/pixels-loops/PROVENANCE.md).
    const folder = join(tmp.dir, 'loop');
    mkdirSync(folder);
    copyFileSync(join(CORPUS, 'pixels-loops', 'loop_text_rle.dcm'), join(folder, 'loop_text_rle.dcm'));
    const { page, errors } = await openPage(browser.context, server.url);
    await loadSecret(page);
    await chooseFolder(page, folder);
    const group = await groupOf(page, () => true);
    assert.equal(await group.getAttribute('data-frames'), '10');
    assert.equal(await group.getAttribute('data-frame'), '1');
    const slider = group.getByTestId('pixel-frame');
    assert.ok(await slider.isVisible(), 'a slider for a multi-frame image');
    assert.equal(await slider.getAttribute('type'), 'range');
    assert.equal(await slider.getAttribute('max'), '10');
    assert.equal((await group.getByTestId('pixel-frame-label').textContent()).trim(), 'Frame 1 of 10');
    // The slider is labelled (its visible label) for screen readers.
    assert.equal(await page.getByLabel('Frame 1 of 10').count(), 1);
    // The detector looks at every frame (in the background): text in frames 4, 5 and 6.
    const list = group.getByTestId('pixel-text-frames');
    await page.waitForFunction(() => document.querySelector('[data-testid=pixel-text-frames]')?.dataset.state === 'done', null, { timeout: LONG });
    assert.equal(await list.getAttribute('data-frames'), '4,5,6');
    assert.deepEqual(await list.locator('button').allTextContents(), ['4', '5', '6']);
    assert.match(await list.textContent(), /Frames with text:/);
    const pixels = () => group.getByTestId('pixel-preview').evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
    const first = await pixels();
    // Keyboard: four steps right → frame 5, decoded by the engine and drawn.
    await slider.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid=pixel-group]').dataset.frame === '5', null, { timeout: LONG });
    assert.equal((await group.getByTestId('pixel-frame-label').textContent()).trim(), 'Frame 5 of 10');
    assert.equal(await slider.getAttribute('aria-valuetext'), '5 of 10');
    const fifth = await pixels();
    assert.equal(fifth.length, first.length);
    let differ = 0;
    for (let i = 0; i < first.length; i++) if (first[i] !== fifth[i]) differ++;
    assert.ok(differ > 1000, `frame 5 differs from frame 1 (${differ} bytes)`);
    assert.ok(Number(await group.getAttribute('data-detected')) > 0, 'the detector boxes of frame 5');
    assert.equal(await list.locator('button[aria-pressed=true]').textContent(), '5');
    // A listed frame's button shows it.
    await list.locator('button', { hasText: '4' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=pixel-group]').dataset.frame === '4', null, { timeout: LONG });
    assert.equal(await slider.inputValue(), '4');
    // The regions apply to every frame: the loop's rules file (a top band) is drawn on frame 4,
    // and still on frame 6 (red over the band: more red than green and blue, inside only).
    await page.getByTestId('pixel-rules-input').setInputFiles(join(CORPUS, 'pixels-loops', 'rules.toml'));
    await page.waitForFunction(() => document.querySelector('[data-testid=pixel-group]').dataset.decision === 'clean', null, { timeout: LONG });
    const reddish = (y) => group.getByTestId('pixel-preview').evaluate((c, row) => {
      const d = c.getContext('2d').getImageData(0, row, c.width, 1).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > d[i + 1] + 40 && d[i] > d[i + 2] + 40) n++;
      return n;
    }, y);
    assert.ok((await reddish(35)) > 200, 'the region drawn on frame 4');
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid=pixel-group]').dataset.frame === '6', null, { timeout: LONG });
    assert.ok((await reddish(35)) > 200, 'the region drawn on frame 6');
    assert.equal(await reddish(120), 0, 'nothing drawn below the region');
    assert.deepEqual(await axeProblems(page), [], 'axe on the review of a multi-frame image');
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'pixel-review-frames.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
