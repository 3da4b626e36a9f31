//! WebAssembly bindings (wasm-bindgen): thin wrappers, no logic of their own. JavaScript calls
//! a few coarse functions per file, never per element. Values cross the boundary as typed JS
//! values (serde-wasm-bindgen, JSON-compatible: plain objects and arrays), never as JSON text;
//! the one opaque text is the plan ([`WebJob::plan`]), which JS only hands to the workers.
//! Every function returns a `Result` rather than panicking; an error reaches JS as an `Error`
//! whose `code` is a stable snake_case code (a [`crate::codes::Code`]; those of the job's
//! inputs are in [`crate::codes::ALL`]) and whose `message` says what is wrong in words.
//!
//! Main thread: [`WebJob`] (scans in, plan out, outcomes in, key/log/manifest out) and
//! [`WebZipSink`] (the output zip, drained chunk by chunk to disk). Workers: [`scan_file`],
//! [`WebEngine`] (rewrite one file), [`WebAuditor`] (the audit's read of one file), [`preview`],
//! [`thumbnail`], [`WebZipReader`].

pub mod stow;
pub mod vouched;

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;

use crate::archive::input::ZipInput;
use crate::archive::output::{crc32_of, ZipLayout};
use crate::codes::Code;
use crate::config::Config;
use crate::deliver::s3_etag::{self, PartHasher};
use crate::job::{Engine, FileOutcome, Job, JobError};
use crate::recipe::compile::Compiled;
use crate::scan::ScanRecord;

/// An error for JS: an `Error` with `message` and a `code` property.
fn fail(code: Code, e: impl std::fmt::Display) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.as_str().into());
    err.into()
}

fn job_err(e: JobError) -> JsValue {
    fail(e.code(), e)
}

fn options_err(e: impl std::fmt::Display) -> JsValue {
    fail(Code::BadOptions, e)
}

/// A Rust value as a plain JS value (objects, arrays, numbers, strings, null).
fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| fail(Code::BadValue, e))
}

/// A JS value as a Rust value; `what` names it in the error.
fn from_js<T: DeserializeOwned>(v: JsValue, what: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(v).map_err(|e| fail(Code::BadValue, format!("{what}: {e}")))
}

/// Sets `fields` on a new JS object.
fn object(fields: Vec<(&str, JsValue)>) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
    }
    o.into()
}

