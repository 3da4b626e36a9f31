// S3 delivery of the result zip (www/internal/s3-upload.js) into moto's S3 server (PyPI
// moto[server], installed by scripts/setup.sh) on a free loopback port, with URLs presigned by a
// host service (tests/support/s3_host.py: boto3, SigV4, Content-MD5 signed) as a portal's server
// presigns them; the bucket's CORS rule lets the page's origin PUT and read the ETag, and the
// page's CSP allows exactly the store and the host. The zip in the bucket equals the zip the API
// returns (and the CLI's), byte for byte: one PUT, and a multipart upload through a 503 and a
// dropped connection; bytes altered on the way and a corrupted ETag are detected and reported;
// cancel aborts the multipart upload; the element sends to S3 from its Send step.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS, LONG, ROOT, SECRET_TEXT, axeProblems, launchBrowser, runCli, startServer, tempDir, watchErrors, withoutSavePicker } from './helpers.mjs';
import { freePort } from '../support/orthanc.mjs';

const BUCKET = 'portal-results';
/** A part size that makes the corpus's zip (about 5 MB) a multipart upload of several parts (moto is told to take parts this small). */
const SMALL_PART = 1 << 20;

/** Starts `cmd` and resolves to {child, match} when its output matches `pattern`. */
function startProcess(cmd, args, pattern, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const look = (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve({ child, match: m });
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
  });
}

/** moto's S3 server on a free port, taking parts from SMALL_PART / 4 bytes; resolves to {origin, stop()}. */
async function startMoto() {
  const port = await freePort();
  const { child } = await startProcess('moto_server', ['-H', '127.0.0.1', '-p', String(port)], /Running on http/, {
    // Only the bucket's CORS rule answers the browser, as S3 does.
    MOTO_DISABLE_GLOBAL_CORS: '1',
    S3_UPLOAD_PART_MIN_SIZE: String(SMALL_PART / 4),
  });
  return { origin: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** The page's own functions: the presign callback that asks the host service, and faults injected into fetch. */
function installPage() {
  window.api = () => import(new URL('/lib/dicom-deid.js', location.href).href);
  window.b64 = async (blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  /** An S3 destination whose presign callback asks the host's service (its server presigns). */
  window.s3 = (key, extra = {}) => ({
    kind: 's3',
    ...extra,
    presign: async (request) => {
      const r = await fetch(new URL('presign', window.HOST), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, request }) });
      if (!r.ok) throw new Error(`presign ${request.op}: HTTP ${r.status} ${await r.text()}`);
      return r.json();
    },
  });
  // Faults for PUTs to the store, by part number ('0': a single PUT): kind '503' (answered
  // 503 with Retry-After: 0), 'drop' (no answer), 'body' (a byte of the body changed on the
  // way), 'etag' (the ETag header of the store's answer changed on the way).
  const realFetch = window.fetch.bind(window);
  window.faults = [];
  window.puts = 0;
  window.fetch = async (input, init = {}) => {
    if (init.method !== 'PUT') return realFetch(input, init);
    window.puts++;
    const part = new URL(String(input)).searchParams.get('partNumber') || '0';
    const f = window.faults.find((x) => x.part === part && x.left > 0);
    if (!f) return realFetch(input, init);
    f.left--;
    if (f.kind === '503') return new Response('slow down', { status: 503, headers: { 'Retry-After': '0' } });
    if (f.kind === 'drop') throw new TypeError('Failed to fetch (connection dropped by the test)');
    if (f.kind === 'body') {
      const bytes = new Uint8Array(await init.body.arrayBuffer());
      bytes[bytes.length >> 1] ^= 0xff;
      return realFetch(input, { ...init, body: bytes });
    }
    const r = await realFetch(input, init);
    const headers = new Headers(r.headers);
    headers.set('ETag', '"0123456789abcdef0123456789abcdef"');
    return new Response(r.body, { status: r.status, headers });
  };
}

/** The ETag S3 gives a multipart upload of `bytes` in parts of `partSize`, computed here (Node's MD5). */
function multipartEtag(bytes, partSize) {
  const digests = [];
  for (let at = 0; at < bytes.length; at += partSize) digests.push(createHash('md5').update(bytes.subarray(at, at + partSize)).digest());
  return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
}

const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');
const unquote = (etag) => etag.replace(/^"|"$/g, '');

