//! An independent structural check of the input bytes, before dicom-rs builds the object:
//! every element length must fit in the file, and every undefined-length sequence, item and
//! encapsulated pixel data must be closed by its delimiter. dicom-rs tolerates some truncations
//! (a last pixel fragment cut short reads as a shorter fragment); a de-identifier must not
//! write such a file as if it were whole (fail closed).

use std::io::Read;

use crate::error::Rejection;
use crate::framing::Framing;
use crate::limits::{self, Counts, MAX_DEPTH, MAX_FILE_BYTES};
use crate::padding::Unpadded as _;

const UNDEFINED: u32 = 0xFFFF_FFFF;

#[derive(Clone, Copy)]
struct Syntax {
    explicit: bool,
    big: bool,
}

fn bad(detail: String) -> Rejection {
    Rejection::Unparseable { detail }
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    /// Set when a headers-only walk stopped at the top-level Pixel Data element.
    hit_pixel: bool,
    /// Where a full walk found the top-level Pixel Data element: (start of its header, end).
    pixel: Option<(usize, usize)>,
    /// Whether an explicit VR element of VR UN must be rewritten before dicom-rs reads it
    /// (a UN sequence, or a standard attribute sent as UN: [`crate::normalise`]).
    un: bool,
    /// Elements, items and fragments walked so far.
    counts: Counts,
}

/// What a walk of the structure found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Walk {
    /// A headers-only walk reached the top-level Pixel Data element.
    pub hit_pixel: bool,
    /// The offset of the top-level Pixel Data element when it is the last thing in the file
    /// (full walks only; see [`check_pixel_tail`]).
    pub tail: Option<usize>,
    /// An element of VR UN needs rewriting ([`crate::normalise`]): a UN sequence of undefined
    /// length, or a standard attribute sent as UN.
    pub un: bool,
    /// The data set is deflated (the walk was over its inflated bytes).
    pub deflated: bool,
    /// What the walk counted (up to the top-level Pixel Data element in a headers-only walk).
    pub counts: Counts,
    /// Where the data set starts (after the meta group, if any).
    pub start: usize,
    /// The data set is in a syntax [`crate::normalise`] can rewrite (explicit VR little
    /// endian, not deflated).
    pub normalisable: bool,
}

