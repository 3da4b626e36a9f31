//! Pixel data as frames of samples, whatever its encoding: native (PS3.5 8.1.1, 1 to 32 bits,
//! colour by pixel or by plane, YBR_FULL_422), RLE Lossless (Annex G), JPEG (baseline,
//! extended, lossless), JPEG-LS ([`jpegls`]) and JPEG 2000 ([`j2k`]). Every frame is decoded to one *canonical* layout — sample planes one after
//! the other (all pixels of sample 0, then sample 1 …), each sample little-endian in 1, 2 or 4
//! bytes, 1-bit pixels one per byte — so that blacking out and checking are written once.

use std::borrow::Cow;

use dicom_core::value::{PixelFragmentSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;

use super::{j2k, jpeg, jpegls, rle, PixelError};
use crate::padding::Unpadded as _;

/// Transfer syntaxes the engine decodes and writes.
pub mod syntax {
    /// Implicit VR Little Endian.
    pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
    /// Explicit VR Little Endian.
    pub const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";
    /// Deflated Explicit VR Little Endian.
    pub const DEFLATED_LE: &str = "1.2.840.10008.1.2.1.99";
    /// Explicit VR Big Endian (retired).
    pub const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
    /// RLE Lossless.
    pub const RLE: &str = "1.2.840.10008.1.2.5";
    /// JPEG Baseline (Process 1).
    pub const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";
    /// JPEG Extended (Process 2 & 4).
    pub const JPEG_EXTENDED: &str = "1.2.840.10008.1.2.4.51";
    /// JPEG Lossless, Non-Hierarchical (Process 14).
    pub const JPEG_LOSSLESS: &str = "1.2.840.10008.1.2.4.57";
    /// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).
    pub const JPEG_LOSSLESS_SV1: &str = "1.2.840.10008.1.2.4.70";
    /// JPEG-LS Lossless.
    pub const JPEG_LS_LOSSLESS: &str = "1.2.840.10008.1.2.4.80";
    /// JPEG-LS Lossy (Near-Lossless).
    pub const JPEG_LS_NEAR_LOSSLESS: &str = "1.2.840.10008.1.2.4.81";
    /// JPEG 2000 Image Compression (Lossless Only).
    pub const J2K_LOSSLESS: &str = "1.2.840.10008.1.2.4.90";
    /// JPEG 2000 Image Compression (lossless or lossy).
    pub const J2K: &str = "1.2.840.10008.1.2.4.91";
}

/// How a transfer syntax carries pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Uncompressed (deflate applies to the whole data set, not to the pixels).
    Native,
    /// RLE Lossless.
    Rle,
    /// JPEG, lossy (baseline, extended).
    JpegLossy,
    /// JPEG lossless (process 14).
    JpegLossless,
    /// JPEG-LS lossless.
    JpegLsLossless,
    /// JPEG-LS near-lossless (lossy).
    JpegLsNearLossless,
    /// JPEG 2000, lossless only.
    J2kLossless,
    /// JPEG 2000 (lossless or lossy: treated as lossy).
    J2k,
    /// Something the engine cannot decode (HTJ2K, video …).
    Other,
}

impl Encoding {
    /// Whether the source is lossless-compressed: its cleaned pixels are written as RLE Lossless.
    pub fn rewrites_as_rle(self) -> bool {
        matches!(
            self,
            Encoding::Rle
                | Encoding::JpegLossless
                | Encoding::JpegLsLossless
                | Encoding::J2kLossless
        )
    }

    /// Whether the source was lossy-compressed: its cleaned pixels are written uncompressed
    /// (Explicit VR Little Endian) with Lossy Image Compression 01.
    pub fn is_lossy(self) -> bool {
        matches!(
            self,
            Encoding::JpegLossy | Encoding::JpegLsNearLossless | Encoding::J2k
        )
    }
}

