// Where the input files come from: a picked folder (showDirectoryPicker), dropped folders and
// zips (DataTransfer items as file-system handles or entries), or the <input type=file>
// fallbacks. Every file becomes an entry {path, file} whose path is exactly the source path the
// CLI would log for it: `<folder name>/<relative path>` for a folder, `<name>` for a file.
// Zips are then opened (in a worker) and replaced by their members, `<zip path>/<member name>`.

/** Entries from an <input type=file> (webkitdirectory gives `folder/relative/path`). */
export function fromFileList(list) {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** Entries of a directory handle, walked recursively. */
export async function fromDirectoryHandle(dir, prefix = dir.name) {
  const out = [];
  for await (const [name, handle] of dir.entries()) {
    const path = `${prefix}/${name}`;
    if (handle.kind === 'directory') out.push(...(await fromDirectoryHandle(handle, path)));
    else out.push({ path, file: await handle.getFile() });
  }
  return out;
}

function readAllEntries(reader) {
  return new Promise((resolve, reject) => {
    const all = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

async function fromEntry(entry) {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isDirectory) {
    const out = [];
    for (const child of await readAllEntries(entry.createReader())) out.push(...(await fromEntry(child)));
    return out;
  }
  const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
  return [{ path, file }];
}

/**
 * Entries of a drop. The DataTransfer's items are only readable during the drop event, so
 * every handle, entry and file is taken synchronously before the first await; an item that
 * gives no handle or entry (an old browser, or a file made by a script) falls back to its File.
 */
export async function fromDataTransfer(dt) {
  const items = Array.from(dt.items || []).filter((i) => i.kind === 'file');
  if (!items.length) return fromFileList(dt.files || []);
  const taken = items.map((i) => ({
    handle: typeof i.getAsFileSystemHandle === 'function' ? i.getAsFileSystemHandle() : null,
    entry: typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null,
    file: i.getAsFile(),
  }));
  const out = [];
  for (const t of taken) {
    const h = t.handle ? await t.handle.catch(() => null) : null;
    if (h && h.kind === 'directory') out.push(...(await fromDirectoryHandle(h)));
    else if (h) out.push({ path: h.name, file: await h.getFile() });
    else if (t.entry) out.push(...(await fromEntry(t.entry)));
    else if (t.file) out.push({ path: t.file.name, file: t.file });
  }
  return out;
}

/**
 * Entries of anything the API accepts as a source: a FileSystemDirectoryHandle (walked), a
 * FileSystemFileHandle, a FileList, a File, an entry {path, file}, or an array (any iterable)
 * mixing those. Returns null for anything else (the caller reports it).
 */
export async function fromSource(source) {
  if (source == null || typeof source !== 'object') return null;
  if (typeof File === 'function' && source instanceof File) return [{ path: source.webkitRelativePath || source.name, file: source }];
  if (typeof source.kind === 'string' && typeof source.name === 'string') {
    if (source.kind === 'directory' && typeof source.entries === 'function') return fromDirectoryHandle(source);
    if (source.kind === 'file' && typeof source.getFile === 'function') return [{ path: source.name, file: await source.getFile() }];
    return null;
  }
  if (typeof source.path === 'string' && source.file instanceof Blob) return [{ path: source.path, file: source.file }];
  if (typeof FileList === 'function' && source instanceof FileList) return fromFileList(source);
  if (typeof source[Symbol.iterator] !== 'function') return null;
  const out = [];
  for (const part of source) {
    const entries = await fromSource(part);
    if (!entries) return null;
    out.push(...entries);
  }
  return out;
}

/** Whether the CLI would try to open this path as a zip (its extension, any case). */
export function isZipName(path) {
  return /\.zip$/i.test(path);
}

/**
 * Compares strings by Unicode code point, i.e. the byte order of their UTF-8 form, which is how
 * the engine (Rust `String` ordering) sorts source paths. Plain JS comparison uses UTF-16 code
 * units and differs for characters beyond U+FFFF.
 */
export function byCodePoint(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Turns entries into job items, as the CLI does with its inputs: zips are listed (by
 * `listZip(file)`, in a worker) and replaced by their members; a `.zip` that is not a zip is an
 * ordinary file; one that cannot be opened is recorded as a bad zip. Items are sorted by path
 * and de-duplicated (first wins). Returns {items, badZips, zips}.
 */
export async function expand(entries, listZip) {
  const items = [];
  const badZips = [];
  let zips = 0;
  for (const { path, file } of entries) {
    if (isZipName(path)) {
      const r = await listZip(file);
      if (r.zip && r.error !== undefined) {
        badZips.push({ path, reason: r.error });
        continue;
      }
      if (r.zip) {
        zips++;
        r.members.forEach((m, index) => items.push({ path: `${path}/${m.name}`, file, index, zip: path, size: m.size }));
        continue;
      }
    }
    items.push({ path, file, size: file.size });
  }
  items.sort((a, b) => byCodePoint(a.path, b.path));
  const unique = items.filter((it, i) => i === 0 || items[i - 1].path !== it.path);
  return { items: unique, badZips, zips };
}
