//! Text in the codestreams of encapsulated pixel data, end to end through the CLI, on files made
//! here by independent encoders from committed clean images (`tests/data/pixels/ct_original.dcm`,
//! one frame, and `us_multiframe_rle.dcm`, three frames): dcmtk's `dcmcjpls` (JPEG-LS, CharLS) and
//! GDCM's `gdcmconv --j2k` (JPEG 2000, OpenJPEG). The test splices COM and APPn segments holding
//! a name, an MRN and an institution into every frame (JPEG-LS: after SOF55 and before EOI;
//! JPEG 2000: after SIZ and in the tile-part header, its Psot grown). The outputs must hold none
//! of these strings anywhere, and decode with the same tools (`dcmdjpls`, `gdcmconv --raw`) to
//! the same pixels as the inputs (both encodings are lossless: the sources' pixels).

use std::path::{Path, PathBuf};

use crate::support::encoded_pixels::{convert, us_loop};
use crate::support::harness::*;
use dicom_core::value::{PixelFragmentSequence, Value};
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{FileDicomObject, InMemDicomObject, OpenFileOptions};

const COMMENT: &[u8] = b"Patient: DOE^JOHN  MRN 12345678  General Hospital";
const PLANTED: [&[u8]; 3] = [b"DOE^JOHN", b"12345678", b"General Hospital"];

fn has(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn open(bytes: &[u8]) -> FileDicomObject<InMemDicomObject> {
    OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(bytes)
        .expect("a DICOM file")
}

/// The fragments of the encapsulated Pixel Data (one per frame here).
fn fragments(bytes: &[u8]) -> Vec<Vec<u8>> {
    match open(bytes).element(tags::PIXEL_DATA).unwrap().value() {
        Value::PixelSequence(s) => s.fragments().to_vec(),
        _ => panic!("not encapsulated"),
    }
}

/// The native pixel bytes of a decoded file.
fn pixels(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let obj = open(&bytes);
    obj.element(tags::PIXEL_DATA)
        .unwrap()
        .to_bytes()
        .expect("native pixel data")
        .into_owned()
}

/// `input` with every fragment replaced by `edit(fragment)` (padded to an even length), the
/// Basic Offset Table rebuilt when it had entries, written to `out`.
fn with_fragments(input: &Path, edit: impl Fn(&[u8]) -> Vec<u8>, out: &Path) {
    let bytes = std::fs::read(input).unwrap();
    let mut obj = open(&bytes);
    let Value::PixelSequence(seq) = obj.element(tags::PIXEL_DATA).unwrap().value().clone() else {
        panic!("not encapsulated")
    };
    let frags: Vec<Vec<u8>> = seq
        .fragments()
        .iter()
        .map(|f| {
            let mut e = edit(f);
            if e.len() % 2 == 1 {
                e.push(0);
            }
            e
        })
        .collect();
    let mut table = Vec::new();
    if !seq.offset_table().is_empty() {
        let mut pos = 0u32;
        for f in &frags {
            table.push(pos);
            pos += 8 + f.len() as u32;
        }
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(table, frags)),
    ));
    obj.write_to_file(out).unwrap();
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFF, marker];
    v.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    v.extend(payload);
    v
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

/// A JPEG-LS frame with a COM and an APP1 (Exif-like) after SOF55 and a COM before EOI.
fn plant_jpeg_ls(frame: &[u8]) -> Vec<u8> {
    assert_eq!(frame[..4], [0xFF, 0xD8, 0xFF, 0xF7], "SOI, SOF55");
    let sof_end = 4 + u16_at(frame, 4);
    let eoi = frame.windows(2).rposition(|w| w == [0xFF, 0xD9]).unwrap();
    let mut v = frame[..sof_end].to_vec();
    v.extend(segment(0xFE, COMMENT));
    v.extend(segment(0xE1, &[b"Exif\0\0".as_slice(), COMMENT].concat()));
    v.extend(&frame[sof_end..eoi]);
    v.extend(segment(0xFE, COMMENT));
    v.extend(&frame[eoi..]);
    v
}

/// A JPEG 2000 codestream with a COM after SIZ and one at the start of the first tile-part
/// header (its Psot grown by the segment's length unless 0).
fn plant_j2k(frame: &[u8]) -> Vec<u8> {
    assert_eq!(frame[..4], [0xFF, 0x4F, 0xFF, 0x51], "SOC, SIZ");
    let com = segment(0x64, &[[0, 1].as_slice(), COMMENT].concat());
    let siz_end = 4 + u16_at(frame, 4);
    let mut v = frame[..siz_end].to_vec();
    v.extend(&com);
    v.extend(&frame[siz_end..]);
    let mut sot = siz_end + com.len();
    while v[sot + 1] != 0x90 {
        sot += 2 + u16_at(&v, sot + 2);
    }
    let psot = u32::from_be_bytes(v[sot + 6..sot + 10].try_into().unwrap());
    if psot != 0 {
        let grown = psot + com.len() as u32;
        v[sot + 6..sot + 10].copy_from_slice(&grown.to_be_bytes());
    }
    v.splice(sot + 12..sot + 12, com);
    v
}

/// The committed clean sources: the CT (one frame) and the US loop decompressed (three frames).
fn sources(dir: &TempDir) -> Vec<(&'static str, PathBuf)> {
    let ct = data().join("pixels/ct_original.dcm");
    vec![("ct", ct), ("us", us_loop(dir))]
}

