// Delivery by STOW-RS from the browser into a real archive: Debian's Orthanc with DICOMweb
// (tests/support/orthanc.mjs), behind the fault-injecting proxy (tests/support/fault_proxy.mjs:
// 503s, 429s with Retry-After, dropped connections, a lost answer, a 401), served on the page's
// origin by scripts/serve.mjs (--proxy /dicom-web/), the page configured with that archive
// (--stow-url). The API, the page and the element each deliver tests/data: the instances Orthanc
// holds equal the zip's storable instances byte for byte; the not storable ones are those
// without the four UIDs (read by dcmdump) and are never sent; a second send sends nothing
// (the proxy's counters); a send cut by a page reload resumes with only what the ledger lacks;
// a zip changed after its run (a byte of an instance, an instance added) is refused by the
// send API as a whole, to STOW-RS and to S3 alike, before any request.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOrthanc } from '../support/orthanc.mjs';
import {
  CORPUS, LONG, ROOT, SECRET_TEXT, axeProblems, download, launchBrowser, loadSecret, openPage, readZip, tempDir, waitDone, watchErrors, withoutSavePicker,
} from './helpers.mjs';

/** A share of the requests faulted: every 4th a 503, every 7th a 429 (Retry-After 1 s), every 9th dropped, the 6th forwarded but its answer lost. */
const FAULTS = '401@1,lose@6,503%4,429%7:retry-after=1,drop%9';
/** The four identifiers an archive needs (top-level tags as dcmdump prints them). */
const UID_TAGS = ['0008,0016', '0008,0018', '0020,000d', '0020,000e'];

/** The top-level UIDs of a DICOM file present with a value, read by dcmdump (UIDs as numbers, not names). */
function topLevelUids(file) {
  const r = spawnSync('dcmdump', ['-q', '-Un', '-M', file], { encoding: 'utf8' });
  const found = new Set();
  for (const line of (r.stdout || '').split('\n')) {
    const m = line.match(/^\(([0-9a-f]{4},[0-9a-f]{4})\) UI \[([^\]]+)\]/);
    if (m && m[2].trim()) found.add(m[1]);
  }
  return found;
}

/** A page's errors without the failed requests Chromium logs for the faults the proxy injects. */
const realErrors = (errors) => errors.filter((e) => !/^console: Failed to load resource/.test(e));

/**
 * `zip` rewritten by Python's zipfile (stored entries, their CRCs right, as any zip tool
 * would write them) after `change`: 'byte' flips one byte in the middle of the first DICOM
 * entry; 'added' adds `extra` as a DICOM entry beside it. Resolves to {bytes, entry}.
 */
function tamperedZip(zip, change, extra, dir) {
  const src = join(dir, `${change}-in.zip`);
  const out = join(dir, `${change}-out.zip`);
  writeFileSync(src, zip);
  const script = `
import sys, zipfile
src, out, change, extra = sys.argv[1:5]
zin = zipfile.ZipFile(src)
names = [i.filename for i in zin.infolist()]
first = next(n for n in names if n.endswith('.dcm'))
entry = first if change == 'byte' else first.rsplit('/', 1)[0] + '/added.dcm'
with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as zout:
    for n in names:
        data = bytearray(zin.read(n))
        if change == 'byte' and n == first:
            data[len(data) // 2] ^= 1
        zout.writestr(n, bytes(data))
        if change == 'added' and n == first:
            zout.writestr(entry, open(extra, 'rb').read())
print(entry)
`;
  const r = spawnSync('python3', ['-c', script, src, out, change, extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { bytes: readFileSync(out), entry: r.stdout.trim() };
}

/** Starts the fault proxy in front of `target`; resolves to {url, stats(), reset(), stop()}. */
function startProxy(target, faults) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'tests/support/fault_proxy.mjs'), '--target', target, '--faults', faults], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^(\d+)\n/);
      if (!m) return;
      const url = `http://127.0.0.1:${m[1]}`;
      resolve({
        url,
        stats: async () => (await fetch(`${url}/__proxy/stats`)).json(),
        stop: () => child.kill(),
      });
    });
    child.on('exit', (code) => reject(new Error(`fault_proxy.mjs exited (${code}) before listening`)));
  });
}