impl Cursor<'_> {
    fn u16(&mut self, big: bool) -> Result<u16, Rejection> {
        let s = self.b.get(self.pos..self.pos + 2).ok_or_else(|| {
            bad(format!(
                "file ends inside an element header at byte {}",
                self.pos
            ))
        })?;
        self.pos += 2;
        Ok(if big {
            u16::from_be_bytes([s[0], s[1]])
        } else {
            u16::from_le_bytes([s[0], s[1]])
        })
    }
    fn u32(&mut self, big: bool) -> Result<u32, Rejection> {
        let s = self.b.get(self.pos..self.pos + 4).ok_or_else(|| {
            bad(format!(
                "file ends inside an element header at byte {}",
                self.pos
            ))
        })?;
        self.pos += 4;
        let a = [s[0], s[1], s[2], s[3]];
        Ok(if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
    fn skip(&mut self, n: u32, end: usize, what: (u16, u16)) -> Result<(), Rejection> {
        let n = n as usize;
        if self.pos.checked_add(n).is_none_or(|e| e > end) {
            return Err(bad(format!(
                "element ({:04X},{:04X}) declares {} bytes but only {} remain",
                what.0,
                what.1,
                n,
                end.saturating_sub(self.pos)
            )));
        }
        self.pos += n;
        Ok(())
    }
}

/// Inflates a deflated data set. Its size is limited in absolute terms ([`MAX_FILE_BYTES`],
/// the most one file may hold), not by its ratio: a first pass counts the inflated bytes
/// through a small buffer and stops as soon as they pass the cap, so a deflate bomb is refused
/// before anything of its size is allocated; only a data set within the cap is inflated again
/// into a buffer of its exact size.
fn inflate(body: &[u8]) -> Result<Vec<u8>, Rejection> {
    let cannot = |e: std::io::Error| bad(format!("deflated data set cannot be inflated: {e}"));
    let mut counted = 0u64;
    let mut chunk = vec![0u8; 64 << 10];
    let mut d = flate2::read::DeflateDecoder::new(body);
    loop {
        let n = d.read(&mut chunk).map_err(cannot)?;
        if n == 0 {
            break;
        }
        counted += n as u64;
        if counted > MAX_FILE_BYTES {
            return Err(bad(format!(
                "deflated data set of {} bytes inflates to more than {MAX_FILE_BYTES} bytes, \
                 the most one file may hold (deflate bomb?)",
                body.len()
            )));
        }
    }
    let size = usize::try_from(counted).map_err(|_| bad("deflated data set too large".into()))?;
    let mut inflated = Vec::with_capacity(size);
    flate2::read::DeflateDecoder::new(body)
        .take(counted)
        .read_to_end(&mut inflated)
        .map_err(cannot)?;
    Ok(inflated)
}

/// Refuses a data set whose elements and items would take more memory than its budget.
fn within_budget(counts: Counts, len: usize) -> Result<(), Rejection> {
    match limits::over_budget(counts, len as u64) {
        Some(why) => Err(bad(why)),
        None => Ok(()),
    }
}

/// Checks the data set part of a file.
pub fn check(bytes: &[u8], framing: Framing) -> Result<(), Rejection> {
    check_impl(bytes, framing, false).map(|_| ())
}

/// Checks the whole file like [`check`] and says where its pixel data can be carried over as
/// bytes: the offset of the top-level Pixel Data element's header when that element (native or
/// encapsulated) is the last thing in the file, which is then exactly `bytes[offset..]`. `None`
/// for a deflated data set, a file without Pixel Data, or one with anything after it (trailing
/// padding, digital signatures): those take the whole-object path.
pub fn check_pixel_tail(bytes: &[u8], framing: Framing) -> Result<Option<usize>, Rejection> {
    let mut tail = None;
    check_walk(bytes, framing, false, &mut tail)?;
    Ok(tail)
}

/// Checks the part of a file a headers-only parse reads: the meta group and the data set up to
/// the top-level Pixel Data element (run before every dicom-rs parse, so that nesting and
/// declared lengths are bounded before dicom-rs recurses or allocates).
pub fn check_headers(bytes: &[u8], framing: Framing) -> Result<(), Rejection> {
    check_impl(bytes, framing, true).map(|_| ())
}

/// Whether `prefix` (the first bytes of a file) holds every header up to the top-level Pixel
/// Data element, so that a headers-only scan of the prefix equals one of the whole file.
/// False when it does not, when the data set is deflated, or when the check fails.
pub fn headers_within(prefix: &[u8], framing: Framing) -> bool {
    matches!(check_impl(prefix, framing, true), Ok(true))
}

/// Returns whether a headers-only walk reached the top-level Pixel Data element.
fn check_impl(bytes: &[u8], framing: Framing, headers_only: bool) -> Result<bool, Rejection> {
    walk(bytes, framing, headers_only).map(|w| w.hit_pixel)
}

fn check_walk(
    bytes: &[u8],
    framing: Framing,
    headers_only: bool,
    tail: &mut Option<usize>,
) -> Result<bool, Rejection> {
    let w = walk(bytes, framing, headers_only)?;
    *tail = w.tail;
    Ok(w.hit_pixel)
}

/// The structural check (whole file, or up to the top-level Pixel Data element with
/// `headers_only`), with what it found.
pub fn walk(bytes: &[u8], framing: Framing, headers_only: bool) -> Result<Walk, Rejection> {
    let (start, ts) = match framing {
        Framing::RawDataSet(ts) => (0usize, ts.to_string()),
        Framing::Standard | Framing::NoPreamble => {
            let mut c = Cursor {
                b: bytes,
                pos: if framing == Framing::Standard { 132 } else { 4 },
                hit_pixel: false,
                pixel: None,
                un: false,
                counts: Counts::default(),
            };
            let mut ts = String::new();
            loop {
                if c.pos + 8 > bytes.len() {
                    break;
                }
                let group = u16::from_le_bytes([bytes[c.pos], bytes[c.pos + 1]]);
                if group != 0x0002 {
                    break;
                }
                let (g, e, len) = element_header(
                    &mut c,
                    Syntax {
                        explicit: true,
                        big: false,
                    },
                )?;
                let begin = c.pos;
                c.skip(len, bytes.len(), (g, e))?;
                if e == 0x0010 {
                    ts = String::from_utf8_lossy(&bytes[begin..c.pos])
                        .unpadded()
                        .to_string();
                }
            }
            (c.pos, ts)
        }
    };
    let body = &bytes[start.min(bytes.len())..];
    let syntax = Syntax {
        explicit: ts != "1.2.840.10008.1.2",
        big: ts == "1.2.840.10008.1.2.2",
    };
    if ts == "1.2.840.10008.1.2.1.99" || ts == "1.2.840.10008.1.2.4.95" {
        let inflated = inflate(body)?;
        let mut c = Cursor {
            b: &inflated,
            pos: 0,
            hit_pixel: false,
            pixel: None,
            un: false,
            counts: Counts::default(),
        };
        dataset(&mut c, inflated.len(), syntax, 0, false, headers_only)?;
        within_budget(c.counts, inflated.len())?;
        // A deflated prefix proves nothing about the rest: never "within".
        return Ok(Walk {
            hit_pixel: false,
            tail: None,
            un: c.un,
            deflated: true,
            counts: c.counts,
            start,
            normalisable: false,
        });
    }
    let mut c = Cursor {
        b: body,
        pos: 0,
        hit_pixel: false,
        pixel: None,
        un: false,
        counts: Counts::default(),
    };
    dataset(&mut c, body.len(), syntax, 0, false, headers_only)?;
    within_budget(c.counts, bytes.len())?;
    let tail = c
        .pixel
        .filter(|(_, end)| *end == body.len())
        .map(|(at, _)| start + at);
    Ok(Walk {
        hit_pixel: c.hit_pixel,
        tail,
        un: c.un,
        deflated: false,
        counts: c.counts,
        start,
        normalisable: crate::normalise::normalisable(&ts),
    })
}

/// Whether the standard dictionary gives this tag the VR SQ (implicit VR data sets do not say).
fn dictionary_sq(g: u16, e: u16) -> bool {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    g % 2 == 0
        && dicom_dictionary_std::StandardDataDictionary
            .by_tag(dicom_core::Tag(g, e))
            .is_some_and(|d| d.vr().relaxed() == dicom_core::VR::SQ)
}

/// Reads an element header: (group, element, length). VR-less for FFFE items.
fn element_header(c: &mut Cursor, s: Syntax) -> Result<(u16, u16, u32), Rejection> {
    let (g, e, _, len) = element_header_vr(c, s)?;
    Ok((g, e, len))
}

fn element_header_vr(c: &mut Cursor, s: Syntax) -> Result<(u16, u16, [u8; 2], u32), Rejection> {
    let g = c.u16(s.big)?;
    let e = c.u16(s.big)?;
    if g == 0xFFFE || !s.explicit {
        let len = c.u32(s.big)?;
        return Ok((g, e, *b"  ", len));
    }
    let vr =
        c.b.get(c.pos..c.pos + 2)
            .ok_or_else(|| bad("file ends inside an element header".into()))?;
    let vr = [vr[0], vr[1]];
    c.pos += 2;
    let long = matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    );
    // The length field must be read as dicom-rs reads it: it takes an unknown VR for UN (4-byte
    // length), so a walk with a 2-byte length would vouch for lengths dicom-rs never sees (and
    // then believes, allocating what they declare). Unknown VRs are refused.
    let len = if long {
        c.pos += 2;
        if c.pos > c.b.len() {
            return Err(bad("file ends inside an element header".into()));
        }
        c.u32(s.big)?
    } else if crate::normalise::short_vr(&vr) {
        c.u16(s.big)? as u32
    } else {
        return Err(bad(format!(
            "element ({g:04X},{e:04X}) has an invalid VR {:?}",
            String::from_utf8_lossy(&vr)
        )));
    };
    Ok((g, e, vr, len))
}

