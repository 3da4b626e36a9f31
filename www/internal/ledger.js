// The page's ledger of what was stored where: one IndexedDB record per destination URL and SOP
// Instance UID, with the SHA-256 of the instance's bytes, so that a reload or a re-run sends only
// what is missing (an instance whose bytes changed is sent again). Where IndexedDB is refused
// (some private windows), the ledger lives as long as the page.
//
// Records: {url, sop, sha256, path, at} in the object store `stored` of the database
// `dicom-deid-ledger`, keyed by [url, sop]. No header, no credential is ever written.

const DB = 'dicom-deid-ledger';
const STORE = 'stored';

/** The request's result as a promise. */
const done = (req) =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

/** The database, or null where IndexedDB is missing or refused. */
async function openDb() {
  if (typeof indexedDB === 'undefined') return null;
  try {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: ['url', 'sop'] });
    return await done(req);
  } catch {
    return null;
  }
}

export class Ledger {
  /** @type {Promise<IDBDatabase|null>} */
  #db;
  /** The records where there is no database: "url\nsop" → record. */
  #memory = new Map();

  constructor() {
    this.#db = openDb();
  }

  /** The record of `sop` at `url`, or undefined. */
  async get(url, sop) {
    const db = await this.#db;
    if (!db) return this.#memory.get(`${url}\n${sop}`);
    return done(db.transaction(STORE).objectStore(STORE).get([url, sop]));
  }

  /** Whether `sop` was stored at `url` with these bytes (`sha256`). */
  async stored(url, sop, sha256) {
    const r = await this.get(url, sop);
    return !!r && r.sha256 === sha256;
  }

  /** Records instances ([{sop, sha256, path}]) as stored at `url` now. */
  async record(url, instances) {
    if (!instances.length) return;
    const at = new Date().toISOString();
    const rows = instances.map(({ sop, sha256, path }) => ({ url, sop, sha256, path, at }));
    const db = await this.#db;
    if (!db) {
      for (const r of rows) this.#memory.set(`${url}\n${r.sop}`, r);
      return;
    }
    const tx = db.transaction(STORE, 'readwrite');
    for (const r of rows) tx.objectStore(STORE).put(r);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  /** Every record of `url` (what the ledger says is stored there). */
  async list(url) {
    const db = await this.#db;
    if (!db) return [...this.#memory.values()].filter((r) => r.url === url);
    const range = IDBKeyRange.bound([url, ''], [url, '\uffff']);
    return done(db.transaction(STORE).objectStore(STORE).getAll(range));
  }

  /** Forgets what was stored at `url`. */
  async forget(url) {
    const db = await this.#db;
    if (!db) {
      for (const [k, r] of this.#memory) if (r.url === url) this.#memory.delete(k);
      return;
    }
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete(IDBKeyRange.bound([url, ''], [url, '\uffff']));
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }
}
