// The site configuration of a static page: the one archive its "Send" step delivers to (STOW-RS).
// The page reads it from a meta tag, and its Content-Security-Policy lets it connect to that URL
// and nowhere else (a page on the archive's own origin needs nothing more than 'self'):
//
//   <meta name="dicom-deid-stow-url" content="https://pacs.example.org/dicom-web/studies">
//   connect-src 'self' blob: data: https://pacs.example.org/dicom-web/studies
//
// Usage: node scripts/site-config.mjs --stow-url URL FILE.html…   (rewrites the files in place)
// scripts/bundle.mjs (DEID_STOW_URL) and scripts/serve.mjs (--stow-url) use configureHtml().
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CSP_META = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/;

/** The URL checked: absolute http(s), or a path on the page's origin (starting with /). */
export function checkStowUrl(url) {
  if (/^\/(?!\/)/.test(url)) return url;
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`the STOW-RS URL must be http(s): ${url}`);
  if (/[\s;,'"]/.test(u.href)) throw new Error(`the STOW-RS URL cannot go in a CSP: ${url}`);
  return u.href;
}

/** A CSP with its connect-src allowing `url` too (a path on the page's origin: 'self' already does). */
export function cspWith(csp, url) {
  if (url.startsWith('/')) return csp.replace(/connect-src 'none'/, "connect-src 'self'");
  return csp.replace(/connect-src ([^;]*)/, (_, list) => `connect-src ${list.replace(/'none'\s*/, '').trim()} ${url}`.replace(/ +/g, ' '));
}

/** The page `html` configured to send to `stowUrl` (the meta tag and the CSP). */
export function configureHtml(html, { stowUrl }) {
  const url = checkStowUrl(stowUrl);
  const m = html.match(CSP_META);
  if (!m) throw new Error('the page has no Content-Security-Policy meta tag');
  const meta = `<meta name="dicom-deid-stow-url" content="${url.replace(/&/g, '&amp;')}">`;
  const cleaned = html.replace(/\s*<meta name="dicom-deid-stow-url" content="[^"]*">/, '');
  return cleaned.replace(CSP_META, (tag, csp) => `${tag.replace(csp, cspWith(csp, url))}\n  ${meta}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--stow-url');
  if (i < 0 || !args[i + 1] || args.length < 3) {
    console.error('usage: node scripts/site-config.mjs --stow-url URL FILE.html…');
    process.exit(2);
  }
  const stowUrl = args[i + 1];
  for (const file of args.filter((_, j) => j !== i && j !== i + 1)) {
    writeFileSync(file, configureHtml(readFileSync(file, 'utf8'), { stowUrl }));
    console.log(`${file}: sends to ${stowUrl}`);
  }
}