/// Walks a data set until `end` (or an item delimiter when `in_undefined_item`); with
/// `stop_at_pixel`, stops at a Pixel Data element (the top level of a headers-only check).
/// `depth` is the number of sequences the data set is inside (0 at the top level).
fn dataset(
    c: &mut Cursor,
    end: usize,
    s: Syntax,
    depth: usize,
    in_undefined_item: bool,
    stop_at_pixel: bool,
) -> Result<(), Rejection> {
    while c.pos < end {
        // Trailing zero padding after the last element is tolerated at top level.
        if depth == 0 && c.b[c.pos..end].iter().all(|b| *b == 0) {
            return Ok(());
        }
        let at = c.pos;
        let (g, e, vr, len) = element_header_vr(c, s)?;
        c.counts.elements += 1;
        if stop_at_pixel && g == 0x7FE0 && e == 0x0010 {
            c.hit_pixel = true;
            return Ok(());
        }
        if g == 0xFFFE && e == 0xE00D {
            if in_undefined_item {
                return Ok(());
            }
            continue;
        }
        if s.explicit && &vr == b"UN" && crate::normalise::un_needs_rewrite(g, e, len) {
            c.un = true;
        }
        if len == UNDEFINED {
            let is_pixel = g == 0x7FE0 && e == 0x0010;
            // Undefined-length UN holds implicit VR little endian items (PS3.5 6.2.2).
            let inner = if &vr == b"UN" {
                Syntax {
                    explicit: false,
                    big: false,
                }
            } else {
                s
            };
            items(c, end, inner, depth + 1, is_pixel, (g, e), false)?;
        } else if &vr == b"SQ" || (!s.explicit && dictionary_sq(g, e)) {
            let stop = c
                .pos
                .checked_add(len as usize)
                .filter(|x| *x <= end)
                .ok_or_else(|| {
                    bad(format!(
                        "sequence ({g:04X},{e:04X}) declares {len} bytes, past the end"
                    ))
                })?;
            items(c, stop, s, depth + 1, false, (g, e), true)?;
            c.pos = stop;
        } else {
            c.skip(len, end, (g, e))?;
        }
        if depth == 0 {
            c.pixel = (g == 0x7FE0 && e == 0x0010).then_some((at, c.pos));
        }
    }
    if in_undefined_item {
        return Err(bad("file ends inside an item (no item delimiter)".into()));
    }
    Ok(())
}

