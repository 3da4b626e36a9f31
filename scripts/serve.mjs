// A small static server for www/ (no dependencies): correct MIME types for .wasm and module
// workers, no caching, and the same Content-Security-Policy the page declares.
// Usage: node scripts/serve.mjs [port] [dir] [--stow-url URL] [--proxy /PREFIX/=http://HOST:PORT] [--connect ORIGIN]…
//   --stow-url  the page is served configured to send to URL (scripts/site-config.mjs);
//   --proxy     requests under /PREFIX/ go to the archive at http://HOST:PORT/PREFIX/… (the page
//               and its archive on one origin, as a portal serves them: no CORS needed);
//   --connect   the CSP's connect-src also allows ORIGIN (repeatable: an S3 store and the host's
//               presign service on other origins).
import { createServer, request } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { configureHtml, cspWith } from './site-config.mjs';

const flags = {};
const positional = [];
const connect = [];
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--stow-url' || a === '--proxy') flags[a.slice(2)] = process.argv[++i];
  else if (a === '--connect') connect.push(process.argv[++i]);
  else positional.push(a);
}
const port = Number(positional[0] ?? process.env.PORT ?? 8080);
const root = resolve(positional[1] || new URL('../www', import.meta.url).pathname);
const stowUrl = flags['stow-url'];
const proxy = flags.proxy ? { prefix: flags.proxy.split('=')[0], target: new URL(flags.proxy.slice(flags.proxy.indexOf('=') + 1)) } : null;
// The page's policy, also sent as a header so that it covers the workers (a meta tag only
// governs the document).
const BASE_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; " +
  "connect-src 'self' blob: data:; img-src 'self' blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
const CSP = [...(stowUrl ? [stowUrl] : []), ...connect].reduce(cspWith, BASE_CSP);

/** Forwards a request to the archive behind `proxy` (a dropped connection there drops this one). */
function forward(req, res) {
  const out = request({
    host: proxy.target.hostname, port: proxy.target.port, method: req.method, path: req.url,
    headers: { ...req.headers, host: proxy.target.host },
  }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  out.on('error', () => res.destroy());
  req.pipe(out);
}
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.ts': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2', '.zip': 'application/zip',
};

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost');
    if (proxy && url.pathname.startsWith(proxy.prefix)) {
      forward(req, res);
      return;
    }
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (path !== root && !path.startsWith(root + sep)) { res.writeHead(403).end(); return; }
    if ((await stat(path).catch(() => null))?.isDirectory()) path = join(path, 'index.html');
    let body = await readFile(path);
    if (stowUrl && path === join(root, 'index.html')) body = Buffer.from(configureHtml(body.toString('utf8'), { stowUrl }));
    res.writeHead(200, {
      'Content-Type': types[extname(path)] || 'application/octet-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': CSP,
      'Referrer-Policy': 'no-referrer',
    });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  }
});
server.listen(port, '127.0.0.1', () => {
  // Port 0 picks a free port; the line below tells which (the end-to-end tests read it).
  console.log(`dicom-deid page: http://127.0.0.1:${server.address().port}/  (serving ${root}; Ctrl-C to stop)`);
});