/// The encoding of a transfer syntax.
pub fn encoding_of(ts: &str) -> Encoding {
    match ts {
        syntax::IMPLICIT_LE | syntax::EXPLICIT_LE | syntax::DEFLATED_LE | syntax::EXPLICIT_BE => {
            Encoding::Native
        }
        syntax::RLE => Encoding::Rle,
        syntax::JPEG_BASELINE | syntax::JPEG_EXTENDED => Encoding::JpegLossy,
        syntax::JPEG_LOSSLESS | syntax::JPEG_LOSSLESS_SV1 => Encoding::JpegLossless,
        syntax::JPEG_LS_LOSSLESS => Encoding::JpegLsLossless,
        syntax::JPEG_LS_NEAR_LOSSLESS => Encoding::JpegLsNearLossless,
        syntax::J2K_LOSSLESS => Encoding::J2kLossless,
        syntax::J2K => Encoding::J2k,
        _ => Encoding::Other,
    }
}

/// The largest decoded pixel data the engine cleans in one file (all frames).
pub const MAX_DECODED: u64 = 1 << 30;

/// The image pixel description (PS3.3 C.7.6.3) of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Number of Frames (1 when absent).
    pub frames: usize,
    /// Samples per Pixel (1 or 3).
    pub spp: usize,
    /// Bits Allocated (1, 8, 16 or 32).
    pub bits_allocated: usize,
    /// Bits Stored.
    pub bits_stored: usize,
    /// High Bit.
    pub high_bit: usize,
    /// Pixel Representation 1.
    pub signed: bool,
    /// Planar Configuration 1 (native colour by plane).
    pub planar: bool,
    /// Photometric Interpretation.
    pub photometric: String,
}

fn int(obj: &InMemDicomObject, tag: Tag) -> Option<usize> {
    obj.get(tag)?.to_int::<u32>().ok().map(|v| v as usize)
}

fn malformed(detail: impl Into<String>) -> PixelError {
    PixelError::Malformed {
        detail: detail.into(),
    }
}

impl Geometry {
    /// Reads the pixel description of a data set.
    pub fn of(obj: &InMemDicomObject) -> Result<Geometry, PixelError> {
        let need =
            |tag: Tag, name: &str| int(obj, tag).ok_or_else(|| malformed(format!("no {name}")));
        let rows = need(tags::ROWS, "Rows")?;
        let cols = need(tags::COLUMNS, "Columns")?;
        let bits_allocated = need(tags::BITS_ALLOCATED, "Bits Allocated")?;
        let bits_stored = int(obj, tags::BITS_STORED).unwrap_or(bits_allocated);
        let high_bit = int(obj, tags::HIGH_BIT).unwrap_or(bits_stored.saturating_sub(1));
        let spp = int(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
        let frames = obj
            .get(tags::NUMBER_OF_FRAMES)
            .and_then(|e| e.to_str().ok())
            .and_then(|s| s.unpadded().trim().parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let photometric = crate::padding::string_of(obj, tags::PHOTOMETRIC_INTERPRETATION)
            .unwrap_or_else(|| "MONOCHROME2".into());
        let g = Geometry {
            rows,
            cols,
            frames,
            spp,
            bits_allocated,
            bits_stored,
            high_bit,
            signed: int(obj, tags::PIXEL_REPRESENTATION) == Some(1),
            planar: int(obj, tags::PLANAR_CONFIGURATION) == Some(1),
            photometric,
        };
        if rows == 0 || cols == 0 || rows > 65535 || cols > 65535 {
            return Err(malformed(format!("image of {rows} x {cols}")));
        }
        if !matches!(bits_allocated, 1 | 8 | 16 | 32) || !(spp == 1 || spp == 3) {
            return Err(PixelError::Unsupported {
                what: format!("{bits_allocated}-bit pixels with {spp} samples"),
            });
        }
        if bits_stored == 0
            || bits_stored > bits_allocated
            || high_bit >= bits_allocated
            || high_bit + 1 < bits_stored
        {
            return Err(malformed(format!(
                "Bits Stored {bits_stored}, High Bit {high_bit} with Bits Allocated {bits_allocated}"
            )));
        }
        if g.decoded_len() > MAX_DECODED {
            return Err(PixelError::TooLarge {
                bytes: g.decoded_len(),
            });
        }
        Ok(g)
    }

    /// Bytes per sample in the canonical layout.
    pub fn bytes_per_sample(&self) -> usize {
        self.bits_allocated.div_ceil(8)
    }

    /// Samples of one frame.
    pub fn samples_per_frame(&self) -> usize {
        self.rows * self.cols * self.spp
    }

    /// Bytes of one canonical frame.
    pub fn canonical_len(&self) -> usize {
        self.samples_per_frame() * self.bytes_per_sample()
    }

    /// Bytes of every canonical frame together.
    pub fn decoded_len(&self) -> u64 {
        self.canonical_len() as u64 * self.frames as u64
    }

    /// Whether native colour data is YBR_FULL_422 (two luma samples share one chroma pair).
    pub fn is_ybr422(&self) -> bool {
        self.spp == 3 && self.photometric.starts_with("YBR") && self.photometric.contains("422")
    }

    /// Bits of one native frame.
    fn native_frame_bits(&self) -> u64 {
        let samples = if self.is_ybr422() {
            self.rows as u64 * self.cols as u64 * 2
        } else {
            self.samples_per_frame() as u64
        };
        samples * self.bits_allocated as u64
    }
}

/// Pixel data decoded to canonical frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The geometry of the frames (after decoding: JPEG colour comes out as RGB).
    pub geometry: Geometry,
    /// The encoding it came from.
    pub encoding: Encoding,
    /// Canonical frames.
    pub frames: Vec<Vec<u8>>,
}

/// The pixel data element's value as bytes (16-bit words as little-endian bytes; 8-bit values
/// borrowed, not copied).
fn native_bytes(obj: &InMemDicomObject) -> Result<Cow<'_, [u8]>, PixelError> {
    let e = obj
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| malformed("no Pixel Data"))?;
    match e.value() {
        Value::Primitive(p) => Ok(p.to_bytes()),
        _ => Err(malformed(
            "native transfer syntax with encapsulated pixel data",
        )),
    }
}