/// Encodes every source, plants the text in every frame, runs the CLI on the planted files
/// and checks each output: no planted string, the log's reason, the same decoded pixels as
/// the planted input's and the clean encoding's.
fn planted_text_is_removed(
    label: &str,
    encode: (&str, &[&str]),
    decode: (&str, &[&str]),
    plant: fn(&[u8]) -> Vec<u8>,
) {
    let dir = TempDir::new(label);
    let mut inputs = Vec::new();
    for (name, src) in sources(&dir) {
        let clean = convert(&dir, encode.0, encode.1, &src, &format!("{name}-clean.dcm"));
        let planted = dir.join(&format!("{name}.dcm"));
        with_fragments(&clean, plant, &planted);
        let bytes = std::fs::read(&planted).unwrap();
        for needle in PLANTED {
            assert!(has(&bytes, needle), "{name}: planted in the input");
        }
        inputs.push((name, src, clean, planted));
    }
    let files: Vec<PathBuf> = inputs.iter().map(|(.., p)| p.clone()).collect();
    let run = run_in(dir, &[], &files);
    for (name, source, clean, planted) in &inputs {
        let row = run.row(&format!("{name}.dcm"));
        assert_eq!(row["outcome"], "written", "{name}: {row:?}");
        let want = if *name == "ct" {
            "jpeg_text_removed"
        } else {
            "pixels_kept"
        };
        assert_eq!(row["reason_code"], want, "{name}: {row:?}");
        assert!(row["reason"].contains("removed from JPEG"), "{row:?}");
        let out = run.entry(&row["output_path"]).unwrap();
        for needle in PLANTED {
            let shown = String::from_utf8_lossy(needle);
            assert!(!has(out, needle), "{name}: {shown} left in the output");
        }
        let written = run.save_entry(&row["output_path"], &format!("out-{name}.dcm"));
        let decoded =
            |p: &Path, as_name: &str| pixels(&convert(&run.dir, decode.0, decode.1, p, as_name));
        // The planted input itself is not decoded: dcmtk's JPEG-LS codec refuses a COM or APPn
        // segment (its clean encoding stands for it: the same bytes without the segments).
        // Both encoders are lossless here, so the source's native pixels are the reference too.
        let got = decoded(&written, &format!("{name}-out-decoded.dcm"));
        let want = decoded(clean, &format!("{name}-clean-decoded.dcm"));
        assert_eq!(got, want, "{name}");
        assert_eq!(got, pixels(source), "{name}: the source's pixels");
        assert_eq!(
            fragments(out).len(),
            fragments(&std::fs::read(planted).unwrap()).len(),
            "{name}: one fragment per frame"
        );
    }
}

#[test]
fn jpeg_ls_comments_and_app_segments_are_removed_and_the_pixels_decode_the_same() {
    planted_text_is_removed(
        "jpeg-ls-text",
        ("dcmcjpls", &[]),
        ("dcmdjpls", &[]),
        plant_jpeg_ls,
    );
}

#[test]
fn j2k_comments_are_removed_from_main_and_tile_part_headers_and_the_pixels_decode_the_same() {
    planted_text_is_removed(
        "j2k-text",
        ("gdcmconv", &["--j2k"]),
        ("gdcmconv", &["--raw"]),
        plant_j2k,
    );
}

/// A JPEG-LS file without text segments (dcmcjpls writes none) keeps its frames byte for byte.
#[test]
fn a_jpeg_ls_codestream_without_text_segments_is_written_byte_for_byte() {
    let dir = TempDir::new("jpeg-ls-clean");
    let input = convert(
        &dir,
        "dcmcjpls",
        &[],
        &data().join("pixels/ct_original.dcm"),
        "clean.dcm",
    );
    let run = run_in(dir, &[], std::slice::from_ref(&input));
    let row = run.log_row("clean.dcm").expect("a log row");
    assert_eq!(
        (row["outcome"].as_str(), row["reason_code"].as_str()),
        ("written", "pixels_passed")
    );
    let out = run.entry(&row["output_path"]).unwrap();
    assert_eq!(fragments(out), fragments(&std::fs::read(&input).unwrap()));
}

/// A JPEG 2000 codestream that cannot be walked (a tile-part longer than the codestream, a
/// truncated main header) is held, never written with what it may hide.
#[test]
fn a_j2k_codestream_that_cannot_be_walked_is_held() {
    let dir = TempDir::new("j2k-malformed");
    let src = data().join("pixels/ct_original.dcm");
    let clean = convert(&dir, "gdcmconv", &["--j2k"], &src, "clean.dcm");
    let long = dir.join("psot.dcm");
    with_fragments(
        &clean,
        |f| {
            let mut v = plant_j2k(f);
            let sot = v.windows(2).position(|w| w == [0xFF, 0x90]).unwrap();
            v[sot + 6] = 0x7F; // Psot past the end
            v
        },
        &long,
    );
    let cut = dir.join("cut.dcm");
    with_fragments(&clean, |f| plant_j2k(f)[..60].to_vec(), &cut);
    let run = run_in(dir, &[], &[long, cut]);
    for name in ["psot.dcm", "cut.dcm"] {
        let row = run.log_row(name).expect("a log row");
        assert_eq!(row["outcome"], "held", "{row:?}");
        assert_eq!(row["reason_code"], "pixel_cannot_clean", "{row:?}");
        assert!(row["reason"].contains("JPEG 2000"), "{row:?}");
        assert!(row["output_path"].is_empty(), "{row:?}");
    }
    assert!(!run.entries.iter().any(|(_, b)| has(b, b"DOE^JOHN")));
}
