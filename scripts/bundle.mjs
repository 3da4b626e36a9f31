// Builds the release bundle from www/ (run scripts/build-web.sh first; scripts/bundle.sh runs this):
//   dist/dicom-deid-<version>/                 the page as served (html, js, css, wasm), the
//                                              single-file page, README.txt and SHA256SUMS;
//   dist/dicom-deid-<version>.zip              that folder, zipped (deterministic);
//   dist/dicom-deid-<version>-offline.html     the single-file page: every module, the workers
//                                              and the wasm (base64) inlined, so it works when
//                                              opened straight from the disk (file://), offline.
// The single file's modules are flattened here (no bundler dependency): each ES module becomes
// a function scope returning its exports, in dependency order; internal/assets.js is replaced by a module
// that compiles the inlined wasm and starts the workers from Blob URLs of their inlined code
// (classic workers: module workers from blob: URLs are refused on file:// pages). Its CSP allows
// exactly the inlined scripts and style by their SHA-256 hashes (no 'unsafe-inline').
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { configureHtml } from './site-config.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WWW = join(ROOT, 'www');
const DIST = join(ROOT, 'dist');
/** The archive the bundle's Send step delivers to (site-config.mjs), when DEID_STOW_URL is set. */
const STOW_URL = process.env.DEID_STOW_URL || '';

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}

/** The crate version (Cargo.toml [package] version). */
function crateVersion() {
  const m = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m);
  if (!m) fail('no [package] version in Cargo.toml');
  return m[1];
}

// ---------------------------------------------------------------- flattening ES modules

const IMPORT = /^import\s+([\s\S]*?)\s+from\s+'([^']+)';?[ \t]*$/gm;

/** `{ a, b as c }` → [['a','a'], ['b','c']] (imported name, local name). */
function namedList(list) {
  return list
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const m = x.match(/^(\w+)(?:\s+as\s+(\w+))?$/);
      if (!m) throw new Error(`cannot read the import/export item "${x}"`);
      return [m[1], m[2] || m[1]];
    });
}

/** The declarations binding an import clause to the module object `mod`. */
function bindImport(clause, mod) {
  const m = clause.match(/^(?:(\w+)\s*,?\s*)?(?:\{([\s\S]*)\})?$/);
  if (!m || (!m[1] && m[2] === undefined)) throw new Error(`unsupported import clause "${clause}"`);
  const lines = [];
  if (m[1]) lines.push(`const ${m[1]} = ${mod}.default;`);
  if (m[2] !== undefined) {
    const names = namedList(m[2]);
    if (names.length) lines.push(`const { ${names.map(([a, b]) => (a === b ? a : `${a}: ${b}`)).join(', ')} } = ${mod};`);
  }
  return lines.join(' ');
}

/**
 * Flattens the module graph from `entry` into one script. `replace` maps absolute paths to
 * source text used instead of the file; `classic` makes a classic script (import.meta.url
 * becomes the worker's own location).
 */
function flatten(entry, { replace = {}, classic = false } = {}) {
  const order = [];
  const ids = new Map();
  const visiting = new Set();
  const visit = (file) => {
    if (ids.has(file)) return ids.get(file);
    if (visiting.has(file)) throw new Error(`import cycle through ${relative(ROOT, file)}`);
    visiting.add(file);
    let src = replace[file] ?? readFileSync(file, 'utf8');
    const deps = [];
    src = src.replace(IMPORT, (_, clause, spec) => {
      if (!spec.startsWith('.')) throw new Error(`${relative(ROOT, file)}: only relative imports can be bundled (${spec})`);
      const dep = resolve(dirname(file), spec);
      deps.push([clause.trim(), dep]);
      return `/* import ${spec} */`;
    });
    for (const [, dep] of deps) visit(dep);
    const exports = [];
    src = src.replace(/^export\s+(async\s+function\*?|function\*?|class|const|let)\s+(\w+)/gm, (_, kind, name) => {
      exports.push([name, name]);
      return `${kind} ${name}`;
    });
    src = src.replace(/^export\s*\{([^}]*)\};?[ \t]*$/gm, (_, list) => {
      for (const [local, exported] of namedList(list)) exports.push([local, exported]);
      return '';
    });
    const stray = src.match(/^\s*(import|export)\b.*$/m);
    if (stray) throw new Error(`${relative(ROOT, file)}: cannot bundle "${stray[0].trim()}"`);
    // (Comments are left out: JSDoc types name modules as import('./x.js').)
    const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    if (/\bimport\s*\(/.test(code)) throw new Error(`${relative(ROOT, file)}: dynamic import() cannot be bundled`);
    if (classic) src = src.replace(/import\.meta\.url/g, 'self.location.href');
    const id = `__m${order.length}`;
    const imports = deps.map(([clause, dep]) => bindImport(clause, ids.get(dep))).join('\n');
    const ret = exports.map(([local, exported]) => `${JSON.stringify(exported)}: ${local}`).join(', ');
    order.push(`// ${relative(WWW, file)}\nconst ${id} = (() => {\n${imports}\n${src}\nreturn { ${ret} };\n})();`);
    ids.set(file, id);
    visiting.delete(file);
    return id;
  };
  visit(entry);
  return `${classic ? '"use strict";\n' : ''}${order.join('\n\n')}\n`;
}

