//! WebAssembly bindings (wasm-bindgen): thin wrappers, no logic of their own. JavaScript calls
//! a few coarse functions per file, never per element. Every function returns a `Result`
//! (a JS exception with a readable message) rather than panicking.
//!
//! Main thread: [`WebJob`] (scans in, plan out, outcomes in, key/log/manifest out) and
//! [`WebZipSink`] (the output zip, drained chunk by chunk to disk). Workers: [`scan_file`],
//! [`WebEngine`] (rewrite one file), [`preview`], [`thumbnail`], [`WebZipReader`].

use wasm_bindgen::prelude::*;

use crate::archive::input::ZipInput;
use crate::archive::output::{crc32_of, ZipLayout};
use crate::config::Config;
use crate::job::{Engine, FileOutcome, Job};
use crate::scan::ScanRecord;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Installs a panic hook that logs to the console (panics should not happen; if one does,
/// its message is visible).
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Engine version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// The configuration of a preset, as JSON (`basic`, `research`, `keep-list`).
#[wasm_bindgen]
pub fn preset_config(name: &str) -> Result<String, JsError> {
    let c = Config::preset(name).map_err(js_err)?;
    serde_json::to_string_pretty(&c).map_err(js_err)
}

/// Validates a configuration (JSON or TOML) and returns it normalised as JSON.
#[wasm_bindgen]
pub fn parse_config(text: &str) -> Result<String, JsError> {
    let c = Config::parse(text).map_err(js_err)?;
    serde_json::to_string(&c).map_err(js_err)
}

/// Like [`parse_config`], starting from `preset` when the text names none (the page's preset
/// menu under a loaded configuration file): merged as a value, never spliced into the text.
#[wasm_bindgen]
pub fn parse_config_with_preset(text: &str, preset: &str) -> Result<String, JsError> {
    let c = Config::parse_with_preset(text, preset).map_err(js_err)?;
    serde_json::to_string(&c).map_err(js_err)
}

/// Scans one file's headers; returns the scan record as JSON.
#[wasm_bindgen]
pub fn scan_file(path: &str, bytes: &[u8]) -> String {
    serde_json::to_string(&crate::scan::scan(path, bytes)).unwrap_or_default()
}

/// Scans from the first bytes of a file of `total_size` bytes (read `SCAN_PREFIX` bytes);
/// returns the scan record as JSON, or `undefined` when the whole file must be read and given
/// to [`scan_file`] instead. The result equals [`scan_file`] on the whole file.
#[wasm_bindgen]
pub fn scan_file_prefix(path: &str, prefix: &[u8], total_size: f64) -> Option<String> {
    let rec = crate::scan::scan_prefix(path, prefix, total_size as u64)?;
    serde_json::to_string(&rec).ok()
}

/// How many leading bytes to read for [`scan_file_prefix`].
#[wasm_bindgen]
pub fn scan_prefix_len() -> usize {
    crate::scan::SCAN_PREFIX
}

/// Whether bytes start like a zip.
#[wasm_bindgen]
pub fn is_zip(bytes: &[u8]) -> bool {
    crate::archive::input::looks_like_zip(bytes)
}

/// The elements of a file (preview), as JSON rows `{path, keyword, vr, value}`.
#[wasm_bindgen]
pub fn preview(bytes: &[u8]) -> Result<String, JsError> {
    let rows = crate::preview::dump(bytes).map_err(js_err)?;
    serde_json::to_string(&rows).map_err(js_err)
}

/// One frame of an image for the pixel review, decoded by the engine (native, RLE, JPEG):
/// `{width, height, frames, frame, rgba: Uint8ClampedArray, info: JSON}` where `info` holds the
/// signature, the gate (`class`, `reasons`), the matching rule and its regions, and the
/// detector's boxes (`[x, y, w, h]`). `config_json`: the job's configuration (its pixel rules).
#[wasm_bindgen]
pub fn pixel_preview(bytes: &[u8], frame: u32, config_json: &str) -> Result<JsValue, JsError> {
    let config = Config::parse(config_json).map_err(js_err)?;
    let ctx = crate::context::Context::new(&config, b"preview").map_err(js_err)?;
    let p =
        crate::pixels::preview::frame_preview(bytes, frame, &ctx.pixel_rules).map_err(js_err)?;
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    };
    set("width", p.width.into());
    set("height", p.height.into());
    set("frames", p.frames.into());
    set("frame", p.frame.into());
    set("rgba", js_sys::Uint8ClampedArray::from(&p.rgba[..]).into());
    set("info", serde_json::to_string(&p).map_err(js_err)?.into());
    Ok(o.into())
}

