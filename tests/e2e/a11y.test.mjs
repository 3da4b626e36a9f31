// Accessibility of the page and the <dicom-deid> element: axe-core (WCAG 2.0/2.1 A and AA rules)
// finds no serious or critical violation on the page opened, with a selection, after a run, and
// on the element; and the whole workflow runs from the keyboard alone (Tab to reach each control,
// Space/Enter to use it; the file choosers are answered through playwright's filechooser event),
// with a visible focus indicator on every control reached, progress and results in live regions,
// and a zip equal to the CLI's with the option chosen by keyboard.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, SECRET_TEXT, assertSameAsCli, axeProblems, fingerprint, launchBrowser, openPage, runCli, startServer, tempDir, watchErrors,
} from './helpers.mjs';

/** A small folder: DICOM files and files that are skipped (a CSV, a Markdown note). */
const FOLDER = join(CORPUS, 'fixtures');

/** Presses `key` (Tab) until the focused element matches `selector` (at most 80 presses); asserts it does. */
async function tabTo(page, selector, visited, key = 'Tab') {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(key);
    const here = await page.evaluate(focusState, selector);
    visited.push(here);
    if (here.matches) return;
  }
  assert.fail(`Tab never reached ${selector}`);
}

/**
 * Page function: the focused element, whether it matches `selector`, and whether its focus is
 * visible (an outline on it, or on the label that stands for a visually hidden file input).
 */
function focusState(selector) {
  const el = document.activeElement;
  const shown = el.classList.contains('visually-hidden') ? el.nextElementSibling : el;
  const cs = getComputedStyle(shown);
  const visible = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
  return { id: el.id || el.tagName, matches: el.matches(selector), visible };
}

describe('accessibility (axe-core) and a keyboard-only run', { timeout: 8 * 60_000 }, () => {
  let server;
  let browser;
  let tmp;
  let cli;

  before(async () => {
    tmp = tempDir('deid-e2e-a11y-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    const config = join(tmp.dir, 'config.toml');
    writeFileSync(config, 'preset = "basic"\n[profile]\nretain_device_identity = true\n');
    cli = runCli(FOLDER, secretFile, tmp.dir, ['--config', config]);
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('the page as Chromium opens it has no serious or critical violation', async () => {
    const { page, errors } = await openPage(browser.context, server.url);
    assert.deepEqual(await axeProblems(page), []);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('runs from the keyboard alone, with visible focus, live regions and no violation on the way', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    // As in Firefox and Safari: no folder dialog, so the folder input is the control to reach.
    await page.addInitScript(() => {
      delete window.showDirectoryPicker;
      delete window.showSaveFilePicker;
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
    const visited = [];

    await tabTo(page, '#secret-input', visited);
    const [secretChooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await secretChooser.setFiles({ name: 'project.secret', mimeType: 'text/plain', buffer: Buffer.from(SECRET_TEXT) });
    await page.waitForFunction((fp) => document.querySelector('[data-testid=secret-status]').dataset.fingerprint === fp, fingerprint(SECRET_TEXT), { timeout: LONG });

    await tabTo(page, '#opt-profile-retain_device_identity', visited);
    await page.keyboard.press('Space');
    assert.equal(await page.locator('#opt-profile-retain_device_identity').isChecked(), true);

    // Back to the folder input, answered through the file chooser.
    await tabTo(page, '#folder-input', visited, 'Shift+Tab');
    const [folderChooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
    await folderChooser.setFiles(FOLDER);
    await page.waitForSelector('[data-testid=preview]:not([hidden])', { timeout: LONG });
    assert.deepEqual(await axeProblems(page), [], 'with a selection and its preview');

    // The preview's scrolling table is reachable (tabindex 0) and named.
    await tabTo(page, '#preview .table-scroll', visited);
    await tabTo(page, '#start', visited);
    await page.keyboard.press('Enter');
    const summary = page.locator('[data-testid=summary][data-state="done"]');
    await summary.waitFor({ timeout: LONG });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'start', 'the focus stays on the run controls');
    assert.equal(await page.locator('#progress-text').getAttribute('aria-live'), 'polite', 'progress is announced');
    assert.equal(await page.getByTestId('summary').getAttribute('aria-live'), 'polite', 'results are announced');
    assert.deepEqual(await axeProblems(page), [], 'after a run');

    await tabTo(page, '#download-zip', visited);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: LONG }), page.keyboard.press('Enter')]);
    assertSameAsCli({ zip: { bytes: readFileSync(await dl.path()) } }, cli, 'keyboard');

    const unseen = visited.filter((v) => !v.visible).map((v) => v.id);
    assert.ok(visited.length > 10, `${visited.length} controls reached by Tab`);
    assert.deepEqual([...new Set(unseen)], [], 'controls reached by Tab without a visible focus indicator');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('the <dicom-deid> element has no serious or critical violation, opened and with a selection', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}examples/embed-example.html`);
    await page.waitForSelector('dicom-deid[data-state="idle"]', { timeout: LONG });
    assert.deepEqual(await axeProblems(page), [], 'opened');
    await page.getByTestId('folder-input').setInputFiles(FOLDER);
    await page.waitForFunction(() => !document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=start]').disabled, null, { timeout: LONG });
    assert.deepEqual(await axeProblems(page), [], 'with a selection');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
