//! Byte-level normalisation of explicit VR little endian data sets before dicom-rs parses them
//! (PS3.5 6.2.2, CP-246), for what dicom-rs 0.10 cannot read (its issue #169):
//!
//! - an element of VR UN with undefined length holds a sequence whose items are encoded in
//!   implicit VR little endian: it is rewritten as VR SQ (undefined length) whose items are
//!   re-encoded in explicit VR little endian, recursively;
//! - a standard attribute that arrives as UN (after a system without a dictionary) is re-typed
//!   with its dictionary VR (the value bytes of implicit and explicit VR little endian are the
//!   same); a standard sequence that arrives as UN is re-encoded like the above.
//!
//! Inside re-encoded items, standard tags get their dictionary VR, private creators LO, group
//! lengths UL, other tags UN (defined length) or SQ (undefined length). Every other byte of the
//! file is kept: a sequence whose items need no change is copied as it is. Nesting is bounded
//! ([`MAX_DEPTH`], counted as in [`crate::limits`]) and every length is checked against the bytes that remain before it is
//! used; the output is at most a small multiple of the input (each re-encoded element header
//! grows by at most 4 bytes, each item and sequence by an 8-byte delimiter).
//!
//! Pure: bytes in, bytes out.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};

use crate::error::Rejection;
use crate::framing::Framing;
use crate::limits::{too_deep, MAX_DEPTH};
use crate::padding::Unpadded as _;

const UNDEFINED: u32 = 0xFFFF_FFFF;

/// Transfer syntaxes whose data set is explicit VR little endian and not deflated: the ones
/// this module rewrites (every encapsulated syntax is explicit VR little endian too).
pub fn normalisable(ts: &str) -> bool {
    !matches!(
        ts,
        "1.2.840.10008.1.2"
            | "1.2.840.10008.1.2.2"
            | "1.2.840.10008.1.2.1.99"
            | "1.2.840.10008.1.2.4.95"
    )
}

fn bad(detail: String) -> Rejection {
    Rejection::Unparseable { detail }
}

/// Whether an explicit VR element of VR UN must be rewritten: undefined length (a sequence), or
/// a tag whose real VR the dictionary (or the private creator rule) knows.
pub fn un_needs_rewrite(g: u16, e: u16, len: u32) -> bool {
    len == UNDEFINED || vr_of(g, e) != VR::UN
}

/// The VR an element gets when its own encoding does not say: group lengths UL, private
/// creators LO, standard tags their dictionary VR (US for US-or-SS, OW for OB-or-OW), else UN.
fn vr_of(g: u16, e: u16) -> VR {
    if e == 0x0000 {
        return VR::UL;
    }
    if g % 2 == 1 {
        return if (0x0010..=0x00FF).contains(&e) {
            VR::LO
        } else {
            VR::UN
        };
    }
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(Tag(g, e))
        .map(|d| d.vr().relaxed())
        .unwrap_or(VR::UN)
}

/// VRs with a 2-byte length in explicit VR (PS3.5 Table 7.1-2); any other VR (also an unknown
/// one, as dicom-rs reads it) has the 4-byte form.
pub fn short_vr(vr: &[u8; 2]) -> bool {
    matches!(
        vr,
        b"AE"
            | b"AS"
            | b"AT"
            | b"CS"
            | b"DA"
            | b"DS"
            | b"DT"
            | b"FL"
            | b"FD"
            | b"IS"
            | b"LO"
            | b"LT"
            | b"PN"
            | b"SH"
            | b"SL"
            | b"SS"
            | b"ST"
            | b"TM"
            | b"UI"
            | b"UL"
            | b"US"
    )
}

/// Size of one value of a binary VR (its length must be a multiple of it).
fn unit(vr: VR) -> usize {
    match vr {
        VR::AT | VR::FL | VR::OF | VR::SL | VR::UL | VR::OL => 4,
        VR::FD | VR::OD | VR::SV | VR::UV | VR::OV => 8,
        VR::SS | VR::US | VR::OW => 2,
        _ => 1,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Explicit,
    Implicit,
}

struct Norm<'a> {
    src: &'a [u8],
    out: Vec<u8>,
    /// The top-level Pixel Data element when it was copied as it is, with everything after
    /// it: (its offset in `src`, its offset in `out`).
    pixel: Option<(usize, usize)>,
}