/// The pixel rules of a configuration as a rules file (TOML), for the review's download.
#[wasm_bindgen]
pub fn pixel_rules_toml(rules_json: &str) -> Result<String, JsError> {
    let set: crate::pixels::rules::RuleSet = serde_json::from_str(rules_json).map_err(js_err)?;
    set.validate().map_err(js_err)?;
    Ok(set.to_toml())
}

/// Parses a rules file (TOML or JSON) into `{"rule": [...]}` JSON, checked.
#[wasm_bindgen]
pub fn parse_pixel_rules(text: &str) -> Result<String, JsError> {
    let set = crate::pixels::rules::RuleSet::parse(text).map_err(js_err)?;
    serde_json::to_string(&set).map_err(js_err)
}

/// A thumbnail of native pixel data: `{width, height, rgba}` or `undefined`.
#[wasm_bindgen]
pub fn thumbnail(bytes: &[u8], max: u32) -> JsValue {
    match crate::preview::thumbnail(bytes, max) {
        None => JsValue::UNDEFINED,
        Some(t) => {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"width".into(), &t.width.into());
            let _ = js_sys::Reflect::set(&o, &"height".into(), &t.height.into());
            let _ = js_sys::Reflect::set(
                &o,
                &"rgba".into(),
                &js_sys::Uint8ClampedArray::from(&t.rgba[..]).into(),
            );
            o.into()
        }
    }
}

/// A zip dropped or picked as input, read member by member.
#[wasm_bindgen]
pub struct WebZipReader {
    zip: ZipInput,
    members: Vec<crate::archive::input::MemberInfo>,
}

#[wasm_bindgen]
impl WebZipReader {
    /// Opens a zip from its bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>) -> Result<WebZipReader, JsError> {
        let mut zip = ZipInput::open(bytes).map_err(js_err)?;
        let members = zip.members();
        Ok(WebZipReader { zip, members })
    }

    /// Number of file entries.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no file entries.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Normalised name of entry `i`.
    pub fn name(&self, i: usize) -> Option<String> {
        self.members.get(i).map(|m| m.name.clone())
    }

    /// Declared size of entry `i`.
    pub fn size(&self, i: usize) -> f64 {
        self.members.get(i).map(|m| m.size as f64).unwrap_or(0.0)
    }

    /// Reads entry `i` (limits against zip bombs apply).
    pub fn read(&mut self, i: usize) -> Result<Vec<u8>, JsError> {
        let m = self
            .members
            .get(i)
            .cloned()
            .ok_or_else(|| JsError::new("no such zip entry"))?;
        self.zip.read(&m).map_err(js_err)
    }
}

/// A job on the main thread.
#[wasm_bindgen]
pub struct WebJob {
    job: Job,
}

#[wasm_bindgen]
impl WebJob {
    /// Starts a job: configuration JSON/TOML, project secret, optional mapping and key CSV texts.
    #[wasm_bindgen(constructor)]
    pub fn new(
        config: &str,
        secret: &[u8],
        mapping_csv: Option<String>,
        key_csv: Option<String>,
    ) -> Result<WebJob, JsError> {
        let config = Config::parse(config).map_err(js_err)?;
        let job = Job::new(&config, secret, mapping_csv.as_deref(), key_csv.as_deref())
            .map_err(js_err)?;
        Ok(WebJob { job })
    }