/// A configuration object (as [`parse_config`] gives it), checked.
fn config_of(config: JsValue) -> Result<Config, JsValue> {
    let c: Config = from_js(config, "configuration")?;
    c.validate().map_err(options_err)?;
    check_recipe(c)
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

/// The configuration of a preset (`basic`, `research`, `keep-list`), every option with its value.
#[wasm_bindgen]
pub fn preset_config(name: &str) -> Result<JsValue, JsValue> {
    to_js(&Config::preset(name).map_err(options_err)?)
}

/// Validates a configuration (JSON or TOML text) and returns it in full.
#[wasm_bindgen]
pub fn parse_config(text: &str) -> Result<JsValue, JsValue> {
    let c = Config::parse(text).map_err(options_err)?;
    to_js(&check_recipe(c)?)
}

/// Like [`parse_config`], starting from `preset` when the text names none (the page's preset
/// menu under a loaded configuration file): merged as a value, never spliced into the text.
#[wasm_bindgen]
pub fn parse_config_with_preset(text: &str, preset: &str) -> Result<JsValue, JsValue> {
    let c = Config::parse_with_preset(text, preset).map_err(options_err)?;
    to_js(&check_recipe(c)?)
}

/// A configuration with its recipe in this project's own form (an imported recipe converted,
/// refused unless its report's unsupported rows are accepted: `accept_import_report`) and
/// compiled once, so that the options are refused when they are checked (missing parameters, a
/// bad UID root, a rule that opens a side door), not only when the job starts
/// (`Context::new` does the same and refuses the same).
fn check_recipe(c: Config) -> Result<Config, JsValue> {
    let c = crate::context::with_native_recipe(&c).map_err(options_err)?;
    if let Some(text) = &c.recipe {
        Compiled::new(text.as_bytes(), &c.params).map_err(options_err)?;
    }
    Ok(c)
}

/// What the page shows of a recipe text (any format: this project's TOML/JSON, a CTP script, a
/// deid recipe) before the run: `{format, name, base, params: [{name, description, default}],
/// report: {format, rows: [{source, construct, status, detail}], unkeyed_md5} | null, counts,
/// needs_acceptance, unkeyed_md5, sha256}` (the acceptance itself is checked when the options
/// are: `accept_import_report`).
#[wasm_bindgen]
pub fn recipe_info(text: &str) -> Result<JsValue, JsValue> {
    to_js(&crate::recipe::import::describe(text).map_err(options_err)?)
}

/// Who decides each top-level attribute of a file under the configuration (the preview's
/// "why", the words of the CLI's `--explain`): an array of `{path: "(gggg,eeee)", why}`.
#[wasm_bindgen]
pub fn explain_attributes(bytes: &[u8], config: JsValue) -> Result<JsValue, JsValue> {
    let config = config_of(config)?;
    let ctx = crate::context::Context::new(&config, b"explain").map_err(options_err)?;
    let rows =
        crate::recipe::explain::explain_attributes(&ctx, bytes).map_err(|e| fail(e.code(), e))?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|(path, why)| object(vec![("path", path.into()), ("why", why.into())]))
        .collect();
    Ok(rows.into_iter().collect::<js_sys::Array>().into())
}

/// `{record, pixel}` for JS: the scan record, opaque text that JS hands back to
/// [`WebJob::add_scan`] unread (one string to make and clone instead of an object of dozens of
/// strings, on every file), and, for a header that was read, `{signature, gate}` of the
/// burned-in text gate (else null).
fn scan_value(rec: &ScanRecord) -> Result<JsValue, JsValue> {
    let pixel = match &rec.result {
        Ok(h) => object(vec![
            ("signature", to_js(&h.pixel_signature)?),
            ("gate", to_js(&h.pixel_gate)?),
        ]),
        Err(_) => JsValue::NULL,
    };
    let record = serde_json::to_string(rec).map_err(|e| fail(Code::BadValue, e))?;
    Ok(object(vec![
        ("record", JsValue::from_str(&record)),
        ("pixel", pixel),
    ]))
}

/// Scans one file's headers: `{record, pixel}` (see `scan_value`).
#[wasm_bindgen]
pub fn scan_file(path: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
    scan_value(&crate::scan::scan(path, bytes))
}

/// Scans from the first bytes of a file of `total_size` bytes (read `SCAN_PREFIX` bytes):
/// `{record, pixel}`, or `undefined` when the whole file must be read and given to
/// [`scan_file`] instead. The result equals [`scan_file`] on the whole file.
#[wasm_bindgen]
pub fn scan_file_prefix(path: &str, prefix: &[u8], total_size: f64) -> Result<JsValue, JsValue> {
    match crate::scan::scan_prefix(path, prefix, total_size as u64) {
        Some(rec) => scan_value(&rec),
        None => Ok(JsValue::UNDEFINED),
    }
}

/// How many leading bytes to read for [`scan_file_prefix`].
#[wasm_bindgen]
pub fn scan_prefix_len() -> usize {
    crate::scan::SCAN_PREFIX
}

/// The audit's reader of whole files in a worker: the job's context (its options and recipe,
/// rebuilt from [`WebJob::audit_spec`] and the secret), so that its header reads say which
/// rules decide which attributes, as the CLI's `--audit` reads them.
#[wasm_bindgen]
pub struct WebAuditor {
    ctx: crate::context::Context,
}