/// The fragments of each frame of encapsulated pixel data (PS3.5 A.4): one fragment per frame,
/// every fragment for a single frame, or frames delimited by the Basic Offset Table.
pub fn frame_fragments(obj: &InMemDicomObject, frames: usize) -> Result<Vec<Vec<u8>>, PixelError> {
    let e = obj
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| malformed("no Pixel Data"))?;
    let Value::PixelSequence(seq) = e.value() else {
        return Err(malformed(
            "compressed transfer syntax with native pixel data",
        ));
    };
    let fragments = seq.fragments();
    if fragments.len() == frames {
        return Ok(fragments.to_vec());
    }
    if frames == 1 {
        return Ok(vec![fragments.concat()]);
    }
    let bot = seq.offset_table();
    if bot.len() != frames {
        return Err(malformed(format!(
            "{} fragments for {frames} frames and no usable offset table",
            fragments.len()
        )));
    }
    let mut out: Vec<Vec<u8>> = vec![Vec::new(); frames];
    let mut pos: u64 = 0;
    let mut frame = 0usize;
    for f in fragments {
        while frame + 1 < frames && pos >= u64::from(bot[frame + 1]) {
            frame += 1;
        }
        if pos < u64::from(bot[frame]) {
            return Err(malformed("offset table does not start at a fragment"));
        }
        out[frame].extend_from_slice(f);
        pos += 8 + f.len() as u64;
    }
    if out.iter().any(|f| f.is_empty()) {
        return Err(malformed("a frame has no fragment"));
    }
    Ok(out)
}

/// Decodes the pixel data of a data set in transfer syntax `ts`: every frame, held together.
/// [`FrameSource`] decodes one frame at a time.
pub fn decode(obj: &InMemDicomObject, ts: &str) -> Result<Decoded, PixelError> {
    let source = FrameSource::new(obj, ts)?;
    let frames = (0..source.len())
        .map(|k| source.frame(k))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Decoded {
        geometry: source.geometry,
        encoding: source.encoding,
        frames,
    })
}

/// Where the frames of a [`FrameSource`] come from.
#[derive(Debug)]
enum Frames<'a> {
    /// Native pixel data and the bits of one frame.
    Native { bytes: Cow<'a, [u8]>, bits: u64 },
    /// The encoded bytes of each frame (RLE or JPEG).
    Encoded(Vec<Vec<u8>>),
}

/// Pixel data decoded one frame at a time, so that a pass over every frame holds one decoded
/// frame, not all of them.
#[derive(Debug)]
pub struct FrameSource<'a> {
    /// The geometry of the decoded frames (JPEG colour comes out as RGB, by pixel).
    pub geometry: Geometry,
    /// The encoding the frames come from.
    pub encoding: Encoding,
    /// The geometry as the header says (before decoding).
    stored: Geometry,
    frames: Frames<'a>,
}