    /// Adds a scan record (JSON from [`scan_file`]).
    pub fn add_scan(&mut self, scan_json: &str) -> Result<(), JsError> {
        let rec: ScanRecord = serde_json::from_str(scan_json).map_err(js_err)?;
        self.job.add_scan(rec);
        Ok(())
    }

    /// Records a file that could not be read at all.
    pub fn add_unreadable(&mut self, path: &str, size: f64, reason: &str) {
        self.job.add_unreadable(
            path,
            size as u64,
            crate::Rejection::Unparseable {
                detail: reason.to_string(),
            },
        );
    }

    /// Records a `.zip` input that cannot be opened as a zip (skipped as not DICOM, size 0, as
    /// the CLI does); `reason` is the [`WebZipReader`] constructor's error message.
    pub fn add_bad_zip(&mut self, path: &str, reason: &str) {
        self.job.add_unreadable(
            path,
            0,
            crate::Rejection::NotDicom {
                detail: reason.to_string(),
            },
        );
    }

    /// Plans the job; returns the engine specification (JSON) for the workers, or an error
    /// (e.g. random research IDs that do not fit in `id_digits`) before anything is written.
    pub fn plan(&mut self) -> Result<String, JsError> {
        Ok(self.job.plan().map_err(js_err)?.to_json())
    }

    /// Source paths to process, in zip order (JSON array).
    pub fn paths_to_process(&self) -> String {
        serde_json::to_string(&self.job.paths_to_process()).unwrap_or_default()
    }

    /// Records a worker's outcome (JSON from [`WebEngine::process`]).
    pub fn record(&mut self, outcome_json: &str) -> Result<(), JsError> {
        let o: FileOutcome = serde_json::from_str(outcome_json).map_err(js_err)?;
        self.job.record(o);
        Ok(())
    }

    /// The key CSV (PHI).
    pub fn key_csv(&self) -> String {
        self.job.key_csv()
    }

    /// The log CSV (PHI).
    pub fn log_csv(&self) -> String {
        self.job.log_csv()
    }

    /// The summary (JSON: seen, written, rejected, skipped, by_reason, bytes_in, bytes_out).
    pub fn summary(&self) -> String {
        serde_json::to_string(&self.job.summary()).unwrap_or_default()
    }

    /// Log rows (JSON) for the page's table of rejections.
    pub fn log_rows(&self) -> String {
        serde_json::to_string(&self.job.log_rows()).unwrap_or_default()
    }

    /// Final zip entries (notes, manifest) as a JS array of `[path, Uint8Array]`.
    pub fn final_entries(&self) -> js_sys::Array {
        let arr = js_sys::Array::new();
        for (p, b) in self.job.final_entries() {
            let pair = js_sys::Array::new();
            pair.push(&JsValue::from_str(&p));
            pair.push(&js_sys::Uint8Array::from(&b[..]).into());
            arr.push(&pair);
        }
        arr
    }
}

/// The outcome (JSON, as [`WebEngine::process`] returns it) of a file whose bytes could not be
/// read for processing (a zip member or a file that vanished), rejected as unparseable.
#[wasm_bindgen]
pub fn unreadable_outcome(path: &str, reason: &str) -> String {
    let o = FileOutcome {
        source_path: path.to_string(),
        bytes_in: 0,
        result: Err(crate::Rejection::Unparseable {
            detail: reason.to_string(),
        }),
        pixels: None,
    };
    serde_json::to_string(&o).unwrap_or_default()
}

/// The rewrite engine in a worker.
#[wasm_bindgen]
pub struct WebEngine {
    engine: Engine,
}

#[wasm_bindgen]
impl WebEngine {
    /// Rebuilds the engine from [`WebJob::plan`]'s JSON and the secret.
    #[wasm_bindgen(constructor)]
    pub fn new(spec_json: &str, secret: &[u8]) -> Result<WebEngine, JsError> {
        Ok(WebEngine {
            engine: Engine::from_json(spec_json, secret).map_err(js_err)?,
        })
    }