describe('S3 delivery of the zip (presigned PUT and multipart upload into moto)', { timeout: 15 * 60_000 }, () => {
  let tmp;
  let moto;
  let host;
  let server;
  let browser;
  let page;
  let errors;
  let cliZip;
  let cliZipPath;

  /** The object `key` in the bucket (null when absent), read by the host with its credentials. */
  async function stored(key) {
    const r = await fetch(`${host.url}object?key=${encodeURIComponent(key)}`);
    return r.status === 404 ? null : Buffer.from(await r.arrayBuffer());
  }
  const ops = async () => (await fetch(`${host.url}ops`)).json();
  const uploadsInProgress = async () => (await fetch(`${host.url}uploads`)).json();

  before(async () => {
    tmp = tempDir('deid-e2e-s3-');
    const secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    mkdirSync(join(tmp.dir, 'cli'));
    cliZipPath = runCli(CORPUS, secretFile, join(tmp.dir, 'cli')).zip;
    cliZip = readFileSync(cliZipPath);
    moto = await startMoto();
    const pagePort = await freePort();
    const pageOrigin = `http://127.0.0.1:${pagePort}`;
    const h = await startProcess('python3', [join(ROOT, 'tests/support/s3_host.py'), moto.origin, BUCKET, pageOrigin], /s3 host: (http:\S+)/);
    host = { url: h.match[1], origin: new URL(h.match[1]).origin, stop: () => h.child.kill() };
    const site = join(tmp.dir, 'site');
    mkdirSync(join(site, 'app'), { recursive: true });
    symlinkSync(join(ROOT, 'www'), join(site, 'lib'));
    // The host page allows connections to exactly its presign service and the store.
    const csp = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self' blob: data: ${host.origin} ${moto.origin}; img-src 'self' blob: data:; style-src 'self'`;
    writeFileSync(join(site, 'app/index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="icon" href="data:,"><title>portal</title><script type="module" src="/lib/dicom-deid-element.js"></script></head>
<body><main><h1>Portal</h1><input type="file" id="dir" webkitdirectory multiple aria-label="folder"><input type="file" id="zip" aria-label="zip"><dicom-deid preset="basic"></dicom-deid></main></body></html>`);
    server = await startServer(site, ['--connect', host.origin, '--connect', moto.origin], pagePort);
    browser = await launchBrowser();
    // The element's Start would ask where to save the zip: the zip is spooled instead.
    await withoutSavePicker(browser.context);
    await browser.context.addInitScript(installPage);
    await browser.context.addInitScript(`window.HOST = ${JSON.stringify(host.url)};`);
    page = await browser.context.newPage();
    errors = watchErrors(page);
    await page.goto(`${server.url}app/index.html`);
    await page.evaluate(async () => (await window.api()).loadEngine());
    await page.locator('#dir').setInputFiles(CORPUS);
    // A run's zip (the CLI's, the same bytes as the page's) for the uploads of a zip alone: only
    // a zip that holds against its signed statement is uploaded.
    await page.locator('#zip').setInputFiles(cliZipPath);
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    host?.stop();
    moto?.stop();
    tmp?.cleanup();
  });

  it('a zip of at most one part is one presigned PUT: the object is the zip, byte for byte, its ETag the MD5', async () => {
    const r = await page.evaluate(async (secret) => {
      const { deidentify } = await window.api();
      const sends = [];
      const res = await deidentify({
        source: document.getElementById('dir').files, secret, destination: window.s3('single/study.zip', { partSize: 64 << 20 }),
        onProgress: (p) => p.phase === 'send' && sends.push(p),
      });
      return { zip: await window.b64(res.zip), delivery: res.delivery, sends, keyCsv: res.keyCsv, logCsv: res.logCsv };
    }, SECRET_TEXT);
    const zip = Buffer.from(r.zip, 'base64');
    assert.equal(Buffer.compare(zip, cliZip), 0, "the API's zip is the CLI's");
    assert.equal(r.delivery.state, 'done', r.delivery.error);
    assert.equal(r.delivery.mode, 'put');
    assert.equal(r.delivery.parts, 1);
    assert.equal(r.delivery.bytes, zip.length);
    assert.equal(unquote(r.delivery.etag), md5(zip));
    const object = await stored('single/study.zip');
    assert.ok(object, 'the bucket holds the object');
    assert.equal(Buffer.compare(object, zip), 0, 'the object in the bucket is the zip, byte for byte');
    assert.deepEqual((await ops()).filter((o) => o.key === 'single/study.zip').map((o) => o.op), ['put']);
    // Only the zip goes: the key and the log (PHI) are never in the bucket.
    for (const text of [r.keyCsv, r.logCsv]) assert.equal(object.includes(Buffer.from(text.split('\n')[1] || text)), false);
    const last = r.sends[r.sends.length - 1];
    assert.equal(last.done, last.total);
    assert.equal(last.bytes, zip.length);
  });

  it('a larger zip is a multipart upload through a 503 and a dropped connection: the object is the zip, its ETag the MD5 of the parts', async () => {
    const r = await page.evaluate(async ([secret, partSize]) => {
      const { deidentify } = await window.api();
      window.faults = [{ part: '2', kind: '503', left: 1 }, { part: '3', kind: 'drop', left: 1 }];
      window.puts = 0;
      const sends = [];
      const res = await deidentify({
        source: document.getElementById('dir').files, secret, destination: window.s3('multi/study.zip', { partSize, retry: { max_attempts: 3, base_delay_ms: 10, max_delay_ms: 100 } }),
        onProgress: (p) => p.phase === 'send' && sends.push(p),
      });
      return { zip: await window.b64(res.zip), delivery: res.delivery, sends, puts: window.puts, faultsLeft: window.faults.map((f) => f.left), runSeconds: res.stats.seconds };
    }, [SECRET_TEXT, SMALL_PART]);
    const zip = Buffer.from(r.zip, 'base64');
    assert.ok(zip.length > 2 * SMALL_PART, `the zip (${zip.length} bytes) is several parts`);
    assert.equal(r.delivery.state, 'done', r.delivery.error);
    assert.equal(r.delivery.mode, 'multipart');
    const parts = Math.ceil(zip.length / SMALL_PART);
    assert.equal(r.delivery.parts, parts);
    assert.deepEqual(r.faultsLeft, [0, 0], 'both faults were met');
    assert.equal(r.delivery.attempts, parts + 2, 'the two failed PUTs were retried once each');
    assert.equal(r.puts, parts + 2);
    assert.equal(unquote(r.delivery.etag), multipartEtag(zip, SMALL_PART));
    const object = await stored('multi/study.zip');
    assert.equal(Buffer.compare(object, zip), 0, 'the object in the bucket is the zip, byte for byte');
    assert.equal(Buffer.compare(object, cliZip), 0, "and the CLI's zip");
    const asked = (await ops()).filter((o) => o.key === 'multi/study.zip').map((o) => o.op);
    assert.equal(asked[0], 'create');
    assert.equal(asked.filter((o) => o === 'part').length, parts, 'one presigned URL per part (a retry reuses it)');
    assert.equal(asked[asked.length - 1], 'complete');
    const last = r.sends[r.sends.length - 1];
    assert.deepEqual([last.done, last.total, last.bytes, last.totalBytes], [parts, parts, zip.length, zip.length]);
    assert.ok(r.sends.every((p, i) => i === 0 || p.bytes >= r.sends[i - 1].bytes), 'progress only grows');
    console.log(`# S3 multipart into moto: ${(zip.length / 1e6).toFixed(1)} MB in ${parts} parts, ${r.delivery.seconds.toFixed(2)} s (with a 503 and a dropped connection); the run that made the zip ${r.runSeconds.toFixed(2)} s`);
  });

  it('bytes altered on the way are detected by the ETag and reported; the run\'s result stands and a second send stores the zip', async () => {
    const r = await page.evaluate(async (secret) => {
      const { deidentify, sendResult } = await window.api();
      window.faults = [{ part: '0', kind: 'body', left: 1 }];
      const destination = window.s3('altered/study.zip', { partSize: 64 << 20 });
      const res = await deidentify({ source: document.getElementById('dir').files, secret, destination });
      const first = res.delivery;
      const second = await sendResult(res, { destination });
      return { zip: await window.b64(res.zip), first, second };
    }, SECRET_TEXT);
    const zip = Buffer.from(r.zip, 'base64');
    assert.equal(r.first.state, 'error');
    assert.equal(r.first.code, 'send');
    assert.match(r.first.error, /ETag .* is not the MD5 of the bytes sent/);
    assert.equal(r.second.state, 'done', r.second.error);
    assert.equal(Buffer.compare(await stored('altered/study.zip'), zip), 0, 'the second send stored the zip');
  });

  it('a corrupted ETag of a part is detected, reported as send, and the multipart upload is aborted', async () => {
    const r = await page.evaluate(async () => {
      const { uploadToS3 } = await window.api();
      window.faults = [{ part: '2', kind: 'etag', left: 1 }];
      const zip = document.getElementById('zip').files[0];
      try {
        await uploadToS3(zip, window.s3('etag/random.bin', { partSize: Math.ceil(zip.size / 4) }));
        return { ok: true };
      } catch (e) {
        return { code: e.code, message: e.message };
      }
    });
    assert.equal(r.code, 'send', JSON.stringify(r));
    assert.match(r.message, /part 2 of 4: the store's ETag "0123456789abcdef0123456789abcdef" is not the MD5/);
    const asked = (await ops()).filter((o) => o.key === 'etag/random.bin').map((o) => o.op);
    assert.equal(asked[asked.length - 1], 'abort');
    assert.equal(asked.includes('complete'), false);
    assert.deepEqual(await uploadsInProgress(), [], 'no multipart upload is left in the bucket');
    assert.equal(await stored('etag/random.bin'), null);
  });

  it('cancel stops the upload and aborts the multipart upload', async () => {
    const r = await page.evaluate(async () => {
      const { uploadToS3 } = await window.api();
      window.faults = [];
      const controller = new AbortController();
      const zip = document.getElementById('zip').files[0];
      let parts = 0;
      try {
        await uploadToS3(zip, window.s3('cancel/big.bin', { partSize: Math.max(64 << 10, Math.ceil(zip.size / 12)) }), {
          signal: controller.signal,
          onProgress: (p) => {
            parts = p.done;
            if (p.done === 2) controller.abort();
          },
        });
        return { ok: true };
      } catch (e) {
        return { code: e.code, parts };
      }
    });
    assert.equal(r.code, 'aborted', JSON.stringify(r));
    assert.ok(r.parts < 12);
    const asked = (await ops()).filter((o) => o.key === 'cancel/big.bin').map((o) => o.op);
    assert.equal(asked[asked.length - 1], 'abort');
    assert.deepEqual(await uploadsInProgress(), []);
    assert.equal(await stored('cancel/big.bin'), null);
  });

  it('the element sends its zip to S3 from its Send step (destination property)', async () => {
    const el = page.locator('dicom-deid');
    await page.waitForFunction(() => document.querySelector('dicom-deid').dataset.state === 'idle', null, { timeout: LONG });
    await el.evaluate((e) => {
      e.destination = window.s3('element/study.zip', { partSize: 4 << 20 });
      e.secret = '5f1d3c8a9b7e6d4c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29181706';
      window.sent = new Promise((resolve) => e.addEventListener('sent', (ev) => resolve(/** @type {CustomEvent} */ (ev).detail)));
    });
    assert.equal(await page.getByTestId('send-step').isVisible(), true);
    await page.getByTestId('folder-input').setInputFiles(CORPUS);
    await page.waitForFunction(() => !document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=start]').disabled, null, { timeout: LONG });
    await page.getByTestId('start').click();
    await page.waitForFunction(() => document.querySelector('dicom-deid').shadowRoot.querySelector('[data-testid=summary]').dataset.state === 'done', null, { timeout: LONG });
    await page.getByTestId('send-button').click();
    const delivery = await page.evaluate(() => window.sent);
    const zip = Buffer.from(await page.evaluate(() => window.b64(document.querySelector('dicom-deid').result.zip)), 'base64');
    assert.equal(delivery.state, 'done', delivery.error);
    assert.equal(delivery.mode, 'multipart');
    assert.equal(Buffer.compare(await stored('element/study.zip'), zip), 0, 'the object is the element\'s zip');
    const summary = page.getByTestId('send-summary');
    assert.equal(await summary.getAttribute('data-state'), 'done');
    assert.equal(await summary.getAttribute('data-etag'), delivery.etag);
    assert.deepEqual(await axeProblems(page), []);
    assert.deepEqual(errors, []);
  });

  it('measures the upload rate into moto on loopback (one PUT and 8 MiB parts)', async () => {
    // A run's zip of about 64 MB (CT-like slices made by scripts/make_bench_corpus.py): only a
    // zip that holds against its statement is uploaded.
    const input = join(tmp.dir, 'rate-in');
    const made = spawnSync('python3', [join(ROOT, 'scripts/make_bench_corpus.py'), input, '--slices', '120', '--compressed-copies', '0'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    mkdirSync(join(tmp.dir, 'rate'));
    await page.locator('#zip').setInputFiles(runCli(input, join(tmp.dir, 'project.secret'), join(tmp.dir, 'rate')).zip);
    const r = await page.evaluate(async () => {
      const { uploadToS3 } = await window.api();
      window.faults = [];
      const zip = document.getElementById('zip').files[0];
      const size = zip.size;
      const put = await uploadToS3(zip, window.s3('rate/put.bin', { partSize: size }));
      const multi = await uploadToS3(zip, window.s3('rate/multi.bin', { partSize: 8 << 20 }));
      return { size, put, multi };
    });
    for (const [label, d] of [['one PUT', r.put], ['multipart, 8 MiB parts', r.multi]]) {
      assert.equal(d.state, 'done');
      console.log(`# S3 into moto on loopback, ${label}: ${(r.size / 1e6).toFixed(1)} MB in ${d.seconds.toFixed(2)} s = ${(r.size / 1e6 / d.seconds).toFixed(1)} MB/s`);
    }
    assert.equal((await stored('rate/multi.bin')).length, r.size);
  });
});
