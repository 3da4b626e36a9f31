#!/usr/bin/env node
// A fault-injecting reverse proxy for the delivery tests (Node's standard library only), used
// by the Rust tests (`tests/tests/deliver_stow.rs`) and the page tests alike:
//
//   node tests/support/fault_proxy.mjs --target http://127.0.0.1:PORT [--faults SPEC] [--cors]
//                                      [--port N]
//
// It listens on 127.0.0.1 (a free port unless --port), prints the port as the FIRST line of
// stdout, and forwards every request to the target, except those the fault schedule picks.
// Requests are numbered 1, 2, 3, … in the order they arrive (the proxy's own /__proxy/ paths
// and CORS preflights are not numbered and never faulted).
//
// SPEC: faults separated by commas; the first that matches a request decides it.
//   KIND@N       request N only                    503@2, drop@5, 401@1
//   KIND%K       every K-th request (N % K == 0)   503%4
//   KIND>N       every request after N (a cut)     drop>6
//   …:retry-after=S   adds `Retry-After: S` to an HTTP fault    429@3:retry-after=1
//   …:ms=M            how long a `delay` holds the response (default 1000)   delay>2:ms=30000
// KIND is
//   an HTTP status (e.g. 401, 408, 413, 429, 500, 503): answered by the proxy, not forwarded;
//   drop    the connection is closed without a response, the request not forwarded;
//   lose    the request is forwarded (the archive stores it), then the connection is closed
//           without passing the response on (the client cannot know it was stored);
//   failed  answered 409 with a DICOM JSON STOW-RS response whose Failed SOP Sequence lists
//           every instance of the body with Failure Reason 0xC000 (not forwarded);
//   delay   the request is forwarded at once (the archive stores it), its response passed on
//           only after ms=M milliseconds: a slow archive, or a client killed while it waits.
//
// GET /__proxy/stats answers JSON counters:
//   { requests, forwarded, preflights, byMethod: {POST: n}, byPath: {"/dicom-web/studies": n},
//     bytesIn, bytesOut, faults: {total, byKind: {"503": n, drop: n}},
//     sopInstanceUids: [UIDs of the instances in forwarded bodies, in order, repeats kept],
//     sopInstanceUidsSeen: [UIDs in every body received, faulted ones included],
//     authorized: requests that carried an Authorization header (never its value) }
// POST /__proxy/reset sets the counters to zero (the schedule's numbering too).
// The UIDs are read from each part's file meta group (0002,0003), which every instance this
// project writes has. Bodies are held in memory: at most 512 MiB a request (else 413).
//
// --cors: answers preflights and adds Access-Control-Allow-Origin: * (and exposes
// Retry-After) to every response, for a page served from another origin.

import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MAX_BODY = 512 * 1024 * 1024;

function parseArgs(argv) {
  const out = { target: null, faults: '', cors: false, port: 0 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') out.target = argv[++i];
    else if (a === '--faults') out.faults = argv[++i] ?? '';
    else if (a === '--cors') out.cors = true;
    else if (a === '--port') out.port = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!out.target) throw new Error('--target URL is required');
  return out;
}

/** The schedule: [{kind, mode: '@' | '%' | '>', n, retryAfter}]. */
export function parseFaults(spec) {
  const faults = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [head, ...opts] = raw.split(':');
    const m = /^(\d{3}|drop|lose|failed|delay)([@%>])(\d+)$/.exec(head);
    if (!m) throw new Error(`bad fault "${raw}"`);
    const fault = { kind: m[1], mode: m[2], n: Number(m[3]), retryAfter: null, delayMs: 1000 };
    if (fault.mode === '%' && fault.n === 0) throw new Error(`bad fault "${raw}": %0`);
    for (const o of opts) {
      const r = /^retry-after=(.+)$/.exec(o);
      const d = /^ms=(\d+)$/.exec(o);
      if (r) fault.retryAfter = r[1];
      else if (d && fault.kind === 'delay') fault.delayMs = Number(d[1]);
      else throw new Error(`bad fault option "${o}"`);
    }
    faults.push(fault);
  }
  return faults;
}

/** The first fault of the schedule for request number n, or null. */
export function faultFor(faults, n) {
  return faults.find((f) =>
    (f.mode === '@' && n === f.n) || (f.mode === '%' && n % f.n === 0) || (f.mode === '>' && n > f.n),
  ) ?? null;
}

