// A real archive for the page's delivery tests, as tests/support/orthanc.rs starts it for the Rust
// tests: Debian's Orthanc with its DICOMweb plugin, on loopback, with free ports and a temporary
// folder; read back through its REST API (the instances it holds and the bytes of each stored
// file). No dependency beyond Node.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The plugin Debian's `orthanc-dicomweb` installs (STOW-RS, QIDO-RS, WADO-RS). */
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
/** The called AE title of the test archive. */
export const AE_TITLE = 'DEIDTEST';

/** A port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts Orthanc (DICOMweb on, no authentication, loopback only) and waits until its REST API
 * answers (30 s at most). Resolves to {url, dicomwebUrl, httpPort, dicomPort, instanceIds(),
 * storedFiles(), log(), stop()}.
 */
export async function startOrthanc(label) {
  const dir = mkdtempSync(join(tmpdir(), `orthanc-${label}-`));
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const config = {
    Name: `dicom-deid tests (${label})`,
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: AE_TITLE,
    DicomCheckCalledAet: true,
    DicomAlwaysAllowStore: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    StorageCompression: false,
    OverwriteInstances: false,
    UnknownSopClassAccepted: true,
    HttpServerThreads: 4,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
  };
  writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config, null, 2));
  const logFd = openSync(join(dir, 'orthanc.log'), 'w');
  const child = spawn('Orthanc', [join(dir, 'orthanc.json')], { stdio: ['ignore', 'ignore', logFd] });
  closeSync(logFd);
  let exited = null;
  child.on('exit', (code) => {
    exited = code;
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const log = () => {
    try {
      return readFileSync(join(dir, 'orthanc.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const get = async (path) => {
    const r = await fetch(`${url}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return Buffer.from(await r.arrayBuffer());
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`Orthanc exited (${exited}); its log:\n${log()}`);
    if (await get('/system').then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Orthanc did not answer within 30 s; its log:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const instanceIds = async () => JSON.parse((await get('/instances')).toString('utf8'));
  return {
    url,
    dicomwebUrl: `${url}/dicom-web`,
    httpPort,
    dicomPort,
    log,
    instanceIds,
    /** The bytes of every stored file (as Orthanc returns them), sorted. */
    async storedFiles() {
      const files = [];
      for (const id of await instanceIds()) files.push(await get(`/instances/${id}/file`));
      return files.sort(Buffer.compare);
    },
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