/// A normalised copy of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// The rewritten bytes.
    pub bytes: Vec<u8>,
    /// The top-level Pixel Data element when it and everything after it were copied as they
    /// are: (its offset in the input, its offset in [`Normalised::bytes`]).
    pub pixel: Option<(usize, usize)>,
}

struct Header {
    g: u16,
    e: u16,
    /// The explicit VR, `None` in implicit VR and for FFFE items/delimiters.
    vr: Option<[u8; 2]>,
    len: u32,
    /// Bytes of the header.
    size: usize,
}

impl Norm<'_> {
    fn u16(&self, at: usize) -> Result<u16, Rejection> {
        self.src
            .get(at..at.saturating_add(2))
            .map(|s| u16::from_le_bytes([s[0], s[1]]))
            .ok_or_else(|| bad(format!("file ends inside an element header at byte {at}")))
    }
    fn u32(&self, at: usize) -> Result<u32, Rejection> {
        self.src
            .get(at..at.saturating_add(4))
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            .ok_or_else(|| bad(format!("file ends inside an element header at byte {at}")))
    }

    fn header(&self, at: usize, enc: Enc) -> Result<Header, Rejection> {
        let g = self.u16(at)?;
        let e = self.u16(at + 2)?;
        if g == 0xFFFE || enc == Enc::Implicit {
            return Ok(Header {
                g,
                e,
                vr: None,
                len: self.u32(at + 4)?,
                size: 8,
            });
        }
        let v = self
            .src
            .get(at + 4..at + 6)
            .ok_or_else(|| bad("file ends inside an element header".into()))?;
        let vr = [v[0], v[1]];
        if short_vr(&vr) {
            Ok(Header {
                g,
                e,
                vr: Some(vr),
                len: self.u16(at + 6)? as u32,
                size: 8,
            })
        } else {
            Ok(Header {
                g,
                e,
                vr: Some(vr),
                len: self.u32(at + 8)?,
                size: 12,
            })
        }
    }

    /// End of a defined-length value starting at `at`, checked against `end`.
    fn value_end(&self, at: usize, len: u32, end: usize, h: &Header) -> Result<usize, Rejection> {
        at.checked_add(len as usize)
            .filter(|x| *x <= end)
            .ok_or_else(|| {
                bad(format!(
                    "element ({:04X},{:04X}) declares {len} bytes, past the end",
                    h.g, h.e
                ))
            })
    }

    fn put_header(&mut self, g: u16, e: u16, vr: VR, len: u32) {
        self.out.extend(g.to_le_bytes());
        self.out.extend(e.to_le_bytes());
        let code = vr.to_bytes();
        self.out.extend(code);
        if short_vr(&code) {
            self.out.extend((len as u16).to_le_bytes());
        } else {
            self.out.extend([0, 0]);
            self.out.extend(len.to_le_bytes());
        }
    }

    fn put_item_tag(&mut self, e: u16, len: u32) {
        self.out.extend(0xFFFEu16.to_le_bytes());
        self.out.extend(e.to_le_bytes());
        self.out.extend(len.to_le_bytes());
    }

    /// Rewrites a data set from `pos` to `end` (or to its item delimiter when
    /// `undefined_item`; the delimiter is consumed, not written). Returns the position after it
    /// and whether anything was changed. `depth`: the sequences it is inside (0 at the top).
    fn dataset(
        &mut self,
        mut pos: usize,
        end: usize,
        enc: Enc,
        depth: usize,
        undefined_item: bool,
    ) -> Result<(usize, bool), Rejection> {
        let top = depth == 0;
        let mut changed = enc == Enc::Implicit;
        while pos < end {
            if top && self.src[pos..end].iter().all(|b| *b == 0) {
                self.out.extend_from_slice(&self.src[pos..end]);
                return Ok((end, changed));
            }
            let h = self.header(pos, enc)?;
            let vstart = pos + h.size;
            if (h.g, h.e) == (0xFFFE, 0xE00D) {
                if undefined_item {
                    return Ok((vstart, changed));
                }
                // A stray item delimiter (tolerated by the structural check): kept in explicit
                // VR, dropped from re-encoded items.
                if enc == Enc::Explicit {
                    self.out.extend_from_slice(&self.src[pos..vstart]);
                }
                pos = vstart;
                continue;
            }
            if top && (h.g, h.e) == (0x7FE0, 0x0010) {
                // Pixel Data: at most its header is re-typed; it and the rest are kept.
                if h.vr == Some(*b"UN") {
                    let vr = if h.len == UNDEFINED || h.len % 2 == 1 {
                        VR::OB
                    } else {
                        VR::OW
                    };
                    self.put_header(h.g, h.e, vr, h.len);
                    self.out.extend_from_slice(&self.src[vstart..]);
                    return Ok((self.src.len(), true));
                }
                self.pixel = Some((pos, self.out.len()));
                self.out.extend_from_slice(&self.src[pos..]);
                return Ok((self.src.len(), changed));
            }
            let (next, ch) = self.element(pos, &h, end, enc, depth)?;
            changed |= ch;
            pos = next;
        }
        if undefined_item {
            return Err(bad("data ends inside an item (no item delimiter)".into()));
        }
        Ok((pos, changed))
    }

    /// Rewrites one element (header read as `h`); returns the position after it and whether it
    /// changed.
    fn element(
        &mut self,
        pos: usize,
        h: &Header,
        end: usize,
        enc: Enc,
        depth: usize,
    ) -> Result<(usize, bool), Rejection> {
        let vstart = pos + h.size;
        let is_un = h.vr == Some(*b"UN");
        let known = vr_of(h.g, h.e);
        // Encapsulated pixel data nested in re-encoded items (or sent as UN): fragments are
        // copied as they are under an OB header.
        if h.len == UNDEFINED && (h.g, h.e) == (0x7FE0, 0x0010) {
            let stop = self.fragments_end(vstart, end)?;
            if enc == Enc::Explicit && !is_un {
                self.out.extend_from_slice(&self.src[pos..stop]);
                return Ok((stop, false));
            }
            self.put_header(h.g, h.e, VR::OB, UNDEFINED);
            self.out.extend_from_slice(&self.src[vstart..stop]);
            return Ok((stop, true));
        }
        // Sequences: undefined length anything, explicit SQ, or a dictionary SQ sent as UN or
        // in implicit VR.
        let item_enc = if is_un { Enc::Implicit } else { enc };
        let is_seq = h.len == UNDEFINED
            || h.vr == Some(*b"SQ")
            || ((is_un || enc == Enc::Implicit) && known == VR::SQ);
        if is_seq {
            let region_end = if h.len == UNDEFINED {
                end
            } else {
                self.value_end(vstart, h.len, end, h)?
            };
            let mark = self.out.len();
            self.put_header(h.g, h.e, VR::SQ, UNDEFINED);
            let (after, inner_changed) = self.items(
                vstart,
                region_end,
                h.len == UNDEFINED,
                item_enc,
                depth + 1,
                h,
            )?;
            self.put_item_tag(0xE0DD, 0);
            let changed = inner_changed || enc == Enc::Implicit || is_un || h.vr != Some(*b"SQ");
            if !changed {
                self.out.truncate(mark);
                self.out.extend_from_slice(&self.src[pos..after]);
            }
            return Ok((after, changed));
        }
        let stop = self.value_end(vstart, h.len, end, h)?;
        let target = match h.vr {
            Some(vr) if !is_un => {
                let _ = vr;
                self.out.extend_from_slice(&self.src[pos..stop]);
                return Ok((stop, false));
            }
            _ => known,
        };
        // Keep UN where the real VR cannot hold the value as it is.
        let fits = (!short_vr(&target.to_bytes()) || h.len <= 0xFFFF)
            && (h.len as usize) % unit(target) == 0;
        let target = if fits { target } else { VR::UN };
        if is_un && target == VR::UN {
            self.out.extend_from_slice(&self.src[pos..stop]);
            return Ok((stop, false));
        }
        self.put_header(h.g, h.e, target, h.len);
        self.out.extend_from_slice(&self.src[vstart..stop]);
        Ok((stop, true))
    }

    /// Rewrites the items of a sequence as undefined-length items; returns the position after
    /// the sequence (after its delimiter when `undefined`) and whether any item changed.
    /// `depth` is the sequence's own depth (the sequences it is inside, plus one).
    fn items(
        &mut self,
        mut pos: usize,
        end: usize,
        undefined: bool,
        enc: Enc,
        depth: usize,
        owner: &Header,
    ) -> Result<(usize, bool), Rejection> {
        if depth > MAX_DEPTH {
            return Err(bad(too_deep()));
        }
        let mut changed = false;
        while pos < end {
            let g = self.u16(pos)?;
            let e = self.u16(pos + 2)?;
            let len = self.u32(pos + 4)?;
            pos += 8;
            match (g, e) {
                (0xFFFE, 0xE0DD) if undefined => return Ok((pos, changed)),
                (0xFFFE, 0xE000) => {
                    self.put_item_tag(0xE000, UNDEFINED);
                    let (after, ch) = if len == UNDEFINED {
                        self.dataset(pos, end, enc, depth, true)?
                    } else {
                        let stop = pos
                            .checked_add(len as usize)
                            .filter(|x| *x <= end)
                            .ok_or_else(|| {
                                bad(format!(
                                    "item of ({:04X},{:04X}) declares {len} bytes, past the end",
                                    owner.g, owner.e
                                ))
                            })?;
                        let (_, ch) = self.dataset(pos, stop, enc, depth, false)?;
                        (stop, ch)
                    };
                    self.put_item_tag(0xE00D, 0);
                    changed |= ch;
                    pos = after;
                }
                _ => {
                    return Err(bad(format!(
                        "unexpected ({g:04X},{e:04X}) inside ({:04X},{:04X}) where an item was expected",
                        owner.g, owner.e
                    )))
                }
            }
        }
        if undefined {
            return Err(bad(format!(
                "data ends inside ({:04X},{:04X}) before its sequence delimiter",
                owner.g, owner.e
            )));
        }
        Ok((pos, changed))
    }

    /// The end of encapsulated pixel data starting at `pos` (after its sequence delimiter).
    fn fragments_end(&self, mut pos: usize, end: usize) -> Result<usize, Rejection> {
        while pos < end {
            let g = self.u16(pos)?;
            let e = self.u16(pos + 2)?;
            let len = self.u32(pos + 4)?;
            pos += 8;
            match (g, e) {
                (0xFFFE, 0xE0DD) => return Ok(pos),
                (0xFFFE, 0xE000) if len != UNDEFINED => {
                    pos = pos
                        .checked_add(len as usize)
                        .filter(|x| *x <= end)
                        .ok_or_else(|| bad("pixel data fragment past the end".into()))?;
                }
                _ => return Err(bad("malformed encapsulated pixel data".into())),
            }
        }
        Err(bad(
            "encapsulated pixel data without its sequence delimiter".into(),
        ))
    }
}