/// Walks the items of a sequence (or the fragments of encapsulated pixel data). `depth` is the
/// sequence's own depth ([`crate::limits`]: the number of sequences it is inside, plus one);
/// fragments are no sequence and are not counted as one.
fn items(
    c: &mut Cursor,
    end: usize,
    s: Syntax,
    depth: usize,
    fragments: bool,
    owner: (u16, u16),
    defined: bool,
) -> Result<(), Rejection> {
    if !fragments && depth > MAX_DEPTH {
        return Err(bad(limits::too_deep()));
    }
    while c.pos < end {
        let g = c.u16(s.big)?;
        let e = c.u16(s.big)?;
        let len = c.u32(s.big)?;
        match (g, e) {
            (0xFFFE, 0xE0DD) => return Ok(()),
            (0xFFFE, 0xE000) => {
                if fragments {
                    c.counts.fragments += 1;
                    if len == UNDEFINED {
                        return Err(bad("pixel data fragment with undefined length".into()));
                    }
                    c.skip(len, end, owner)?;
                } else if len == UNDEFINED {
                    c.counts.items += 1;
                    dataset(c, end, s, depth, true, false)?;
                } else {
                    let stop = c
                        .pos
                        .checked_add(len as usize)
                        .filter(|x| *x <= end)
                        .ok_or_else(|| {
                            bad(format!(
                                "item of ({:04X},{:04X}) declares {len} bytes, past the end",
                                owner.0, owner.1
                            ))
                        })?;
                    c.counts.items += 1;
                    dataset(c, stop, s, depth, false, false)?;
                    c.pos = stop;
                }
            }
            _ => {
                return Err(bad(format!(
                "unexpected ({g:04X},{e:04X}) inside ({:04X},{:04X}) where an item was expected",
                owner.0, owner.1
            )))
            }
        }
    }
    // Defined-length sequences end at their length; undefined ones need the delimiter.
    if !defined {
        return Err(bad(format!(
            "file ends inside ({:04X},{:04X}) before its sequence delimiter (truncated?)",
            owner.0, owner.1
        )));
    }
    Ok(())
}