impl<'a> FrameSource<'a> {
    /// Reads the pixel description and finds the frames of a data set in transfer syntax `ts`
    /// (nothing is decoded yet; sizes are checked).
    pub fn new(obj: &'a InMemDicomObject, ts: &str) -> Result<FrameSource<'a>, PixelError> {
        let stored = Geometry::of(obj)?;
        let encoding = encoding_of(ts);
        let mut geometry = stored.clone();
        let frames = match encoding {
            Encoding::Native => {
                let bytes = native_bytes(obj)?;
                let bits = stored.native_frame_bits();
                if (bytes.len() as u64) * 8 < bits * stored.frames as u64 {
                    return Err(malformed(format!(
                        "{} bytes of pixel data for {} frames of {} bits",
                        bytes.len(),
                        stored.frames,
                        bits
                    )));
                }
                Frames::Native { bytes, bits }
            }
            Encoding::Rle => Frames::Encoded(frame_fragments(obj, stored.frames)?),
            Encoding::JpegLossy | Encoding::JpegLossless => {
                if stored.spp == 3 {
                    // jpeg-decoder returns RGB for three components.
                    geometry.photometric = "RGB".into();
                }
                geometry.planar = false;
                Frames::Encoded(frame_fragments(obj, stored.frames)?)
            }
            Encoding::JpegLsLossless | Encoding::JpegLsNearLossless => {
                // Decoded colour comes out by plane as coded (no colour transform).
                geometry.planar = false;
                Frames::Encoded(frame_fragments(obj, stored.frames)?)
            }
            Encoding::J2kLossless | Encoding::J2k => {
                if stored.spp == 3 && matches!(stored.photometric.as_str(), "YBR_RCT" | "YBR_ICT") {
                    // The decoder undoes the multiple component transform.
                    geometry.photometric = "RGB".into();
                }
                geometry.planar = false;
                Frames::Encoded(frame_fragments(obj, stored.frames)?)
            }
            Encoding::Other => {
                return Err(PixelError::Unsupported {
                    what: format!("pixel data in transfer syntax {ts}"),
                })
            }
        };
        Ok(FrameSource {
            geometry,
            encoding,
            stored,
            frames,
        })
    }

    /// The number of frames.
    pub fn len(&self) -> usize {
        self.stored.frames
    }

    /// Whether there is no frame (never: Number of Frames is at least 1).
    pub fn is_empty(&self) -> bool {
        self.stored.frames == 0
    }

    /// Frame `k` (0-based) in the canonical layout.
    pub fn frame(&self, k: usize) -> Result<Vec<u8>, PixelError> {
        if k >= self.stored.frames {
            return Err(malformed(format!(
                "frame {} of {}",
                k + 1,
                self.stored.frames
            )));
        }
        let g = &self.stored;
        match &self.frames {
            Frames::Native { bytes, bits } => Ok(native_to_canonical(bytes, k as u64 * bits, g)),
            Frames::Encoded(fragments) => {
                let f = fragments
                    .get(k)
                    .ok_or_else(|| malformed("a frame has no fragment"))?;
                match self.encoding {
                    Encoding::Rle => rle::decode_frame(f, g.rows, g.cols, g.spp, g.bits_allocated),
                    Encoding::JpegLsLossless | Encoding::JpegLsNearLossless => jpegls_frame(f, g),
                    Encoding::J2kLossless | Encoding::J2k => j2k_frame(f, g),
                    _ => jpeg_frame(f, g),
                }
            }
        }
    }
}

/// Decodes one JPEG frame of an image of geometry `g` to the canonical layout.
fn jpeg_frame(f: &[u8], g: &Geometry) -> Result<Vec<u8>, PixelError> {
    let d = jpeg::decode(f, g.canonical_len().max(1) * 2)?;
    if d.width != g.cols || d.height != g.rows || d.components != g.spp {
        return Err(malformed(format!(
            "JPEG frame of {}x{}x{} in an image of {}x{}x{}",
            d.width, d.height, d.components, g.cols, g.rows, g.spp
        )));
    }
    let bps = d.bits.div_ceil(8);
    if bps != g.bytes_per_sample() {
        return Err(malformed(format!(
            "{}-bit JPEG samples for Bits Allocated {}",
            d.bits, g.bits_allocated
        )));
    }
    Ok(interleaved_to_planar(&d.samples, g.spp, bps))
}

/// Decodes one JPEG-LS frame of an image of geometry `g` to the canonical layout.
fn jpegls_frame(f: &[u8], g: &Geometry) -> Result<Vec<u8>, PixelError> {
    let d = jpegls::decode(f, g.samples_per_frame())?;
    if d.width != g.cols || d.height != g.rows || d.components != g.spp {
        return Err(malformed(format!(
            "JPEG-LS frame of {}x{}x{} in an image of {}x{}x{}",
            d.width, d.height, d.components, g.cols, g.rows, g.spp
        )));
    }
    planes_to_canonical(&d.samples, usize::from(d.bits), g)
}

/// Decodes one JPEG 2000 frame of an image of geometry `g` to the canonical layout.
fn j2k_frame(f: &[u8], g: &Geometry) -> Result<Vec<u8>, PixelError> {
    let d = j2k::decode(f, g.samples_per_frame())?;
    let s = &d.siz;
    if s.width != g.cols || s.height != g.rows || s.components != g.spp {
        return Err(malformed(format!(
            "JPEG 2000 frame of {}x{}x{} in an image of {}x{}x{}",
            s.width, s.height, s.components, g.cols, g.rows, g.spp
        )));
    }
    let bps = g.bytes_per_sample();
    let depth = s.depth.iter().copied().max().unwrap_or(0);
    if usize::from(depth) > 8 * bps || bps > 2 {
        return Err(malformed(format!(
            "{depth}-bit JPEG 2000 samples for Bits Allocated {}",
            g.bits_allocated
        )));
    }
    // Lossy coding may overshoot the range of Bits Stored (a 12-bit image decoding to 4286):
    // clamped, so that the samples mean what the header says.
    let bs = g.bits_stored.min(16) as u32;
    let (lo, hi) = if g.signed {
        (-(1i32 << (bs - 1)), (1i32 << (bs - 1)) - 1)
    } else {
        (0, (1i32 << bs) - 1)
    };
    let mut out = Vec::with_capacity(d.samples.len() * bps);
    for &v in &d.samples {
        out.extend_from_slice(&v.clamp(lo, hi).to_le_bytes()[..bps]);
    }
    Ok(out)
}

/// Decoded samples (planes, `bits` each) to the canonical layout of geometry `g`: Bits Stored
/// wide, sign-extended to Bits Allocated when Pixel Representation is 1 (as decoders write them).
fn planes_to_canonical(samples: &[u16], bits: usize, g: &Geometry) -> Result<Vec<u8>, PixelError> {
    let bps = g.bytes_per_sample();
    if bits > 8 * bps || bps > 2 {
        return Err(malformed(format!(
            "{bits}-bit samples for Bits Allocated {}",
            g.bits_allocated
        )));
    }
    let mut out = Vec::with_capacity(samples.len() * bps);
    for &v in samples {
        let v = if g.signed && bits < 16 && v >> (bits - 1) & 1 == 1 {
            v | (u16::MAX << bits)
        } else {
            v
        };
        out.extend_from_slice(&v.to_le_bytes()[..bps]);
    }
    Ok(out)
}

/// The 8-bit luminance of a canonical frame for the text detector and the review (YBR: the Y
/// plane; RGB: the brightest channel; MONOCHROME1 inverted).
pub fn luma_of(frame: &[u8], g: &Geometry) -> Vec<u8> {
    let bps = g.bytes_per_sample().min(2);
    if g.bytes_per_sample() > 2 {
        return vec![0; g.rows * g.cols];
    }
    let n = g.rows * g.cols;
    if g.spp == 3 && g.photometric.starts_with("YBR") {
        let y = frame.get(..n * bps).unwrap_or_default();
        return super::detect::luminance(y, g.cols, g.rows, 1, bps, false, false);
    }
    let interleaved = planar_to_interleaved(frame, g.spp, bps);
    super::detect::luminance(
        &interleaved,
        g.cols,
        g.rows,
        g.spp,
        bps,
        g.signed,
        g.photometric == "MONOCHROME1",
    )
}

/// Interleaved samples (colour by pixel) to planes.
pub fn interleaved_to_planar(s: &[u8], spp: usize, bps: usize) -> Vec<u8> {
    if spp == 1 {
        return s.to_vec();
    }
    let px = s.len() / (spp * bps);
    let mut out = vec![0u8; px * spp * bps];
    for (i, pixel) in s.chunks_exact(spp * bps).enumerate() {
        for k in 0..spp {
            let d = (k * px + i) * bps;
            out[d..d + bps].copy_from_slice(&pixel[k * bps..(k + 1) * bps]);
        }
    }
    out
}

/// Planes to interleaved samples (colour by pixel).
pub fn planar_to_interleaved(s: &[u8], spp: usize, bps: usize) -> Vec<u8> {
    if spp == 1 {
        return s.to_vec();
    }
    let px = s.len() / (spp * bps);
    let mut out = vec![0u8; px * spp * bps];
    for i in 0..px {
        for k in 0..spp {
            let src = (k * px + i) * bps;
            let d = (i * spp + k) * bps;
            out[d..d + bps].copy_from_slice(&s[src..src + bps]);
        }
    }
    out
}

/// One native frame starting at bit `start` of the pixel data, to the canonical layout.
fn native_to_canonical(bytes: &[u8], start: u64, g: &Geometry) -> Vec<u8> {
    let n = g.rows * g.cols;
    if g.bits_allocated == 1 {
        return (0..g.samples_per_frame() as u64)
            .map(|i| {
                let bit = start + i;
                (bytes[(bit / 8) as usize] >> (bit % 8)) & 1
            })
            .collect();
    }
    let begin = (start / 8) as usize;
    let bps = g.bytes_per_sample();
    if g.is_ybr422() && bps == 1 {
        let src = &bytes[begin..begin + n * 2];
        let mut out = vec![0u8; n * 3];
        for (p, quad) in src.chunks_exact(4).enumerate() {
            for (j, y) in [quad[0], quad[1]].into_iter().enumerate() {
                let i = 2 * p + j;
                out[i] = y;
                out[n + i] = quad[2];
                out[2 * n + i] = quad[3];
            }
        }
        return out;
    }
    let src = &bytes[begin..begin + g.canonical_len()];
    if g.planar || g.spp == 1 {
        src.to_vec()
    } else {
        interleaved_to_planar(src, g.spp, bps)
    }
}

/// Canonical frames back to native pixel data in the geometry's layout.
pub fn canonical_to_native(frames: &[Vec<u8>], g: &Geometry) -> Vec<u8> {
    let mut w = NativeWriter::new(g, frames.len());
    for f in frames {
        w.push(f);
    }
    w.finish()
}

/// Native pixel data in the geometry's layout, written one canonical frame after the other (so
/// that the frames need not be held together).
#[derive(Debug)]
pub struct NativeWriter<'g> {
    g: &'g Geometry,
    out: Vec<u8>,
    /// 1-bit data: the number of pixels written (frames are packed without padding).
    bits: usize,
}