#[wasm_bindgen]
impl WebAuditor {
    /// The reader of a job: [`WebJob::audit_spec`]'s text (opaque) and the secret.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, secret: &[u8]) -> Result<WebAuditor, JsValue> {
        let config: Config = serde_json::from_str(spec)
            .map_err(|e| fail(Code::BadValue, format!("audit specification: {e}")))?;
        let ctx = crate::context::Context::new(&config, secret).map_err(options_err)?;
        Ok(WebAuditor { ctx })
    }

    /// The audit's scan of one whole file: `{record, header}` where `record` is the scan
    /// record (opaque text for [`WebJob::add_scan`]) and `header` the audit's header read with
    /// the job's recipe (opaque text for [`WebJob::add_audit_header`]), or `undefined` when the
    /// scan found no DICOM header.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let rec = crate::scan::scan(path, bytes);
        let record = serde_json::to_string(&rec).map_err(|e| fail(Code::BadValue, e))?;
        let header = match rec.result {
            Ok(_) => JsValue::from_str(
                &serde_json::to_string(&crate::audit::header::read(bytes, Some(&self.ctx)))
                    .map_err(|e| fail(Code::BadValue, e))?,
            ),
            Err(_) => JsValue::UNDEFINED,
        };
        Ok(object(vec![
            ("record", JsValue::from_str(&record)),
            ("header", header),
        ]))
    }
}

/// Checks a received zip (its bytes) against its signed run statement, the code of
/// `dicom-deid verify`: `{ok, problems, keyFingerprint, keyGiven, entries, runTime, bytes}`
/// where `problems` are the CLI's lines (each names the file), empty when `ok`.
/// `public_key`: the text of the project's public key file (64 hex digits on its first line).
/// Errors: `bad_options` for a public key that is not one, `bad_zip` for bytes that cannot be
/// read as a zip.
#[wasm_bindgen]
pub fn verify_zip(bytes: &[u8], public_key: Option<String>) -> Result<JsValue, JsValue> {
    let key = match public_key {
        Some(text) => Some(
            crate::statement::signing::unhex::<32>(text.lines().next().unwrap_or("").trim())
                .ok_or_else(|| options_err("the public key file is not 64 hex digits"))?,
        ),
        None => None,
    };
    let read = crate::statement::received::read_zip(std::io::Cursor::new(bytes))
        .map_err(|e| fail(Code::BadZip, e))?;
    let hashed = read.bytes as f64;
    let verdict = crate::statement::received::check_read(&read, key);
    let problems = js_sys::Array::new();
    let mut fields = vec![("bytes", hashed.into()), ("keyGiven", key.is_some().into())];
    match verdict {
        Ok(v) => {
            fields.push(("keyFingerprint", v.key_fingerprint.into()));
            fields.push(("entries", (v.entries as f64).into()));
            fields.push(("runTime", v.run_time.into()));
        }
        Err(ps) => {
            for p in ps {
                problems.push(&JsValue::from_str(&p.to_string()));
            }
        }
    }
    fields.push(("ok", (problems.length() == 0).into()));
    fields.push(("problems", problems.into()));
    Ok(object(fields))
}

/// Whether bytes start like a zip.
#[wasm_bindgen]
pub fn is_zip(bytes: &[u8]) -> bool {
    crate::archive::input::looks_like_zip(bytes)
}

/// The elements of a file (preview): an array of `{path, keyword, vr, value}`.
#[wasm_bindgen]
pub fn preview(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let rows = crate::inspect::dump(bytes).map_err(|e| fail(Code::Unreadable, e))?;
    to_js(&rows)
}

