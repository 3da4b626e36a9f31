// The page in Firefox ESR (Debian's stock /usr/bin/firefox-esr, headless, driven over WebDriver
// BiDi by puppeteer-core; nothing downloads a browser): a few files uploaded one by one give the
// CLI's zip, key and log byte for byte. Firefox has OPFS (the zip is spooled there, through a
// sync access handle in the output worker) but no save dialog.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import puppeteer from 'puppeteer-core';
import { assertSameAsCli, startServer } from './helpers.mjs';
import { FEW_FILES, RECORD_ERRORS, cliOnFewFiles, runPage } from './webdriver-flow.mjs';

const FIREFOX = '/usr/bin/firefox-esr';

describe('Firefox ESR (WebDriver BiDi)', { skip: !existsSync(FIREFOX) && 'no /usr/bin/firefox-esr (scripts/setup.sh installs it)', timeout: 6 * 60_000 }, () => {
  let server;
  let browser;
  let profile;
  let run;
  let setup;
  let version;
  let seconds;

  before(async () => {
    setup = cliOnFewFiles('deid-e2e-firefox-');
    server = await startServer();
    profile = mkdtempSync(join(tmpdir(), 'deid-e2e-firefox-profile-'));
    const t0 = performance.now();
    browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, userDataDir: profile, protocolTimeout: 180_000 });
    version = await browser.version();
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(RECORD_ERRORS);
    await page.goto(server.url);
    const b = {
      eval: (fn, arg) => page.evaluate(fn, arg),
      upload: async (testId, paths) => (await page.$(`[data-testid=${testId}]`)).uploadFile(...paths),
      click: (testId) => page.click(`[data-testid=${testId}]`),
    };
    run = await runPage(b, server.url, setup.secretFile, FEW_FILES);
    seconds = (performance.now() - t0) / 1000;
  });

  after(async () => {
    await browser?.close().catch(() => {});
    server?.stop();
    setup?.tmp.cleanup();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('runs to the end, spooling the zip in OPFS, with no page errors', () => {
    console.log(`${version}: ${FEW_FILES.length} files, page run ${seconds.toFixed(1)} s (launch included)`);
    assert.equal(run.state, 'done', run.error);
    assert.equal(run.inMemory, false, 'Firefox has OPFS: the zip is not held in memory');
    assert.deepEqual(run.errors, []);
  });

  it('zip, key and log are byte-identical to the CLI output', () => {
    assertSameAsCli(run.got, setup.cli, 'firefox');
  });
});