impl<'g> NativeWriter<'g> {
    /// A writer for `frames` frames of geometry `g` (the capacity is reserved).
    pub fn new(g: &'g Geometry, frames: usize) -> NativeWriter<'g> {
        let cap = if g.bits_allocated == 1 {
            (g.samples_per_frame() * frames).div_ceil(8)
        } else {
            g.canonical_len() * frames
        };
        NativeWriter {
            g,
            out: Vec::with_capacity(cap),
            bits: 0,
        }
    }

    /// Appends one canonical frame.
    pub fn push(&mut self, f: &[u8]) {
        let g = self.g;
        let n = g.rows * g.cols;
        if g.bits_allocated == 1 {
            for v in f.iter().take(g.samples_per_frame()) {
                let i = self.bits;
                if i / 8 == self.out.len() {
                    self.out.push(0);
                }
                if v & 1 == 1 {
                    self.out[i / 8] |= 1 << (i % 8);
                }
                self.bits += 1;
            }
        } else if g.is_ybr422() && g.bytes_per_sample() == 1 {
            for p in 0..n / 2 {
                let i = 2 * p;
                self.out
                    .extend_from_slice(&[f[i], f[i + 1], f[n + i], f[2 * n + i]]);
            }
        } else if g.planar || g.spp == 1 {
            self.out.extend_from_slice(f);
        } else {
            self.out
                .extend(planar_to_interleaved(f, g.spp, g.bytes_per_sample()));
        }
    }

    /// The native bytes.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// Little-endian bytes as 16-bit words.
fn words(b: &[u8]) -> Vec<u16> {
    b.chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect()
}

/// Puts native pixel bytes (canonical little-endian order) as the Pixel Data element: OW values
/// as words, so that dicom-rs writes them in the file's byte order.
pub fn put_native(obj: &mut InMemDicomObject, mut bytes: Vec<u8>, vr: VR) {
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let value = if vr == VR::OW {
        PrimitiveValue::U16(words(&bytes).into())
    } else {
        PrimitiveValue::U8(bytes.into())
    };
    obj.put(DataElement::new(tags::PIXEL_DATA, vr, value));
}

/// Puts encapsulated fragments as the Pixel Data element, with a Basic Offset Table when
/// `with_offsets` (one fragment per frame), and drops the Extended Offset Table, which no longer
/// fits the new fragments.
pub fn put_fragments(obj: &mut InMemDicomObject, fragments: Vec<Vec<u8>>, with_offsets: bool) {
    let fragments: Vec<Vec<u8>> = fragments
        .into_iter()
        .map(|mut f| {
            if f.len() % 2 == 1 {
                f.push(0);
            }
            f
        })
        .collect();
    let mut offsets = Vec::new();
    if with_offsets {
        let mut pos = 0u64;
        for f in &fragments {
            offsets.push(pos as u32);
            pos += 8 + f.len() as u64;
        }
        if pos > u64::from(u32::MAX) {
            offsets.clear();
        }
    }
    obj.remove_element(tags::EXTENDED_OFFSET_TABLE);
    obj.remove_element(tags::EXTENDED_OFFSET_TABLE_LENGTHS);
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        Value::PixelSequence(PixelFragmentSequence::new(offsets, fragments)),
    ));
}