/** The stand-in for internal/assets.js in the single file: inlined wasm and workers. */
function inlineAssets(wasm, workerSource, sinkWorkerSource) {
  return `// internal/assets.js of the single-file bundle: the wasm and the workers are inlined.
const WASM_BASE64 = ${JSON.stringify(wasm.toString('base64'))};
const WORKER_SOURCE = ${JSON.stringify(workerSource)};
const SINK_WORKER_SOURCE = ${JSON.stringify(sinkWorkerSource)};
let compiled = null;
export function compileEngine() {
  if (!compiled) {
    const text = atob(WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    compiled = WebAssembly.compile(bytes);
  }
  return compiled;
}
const urls = new Map();
function blobWorker(source, name) {
  if (!urls.has(source)) urls.set(source, URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
  return new Worker(urls.get(source), { name });
}
export function engineWorker(name) {
  return blobWorker(WORKER_SOURCE, name);
}
export function sinkWorker() {
  return blobWorker(SINK_WORKER_SOURCE, 'deid-sink');
}
`;
}

// ---------------------------------------------------------------- the single file

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Text safe inside a <script> or <style> element (checked, never rewritten: the hash covers it). */
function inlineSafe(text, what) {
  if (/<\/(script|style)/i.test(text) || text.includes('<!--')) fail(`${what} contains "</script", "</style" or "<!--" and cannot be inlined`);
  return text;
}

function singleFile(version) {
  let html = readFileSync(join(WWW, 'index.html'), 'utf8');
  const wasm = readFileSync(join(WWW, 'pkg/dicom_deid_bg.wasm'));
  const worker = flatten(join(WWW, 'internal/worker.js'), { classic: true });
  const sinkWorker = flatten(join(WWW, 'internal/sink-worker.js'), { classic: true });
  const assets = join(WWW, 'internal/assets.js');
  const main = inlineSafe(flatten(join(WWW, 'page/app.js'), { replace: { [assets]: inlineAssets(wasm, worker, sinkWorker) } }), 'the page script');
  const nomodule = inlineSafe(readFileSync(join(WWW, 'page/nomodule.js'), 'utf8'), 'page/nomodule.js');
  const css = inlineSafe(readFileSync(join(WWW, 'page/style.css'), 'utf8'), 'page/style.css');
  const icon = `data:image/svg+xml;base64,${readFileSync(join(WWW, 'page/favicon.svg')).toString('base64')}`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(main)} ${sha256(nomodule)} 'wasm-unsafe-eval'`,
    'worker-src blob:',
    `style-src ${sha256(css)}`,
    'img-src data: blob:',
    "connect-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const swaps = [
    [/<meta http-equiv="Content-Security-Policy" content="[^"]*">/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`],
    [/<link rel="icon" href="page\/favicon\.svg" type="image\/svg\+xml">/, `<link rel="icon" href="${icon}" type="image/svg+xml">`],
    [/<link rel="stylesheet" href="page\/style\.css">/, `<style>${css}</style>`],
    [/<script type="module" src="page\/app\.js"><\/script>/, `<script type="module">${main}</script>`],
    [/<script nomodule defer src="page\/nomodule\.js"><\/script>/, `<script nomodule>${nomodule}</script>`],
    // It points people at this very file; here it has nothing to say.
    [/\s*<script defer src="page\/file-notice\.js"><\/script>/, ''],
  ];
  for (const [pattern, text] of swaps) {
    if (!pattern.test(html)) fail(`index.html has no ${pattern}`);
    html = html.replace(pattern, () => text);
  }
  html = html.replace('<title>DICOM de-identifier</title>', `<title>DICOM de-identifier ${version} (offline)</title>`);
  const left = html.match(/\s(src|href)="(?!data:|#)[^"]*"/);
  if (left) fail(`the single file still refers to ${left[0].trim()}`);
  return STOW_URL ? configureHtml(html, { stowUrl: STOW_URL }) : html;
}

