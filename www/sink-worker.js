// Writes the spooled output zip into the Origin Private File System through a sync access
// handle, for browsers whose OPFS file handles have no createWritable (sync access handles
// exist only in workers). Requests: open {name}, write {chunk}, close.
let handle = null;
let at = 0;

self.onmessage = async (ev) => {
  const { id, op } = ev.data;
  try {
    if (op === 'open') {
      const root = await navigator.storage.getDirectory();
      const fh = await root.getFileHandle(ev.data.name, { create: true });
      handle = await fh.createSyncAccessHandle();
      handle.truncate(0);
      at = 0;
    } else if (op === 'write') {
      const chunk = ev.data.chunk;
      let done = 0;
      while (done < chunk.length) {
        const n = handle.write(chunk.subarray(done), { at: at + done });
        if (n <= 0) throw new Error('the disk is full or the file cannot grow');
        done += n;
      }
      at += chunk.length;
    } else if (op === 'close') {
      if (handle) {
        handle.flush();
        handle.close();
        handle = null;
      }
    } else {
      throw new Error(`unknown request ${op}`);
    }
    self.postMessage({ id });
  } catch (e) {
    self.postMessage({ id, error: String((e && e.message) || e) });
  }
};