/// The VR of the Pixel Data element as read (OB or OW).
pub fn pixel_vr(obj: &InMemDicomObject) -> VR {
    obj.get(tags::PIXEL_DATA).map(|e| e.vr()).unwrap_or(VR::OW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(spp: usize, bits: usize, photometric: &str, planar: bool) -> Geometry {
        Geometry {
            rows: 2,
            cols: 4,
            frames: 2,
            spp,
            bits_allocated: bits,
            bits_stored: bits,
            high_bit: bits - 1,
            signed: false,
            planar,
            photometric: photometric.into(),
        }
    }

    #[test]
    fn native_layouts_round_trip() {
        for g in [
            geom(1, 8, "MONOCHROME2", false),
            geom(1, 16, "MONOCHROME2", false),
            geom(3, 8, "RGB", false),
            geom(3, 8, "RGB", true),
            geom(1, 1, "MONOCHROME2", false),
        ] {
            let len = (g.native_frame_bits() * 2).div_ceil(8) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let frames: Vec<Vec<u8>> = (0..2)
                .map(|k| native_to_canonical(&bytes, k * g.native_frame_bits(), &g))
                .collect();
            assert_eq!(canonical_to_native(&frames, &g), bytes, "{g:?}");
        }
        // YBR_FULL_422: chroma shared by two pixels comes back the same.
        let g = geom(3, 8, "YBR_FULL_422", false);
        let bytes: Vec<u8> = (0..32).map(|i| i as u8).collect();
        let f0 = native_to_canonical(&bytes, 0, &g);
        assert_eq!(&f0[..4], &[0, 1, 4, 5]);
        assert_eq!(&f0[8..12], &[2, 2, 6, 6]);
        let frames = vec![f0, native_to_canonical(&bytes, 128, &g)];
        assert_eq!(canonical_to_native(&frames, &g), bytes);
    }

    #[test]
    fn planes_and_pixels() {
        let s = [1u8, 2, 3, 4, 5, 6];
        let p = interleaved_to_planar(&s, 3, 1);
        assert_eq!(p, vec![1, 4, 2, 5, 3, 6]);
        assert_eq!(planar_to_interleaved(&p, 3, 1), s.to_vec());
    }
}