/// One frame of an image for the pixel review, decoded by the engine (native, RLE, JPEG):
/// `{width, height, frames, frame, rgba: Uint8ClampedArray, info}` where `info` holds the
/// signature, the gate (`class`, `reasons`), the matching rule and its regions, and the
/// detector's boxes (`[x, y, w, h]`). `config`: the job's configuration (its pixel rules).
#[wasm_bindgen]
pub fn pixel_preview(bytes: &[u8], frame: u32, config: JsValue) -> Result<JsValue, JsValue> {
    let config = config_of(config)?;
    let ctx = crate::context::Context::new(&config, b"preview").map_err(options_err)?;
    let p = crate::pixels::review::frame_preview(bytes, frame, &ctx.pixel_rules)
        .map_err(|e| fail(e.code(), e))?;
    Ok(object(vec![
        ("width", p.width.into()),
        ("height", p.height.into()),
        ("frames", p.frames.into()),
        ("frame", p.frame.into()),
        ("rgba", js_sys::Uint8ClampedArray::from(&p.rgba[..]).into()),
        ("info", to_js(&p)?),
    ]))
}

/// Pixel rules (an array of `{name, action, regions, match}`) as a rules file (TOML), for the
/// review's download.
#[wasm_bindgen]
pub fn pixel_rules_toml(rules: JsValue) -> Result<String, JsValue> {
    let set = crate::pixels::rules::RuleSet {
        rules: from_js(rules, "pixel rules")?,
    };
    set.validate().map_err(options_err)?;
    Ok(set.to_toml())
}

/// Parses a rules file (TOML or JSON) into its rules (an array), checked.
#[wasm_bindgen]
pub fn parse_pixel_rules(text: &str) -> Result<JsValue, JsValue> {
    let set = crate::pixels::rules::RuleSet::parse(text).map_err(options_err)?;
    to_js(&set.rules)
}

/// The index of the first of `rules` (an array as [`parse_pixel_rules`] gives it) that matches
/// `signature` (a scan's or a preview's), or `undefined`: the engine's own matching, for the
/// review's loaded rules files.
#[wasm_bindgen]
pub fn first_matching_rule(rules: JsValue, signature: JsValue) -> Result<JsValue, JsValue> {
    let set = crate::pixels::rules::RuleSet {
        rules: from_js(rules, "pixel rules")?,
    };
    let signature: crate::pixels::gate::Signature = from_js(signature, "signature")?;
    Ok(set
        .position(&signature)
        .map_or(JsValue::UNDEFINED, |i| JsValue::from(i as u32)))
}

/// Rectangles drawn over an image (`[x, y, width, height]`, fractional, maybe past the edges)
/// as a rule's regions: rounded to whole pixels and clipped to `width` × `height`, empty ones
/// dropped ([`crate::pixels::Rect::from_drawn`]).
#[wasm_bindgen]
pub fn clip_regions(rects: JsValue, width: u32, height: u32) -> Result<JsValue, JsValue> {
    let drawn: Vec<[f64; 4]> = from_js(rects, "regions")?;
    let clipped: Vec<crate::pixels::Rect> = drawn
        .into_iter()
        .filter_map(|d| crate::pixels::Rect::from_drawn(d, width, height))
        .collect();
    to_js(&clipped)
}