    /// De-identifies one file. Returns `{outcome: string (JSON), bytes: Uint8Array | undefined}`.
    pub fn process(&self, path: &str, bytes: &[u8]) -> JsValue {
        let (out, outcome) = self.engine.process(path, bytes);
        let fields = out.map(|b| vec![("bytes", js_sys::Uint8Array::from(&b[..]).into())]);
        outcome_object(&outcome, fields.unwrap_or_default())
    }

    /// De-identifies one file for the zip, without copying its pixel data out: returns
    /// `{outcome: string (JSON), head?: Uint8Array, tail?: number, crc?: number}`. When written,
    /// the output is `head` followed by the last `tail` bytes of the input (its Pixel Data element,
    /// unchanged), and `crc` is the CRC-32 of the whole output (computed here, on the worker, for
    /// [`WebZipSink::entry`]).
    pub fn process_parts(&self, path: &str, bytes: &[u8]) -> JsValue {
        let (out, outcome) = self.engine.process_parts(path, bytes);
        let fields = out.map(|out| {
            let crc = crc32_of(&[&out.head, out.tail]);
            vec![
                ("head", js_sys::Uint8Array::from(&out.head[..]).into()),
                ("tail", (out.tail.len() as f64).into()),
                ("crc", f64::from(crc).into()),
            ]
        });
        outcome_object(&outcome, fields.unwrap_or_default())
    }
}

/// `{outcome: string (JSON), ...fields}` for a worker's answer.
fn outcome_object(outcome: &FileOutcome, fields: Vec<(&str, JsValue)>) -> JsValue {
    let o = js_sys::Object::new();
    let json = serde_json::to_string(outcome).unwrap_or_default();
    let _ = js_sys::Reflect::set(&o, &"outcome".into(), &json.into());
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    }
    o.into()
}

/// The output zip, streamed: each call returns the bytes to append to the file on disk.
#[wasm_bindgen]
#[derive(Default)]
pub struct WebZipSink {
    layout: Option<ZipLayout>,
}

#[wasm_bindgen]
impl WebZipSink {
    /// Starts an empty zip.
    #[wasm_bindgen(constructor)]
    pub fn new() -> WebZipSink {
        WebZipSink {
            layout: Some(ZipLayout::new()),
        }
    }

    fn layout(&mut self) -> Result<&mut ZipLayout, JsError> {
        self.layout
            .as_mut()
            .ok_or_else(|| JsError::new("zip already finished"))
    }

    /// Adds an entry; returns the bytes to append to the output (its header and its bytes).
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<Vec<u8>, JsError> {
        let mut out = self
            .layout()?
            .entry(path, bytes.len() as u64, crc32_of(&[bytes]))
            .map_err(js_err)?;
        out.extend_from_slice(bytes);
        Ok(out)
    }

    /// Starts an entry of `size` bytes with CRC-32 `crc` (from [`WebEngine::process_parts`]);
    /// returns its header. The caller appends the header, then exactly `size` bytes.
    pub fn entry(&mut self, path: &str, size: f64, crc: u32) -> Result<Vec<u8>, JsError> {
        if !(size >= 0.0 && size.fract() == 0.0 && size < 2f64.powi(53)) {
            return Err(JsError::new("entry size must be a whole number of bytes"));
        }
        self.layout()?.entry(path, size as u64, crc).map_err(js_err)
    }

    /// Size of the zip so far (headers and entries), in bytes.
    pub fn written(&self) -> f64 {
        self.layout.as_ref().map_or(0.0, |l| l.len() as f64)
    }

    /// Writes the central directory; returns the last bytes.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsError> {
        let l = self
            .layout
            .take()
            .ok_or_else(|| JsError::new("zip already finished"))?;
        Ok(l.finish())
    }
}
