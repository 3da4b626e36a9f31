// The ES-module API (www/dicom-deid.js) driven by a host page of its own, the module imported
// from another path (/lib/): each kind of source (FileList, File[] with a zip, a directory
// handle, a selection) and each kind of output (spooled Blob, a FileSystemFileHandle) gives
// the CLI's zip, key and log byte for byte; every failure is a DeidError with the documented
// code; the TypeScript declarations name every export.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CORPUS, LONG, ROOT, SECRET_TEXT, assertSameAsCli, copyToOpfs, fingerprint, launchBrowser, opfsNames, readOpfsFile, runCli, startServer,
  tempDir, watchErrors,
} from './helpers.mjs';

const ZIP = join(CORPUS, 'derived/ZIPPED_brain_008_009.zip');
const MAPPING = join(CORPUS, 'fixtures/mapping_semicolon_bom.csv');
const HOST = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self' blob: data:; img-src 'self' data:; style-src 'self'">
<link rel="icon" href="data:,"><title>host</title></head>
<body><input type="file" id="dir" webkitdirectory multiple><input type="file" id="files" multiple></body></html>`;

/** The bytes of a Blob in the page, as base64 (installed on every page). */
function installHelpers() {
  window.b64 = async (blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  window.api = () => import(new URL('/lib/dicom-deid.js', location.href).href);
}

/** The page's result as downloads-like buffers for assertSameAsCli. */
const asGot = (r) => ({ zip: { bytes: Buffer.from(r.zip, 'base64') }, key: { bytes: Buffer.from(r.keyCsv) }, log: { bytes: Buffer.from(r.logCsv) } });

/** What the API's loadEngine() gives in a page: 'loaded', or the error's `code: message`. */
function loadEngineOutcome(page) {
  return page.evaluate(async () => {
    const api = await window.api();
    try {
      await api.loadEngine();
      return 'loaded';
    } catch (e) {
      return `${e.code}: ${e.message}`;
    }
  });
}

describe('the JS API (dicom-deid.js)', { timeout: 10 * 60_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let secretFile;
  let cliBasic;

  before(async () => {
    tmp = tempDir('deid-e2e-api-');
    secretFile = join(tmp.dir, 'project.secret');
    writeFileSync(secretFile, SECRET_TEXT);
    const basicDir = join(tmp.dir, 'basic');
    mkdirSync(basicDir);
    cliBasic = runCli(CORPUS, secretFile, basicDir);
    const site = join(tmp.dir, 'site');
    mkdirSync(join(site, 'app'), { recursive: true });
    symlinkSync(join(ROOT, 'www'), join(site, 'lib'));
    writeFileSync(join(site, 'app/index.html'), HOST);
    server = await startServer(site);
    browser = await launchBrowser();
    await browser.context.addInitScript(installHelpers);
    page = await browser.context.newPage();
    errors = watchErrors(page);
    await page.goto(`${server.url}app/index.html`);
    await page.evaluate(async () => (await window.api()).loadEngine());
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    tmp?.cleanup();
  });

  it('a FileList source gives the CLI output as Blobs spooled in OPFS, with progress reports', async () => {
    await page.locator('#dir').setInputFiles(CORPUS);
    const r = await page.evaluate(async (secret) => {
      const { deidentify } = await window.api();
      const phases = [];
      let last = null;
      const res = await deidentify({
        source: document.getElementById('dir').files,
        secret,
        onProgress: (p) => {
          if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
          last = p;
        },
      });
      return { zip: await window.b64(res.zip), keyCsv: res.keyCsv, logCsv: res.logCsv, summary: res.summary, where: res.zipLocation, phases, last, problems: res.problems.length, workers: res.stats.workers };
    }, SECRET_TEXT);
    assertSameAsCli(asGot(r), cliBasic, 'api-filelist');
    assert.equal(r.where, 'opfs');
    assert.deepEqual(r.phases, ['scan', 'process']);
    assert.equal(r.last.done, r.last.total);
    // Not written: rejected, skipped, and (since the pixel gate) held for review or excluded —
    // tests/data/pixels and other text carriers of the corpus are held, as by the CLI.
    assert.equal(r.problems, r.summary.rejected + r.summary.skipped + r.summary.held + r.summary.excluded);
    assert.ok(r.summary.held > 0, 'the corpus has text carriers that no rule covers: held');
    assert.ok(r.workers >= 1);
    assert.ok((await opfsNames(page)).some((n) => n.startsWith('dicom-deid-spool-')));
  });

  it('with readOnceBytes 0 (every file read twice) and 1 MiB (some kept, some not), the same CLI output', async () => {
    await page.locator('#dir').setInputFiles(CORPUS);
    for (const readOnceBytes of [0, 1 << 20]) {
      const r = await page.evaluate(
        async ({ secret, readOnceBytes }) => {
          const { deidentify } = await window.api();
          const res = await deidentify({ source: document.getElementById('dir').files, secret, readOnceBytes, workers: 2 });
          return { zip: await window.b64(res.zip), keyCsv: res.keyCsv, logCsv: res.logCsv };
        },
        { secret: SECRET_TEXT, readOnceBytes },
      );
      assertSameAsCli(asGot(r), cliBasic, `api-read-once-${readOnceBytes}`);
    }
    const bad = await page.evaluate(async (secret) => {
      const { deidentify } = await window.api();
      return deidentify({ source: document.getElementById('dir').files, secret, readOnceBytes: -1 }).then(
        () => 'resolved',
        (e) => e.code,
      );
    }, SECRET_TEXT);
    assert.equal(bad, 'bad-options');
  });

  it('a directory handle with the zip written to a FileSystemFileHandle, options as TOML text', async () => {
    await copyToOpfs(page, CORPUS, 'data');
    const r = await page.evaluate(async (secret) => {
      const { deidentify, clearSpool } = await window.api();
      await clearSpool();
      const root = await navigator.storage.getDirectory();
      const res = await deidentify({
        source: await root.getDirectoryHandle('data'),
        output: await root.getFileHandle('api-output.zip', { create: true }),
        options: 'preset = "basic"\n',
        secret: new File([secret], 'project.secret'),
      });
      return { keyCsv: res.keyCsv, logCsv: res.logCsv, where: res.zipLocation, size: res.zip.size };
    }, SECRET_TEXT);
    const zip = await readOpfsFile(page, 'api-output.zip');
    assertSameAsCli({ zip: { bytes: zip }, key: { bytes: Buffer.from(r.keyCsv) }, log: { bytes: Buffer.from(r.logCsv) } }, cliBasic, 'api-handle');
    assert.equal(r.where, 'picked');
    assert.equal(r.size, zip.length);
    assert.deepEqual((await opfsNames(page)).filter((n) => n.startsWith('dicom-deid-spool-')), [], 'nothing spooled when the output is given');
  });

  it('File[] holding a zip, a listed selection, a mapping File and an existing key equal the CLI', async () => {
    const config = join(tmp.dir, 'research.toml');
    writeFileSync(config, 'preset = "research"\nid_prefix = "API"\n');
    const dir1 = join(tmp.dir, 'zip1');
    mkdirSync(dir1);
    const cli1 = runCli(ZIP, secretFile, dir1, ['--config', config, '--mapping', MAPPING]);
    await page.locator('#files').setInputFiles([ZIP, MAPPING]);
    const r = await page.evaluate(async (secret) => {
      const { deidentify, listSource } = await window.api();
      const [zip, mapping] = document.getElementById('files').files;
      const selection = await listSource([zip]);
      const first = await deidentify({ source: selection, secret, mapping, options: { preset: 'research', id_prefix: 'API' } });
      // A second batch with the first batch's key (a string), as the CLI's --existing-key.
      const second = await deidentify({ source: selection, secret, mapping, existingKey: first.keyCsv, options: { preset: 'research', id_prefix: 'API' } });
      const pack = async (x) => ({ zip: await window.b64(x.zip), keyCsv: x.keyCsv, logCsv: x.logCsv });
      return { listed: { files: selection.files, zips: selection.zips, paths: selection.items.map((i) => i.path) }, first: await pack(first), second: await pack(second) };
    }, SECRET_TEXT);
    assert.deepEqual(r.listed, { files: 2, zips: 1, paths: ['ZIPPED_brain_008_009.zip/brain_008.dcm', 'ZIPPED_brain_008_009.zip/sub/brain_009.dcm'] });
    assertSameAsCli(asGot(r.first), cli1, 'api-zip');
    const keyFile = join(tmp.dir, 'first-key.csv');
    writeFileSync(keyFile, r.first.keyCsv);
    const dir2 = join(tmp.dir, 'zip2');
    mkdirSync(dir2);
    assertSameAsCli(asGot(r.second), runCli(ZIP, secretFile, dir2, ['--config', config, '--mapping', MAPPING, '--existing-key', keyFile]), 'api-existing-key');
  });

  it('pixel rules are matched and drawn regions clipped by the engine, as the CLI decides', async () => {
    await page.locator('#dir').setInputFiles(join(CORPUS, 'pixels'));
    const r = await page.evaluate(async () => {
      const api = await window.api();
      const flagged = await api.scanPixelGate(document.getElementById('dir').files);
      const sig = flagged[0].signature;
      // A rule that matches nothing, one that matches the first image (a number given as text,
      // a substring in another case), and one that matches every image: the first match decides.
      const rules = await api.parsePixelRules(JSON.stringify({
        rule: [
          { name: 'none', action: 'exclude', match: { Modality: 'NO SUCH MODALITY' } },
          { name: 'first', action: 'keep', match: { Manufacturer: { contains: sig.manufacturer.trim().toLowerCase() }, Rows: String(sig.rows), Columns: sig.columns, Modality: ` ${sig.modality} ` } },
          { name: 'all', action: 'exclude', match: {} },
        ],
      }));
      const options = { pixel_rules: rules, default_pixel_rules: false };
      const pairs = [];
      for (const f of flagged) {
        const chosen = api.firstMatchingRule(rules, f.signature);
        const preview = await api.pixelPreview(f.item, { options });
        pairs.push({ path: f.item.path, js: chosen ? chosen.name : null, engine: preview.info.rule });
      }
      const clipped = api.clipRegions([[-4.4, 2.5, 20, 10], [630, 470, 100, 100], [5, 5, 0.2, 10], [700, 5, 10, 10]], 640, 480);
      let refused = null;
      try {
        api.clipRegions([['a', 1, 2, 3]], 640, 480);
      } catch (e) {
        refused = e.name === 'DeidError' ? e.code : String(e);
      }
      return { pairs, clipped, refused, none: api.firstMatchingRule(rules.slice(0, 1), sig) ?? null };
    });
    assert.ok(r.pairs.length >= 5, `the pixel fixtures are flagged: ${r.pairs.length}`);
    for (const p of r.pairs) assert.equal(p.js, p.engine, `${p.path}: the rule the review shows is the one the engine applies`);
    assert.equal(r.pairs[0].js, 'first');
    assert.ok(r.pairs.some((p) => p.js === 'all'), 'another signature falls through to the catch-all rule');
    assert.equal(r.none, null);
    // Corners rounded to whole pixels, cut at the image's edges; empty and outside rectangles dropped.
    assert.deepEqual(r.clipped, [[0, 3, 16, 10], [630, 470, 10, 10]]);
    assert.equal(r.refused, 'bad-options');
  });

  it('fails with a DeidError whose code says what is wrong', async () => {
    const codes = await page.evaluate(async (secret) => {
      const api = await window.api();
      const source = document.getElementById('dir').files;
      const attempt = async (what, fn) => {
        try {
          await fn();
          return [what, 'resolved'];
        } catch (e) {
          return [what, e instanceof api.DeidError && e.name === 'DeidError' ? e.code : `not a DeidError: ${e}`, e.message];
        }
      };
      const denied = { createWritable: async () => Promise.reject(new DOMException('the disk said no', 'NotAllowedError')) };
      const stopped = new AbortController();
      stopped.abort();
      return [
        await attempt('long prefix', () => api.deidentify({ source, secret, options: { id_prefix: 'MUCH_TOO_LONG_PREFIX' } })),
        await attempt('unknown preset', () => api.deidentify({ source, secret, options: 'preset = "nope"' })),
        await attempt('no secret', () => api.deidentify({ source })),
        await attempt('blank secret', () => api.deidentify({ source, secret: ' \n' })),
        await attempt('not a source', () => api.deidentify({ source: 42, secret })),
        await attempt('bad mapping', () => api.deidentify({ source, secret, mapping: 'MRN\n123\n' })),
        await attempt('bad key', () => api.deidentify({ source, secret, existingKey: 'a,b\n1,2\n' })),
        await attempt('output refused', () => api.deidentify({ source, secret, output: denied })),
        await attempt('aborted before', () => api.deidentify({ source, secret, signal: stopped.signal })),
        await attempt('check options', () => api.checkOptions({ id_digits: 0 })),
        await attempt('check mapping', () => api.checkLists({ mapping: new File(['MRN\n123\n'], 'm.csv') })),
        await attempt('check key', () => api.checkLists({ existingKey: 'a,b\n1,2\n' })),
        await attempt('binary secret file', () => api.readSecretFile(new File([new Uint8Array([0xff, 0xfe, 0x00, 0x80])], 's.secret'))),
      ];
    }, SECRET_TEXT);
    const byWhat = Object.fromEntries(codes.map(([what, code, message]) => [what, { code, message }]));
    const expect = {
      'long prefix': ['bad-options', /id_prefix must be at most 10/],
      'unknown preset': ['bad-options', /unknown preset "nope"/],
      'no secret': ['bad-options', /a project secret is required/],
      'blank secret': ['bad-options', /secret is empty/],
      'not a source': ['bad-options', /source must be/],
      'bad mapping': ['bad-mapping', /mapping CSV line 2/],
      'bad key': ['bad-key', /key CSV lacks the column/],
      'output refused': ['io', /the output zip cannot be opened: the disk said no/],
      'aborted before': ['aborted', /cancelled/],
      'check options': ['bad-options', /id_digits must be between 1 and 9/],
      'check mapping': ['bad-mapping', /mapping CSV line 2/],
      'check key': ['bad-key', /key CSV lacks the column/],
      'binary secret file': ['bad-options', /s\.secret is not a text file/],
    };
    for (const [what, [code, message]] of Object.entries(expect)) {
      assert.equal(byWhat[what].code, code, `${what}: ${byWhat[what].message}`);
      assert.match(byWhat[what].message, message, what);
    }
  });

  it('aborting a running job rejects with code aborted and keeps nothing', async () => {
    const r = await page.evaluate(async (secret) => {
      const { deidentify, clearSpool } = await window.api();
      await clearSpool();
      const controller = new AbortController();
      let at = null;
      try {
        await deidentify({
          source: document.getElementById('dir').files,
          secret,
          workers: 1,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'process' && p.done >= 1 && !at) {
              at = { done: p.done, total: p.total };
              controller.abort();
            }
          },
        });
        return { at, code: 'resolved' };
      } catch (e) {
        return { at, code: e.code };
      }
    }, SECRET_TEXT);
    assert.equal(r.code, 'aborted');
    assert.ok(r.at && r.at.done < r.at.total, `aborted mid-run: ${JSON.stringify(r.at)}`);
    assert.deepEqual((await opfsNames(page)).filter((n) => n.startsWith('dicom-deid-spool-')), []);
  });

  it('secret helpers: the CLI format, the page fingerprint, trimmed files', async () => {
    const r = await page.evaluate(async (secret) => {
      const api = await window.api();
      return {
        generated: api.generateSecret(),
        fp: await api.secretFingerprint(secret),
        fpFile: await api.secretFingerprint(new File([`\n ${secret}`], 'x.secret')),
        read: await api.readSecretFile(new File([`  ${secret}\n\n`], 'x.secret')),
      };
    }, SECRET_TEXT);
    assert.match(r.generated, /^[0-9a-f]{64}$/);
    assert.equal(r.fp, fingerprint(SECRET_TEXT));
    assert.equal(r.fpFile, r.fp);
    assert.equal(r.read, SECRET_TEXT.trim());
  });

  it('reports unsupported where the browser lacks WebAssembly', async () => {
    const bare = await browser.context.newPage();
    await bare.addInitScript(() => {
      delete globalThis.WebAssembly;
    });
    await bare.goto(`${server.url}app/index.html`);
    const r = await loadEngineOutcome(bare);
    assert.match(r, /^unsupported: this browser lacks WebAssembly/);
    await bare.close();
  });

  it('reports unsupported, with the reason, where WebAssembly lacks SIMD (the engine is built with it)', async () => {
    const old = await browser.context.newPage();
    // As in a browser before Chrome 91, Firefox 89 or Safari 16.4: SIMD modules do not validate.
    await old.addInitScript(() => {
      const validate = WebAssembly.validate.bind(WebAssembly);
      WebAssembly.validate = (bytes) => {
        const b = new Uint8Array(bytes.buffer || bytes);
        return !b.includes(0xfd) && validate(bytes);
      };
    });
    await old.goto(`${server.url}app/index.html`);
    const r = await loadEngineOutcome(old);
    assert.match(r, /^unsupported: this browser's WebAssembly lacks SIMD/);
    await old.close();
  });

  it('the TypeScript declarations name every export of the API and the element', async () => {
    const exported = await page.evaluate(async () => ({
      api: Object.keys(await window.api()).sort(),
      element: Object.keys(await import(new URL('/lib/dicom-deid-element.js', location.href).href)).sort(),
    }));
    const declared = (file) =>
      [...readFileSync(join(ROOT, 'www', file), 'utf8').matchAll(/^export declare (?:function|class|const) (\w+)/gm)].map((m) => m[1]).sort();
    assert.deepEqual(declared('dicom-deid.d.ts'), [...new Set(declared('dicom-deid.d.ts'))], 'declared once');
    assert.deepEqual([...new Set(declared('dicom-deid.d.ts'))], exported.api);
    assert.deepEqual(declared('dicom-deid-element.d.ts'), exported.element);
    assert.ok(exported.api.includes('deidentify') && exported.api.includes('DeidError'));
    assert.deepEqual(errors, []);
  });
});
