#!/usr/bin/python3
"""Runs the page in WebKitGTK set up as Safari is: the Origin Private File System on (the
StorageAPI, FileSystem, FileSystemWritableStream and AccessHandle features) and a persistent
website-data directory. WebDriver's MiniBrowser has neither, so this drives a WebKit2 WebView
through its GObject API (Debian's python3-gi and gir1.2-webkit2-4.1; needs a display: run under
xvfb-run).

Usage: webkit-opfs-driver.py URL DATA_DIR OUT_DIR SECRET_FILE FILE...
The files are handed to the page's file inputs as a script-made FileList (the page names each by
its file name, as the CLI names files given one by one). Writes OUT_DIR/webkit-opfs.zip, -key.csv
and -log.csv, read back from the page's download links, then runs the JavaScript API on the same
files with an OPFS file as its output (OUT_DIR/webkit-opfs-api.zip), and prints one JSON line:
{"state", "error", "inMemory", "spooled" (spool files in OPFS), "api": {where | error}, "webkit"}.
"""
import base64
import json
import os
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

FEATURES = {"StorageAPI", "FileSystem", "FileSystemWritableStream", "AccessHandle"}
TIMEOUT_S = 240

# Page code (an async function body; `files` is [{name, b64}], `secret` the secret file's text).
FEED = """
const made = (list) => { const dt = new DataTransfer(); for (const f of list) dt.items.add(f); return dt.files; };
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const feed = (testId, list) => { const i = document.querySelector(`[data-testid=${testId}]`); i.files = made(list); i.dispatchEvent(new Event('change', { bubbles: true })); };
const until = async (f, what) => { for (let t = 0; t < 2000; t++) { const v = f(); if (v) return v; await new Promise((r) => setTimeout(r, 100)); } throw new Error(`timed out: ${what}`); };
await until(() => document.body.dataset.state === 'idle', 'the engine');
feed('secret-input', [new File([secret], 'project.secret', { type: 'text/plain' })]);
await until(() => document.querySelector('[data-testid=secret-status]').dataset.fingerprint, 'the secret');
feed('folder-input', files.map((f) => new File([bytes(f.b64)], f.name)));
await until(() => !document.querySelector('[data-testid=preview]').hidden, 'the preview');
await until(() => !document.querySelector('[data-testid=start]').disabled, 'the Start button');
document.querySelector('[data-testid=start]').click();
const state = await until(() => { const s = document.querySelector('[data-testid=summary]').dataset.state; return ['done', 'error', 'cancelled'].includes(s) && s; }, 'the end of the run');
const out = { state, error: document.querySelector('#run-error').textContent, inMemory: !!document.querySelector('[data-testid=memory-note]'), spooled: [] };
if (state !== 'done') return JSON.stringify(out);
const b64 = (u8) => { let s = ''; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000)); return btoa(s); };
for (const kind of ['zip', 'key', 'log']) out[kind] = b64(new Uint8Array(await (await fetch(document.querySelector(`[data-testid=download-${kind}]`).href)).arrayBuffer()));
for await (const n of (await navigator.storage.getDirectory()).keys()) out.spooled.push(n);
// The JavaScript API with an OPFS file as its output (a handle WebKit cannot post to a worker).
const { deidentify } = await import(new URL('dicom-deid.js', location.href).href);
const fh = await (await navigator.storage.getDirectory()).getFileHandle('api-output.zip', { create: true });
try {
  const r = await deidentify({ source: files.map((f) => new File([bytes(f.b64)], f.name)), secret, output: fh });
  out.api = { where: r.zipLocation, zip: b64(new Uint8Array(await (await fh.getFile()).arrayBuffer())) };
} catch (e) {
  out.api = { error: String(e.message) };
}
return JSON.stringify(out);
"""


def make_view(data_dir):
    manager = WebKit2.WebsiteDataManager(
        base_data_directory=os.path.join(data_dir, "data"),
        base_cache_directory=os.path.join(data_dir, "cache"),
    )
    context = WebKit2.WebContext.new_with_website_data_manager(manager)
    settings = WebKit2.Settings()
    features = WebKit2.Settings.get_all_features()
    enabled = set()
    for i in range(features.get_length()):
        feature = features.get(i)
        if feature.get_identifier() in FEATURES:
            settings.set_feature_enabled(feature, True)
            enabled.add(feature.get_identifier())
    missing = FEATURES - enabled
    if missing:
        raise SystemExit(f"this WebKitGTK has no feature {sorted(missing)}")
    view = WebKit2.WebView(web_context=context, settings=settings)
    window = Gtk.Window()
    window.set_default_size(1200, 900)
    window.add(view)
    window.show_all()
    return view


def main():
    url, data_dir, out_dir, secret_file, *files = sys.argv[1:]
    view = make_view(data_dir)
    result = {}

    def finished(source, res):
        try:
            value = view.call_async_javascript_function_finish(res)
            result.update(json.loads(value.to_string()))
        except GLib.Error as e:
            result.update(state="error", error=f"script: {e.message}")
        Gtk.main_quit()

    def loaded(_view, event):
        if event != WebKit2.LoadEvent.FINISHED:
            return
        args = GLib.Variant(
            "a{sv}",
            {
                "files": GLib.Variant("s", json.dumps([{"name": os.path.basename(f), "b64": base64.b64encode(open(f, "rb").read()).decode()} for f in files])),
                "secret": GLib.Variant("s", open(secret_file, encoding="utf-8").read()),
            },
        )
        # The tests' clock (tests/e2e/helpers.mjs FIXED_CLOCK), run before the page is fed.
        clock = os.environ.get("DEID_FIXED_CLOCK", "")
        body = clock + "\nfiles = JSON.parse(files);\n" + FEED
        view.call_async_javascript_function(body, -1, args, None, None, None, finished)

    def timeout():
        result.update(state="timeout", error=f"no answer in {TIMEOUT_S} s")
        Gtk.main_quit()
        return False

    view.connect("load-changed", loaded)
    GLib.timeout_add_seconds(TIMEOUT_S, timeout)
    view.load_uri(url)
    Gtk.main()
    if "zip" in result.get("api", {}):
        with open(os.path.join(out_dir, "webkit-opfs-api.zip"), "wb") as f:
            f.write(base64.b64decode(result["api"].pop("zip")))
    for kind, name in (("zip", "webkit-opfs.zip"), ("key", "webkit-opfs-key.csv"), ("log", "webkit-opfs-log.csv")):
        if kind in result:
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(base64.b64decode(result.pop(kind)))
    version = f"{WebKit2.get_major_version()}.{WebKit2.get_minor_version()}.{WebKit2.get_micro_version()}"
    print(json.dumps({**result, "webkit": version}))


if __name__ == "__main__":
    main()
