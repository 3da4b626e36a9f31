// The page in WebKit set up as Safari is: OPFS on and a persistent website-data directory
// (tests/e2e/webkit-opfs-driver.py drives a WebKitGTK WebView through its GObject API). Before
// the sink worker opened its spool file by name, every run failed here with "The object can not
// be cloned" (WebKit cannot post a file handle to a worker). Now the zip is spooled in OPFS and
// equals the CLI's, as do the key and the log; and the JavaScript API given an OPFS file as its
// output writes the same zip there.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, assertSameAsCli, startServer } from './helpers.mjs';
import { FEW_FILES, cliOnFewFiles } from './webdriver-flow.mjs';

const PYTHON = '/usr/bin/python3';
const DRIVER = join(ROOT, 'tests/e2e/webkit-opfs-driver.py');
const hasGi = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('WebKit2', '4.1')"]).status === 0;
const missing = !hasGi ? 'no WebKitGTK GObject bindings (python3-gi, gir1.2-webkit2-4.1: scripts/setup.sh installs them)'
  : !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY ? 'no display: run under xvfb-run -a (scripts/test.sh does)' : false;

describe('WebKit with OPFS and a persistent profile (as Safari)', { skip: missing, timeout: 5 * 60_000 }, () => {
  let server;
  let setup;
  let run;
  let seconds;

  before(async () => {
    setup = cliOnFewFiles('deid-e2e-webkit-opfs-');
    server = await startServer();
    const out = join(setup.tmp.dir, 'page');
    mkdirSync(out);
    const t0 = performance.now();
    // Asynchronous: the static server answers from this process meanwhile.
    const r = await new Promise((resolve) => {
      const child = spawn(PYTHON, [DRIVER, server.url, join(setup.tmp.dir, 'website-data'), out, setup.secretFile, ...FEW_FILES], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
    seconds = (performance.now() - t0) / 1000;
    assert.equal(r.status, 0, `the WebKit driver failed: ${r.stderr}`);
    run = JSON.parse(r.stdout.trim().split('\n').pop());
    run.got = {
      zip: { bytes: readFileSync(join(out, 'webkit-opfs.zip')) },
      key: { bytes: readFileSync(join(out, 'webkit-opfs-key.csv')) },
      log: { bytes: readFileSync(join(out, 'webkit-opfs-log.csv')) },
    };
  });

  after(() => {
    server?.stop();
    setup?.tmp.cleanup();
  });

  it('runs to the end with the zip spooled in OPFS, not in memory', () => {
    console.log(`WebKitGTK ${run.webkit} with OPFS: ${FEW_FILES.length} files, ${seconds.toFixed(1)} s (launch included); OPFS holds ${run.spooled.join(', ')}`);
    assert.equal(run.state, 'done', run.error);
    assert.equal(run.inMemory, false, 'the zip is spooled in OPFS');
    assert.equal(run.spooled.filter((n) => n.startsWith('dicom-deid-spool-')).length, 1, run.spooled.join(', '));
  });

  it('zip, key and log are byte-identical to the CLI output', () => {
    assertSameAsCli(run.got, setup.cli, 'webkit-opfs');
  });

  it('the JavaScript API writes to an OPFS file given as its output (a handle WebKit cannot post to a worker)', () => {
    assert.equal(run.api.error, undefined, run.api.error);
    assert.equal(run.api.where, 'picked');
    assertSameAsCli({ zip: { bytes: readFileSync(join(setup.tmp.dir, 'page/webkit-opfs-api.zip')) } }, setup.cli, 'webkit-opfs-api');
  });
});