// ---------------------------------------------------------------- folder, checksums, zip

const README = (version) => `DICOM de-identifier ${version}
==========================

Removes patient identifiers from DICOM images and packs the result into one zip, with a
separate key (CSV) and log (CSV). It runs entirely in your web browser.

How to open it
- Simplest: double-click dicom-deid-offline.html (in this folder). It opens in your browser
  straight from the disk or a shared drive; no installation, no server, no internet needed.
- Or put this whole folder on a web server (an intranet share served over http) and open
  index.html from there.
Use a current Chrome or Edge (best: it writes the zip straight to a file you choose),
Firefox or Safari.

What stays on your machine
Everything. The images, the zip, the key and the log are read and written by your browser on
this computer; the page cannot connect to any other computer (it forbids itself to), and
nothing is uploaded.

Keep the key and the project secret apart from the zip you share: together they lead back to
the patients.

Checking the files: SHA256SUMS lists the SHA-256 of every file here
(on Linux/macOS: sha256sum -c SHA256SUMS).
`;

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** A zip of `files` (paths under `base`, stored under `prefix/`): deflated, fixed timestamps (1980-01-01), sorted. */
function zipFiles(base, files, prefix) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(`${prefix}/${relative(base, file).split('\\').join('/')}`, 'utf8');
    const data = readFileSync(file);
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4); // version needed
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(8, 8); // deflate
    head.writeUInt16LE(0, 10); // 00:00
    head.writeUInt16LE(0x21, 12); // 1980-01-01
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(packed.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(name.length, 26);
    head.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(0x031e, 4); // made by: Unix, 3.0
    head.copy(dir, 6, 4, 30); // version needed … name length (extra length 0 follows)
    dir.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    dir.writeUInt32LE(offset, 42);
    locals.push(head, name, packed);
    central.push(dir, name);
    offset += head.length + name.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function main() {
  if (!existsSync(join(WWW, 'pkg/dicom_deid_bg.wasm'))) fail('www/pkg is missing: run scripts/build-web.sh first');
  const version = crateVersion();
  const name = `dicom-deid-${version}`;
  const folder = join(DIST, name);
  const offlineName = `${name}-offline.html`;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  cpSync(WWW, folder, { recursive: true });
  if (STOW_URL) writeFileSync(join(folder, 'index.html'), configureHtml(readFileSync(join(folder, 'index.html'), 'utf8'), { stowUrl: STOW_URL }));

  const offline = singleFile(version);
  writeFileSync(join(DIST, offlineName), offline);
  writeFileSync(join(folder, 'dicom-deid-offline.html'), offline);
  writeFileSync(join(folder, 'README.txt'), README(version));
  const files = walk(folder).filter((f) => relative(folder, f) !== 'SHA256SUMS');
  const sums = files.map((f) => `${createHash('sha256').update(readFileSync(f)).digest('hex')}  ${relative(folder, f)}`).join('\n');
  writeFileSync(join(folder, 'SHA256SUMS'), `${sums}\n`);
  const zip = zipFiles(folder, walk(folder), name);
  writeFileSync(join(DIST, `${name}.zip`), zip);

  const size = (p) => `${(statSync(p).size / 1e6).toFixed(1)} MB`;
  console.log(`built dist/${name}/ (${walk(folder).length} files), dist/${name}.zip (${size(join(DIST, `${name}.zip`))}), dist/${offlineName} (${size(join(DIST, offlineName))})`);
}

main();