/// A thumbnail of native pixel data: `{width, height, rgba}` or `undefined`.
#[wasm_bindgen]
pub fn thumbnail(bytes: &[u8], max: u32) -> JsValue {
    match crate::inspect::thumbnail(bytes, max) {
        None => JsValue::UNDEFINED,
        Some(t) => object(vec![
            ("width", t.width.into()),
            ("height", t.height.into()),
            ("rgba", js_sys::Uint8ClampedArray::from(&t.rgba[..]).into()),
        ]),
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
    pub fn new(bytes: Vec<u8>) -> Result<WebZipReader, JsValue> {
        let mut zip = ZipInput::open(bytes).map_err(|e| fail(Code::BadZip, e))?;
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
    pub fn read(&mut self, i: usize) -> Result<Vec<u8>, JsValue> {
        let m = self
            .members
            .get(i)
            .cloned()
            .ok_or_else(|| fail(Code::BadZip, "no such zip entry"))?;
        self.zip.read(&m).map_err(|e| fail(Code::BadZip, e))
    }
}

/// A job on the main thread.
#[wasm_bindgen]
pub struct WebJob {
    job: Job,
    /// The audit's header reads ([`WebAuditor::scan`]'s), by source path.
    audit_headers: std::collections::BTreeMap<String, crate::audit::HeaderResult>,
}

#[wasm_bindgen]
impl WebJob {
    /// Starts a job: the configuration (an object from [`parse_config`]), the project secret,
    /// optional mapping and key CSV texts. The error's `code` says which input is at fault
    /// (`bad_options`, `empty_secret`, `bad_mapping`, `mapping_dates_not_shifted`, `bad_key`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        config: JsValue,
        secret: &[u8],
        mapping_csv: Option<String>,
        key_csv: Option<String>,
    ) -> Result<WebJob, JsValue> {
        let config = config_of(config)?;
        let job = Job::new(&config, secret, mapping_csv.as_deref(), key_csv.as_deref())
            .map_err(job_err)?;
        Ok(WebJob {
            job,
            audit_headers: Default::default(),
        })
    }

    /// Adds a scan record (the `record` of [`scan_file`]: opaque text).
    pub fn add_scan(&mut self, record: &str) -> Result<(), JsValue> {
        let rec: ScanRecord = serde_json::from_str(record)
            .map_err(|e| fail(Code::BadValue, format!("scan record: {e}")))?;
        self.job.add_scan(rec);
        Ok(())
    }

    /// What the audit's readers in the workers need of the job ([`WebAuditor::new`]): its
    /// configuration, recipe included (opaque text; the secret travels separately).
    pub fn audit_spec(&self) -> Result<String, JsValue> {
        serde_json::to_string(&self.job.context().config).map_err(|e| fail(Code::BadValue, e))
    }

    /// Adds the audit's header read of a file (the `header` of [`WebAuditor::scan`]: opaque
    /// text).
    pub fn add_audit_header(&mut self, path: &str, header: &str) -> Result<(), JsValue> {
        let h: crate::audit::HeaderResult = serde_json::from_str(header)
            .map_err(|e| fail(Code::BadValue, format!("audit header: {e}")))?;
        self.audit_headers.insert(path.to_string(), h);
        Ok(())
    }

    /// The audit (a dry run, the CLI's `--audit`): plans the job from the scans added and
    /// returns `{summary, summaryJson, summaryHtml, detailCsv}`: the summary as an object, and
    /// the texts of `audit-summary.json`, `audit-summary.html` (no PHI) and `audit-detail.csv`
    /// (PHI), the CLI's bytes. A job audited is not run afterwards (make a new one).
    pub fn audit(&mut self) -> Result<JsValue, JsValue> {
        let files = self.job.audit(&self.audit_headers).map_err(job_err)?;
        Ok(object(vec![
            ("summary", to_js(&files.summary)?),
            ("summaryJson", JsValue::from_str(&files.summary_json)),
            ("summaryHtml", JsValue::from_str(&files.summary_html)),
            ("detailCsv", JsValue::from_str(&files.detail_csv)),
        ]))
    }

    /// Records a file that could not be read at all.
    pub fn add_unreadable(&mut self, path: &str, size: f64, reason: &str) {
        self.job.add_unreadable(
            path,
            size as u64,
            crate::error::Rejection::Unparseable {
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
            crate::error::Rejection::NotDicom {
                detail: reason.to_string().into(),
            },
        );
    }

    /// Plans the job; returns the engine specification for the workers (opaque text: JS hands
    /// it to [`WebEngine::new`] unread), or an error (e.g. random research IDs that do not fit
    /// in `id_digits`: `id_space_too_small`) before anything is written.
    pub fn plan(&mut self) -> Result<String, JsValue> {
        self.job.plan().map_err(job_err)?.to_json().map_err(job_err)
    }

    /// Source paths to process, in zip order (an array of strings).
    pub fn paths_to_process(&self) -> Result<JsValue, JsValue> {
        to_js(&self.job.paths_to_process())
    }

    /// Records a worker's outcome (the `outcome` of [`WebEngine::process`]: opaque text).
    pub fn record(&mut self, outcome: &str) -> Result<(), JsValue> {
        let o: FileOutcome = serde_json::from_str(outcome)
            .map_err(|e| fail(Code::BadValue, format!("outcome: {e}")))?;
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

    /// The summary: `{seen, written, rejected, skipped, held, excluded, by_reason, bytes_in,
    /// bytes_out}`.
    pub fn summary(&self) -> Result<JsValue, JsValue> {
        to_js(&self.job.summary())
    }

    /// The log's rows (objects with the log's columns) for the page's table of rejections.
    pub fn log_rows(&self) -> Result<JsValue, JsValue> {
        to_js(&self.job.log_rows())
    }

    /// The zip's closing entries (notes, `manifest.csv`, then the run statement, its manifest
    /// of every entry's SHA-256 and its signature) as a JS array of `[path, Uint8Array]`.
    /// `run_time` is the run's date and time (RFC 3339, e.g. `new Date().toISOString()`): the
    /// engine has no clock. Error `bad_value` when the time cannot be read.
    pub fn final_entries(&self, run_time: &str) -> Result<js_sys::Array, JsValue> {
        let entries = self
            .job
            .closing_entries(run_time)
            .map_err(|e| fail(Code::BadValue, e))?;
        let arr = js_sys::Array::new();
        for (p, b) in entries {
            let pair = js_sys::Array::new();
            pair.push(&JsValue::from_str(&p));
            pair.push(&js_sys::Uint8Array::from(&b[..]).into());
            arr.push(&pair);
        }
        Ok(arr)
    }
}

/// The outcome (as [`WebEngine::process`] gives it) of a file whose bytes could not be read
/// for processing (a zip member or a file that vanished), rejected as unparseable.
#[wasm_bindgen]
pub fn unreadable_outcome(path: &str, reason: &str) -> Result<JsValue, JsValue> {
    let o = FileOutcome {
        source_path: path.to_string(),
        bytes_in: 0,
        result: Err(crate::error::Rejection::Unparseable {
            detail: reason.to_string(),
        }),
        pixels: None,
        sha256: None,
    };
    outcome_object(&o, Vec::new())
}

/// The rewrite engine in a worker.
#[wasm_bindgen]
pub struct WebEngine {
    engine: Engine,
}

#[wasm_bindgen]
impl WebEngine {
    /// Rebuilds the engine from [`WebJob::plan`]'s specification and the secret.
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &str, secret: &[u8]) -> Result<WebEngine, JsValue> {
        Ok(WebEngine {
            engine: Engine::from_json(spec, secret).map_err(job_err)?,
        })
    }

    /// De-identifies one file: `{outcome, path?, rejection?, bytes?: Uint8Array}` (see
    /// `outcome_object`).
    pub fn process(&self, path: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let (out, outcome) = self.engine.process(path, bytes);
        let fields = out.map(|b| vec![("bytes", js_sys::Uint8Array::from(&b[..]).into())]);
        outcome_object(&outcome, fields.unwrap_or_default())
    }

    /// De-identifies one file for the zip, without copying its pixel data out: returns
    /// `{outcome, path?, rejection?, head?: Uint8Array, tail?: number, crc?: number}`. When
    /// written, the output is `head` followed by the last `tail` bytes of the input (its Pixel
    /// Data element, unchanged), and `crc` is the CRC-32 of the whole output (computed here, on
    /// the worker, for [`WebZipSink::entry`]).
    pub fn process_parts(&self, path: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
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

/// A worker's answer: `{outcome, path, rejection, ...fields}` where `outcome` is the record for
/// [`WebJob::record`], `path` the output path when the file is written (else undefined), and
/// `rejection` `{code, outcome, message}` when it is not (else undefined).
fn outcome_object(
    outcome: &FileOutcome,
    mut fields: Vec<(&str, JsValue)>,
) -> Result<JsValue, JsValue> {
    // Opaque text that JS hands back to `WebJob::record` unread (as the scan record).
    let text = serde_json::to_string(outcome).map_err(|e| fail(Code::BadValue, e))?;
    fields.push(("outcome", JsValue::from_str(&text)));
    fields.push(("bytesIn", (outcome.bytes_in as f64).into()));
    match &outcome.result {
        Ok((row, _)) => fields.push(("path", row.path.as_str().into())),
        Err(r) => fields.push((
            "rejection",
            object(vec![
                ("code", r.code().as_str().into()),
                ("outcome", r.outcome().as_str().into()),
                ("message", r.to_string().into()),
            ]),
        )),
    }
    Ok(object(fields))
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

    fn layout(&mut self) -> Result<&mut ZipLayout, JsValue> {
        self.layout
            .as_mut()
            .ok_or_else(|| fail(Code::ZipOutput, "zip already finished"))
    }

    /// Adds an entry; returns the bytes to append to the output (its header and its bytes).
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut out = self
            .layout()?
            .entry(path, bytes.len() as u64, crc32_of(&[bytes]))
            .map_err(|e| fail(Code::ZipOutput, e))?;
        out.extend_from_slice(bytes);
        Ok(out)
    }

    /// Starts an entry of `size` bytes with CRC-32 `crc` (from [`WebEngine::process_parts`]);
    /// returns its header. The caller appends the header, then exactly `size` bytes.
    pub fn entry(&mut self, path: &str, size: f64, crc: u32) -> Result<Vec<u8>, JsValue> {
        if !(size >= 0.0 && size.fract() == 0.0 && size < 2f64.powi(53)) {
            return Err(fail(
                Code::ZipOutput,
                "entry size must be a whole number of bytes",
            ));
        }
        self.layout()?
            .entry(path, size as u64, crc)
            .map_err(|e| fail(Code::ZipOutput, e))
    }

    /// Size of the zip so far (headers and entries), in bytes.
    pub fn written(&self) -> f64 {
        self.layout.as_ref().map_or(0.0, |l| l.len() as f64)
    }

    /// Writes the central directory; returns the last bytes.
    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        let l = self
            .layout
            .take()
            .ok_or_else(|| fail(Code::ZipOutput, "zip already finished"))?;
        Ok(l.finish())
    }
}

// ---------------------------------------------------------------- delivery: S3 ETags

/// The MD5 of an upload's bytes (an S3 object of one PUT, or one part), fed piece by piece as
/// the shell reads them; its hex is the ETag the store returns.
#[wasm_bindgen]
#[derive(Default)]
pub struct WebMd5 {
    hasher: PartHasher,
}

#[wasm_bindgen]
impl WebMd5 {
    /// A digest of no bytes yet.
    #[wasm_bindgen(constructor)]
    pub fn new() -> WebMd5 {
        WebMd5::default()
    }

    /// Hashes the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// The digest of the bytes given so far, in lower-case hex.
    pub fn hex(&self) -> String {
        s3_etag::hex(&self.hasher.clone().finish())
    }
}

/// The ETag of a multipart upload whose parts have these MD5 digests (hex, in part order):
/// the MD5 of the digests, `-`, the number of parts.
#[wasm_bindgen]
pub fn s3_multipart_etag(part_md5s: Vec<String>) -> Result<String, JsValue> {
    let digests = part_md5s
        .iter()
        .enumerate()
        .map(|(i, h)| s3_etag::parse_hex(h, i + 1))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(Code::BadValue, e))?;
    s3_etag::multipart_etag(&digests).map_err(|e| fail(Code::BadValue, e))
}

/// Whether the ETag header a store returned names the expected ETag (quotes and `W/` aside,
/// hex in either case).
#[wasm_bindgen]
pub fn s3_etag_matches(returned: &str, expected: &str) -> bool {
    s3_etag::etag_matches(returned, expected)
}
