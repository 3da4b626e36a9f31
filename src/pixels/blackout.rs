//! Blacking out regions of canonical frames ([`super::frames`]) with the value that shows black
//! for the image's Photometric Interpretation (PS3.3 C.7.6.3.1.2), and clearing the bits outside
//! Bits Stored, where old equipment stored overlays (PS3.5 8.1.2, PS3.3 C.9.2.1.1 retired
//! OverlayBitPosition): both are lossless for the image itself.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;

use super::frames::Geometry;
use super::Rect;

/// The sample values (one per sample of a pixel, in the container's bits) that show black.
pub fn fill_values(g: &Geometry, palette_black: Option<u32>) -> Vec<u32> {
    let low = (g.high_bit + 1).saturating_sub(g.bits_stored);
    let bs = g.bits_stored.min(32) as u32;
    let container_mask: u64 = if g.bits_allocated >= 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << g.bits_allocated) - 1
    };
    // Stored value v (two's complement when signed), placed at the low bit, sign-extended to the
    // container.
    let place = |v: i64| -> u32 { (((v << low) as u64) & container_mask) as u32 };
    let min = if g.signed { -(1i64 << (bs - 1)) } else { 0 };
    let max = if g.signed {
        (1i64 << (bs - 1)) - 1
    } else {
        (1i64 << bs) - 1
    };
    let half = 1i64 << (bs.max(1) - 1);
    match g.photometric.as_str() {
        "MONOCHROME1" => vec![place(max)],
        "PALETTE COLOR" => vec![palette_black.unwrap_or(0)],
        p if p.starts_with("YBR_PARTIAL") => {
            vec![place(16 << bs.saturating_sub(8)), place(half), place(half)]
        }
        p if p.starts_with("YBR") => vec![place(0), place(half), place(half)],
        _ if g.spp == 3 => vec![0, 0, 0],
        _ => vec![place(min)],
    }
}

/// The darkest entry of the palette (PS3.3 C.7.6.3.1.5/6), as the stored pixel value that maps to
/// it; `None` when the palette is not given as plain (unsegmented) tables.
pub fn palette_black(obj: &InMemDicomObject) -> Option<u32> {
    let desc = |t: Tag| -> Option<Vec<u32>> {
        let e = obj.get(t)?;
        let v: Vec<u32> = e
            .to_multi_int::<i64>()
            .ok()?
            .into_iter()
            .map(|x| (x & 0xFFFF) as u32)
            .collect();
        (v.len() == 3).then_some(v)
    };
    let d = desc(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DESCRIPTOR)?;
    let n = if d[0] == 0 { 65536 } else { d[0] as usize };
    let first = d[1];
    let table = |t: Tag| -> Option<Vec<u32>> {
        let b = obj.get(t)?.to_bytes().ok()?;
        let v: Vec<u32> = if d[2] > 8 {
            b.chunks_exact(2)
                .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
                .collect()
        } else {
            b.iter().map(|&x| u32::from(x)).collect()
        };
        (v.len() >= n).then_some(v)
    };
    let r = table(tags::RED_PALETTE_COLOR_LOOKUP_TABLE_DATA)?;
    let g = table(tags::GREEN_PALETTE_COLOR_LOOKUP_TABLE_DATA)?;
    let b = table(tags::BLUE_PALETTE_COLOR_LOOKUP_TABLE_DATA)?;
    (0..n)
        .min_by_key(|&i| r[i] + g[i] + b[i])
        .map(|i| first + i as u32)
}

/// The regions as they apply to an image: clipped to it, and widened to even columns when two
/// pixels share one chroma pair (YBR_FULL_422), so that no half pair keeps its colour.
pub fn effective_regions(regions: &[Rect], g: &Geometry) -> Vec<Rect> {
    regions
        .iter()
        .filter_map(|r| {
            let mut r = *r;
            if g.is_ybr422() {
                let x0 = r.x & !1;
                let x1 = (r.x.saturating_add(r.w) + 1) & !1;
                r = Rect {
                    x: x0,
                    w: x1 - x0,
                    ..r
                };
            }
            r.clip(g.cols as u32, g.rows as u32)
        })
        .collect()
}

fn put_sample(frame: &mut [u8], i: usize, bps: usize, v: u32) {
    let b = v.to_le_bytes();
    frame[i * bps..(i + 1) * bps].copy_from_slice(&b[..bps]);
}

/// Reads sample `i` of a canonical frame.
pub fn sample(frame: &[u8], i: usize, bps: usize) -> u32 {
    let mut b = [0u8; 4];
    b[..bps].copy_from_slice(&frame[i * bps..(i + 1) * bps]);
    u32::from_le_bytes(b)
}

/// Blacks out the (effective) regions of one canonical frame.
pub fn blackout(frame: &mut [u8], g: &Geometry, regions: &[Rect], fill: &[u32]) {
    let bps = g.bytes_per_sample();
    let n = g.rows * g.cols;
    for r in regions {
        for y in r.y as usize..(r.y + r.h) as usize {
            for x in r.x as usize..(r.x + r.w) as usize {
                for (k, v) in fill.iter().enumerate().take(g.spp) {
                    put_sample(frame, k * n + y * g.cols + x, bps, *v);
                }
            }
        }
    }
}

