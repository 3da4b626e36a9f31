// The page in WebKitGTK (WebKit's Linux port: Debian's MiniBrowser driven by WebKitWebDriver
// through selenium-webdriver; needs a display: scripts/test.sh runs it under xvfb-run): a few
// files uploaded one by one give the CLI's zip, key and log byte for byte.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Builder, By } from 'selenium-webdriver';
import { assertSameAsCli, startServer } from './helpers.mjs';
import { FEW_FILES, cliOnFewFiles, runPage } from './webdriver-flow.mjs';

const DRIVER = '/usr/bin/WebKitWebDriver';
/** Debian's MiniBrowser (package libwebkit2gtk-4.1-0; `dpkg -L libwebkit2gtk-4.1-0 | grep MiniBrowser`). */
const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const missing = !existsSync(DRIVER) || !existsSync(MINIBROWSER) ? 'no WebKitWebDriver or MiniBrowser (scripts/setup.sh installs them)'
  : !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY ? 'no display: run under xvfb-run -a (scripts/test.sh does)' : false;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Waits until WebKitWebDriver answers on `port`. */
async function driverReady(port, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode})`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('WebKitWebDriver did not start');
}

describe('WebKitGTK (WebKitWebDriver)', { skip: missing, timeout: 6 * 60_000 }, () => {
  let server;
  let driverProc;
  let driver;
  let run;
  let setup;
  let version;
  let seconds;

  before(async () => {
    setup = cliOnFewFiles('deid-e2e-webkit-');
    server = await startServer();
    const port = await freePort();
    driverProc = spawn(DRIVER, [`--port=${port}`], { stdio: 'ignore' });
    await driverReady(port, driverProc);
    const t0 = performance.now();
    driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } })
      .build();
    version = (await driver.getCapabilities()).get('browserVersion');
    await driver.manage().setTimeouts({ script: 180_000 });
    await driver.get(server.url);
    const b = {
      // WebDriver's execute script awaits a returned promise.
      eval: (fn, arg) => driver.executeScript(`return (${fn})(arguments[0]);`, arg === undefined ? null : arg),
      upload: async (testId, paths) => driver.findElement(By.css(`[data-testid=${testId}]`)).sendKeys(paths.join('\n')),
      click: async (testId) => driver.executeScript(`document.querySelector('[data-testid=${testId}]').click();`),
    };
    run = await runPage(b, server.url, setup.secretFile, FEW_FILES);
    seconds = (performance.now() - t0) / 1000;
  });

  after(async () => {
    await driver?.quit().catch(() => {});
    driverProc?.kill();
    server?.stop();
    setup?.tmp.cleanup();
  });

  it('runs to the end', () => {
    console.log(`WebKitGTK ${version}: ${FEW_FILES.length} files, page run ${seconds.toFixed(1)} s (launch included), zip ${run.inMemory ? 'held in memory' : 'spooled in OPFS'}`);
    assert.equal(run.state, 'done', run.error);
  });

  it('zip, key and log are byte-identical to the CLI output', () => {
    assertSameAsCli(run.got, setup.cli, 'webkit');
  });
});
