//! The pixel self-check: the written file is decoded again, on its own, and compared with the
//! input's decoded pixels. A file passes only if every sample inside the cleaned regions shows
//! black and every other sample equals the input's (within Bits Stored: bits outside it are
//! cleared on purpose), frame for frame. It does not trust the cleaning step's buffers: it reads
//! the bytes that will be written.

use super::blackout::{canonical_bits, effective_regions, fill_values, sample};
use super::frames::{self, Decoded};
use super::{jpeg, PixelError, Rect};
use crate::error::Rejection;
use crate::padding::Unpadded as _;

fn fail(detail: String) -> Rejection {
    Rejection::Leak {
        detail: format!("pixel check: {detail}"),
    }
}

/// Decodes the written file and compares it with the input's pixels (decoded before cleaning).
pub fn check_cleaned(
    input: &Decoded,
    regions: &[Rect],
    palette_black: Option<u32>,
    written: &[u8],
) -> Result<(), Rejection> {
    let (obj, _) = crate::read::parse(written, false).map_err(|r| fail(r.to_string()))?;
    let ts = obj.meta().transfer_syntax().unpadded().to_string();
    let out = frames::decode(&obj, &ts).map_err(|e| fail(e.to_string()))?;
    let (gi, go) = (&input.geometry, &out.geometry);
    if (
        gi.rows,
        gi.cols,
        gi.spp,
        gi.bits_allocated,
        input.frames.len(),
    ) != (
        go.rows,
        go.cols,
        go.spp,
        go.bits_allocated,
        out.frames.len(),
    ) {
        return Err(fail(
            "the written image has another size or sample layout".into(),
        ));
    }
    let regions = effective_regions(regions, go);
    let black = fill_values(go, palette_black);
    let bps = go.bytes_per_sample();
    let n = go.rows * go.cols;
    for (k, (a, b)) in input.frames.iter().zip(&out.frames).enumerate() {
        for y in 0..go.rows {
            for x in 0..go.cols {
                let inside = regions.iter().any(|r| r.contains(x as u32, y as u32));
                for s in 0..go.spp {
                    let i = s * n + y * go.cols + x;
                    let got = sample(b, i, bps);
                    let want = if inside {
                        black[s.min(black.len() - 1)]
                    } else {
                        canonical_bits(sample(a, i, bps), gi)
                    };
                    if got != want {
                        return Err(fail(format!(
                            "frame {}, column {x}, row {y}: {} where {} was expected ({})",
                            k + 1,
                            got,
                            want,
                            if inside {
                                "inside a cleaned region"
                            } else {
                                "outside the cleaned regions"
                            }
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks that no encapsulated JPEG frame of the written file still holds a text segment.
pub fn check_no_text_segments(written: &[u8]) -> Result<(), Rejection> {
    let (obj, _) = crate::read::parse(written, false).map_err(|r| fail(r.to_string()))?;
    let ts = obj.meta().transfer_syntax().unpadded().to_string();
    if !matches!(
        frames::encoding_of(&ts),
        frames::Encoding::JpegLossy | frames::Encoding::JpegLossless
    ) {
        return Ok(());
    }
    let g = frames::Geometry::of(&obj).map_err(|e| fail(e.to_string()))?;
    for (k, f) in frames::frame_fragments(&obj, g.frames)
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .enumerate()
    {
        if jpeg::strip_text_segments(f)
            .map_err(|e: PixelError| fail(e.to_string()))?
            .is_some()
        {
            return Err(fail(format!(
                "JPEG frame {} still holds a comment or application segment",
                k + 1
            )));
        }
    }
    Ok(())
}