/// Where the data set starts and its transfer syntax (the meta group walked as explicit VR LE).
fn data_set_start(bytes: &[u8], framing: Framing) -> Result<(usize, String), Rejection> {
    let mut pos = match framing {
        Framing::RawDataSet(ts) => return Ok((0, ts.to_string())),
        Framing::Standard => 132,
        Framing::NoPreamble => 4,
    };
    let n = Norm {
        src: bytes,
        out: Vec::new(),
        pixel: None,
    };
    let mut ts = String::new();
    while pos + 8 <= bytes.len() && n.u16(pos)? == 0x0002 {
        let h = n.header(pos, Enc::Explicit)?;
        let stop = n.value_end(pos + h.size, h.len, bytes.len(), &h)?;
        if h.e == 0x0010 {
            ts = String::from_utf8_lossy(&bytes[pos + h.size..stop])
                .unpadded()
                .to_string();
        }
        pos = stop;
    }
    Ok((pos, ts))
}

/// Rewrites UN sequences and UN-typed standard attributes (see the module documentation).
/// `None` when nothing had to change or the syntax is not explicit VR little endian.
pub fn normalise(bytes: &[u8], framing: Framing) -> Result<Option<Vec<u8>>, Rejection> {
    let (start, ts) = data_set_start(bytes, framing)?;
    if !normalisable(&ts) {
        return Ok(None);
    }
    Ok(normalise_from(bytes, start)?.map(|n| n.bytes))
}

