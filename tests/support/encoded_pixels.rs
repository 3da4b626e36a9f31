//! Burned-in names in encoded pixel data (JPEG-LS, JPEG 2000) made at test time by independent
//! encoders from the committed fixtures of `tests/data/pixels`, then run through the CLI: the
//! detector finds the name in a possible carrier, a pixel rule cleans every frame, OCR reads no
//! name in any frame of any output, and every pixel outside the rule's region equals the source's
//! (lossless) or is within the codec's error (lossy). Include with
//! `#[path = "support/encoded_pixels.rs"] mod encoded_pixels;` next to `harness`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use super::harness::*;
use super::ocr;

const NEEDLES: &[&str] = &["DOE", "JOHN", "12345678"];

/// Runs `program args input output`, `output` in `dir`.
pub fn convert(dir: &TempDir, program: &str, args: &[&str], input: &Path, output: &str) -> PathBuf {
    let out = dir.join(output);
    let r = Command::new(program)
        .args(args)
        .arg(input)
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs ({e}): scripts/setup.sh installs it"));
    assert!(
        r.status.success(),
        "{program} {args:?} {input:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// The engine's transfer syntax and decoded frames of a file (canonical layout).
pub fn decoded(path: &Path) -> (String, dicom_deid::pixels::frames::Decoded) {
    let bytes = std::fs::read(path).unwrap();
    let (obj, _) = dicom_deid::read::parse_whole(&bytes).expect("parses");
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    let d = dicom_deid::pixels::frames::decode(&obj, &ts)
        .unwrap_or_else(|e| panic!("{path:?} ({ts}): {e}"));
    (ts, d)
}

/// One encoded test image: its file name, the native image its output is compared with (the
/// source it was encoded from, or an independent decoder's output), the rule's region, the
/// largest difference allowed outside it (0: exact) and the transfer syntax the cleaned output
/// must have.
pub struct Case {
    pub name: String,
    pub source: PathBuf,
    pub region: [u32; 4],
    pub tolerance: i64,
    pub out_syntax: &'static str,
}

/// The native sources with a burned-in name and their rule's region: the US loop (three frames,
/// decompressed), US RGB, the 12-bit secondary capture, and the CT reformat (16-bit signed, a
/// possible carrier the detector must flag).
pub fn sources(dir: &TempDir) -> Vec<(&'static str, PathBuf, [u32; 4])> {
    let px = data().join("pixels");
    let us = convert(
        dir,
        "dcmdrle",
        &[],
        &px.join("us_multiframe_rle.dcm"),
        "loop.dcm",
    );
    vec![
        ("loop", us, [0, 0, 640, 60]),
        ("rgb", px.join("us_rgb.dcm"), [0, 0, 640, 60]),
        ("sc16", px.join("sc_mono16.dcm"), [0, 0, 512, 60]),
        ("ct", px.join("ct_reformat_text.dcm"), [0, 452, 512, 60]),
    ]
}

fn row<'a>(run: &'a Run, name: &str) -> &'a std::collections::BTreeMap<String, String> {
    run.log_row(name)
        .unwrap_or_else(|| panic!("no log row for {name}"))
}

/// pydicom's comparison of source and output (tests/support/pixel_diff.py).
fn pixel_diff(input: &Path, output: &Path, [x, y, w, h]: [u32; 4]) -> serde_json::Value {
    let script = root().join("tests/support/pixel_diff.py");
    let region = format!("{x},{y},{w},{h}");
    let run_script = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')";
    let out = python(
        run_script,
        [
            script.as_os_str(),
            input.as_os_str(),
            output.as_os_str(),
            region.as_ref(),
        ],
    );
    serde_json::from_slice(&out.stdout).expect("pixel oracle prints JSON")
}

/// Without rules, the CT reformat (a possible carrier) is held because the detector reads text
/// in its pixels; the carriers are held as unreviewed.
pub fn detected_and_held(dir: TempDir, cases: &[Case]) {
    let files: Vec<PathBuf> = cases.iter().map(|c| dir.join(&c.name)).collect();
    let run = run_in(
        dir,
        &["--hold-unreviewed", "--no-default-pixel-rules"],
        &files,
    );
    for c in cases {
        let r = row(&run, &c.name);
        assert_eq!(r["outcome"], "held", "{}: {r:?}", c.name);
        if c.name.starts_with("ct") {
            assert!(r["reason"].contains("text detected in frame 1"), "{r:?}");
        }
    }
}

