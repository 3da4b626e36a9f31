// Sending speed from the page into Orthanc on loopback (STOW-RS, same origin through
// scripts/serve.mjs --proxy), against the zip-only run of the same input: headless Chromium,
// the API (deidentify) with and without a destination, each repetition into a fresh Orthanc and
// a fresh ledger. Prints instances/s and MB/s of the sending and of the zip-only run.
//
// Usage: node scripts/bench-send.mjs [folder (default tests/data)] [repetitions (default 3)] [max bytes a request (default: the engine's)]
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startOrthanc } from '../tests/support/orthanc.mjs';
import { ROOT, SECRET_TEXT, launchBrowser, openPage } from '../tests/e2e/helpers.mjs';

const input = resolve(process.argv[2] || join(ROOT, 'tests/data'));
const reps = Number(process.argv[3] || 3);
const maxBytes = process.argv[4] ? Number(process.argv[4]) : undefined;

function startSite(target) {
  return new Promise((ok, fail) => {
    const c = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), '0', join(ROOT, 'www'), '--proxy', `/dicom-web/=${target}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    c.stdout.on('data', (d) => {
      const m = String(d).match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) ok({ url: m[0], stop: () => c.kill() });
    });
    c.on('exit', (code) => fail(new Error(`serve.mjs exited (${code})`)));
  });
}

/** One run in the page: {runSeconds, files, bytesIn, delivery} (delivery null without an archive). */
function runOnce(page, send) {
  return page.evaluate(async ({ secret, send, maxBytes }) => {
    const api = await import('/dicom-deid.js');
    const url = new URL('/dicom-web/studies', location.href).href;
    const { theLedger } = await import('/internal/destination.js');
    await theLedger().forget(url);
    const t0 = performance.now();
    const r = await api.deidentify({ source: document.getElementById('bench-dir').files, secret, destination: send ? { kind: 'stow', url, limits: maxBytes ? { max_bytes: maxBytes } : undefined } : null });
    const seconds = (performance.now() - t0) / 1000;
    const out = { runSeconds: r.stats.seconds, total: seconds, files: r.summary.written, bytesIn: r.stats.bytesIn, delivery: r.delivery && { state: r.delivery.state, error: r.delivery.error, counts: r.delivery.counts, seconds: r.delivery.seconds } };
    await r.discard();
    return out;
  }, { secret: SECRET_TEXT, send, maxBytes });
}

const browser = await launchBrowser();
const rows = [];
try {
  for (let i = 0; i < reps; i++) {
    const orthanc = await startOrthanc(`bench-${i}`);
    const site = await startSite(orthanc.url);
    try {
      const { page } = await openPage(browser.context, site.url);
      await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'bench-dir', webkitdirectory: true, multiple: true })));
      await page.locator('#bench-dir').setInputFiles(input);
      const zipOnly = await runOnce(page, false);
      const sent = await runOnce(page, true);
      const d = sent.delivery;
      if (d.state !== 'done') throw new Error(`the sending ended ${d.state}: ${d.error}`);
      const stored = d.counts.stored + d.counts.warning;
      rows.push({ zipOnly, sent, stored, held: (await orthanc.instanceIds()).length });
      const f = (x) => x.toFixed(1);
      console.log(`rep ${i + 1}: zip only ${zipOnly.files} files, ${f(zipOnly.bytesIn / 1e6)} MB in ${zipOnly.runSeconds.toFixed(2)} s `
        + `(${f(zipOnly.files / zipOnly.runSeconds)} files/s, ${f(zipOnly.bytesIn / 1e6 / zipOnly.runSeconds)} MB/s); `
        + `sending after the run: ${stored} instances, ${f(d.counts.bytes / 1e6)} MB in ${d.seconds.toFixed(2)} s `
        + `(${f(stored / d.seconds)} instances/s, ${f(d.counts.bytes / 1e6 / d.seconds)} MB/s, ${d.counts.requests} requests); `
        + `run + send ${sent.total.toFixed(2)} s; Orthanc holds ${rows[i].held}`);
      await page.close();
    } finally {
      site.stop();
      orthanc.stop();
    }
  }
} finally {
  await browser.close();
}