/** SOP Instance UIDs of the file meta groups in a body: (0002,0003) UI, explicit VR LE. */
export function sopInstanceUids(body) {
  const tag = Buffer.from([0x02, 0x00, 0x03, 0x00, 0x55, 0x49]);
  const uids = [];
  let at = body.indexOf(tag);
  while (at >= 0 && at + 8 <= body.length) {
    const len = body.readUInt16LE(at + 6);
    const end = Math.min(at + 8 + len, body.length);
    uids.push(body.subarray(at + 8, end).toString('latin1').replace(/[\0 ]+$/, ''));
    at = body.indexOf(tag, end);
  }
  return uids;
}

function failedResponse(uids) {
  const items = uids.map((uid) => ({
    '00081155': { vr: 'UI', Value: [uid] },
    '00081197': { vr: 'US', Value: [0xc000] },
  }));
  return JSON.stringify({ '00081198': { vr: 'SQ', Value: items } });
}

function freshStats() {
  return {
    requests: 0, forwarded: 0, preflights: 0, byMethod: {}, byPath: {}, bytesIn: 0, bytesOut: 0,
    faults: { total: 0, byKind: {} }, sopInstanceUids: [], sopInstanceUidsSeen: [], authorized: 0,
  };
}

function main() {
  const args = parseArgs(process.argv);
  const target = new URL(args.target);
  const faults = parseFaults(args.faults);
  let stats = freshStats();
  const corsHeaders = args.cors
    ? { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Retry-After' }
    : {};

  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://proxy').pathname;
    if (path === '/__proxy/stats') {
      res.writeHead(200, { 'content-type': 'application/json', ...corsHeaders });
      res.end(JSON.stringify(stats));
      return;
    }
    if (path === '/__proxy/reset') {
      stats = freshStats();
      res.writeHead(204, corsHeaders);
      res.end();
      return;
    }
    if (args.cors && req.method === 'OPTIONS') {
      stats.preflights++;
      res.writeHead(204, {
        ...corsHeaders,
        'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      stats.requests++;
      const n = stats.requests;
      stats.byMethod[req.method] = (stats.byMethod[req.method] ?? 0) + 1;
      stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
      stats.bytesIn += size;
      if (req.headers.authorization !== undefined) stats.authorized++;
      if (tooLarge) {
        res.writeHead(413, corsHeaders);
        res.end();
        return;
      }
      const body = Buffer.concat(chunks);
      const uids = sopInstanceUids(body);
      stats.sopInstanceUidsSeen.push(...uids);
      const fault = faultFor(faults, n);
      if (fault) {
        stats.faults.total++;
        stats.faults.byKind[fault.kind] = (stats.faults.byKind[fault.kind] ?? 0) + 1;
      }
      if (fault?.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'failed') {
        const text = failedResponse(uids);
        res.writeHead(409, { 'content-type': 'application/dicom+json', ...corsHeaders });
        res.end(text);
        stats.bytesOut += text.length;
        return;
      }
      if (fault && /^\d{3}$/.test(fault.kind)) {
        const headers = { 'content-type': 'text/plain', ...corsHeaders };
        if (fault.retryAfter !== null) headers['retry-after'] = fault.retryAfter;
        const text = `fault injected: ${fault.kind}\n`;
        res.writeHead(Number(fault.kind), headers);
        res.end(text);
        stats.bytesOut += text.length;
        return;
      }
      forward(req, res, body, uids, fault);
    });
  });

  function forward(req, res, body, uids, fault) {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const up = http.request({
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: target.pathname.replace(/\/$/, '') + req.url,
      headers,
    }, (upRes) => {
      stats.forwarded++;
      stats.sopInstanceUids.push(...uids);
      if (fault?.kind === 'lose') {
        upRes.resume();
        upRes.on('end', () => req.socket.destroy());
        return;
      }
      if (fault?.kind === 'delay') {
        upRes.pause();
        setTimeout(() => pass(res, upRes), fault.delayMs);
        return;
      }
      pass(res, upRes);
    });
    up.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain', ...corsHeaders });
      res.end(`proxy: target unreachable: ${e.message}\n`);
    });
    up.end(body);
  }

  /** Passes the archive's response on to the client. */
  function pass(res, upRes) {
    res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, ...corsHeaders });
    upRes.on('data', (c) => { stats.bytesOut += c.length; });
    upRes.pipe(res);
  }

  server.keepAliveTimeout = 5000;
  server.listen(args.port, '127.0.0.1', () => {
    process.stdout.write(`${server.address().port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`fault_proxy: ${e.message}\n`);
    process.exit(2);
  }
}