/// With the fixtures' rules every case is cleaned: OCR reads no name in any frame, the region
/// is one value (black), the rest equals the source within the tolerance, dcmtk reads the
/// output's pixels.
pub fn cleaned_by_rules(dir: TempDir, cases: &[Case]) {
    let rules = data().join("pixels/rules.toml");
    let files: Vec<PathBuf> = cases.iter().map(|c| dir.join(&c.name)).collect();
    let run = run_in(
        dir,
        &[
            "--hold-unreviewed",
            "--pixel-rules",
            rules.to_str().unwrap(),
        ],
        &files,
    );
    let mut outputs = Vec::new();
    for c in cases {
        let r = row(&run, &c.name);
        assert_eq!(
            (r["outcome"].as_str(), r["reason_code"].as_str()),
            ("written", "pixels_cleaned"),
            "{}: {r:?}",
            c.name
        );
        let bytes = run.entry(&r["output_path"]).expect("in the zip");
        let p = run.dir.join(&format!("out-{}", c.name));
        std::fs::write(&p, bytes).unwrap();
        let (obj, _) = dicom_deid::read::parse_whole(bytes).expect("parses");
        let ts = obj
            .meta()
            .transfer_syntax()
            .trim_end_matches('\0')
            .to_string();
        assert_eq!(ts, c.out_syntax, "{}", c.name);
        if c.out_syntax == "1.2.840.10008.1.2.1" {
            // a lossy source: written uncompressed, and said to have been lossy-compressed
            let lossy = text(&obj, dicom_dictionary_std::tags::LOSSY_IMAGE_COMPRESSION);
            assert_eq!(lossy.as_deref(), Some("01"), "{}", c.name);
        }
        outputs.push(p);
    }
    let refs: Vec<&Path> = outputs.iter().map(PathBuf::as_path).collect();
    for (c, frames) in cases.iter().zip(ocr::ocr_frames(&refs)) {
        for (k, t) in frames.iter().enumerate() {
            let found = ocr::mentions_any(t, NEEDLES);
            assert!(
                found.is_empty(),
                "{}: frame {} shows {found:?}",
                c.name,
                k + 1
            );
        }
    }
    for (c, out) in cases.iter().zip(&outputs) {
        let d = pixel_diff(&c.source, out, c.region);
        assert_eq!(d["frames"][0], d["frames"][1], "{}: {d}", c.name);
        let diff = d["max_abs_diff_outside"].as_i64().expect("same shape");
        assert!(diff <= c.tolerance, "{}: {d}", c.name);
        assert_eq!(d["inside_distinct"], 1, "{}: {d}", c.name);
        let dump = Command::new("dcmdump")
            .arg("+dc")
            .arg(out)
            .output()
            .unwrap();
        assert!(dump.status.success(), "dcmdump {}", c.name);
        if c.out_syntax.ends_with(".5") {
            // dcmtk's RLE decoder reads the written fragments
            let dir = TempDir::new("dcmdrle");
            convert(&dir, "dcmdrle", &[], out, "raw.dcm");
        }
    }
}

/// Damages the one frame of `file` at about `offsets` offsets spread over it and at each of its
/// last 64 bytes: `decode` (true: an image) must not panic, and a cut before the end marker
/// (the last 0xFFD9) must not decode.
pub fn damaged_frames_fail_cleanly(file: &Path, offsets: usize, decode: &dyn Fn(&[u8]) -> bool) {
    let bytes = std::fs::read(file).unwrap();
    let (obj, _) = dicom_deid::read::parse_whole(&bytes).unwrap();
    let frame = dicom_deid::pixels::frames::frame_fragments(&obj, 1)
        .unwrap()
        .remove(0);
    assert!(decode(&frame), "{file:?} decodes whole");
    let end = frame.windows(2).rposition(|w| w == [0xFF, 0xD9]).unwrap();
    let spread = (0..frame.len()).step_by(frame.len() / offsets + 1);
    for at in spread.chain(frame.len().saturating_sub(64)..frame.len()) {
        if at < end {
            assert!(!decode(&frame[..at]), "{file:?}: cut at {at}");
        }
        let mut c = frame.clone();
        c[at] ^= 0x5A;
        let _ = decode(&c);
    }
}