/// [`normalise`] for a file whose data set starts at `start` and is explicit VR little endian
/// (what the structural walk found: [`crate::structure::Walk`]); the meta group is copied.
pub fn normalise_from(bytes: &[u8], start: usize) -> Result<Option<Normalised>, Rejection> {
    let head = bytes
        .get(..start)
        .ok_or_else(|| bad(format!("data set start {start} past the end")))?;
    let mut n = Norm {
        src: bytes,
        // Bounded: at most a small multiple of the input (see the module documentation).
        out: Vec::with_capacity(bytes.len().saturating_add(bytes.len() / 8)),
        pixel: None,
    };
    n.out.extend_from_slice(head);
    let (_, changed) = n.dataset(start, bytes.len(), Enc::Explicit, 0, false)?;
    Ok(changed.then_some(Normalised {
        bytes: n.out,
        pixel: n.pixel,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impl_el(g: u16, e: u16, v: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend(g.to_le_bytes());
        o.extend(e.to_le_bytes());
        o.extend((v.len() as u32).to_le_bytes());
        o.extend(v);
        o
    }

    #[test]
    fn un_sequence_becomes_explicit_sq() {
        let mut b = Vec::new();
        // (0008,0060) CS "CT"
        b.extend([0x08, 0, 0x60, 0, b'C', b'S', 2, 0, b'C', b'T']);
        // (0029,1010) UN undefined, one undefined item with PatientName and a private element.
        b.extend([
            0x29, 0, 0x10, 0x10, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        b.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        b.extend(impl_el(0x0010, 0x0010, b"DOE^JOHN"));
        b.extend(impl_el(0x0029, 0x1001, b"abcd"));
        b.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        b.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        let out = normalise(&b, Framing::RawDataSet("1.2.840.10008.1.2.1"))
            .expect("ok")
            .expect("changed");
        assert_eq!(&out[..10], &b[..10]);
        assert_eq!(&out[14..16], b"SQ");
        let body = &out[22..];
        assert_eq!(
            &body[..8],
            &[0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(&body[8..16], &[0x10, 0, 0x10, 0, b'P', b'N', 8, 0]);
        assert_eq!(&body[16..24], b"DOE^JOHN");
        assert_eq!(
            &body[24..36],
            &[0x29, 0, 0x01, 0x10, b'U', b'N', 0, 0, 4, 0, 0, 0]
        );
        // Already explicit: nothing to do.
        assert!(normalise(&out, Framing::RawDataSet("1.2.840.10008.1.2.1"))
            .expect("ok")
            .is_none());
    }

    #[test]
    fn truncated_un_sequences_are_errors_not_panics() {
        let mut b = Vec::new();
        b.extend([
            0x29, 0, 0x10, 0x10, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        b.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        b.extend(impl_el(0x0010, 0x0010, b"DOE^JOHN"));
        for cut in 0..b.len() {
            let _ = normalise(&b[..cut], Framing::RawDataSet("1.2.840.10008.1.2.1"));
        }
        let mut deep = Vec::new();
        deep.extend([
            0x29, 0, 0x10, 0x10, b'U', b'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        for _ in 0..200 {
            deep.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
            deep.extend([0x29, 0, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        assert!(normalise(&deep, Framing::RawDataSet("1.2.840.10008.1.2.1")).is_err());
    }
}
