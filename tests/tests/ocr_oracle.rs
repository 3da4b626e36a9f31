//! The OCR oracle (tests/support/ocr.rs) reads the burned-in identity of the pixel fixtures of
//! `tests/data/pixels` (scripts/make_pixel_fixtures.py) and reads nothing on the text-free ones,
//! so "OCR finds none of them after cleaning" means something in the pixel cleaning tests.

use crate::support::ocr;
use std::path::{Path, PathBuf};

const NEEDLES: &[&str] = &["DOE", "JOHN", "12345678", "1970"];

fn pixels(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pixels")
        .join(name)
}

#[test]
fn oracle_reads_the_text_bearing_fixtures_and_nothing_on_the_clean_ones() {
    let with_text = [
        "us_mono8.dcm",
        "us_rgb.dcm",
        "us_ybr422_jpeg.dcm",
        "us_multiframe_rle.dcm",
        "sc_mono16.dcm",
        "sc_jpeg_com.dcm",
        "ct_reformat_text.dcm",
    ];
    let without = ["ct_original.dcm", "ct_reformat_clean.dcm"];
    let paths: Vec<PathBuf> = with_text
        .iter()
        .chain(&without)
        .map(|n| pixels(n))
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let texts = ocr::ocr_text(&refs);
    for (name, text) in with_text.iter().zip(&texts) {
        let found = ocr::mentions_any(text, NEEDLES);
        assert!(
            found.iter().any(|n| n == "DOE" || n == "JOHN")
                && found.iter().any(|n| n == "12345678"),
            "{name}: OCR read {text:?}, found {found:?}"
        );
    }
    for (name, text) in without.iter().zip(&texts[with_text.len()..]) {
        let found = ocr::mentions_any(text, NEEDLES);
        assert!(
            found.is_empty(),
            "{name}: OCR read {text:?}, found {found:?}"
        );
    }
}

#[test]
fn mentions_any_tolerates_ocr_spacing() {
    assert_eq!(
        ocr::mentions_any("doejohn mrn 1234 5678", &["DOE JOHN", "12345678", "smith"]),
        vec!["DOE JOHN", "12345678"]
    );
    assert!(ocr::mentions_any("", &["DOE"]).is_empty());
}