/** Starts scripts/serve.mjs with the archive behind `/dicom-web/` and the page configured to send there. */
function startSite(proxyUrl) {
  return new Promise((resolve, reject) => {
    const args = [join(ROOT, 'scripts/serve.mjs'), '0', join(ROOT, 'www'), '--proxy', `/dicom-web/=${proxyUrl}`, '--stow-url', '/dicom-web/studies'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ url: m[0], stop: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}) before listening`)));
  });
}

/** An archive behind the fault proxy behind the page's origin; `stop()` ends all three. */
async function startArchive(label, faults = FAULTS) {
  const orthanc = await startOrthanc(label);
  const proxy = await startProxy(orthanc.url, faults);
  const site = await startSite(proxy.url);
  return { orthanc, proxy, site, stop: () => [site, proxy, orthanc].forEach((x) => x.stop()) };
}

/**
 * The zip's instances (its DICOM entries) split by dcmdump, independently of the engine:
 * {storable: [Buffer] sorted, unstorable: [names]} (storable: all four UIDs present).
 */
function zipInstances(zipBytes, dir) {
  const storable = [];
  const unstorable = [];
  readZip(zipBytes).filter((e) => e.name.endsWith('.dcm')).forEach((e, i) => {
    const file = join(dir, `${i}.dcm`);
    writeFileSync(file, e.data);
    const uids = topLevelUids(file);
    if (UID_TAGS.every((k) => uids.has(k))) storable.push(Buffer.from(e.data));
    else unstorable.push(e.name);
  });
  return { storable: storable.sort(Buffer.compare), unstorable: unstorable.sort() };
}

/** Asserts that Orthanc holds exactly the zip's storable instances, byte for byte. */
async function assertHoldsZip(orthanc, zip, dir, label) {
  mkdirSync(dir, { recursive: true });
  const want = zipInstances(zip, dir);
  const held = await orthanc.storedFiles();
  assert.equal(held.length, want.storable.length, `${label}: Orthanc holds ${held.length} instances, the zip ${want.storable.length} storable ones`);
  held.forEach((b, i) => assert.ok(b.equals(want.storable[i]), `${label}: stored instance ${i} differs from the zip's`));
  return want;
}

/** The page's Blob as a Buffer (through base64). */
async function blobBytes(page, expr) {
  const b64 = await page.evaluate(async (e) => {
    const blob = await eval(e); // eslint-disable-line no-eval
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, expr);
  return Buffer.from(b64, 'base64');
}

describe('STOW-RS from the browser into Orthanc', { timeout: 6 * 60_000 }, () => {
  let browser;
  let tmp;

  before(async () => {
    tmp = tempDir('deid-e2e-stow-');
    browser = await launchBrowser();
    // The zip is offered as a download (no save dialog in a headless run).
    await withoutSavePicker(browser.context);
  });

  after(async () => {
    await browser?.close();
    tmp?.cleanup();
  });

  it('the API delivers after the run through faults, refreshes its headers after a 401, and a second send sends nothing', async () => {
    const archive = await startArchive('api');
    try {
      const { page, errors } = await openPage(browser.context, archive.site.url);
      // An input of the test's own (the page's would start the page's review of the files).
      await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'api-dir', webkitdirectory: true, multiple: true })));
      await page.locator('#api-dir').setInputFiles(CORPUS);
      const r = await page.evaluate(async (secret) => {
        const api = await import('/dicom-deid.js');
        let calls = 0;
        const destination = { kind: 'stow', url: '/dicom-web/studies', getHeaders: () => ({ Authorization: `Bearer token-${++calls}` }) };
        let sendReports = 0;
        const res = await api.deidentify({
          source: document.getElementById('api-dir').files, secret, destination, workers: 2,
          onProgress: (p) => { if (p.phase === 'send') sendReports++; },
        });
        window.lastResult = res;
        const delivery = res.delivery;
        const again = await api.sendResult(res, { destination });
        return { delivery, again, calls, sendReports, written: res.summary.written };
      }, SECRET_TEXT);
      const zip = await blobBytes(page, 'window.lastResult.zip');
      const want = await assertHoldsZip(archive.orthanc, zip, join(tmp.dir, 'api'), 'api');
      const d = r.delivery;
      assert.equal(d.state, 'done');
      assert.equal(d.counts.failed, 0, JSON.stringify(d.results.filter((x) => x.status === 'failed')));
      assert.equal(d.counts.stored + d.counts.warning, want.storable.length);
      assert.equal(d.counts.total, r.written, 'every written instance, and only those, was considered');
      const notStorable = d.results.filter((x) => x.status === 'not_storable').map((x) => x.path).sort();
      assert.deepEqual(notStorable, want.unstorable, 'not storable: exactly the zip entries without the four UIDs');
      assert.ok(want.unstorable.length > 0, 'the corpus has outputs no archive can store');
      assert.ok(r.sendReports > 0, 'progress reported while sending');
      const stats = await archive.proxy.stats();
      assert.ok(stats.faults.total >= 4, `faults injected: ${JSON.stringify(stats.faults)}`);
      assert.equal(r.calls, 2, 'getHeaders called once, then again after the 401');
      assert.equal(stats.authorized, stats.requests, 'every request carried the headers');
      // Not storable instances never reach the archive.
      const sent = new Set(stats.sopInstanceUidsSeen);
      for (const x of d.results.filter((y) => y.status === 'stored')) assert.ok(sent.has(x.sop_instance_uid));
      // The second send: every instance already stored, no request.
      assert.equal(r.again.counts.already, want.storable.length);
      assert.equal(r.again.counts.requests, 0);
      const after2 = await archive.proxy.stats();
      assert.equal(after2.requests, stats.requests, 'a second send makes no request');
      assert.deepEqual(realErrors(errors), []);
    } finally {
      archive.stop();
    }
  });

  it('the page: a Send step for the configured archive; a send cut by a reload resumes with only the rest; the step is accessible', async () => {
    // Slower answers (a 429 with Retry-After 1 s on every 3rd request), so the reload cuts the send.
    const archive = await startArchive('page', '503%5,429%3:retry-after=1,drop%7');
    try {
      let { page, errors } = await openPage(browser.context, archive.site.url);
      assert.equal(await page.getByTestId('send-step').isVisible(), true);
      assert.match(await page.getByTestId('send-url').textContent(), /\/dicom-web\/studies$/);
      const run = async () => {
        await loadSecret(page);
        await page.getByTestId('folder-input').setInputFiles(CORPUS);
        await page.waitForFunction(() => !document.querySelector('[data-testid=start]').disabled, null, { timeout: LONG });
        await page.getByTestId('start').click();
        return waitDone(page);
      };
      await run();
      await page.getByTestId('send-button').click();
      // Cut once some instances are stored, before the end.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=send-progress]').dataset.done || 0) >= 4, null, { timeout: LONG, polling: 20 });
      await page.reload();
      await page.waitForSelector('body[data-state="idle"]', { timeout: LONG });
      const ledger = await page.evaluate(async () => {
        const { theLedger } = await import('/internal/destination.js');
        return (await theLedger().list(new URL('/dicom-web/studies', location.href).href)).map((r) => r.sop);
      });
      const first = await archive.proxy.stats();
      errors = watchErrors(page);
      const summary = await run();
      await page.getByTestId('send-button').click();
      const done = page.locator('[data-testid=send-summary][data-state="done"]');
      await done.waitFor({ timeout: LONG });
      const counts = await done.evaluate((n) => ({ ...n.dataset }));
      const zipBytes = (await download(page, 'download-zip')).bytes;
      const want = await assertHoldsZip(archive.orthanc, zipBytes, join(tmp.dir, 'page'), 'page');
      assert.ok(ledger.length > 0 && ledger.length < want.storable.length, `the reload cut the send (${ledger.length} of ${want.storable.length} stored)`);
      assert.equal(Number(counts.already), ledger.length, 'what the ledger holds is not sent again');
      assert.equal(Number(counts.stored) + Number(counts.warning), want.storable.length - ledger.length);
      assert.equal(Number(counts.failed), 0);
      const second = await archive.proxy.stats();
      const resent = second.sopInstanceUids.slice(first.sopInstanceUids.length);
      const inLedger = new Set(ledger);
      assert.ok(resent.every((u) => !inLedger.has(u)), 'after the reload only what the ledger lacks is sent');
      assert.equal(new Set(resent).size, want.storable.length - ledger.length);
      assert.ok(summary.written > 0);
      assert.deepEqual(await axeProblems(page), []);
      assert.deepEqual(realErrors(errors), []);
    } finally {
      archive.stop();
    }
  });

  it('a zip changed after its run is refused by the send API as a whole, to STOW-RS and S3, before any request', async () => {
    const archive = await startArchive('vouched', '');
    try {
      const { page, errors } = await openPage(browser.context, archive.site.url);
      await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'api-dir', webkitdirectory: true, multiple: true })));
      await page.locator('#api-dir').setInputFiles(CORPUS);
      await page.evaluate(async (secret) => {
        const api = await import('/dicom-deid.js');
        window.vouchedRun = await api.deidentify({ source: document.getElementById('api-dir').files, secret, workers: 2 });
      }, SECRET_TEXT);
      const zip = await blobBytes(page, 'window.vouchedRun.zip');
      const dir = join(tmp.dir, 'vouched');
      mkdirSync(dir, { recursive: true });
      const cases = ['byte', 'added'].map((change) => ({ change, ...tamperedZip(zip, change, join(CORPUS, 'pydicom-data/emri_small.dcm'), dir) }));
      const refused = await page.evaluate(async (zips) => {
        const api = await import('/dicom-deid.js');
        const destination = { kind: 'stow', url: '/dicom-web/studies' };
        let presigned = 0;
        const s3 = { kind: 's3', presign: async () => { presigned++; throw new Error('never asked'); } };
        const out = [];
        for (const z of zips) {
          const bytes = Uint8Array.from(atob(z.b64), (c) => c.charCodeAt(0));
          const changed = { ...window.vouchedRun, zip: new Blob([bytes]) };
          for (const [kind, send] of [['stow', () => api.sendResult(changed, { destination })], ['s3', () => api.uploadToS3(changed.zip, s3)]]) {
            try {
              await send();
              out.push({ change: z.change, kind, sent: true });
            } catch (e) {
              out.push({ change: z.change, kind, code: e.code, message: e.message, problems: e.problems });
            }
          }
        }
        return { out, presigned };
      }, cases.map((c) => ({ change: c.change, b64: c.bytes.toString('base64') })));
      assert.equal(refused.out.length, 4);
      for (const r of refused.out) {
        const c = cases.find((x) => x.change === r.change);
        assert.equal(r.code, 'unvouched', JSON.stringify(r));
        const line = r.change === 'byte' ? `${c.entry}: differs` : `${c.entry}: added (not in the manifest)`;
        assert.ok(r.problems.some((p) => p.startsWith(line)) && r.message.includes(line), JSON.stringify(r));
      }
      assert.equal(refused.presigned, 0, 'nothing was uploaded to S3: no URL asked for');
      // A zip that holds against its own statement but was signed with another project's key:
      // the run's result names its key, so it is refused too.
      const resigned = await page.evaluate(async () => {
        const api = await import('/dicom-deid.js');
        const other = await api.deidentify({ source: document.getElementById('api-dir').files, secret: 'another project secret, another key', workers: 2 });
        const destination = { kind: 'stow', url: '/dicom-web/studies' };
        const s3 = { kind: 's3', presign: async () => { throw new Error('never asked'); } };
        const out = { ownKey: other.publicKey !== window.vouchedRun.publicKey && /^[0-9a-f]{64}$/.test(other.publicKey) };
        for (const [kind, send] of [
          ['stow', () => api.sendResult({ ...window.vouchedRun, zip: other.zip }, { destination })],
          ['s3', () => api.uploadToS3(other.zip, s3, { publicKey: window.vouchedRun.publicKey })],
        ]) {
          try {
            await send();
            out[kind] = { sent: true };
          } catch (e) {
            out[kind] = { code: e.code, message: e.message };
          }
        }
        return out;
      });
      assert.ok(resigned.ownKey, 'each secret has its own key');
      for (const kind of ['stow', 's3']) {
        assert.equal(resigned[kind].code, 'unvouched', JSON.stringify(resigned));
        assert.match(resigned[kind].message, /not by the given public key/);
      }
      assert.equal((await archive.proxy.stats()).requests, 0, 'the refused zips made no request');
      assert.equal((await archive.orthanc.storedFiles()).length, 0, 'Orthanc holds nothing');
      // The zip as written still delivers.
      const good = await page.evaluate(async () => {
        const api = await import('/dicom-deid.js');
        const d = await api.sendResult(window.vouchedRun, { destination: { kind: 'stow', url: '/dicom-web/studies' } });
        return { state: d.state, counts: d.counts };
      });
      assert.equal(good.state, 'done');
      assert.ok(good.counts.stored > 20 && good.counts.failed === 0, JSON.stringify(good.counts));
      assert.equal((await archive.proxy.stats()).requests, good.counts.requests);
      assert.deepEqual(realErrors(errors), []);
    } finally {
      archive.stop();
    }
  });

  it('the element streams each instance as it is written (stow-stream), through faults', async () => {
    const archive = await startArchive('element');
    try {
      const page = await browser.context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${archive.site.url}examples/embed-example.html`);
      const el = page.locator('dicom-deid');
      await page.waitForFunction(() => document.querySelector('dicom-deid').dataset.state === 'idle', null, { timeout: LONG });
      await el.evaluate((e) => {
        e.setAttribute('stow-url', '/dicom-web/studies');
        e.setAttribute('stow-stream', '');
        e.secret = '5f1d3c8a9b7e6d4c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181706';
        window.sent = new Promise((resolve) => e.addEventListener('sent', (ev) => resolve(ev.detail)));
      });
      assert.equal(await page.getByTestId('send-step').isVisible(), true);
      await page.getByTestId('folder-input').setInputFiles(CORPUS);
      await page.waitForFunction(() => !document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=start]').disabled, null, { timeout: LONG });
      await page.getByTestId('start').click();
      const delivery = await page.evaluate(() => window.sent);
      await page.waitForFunction(() => document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=summary]').dataset.state === 'done', null, { timeout: LONG });
      const zip = await blobBytes(page, "document.querySelector('dicom-deid').result.zip");
      const want = await assertHoldsZip(archive.orthanc, zip, join(tmp.dir, 'element'), 'element');
      assert.equal(delivery.state, 'done');
      assert.equal(delivery.counts.failed, 0);
      assert.equal(delivery.counts.stored + delivery.counts.warning, want.storable.length);
      assert.equal(delivery.counts.not_storable, want.unstorable.length);
      assert.ok((await archive.proxy.stats()).faults.total > 0);
      assert.deepEqual(realErrors(errors), []);
    } finally {
      archive.stop();
    }
  });
});