/// The value of a sample with the bits outside Bits Stored cleared: zero above High Bit for
/// unsigned data, the sign bit repeated above it for signed data, zero below the lowest stored
/// bit. Equal to the input for a sample that holds nothing but its stored value.
pub fn canonical_bits(v: u32, g: &Geometry) -> u32 {
    if g.bits_stored >= g.bits_allocated || g.bits_allocated == 1 {
        return v;
    }
    let low = (g.high_bit + 1 - g.bits_stored) as u32;
    let top = g.high_bit as u32;
    let stored = (v >> low) & ((1u32 << g.bits_stored) - 1);
    let container = if g.bits_allocated >= 32 {
        u32::MAX
    } else {
        (1u32 << g.bits_allocated) - 1
    };
    let mut out = stored << low;
    if g.signed && (v >> top) & 1 == 1 {
        // Sign-extend above the high bit.
        let through_top = 1u32.checked_shl(top + 1).map_or(u32::MAX, |b| b - 1);
        out |= container & !through_top;
    }
    out & container
}

/// Clears the bits outside Bits Stored in every sample of a canonical frame; returns how many
/// samples changed (overlay bits or noise in the unused bits).
pub fn clear_unused_bits(frame: &mut [u8], g: &Geometry) -> usize {
    if g.bits_stored >= g.bits_allocated || g.bits_allocated == 1 {
        return 0;
    }
    let bps = g.bytes_per_sample();
    let mut changed = 0;
    for i in 0..frame.len() / bps {
        let v = sample(frame, i, bps);
        let c = canonical_bits(v, g);
        if c != v {
            put_sample(frame, i, bps, c);
            changed += 1;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(photometric: &str, spp: usize, bits: usize, stored: usize, signed: bool) -> Geometry {
        Geometry {
            rows: 4,
            cols: 6,
            frames: 1,
            spp,
            bits_allocated: bits,
            bits_stored: stored,
            high_bit: stored - 1,
            signed,
            planar: false,
            photometric: photometric.into(),
        }
    }

    #[test]
    fn black_per_photometric() {
        assert_eq!(
            fill_values(&g("MONOCHROME2", 1, 16, 12, false), None),
            vec![0]
        );
        assert_eq!(
            fill_values(&g("MONOCHROME2", 1, 16, 12, true), None),
            vec![0xF800]
        );
        assert_eq!(
            fill_values(&g("MONOCHROME1", 1, 16, 12, false), None),
            vec![0x0FFF]
        );
        assert_eq!(
            fill_values(&g("MONOCHROME1", 1, 16, 16, true), None),
            vec![0x7FFF]
        );
        assert_eq!(
            fill_values(&g("MONOCHROME1", 1, 1, 1, false), None),
            vec![1]
        );
        assert_eq!(fill_values(&g("RGB", 3, 8, 8, false), None), vec![0, 0, 0]);
        assert_eq!(
            fill_values(&g("YBR_FULL_422", 3, 8, 8, false), None),
            vec![0, 128, 128]
        );
        assert_eq!(
            fill_values(&g("YBR_PARTIAL_420", 3, 8, 8, false), None),
            vec![16, 128, 128]
        );
        assert_eq!(
            fill_values(&g("PALETTE COLOR", 1, 8, 8, false), Some(7)),
            vec![7]
        );
    }

    #[test]
    fn regions_clip_and_widen_for_422() {
        let r = [Rect {
            x: 1,
            y: 1,
            w: 2,
            h: 9,
        }];
        assert_eq!(
            effective_regions(&r, &g("MONOCHROME2", 1, 8, 8, false)),
            vec![Rect {
                x: 1,
                y: 1,
                w: 2,
                h: 3
            }]
        );
        assert_eq!(
            effective_regions(&r, &g("YBR_FULL_422", 3, 8, 8, false)),
            vec![Rect {
                x: 0,
                y: 1,
                w: 4,
                h: 3
            }]
        );
    }

    #[test]
    fn blackout_touches_only_the_region() {
        let geo = g("RGB", 3, 8, 8, false);
        let mut f = vec![200u8; geo.canonical_len()];
        blackout(
            &mut f,
            &geo,
            &[Rect {
                x: 2,
                y: 1,
                w: 1,
                h: 1,
            }],
            &[0, 0, 0],
        );
        let n = 24;
        for k in 0..3 {
            for i in 0..n {
                let expect = if i == 6 + 2 { 0 } else { 200 };
                assert_eq!(f[k * n + i], expect);
            }
        }
    }

    #[test]
    fn unused_bits() {
        let u = g("MONOCHROME2", 1, 16, 12, false);
        assert_eq!(canonical_bits(0x8123, &u), 0x0123);
        let s = g("MONOCHROME2", 1, 16, 12, true);
        assert_eq!(canonical_bits(0x0923, &s), 0xF923);
        assert_eq!(canonical_bits(0xF123, &s), 0x0123);
        assert_eq!(canonical_bits(0xFFFF, &s), 0xFFFF);
        let mut f = vec![0x23, 0x81, 0x23, 0x01];
        assert_eq!(clear_unused_bits(&mut f, &u), 1);
        assert_eq!(f, vec![0x23, 0x01, 0x23, 0x01]);
    }
}
