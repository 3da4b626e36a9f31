//! Turning bytes into a DICOM object with dicom-rs, whatever the framing: with or without the
//! 128-byte preamble, with or without a file meta group (bare data sets in implicit VR little
//! endian, explicit VR little endian or explicit VR big endian), any transfer syntax dicom-rs
//! knows (deflate included).

use std::borrow::Cow;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::{
    file::ReadPreamble, mem::InMemDicomObject, meta::FileMetaTableBuilder, FileDicomObject,
    OpenFileOptions,
};
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use crate::error::Rejection;

/// A parsed input file.
pub type Object = FileDicomObject<InMemDicomObject>;

use crate::framing::{detect, Framing};
use crate::padding::{string_of, Unpadded as _};

fn unparseable(e: impl std::fmt::Display) -> Rejection {
    Rejection::Unparseable {
        detail: e.to_string(),
    }
}

/// How much of a file the structural check covers and dicom-rs reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every element, Pixel Data included.
    Whole,
    /// The meta group and the data set up to the top-level Pixel Data element.
    Headers,
}

/// A file framed and checked in one pass ([`check`]): its framing, the bytes dicom-rs may
/// read, and where its pixel data tail starts when it can be carried over as bytes.
pub struct Checked<'b> {
    /// The framing of the input.
    pub framing: Framing,
    /// The input, or its normalised copy.
    bytes: Cow<'b, [u8]>,
    /// The top-level Pixel Data element when it is the last thing in the file and is the
    /// input's own bytes: (its offset in the input, its offset in `bytes`). Whole checks only.
    tail: Option<(usize, usize)>,
}

/// Frames the bytes, checks their structure ([`crate::structure::walk`], once) and normalises
/// them when an element of VR UN must be rewritten ([`crate::normalise`]: UN sequences,
/// standard attributes sent as UN). dicom-rs reads a UN of undefined length as a sequence in
/// the file's own syntax, not the implicit VR little endian it is in: it would read lengths
/// from value bytes that the check never saw as lengths (and allocate what they declare), so
/// such a file is refused when it cannot be normalised.
///
/// The normalised copy is not walked again: the walk went through the UN elements' items as
/// implicit VR little endian (every length, the nesting and the counts checked against their
/// limits), and the normaliser writes that same tree in explicit VR, every length either
/// copied from the checked input or computed by it for what it wrote, with no UN of
/// undefined length left (other tags in re-encoded items get UN of defined length or SQ).
pub fn check(bytes: &[u8], scope: Scope) -> Result<Checked<'_>, Rejection> {
    let framing = detect(bytes)?;
    let walk = crate::structure::walk(bytes, framing, scope == Scope::Headers)?;
    let unchanged = |bytes| Checked {
        framing,
        bytes,
        tail: walk.tail.map(|t| (t, t)),
    };
    if !walk.un {
        return Ok(unchanged(Cow::Borrowed(bytes)));
    }
    if walk.deflated || !walk.normalisable {
        return Err(unparseable(
            "elements of VR UN that must be re-encoded, in a big endian or deflated data set",
        ));
    }
    let Some(n) = crate::normalise::normalise_from(bytes, walk.start)? else {
        return Ok(unchanged(Cow::Borrowed(bytes)));
    };
    // The tail of the normalised copy is carried over only when it is the input's tail, copied
    // as it is (a Pixel Data element re-typed from UN is not).
    let tail = walk
        .tail
        .and_then(|t| n.pixel.filter(|(from, _)| *from == t));
    Ok(Checked {
        framing,
        bytes: Cow::Owned(n.bytes),
        tail,
    })
}

impl Checked<'_> {
    /// Parses every checked element (all of the file for a whole check, the headers for a
    /// headers check).
    pub fn parse(&self) -> Result<Object, Rejection> {
        parse_checked(&self.bytes, self.framing, None)
    }

    /// Parses the top-level elements before `until` only (nested ones whole).
    pub fn parse_until(&self, until: Tag) -> Result<Object, Rejection> {
        parse_checked(&self.bytes, self.framing, Some(until))
    }
}

/// Parses the whole file (Pixel Data included).
pub fn parse_whole(bytes: &[u8]) -> Result<(Object, Framing), Rejection> {
    let c = check(bytes, Scope::Whole)?;
    Ok((c.parse()?, c.framing))
}

/// Parses the headers only: every element up to (not including) Pixel Data.
pub fn parse_headers(bytes: &[u8]) -> Result<(Object, Framing), Rejection> {
    parse_until(bytes, tags::PIXEL_DATA)
}

/// Checks the headers (up to Pixel Data, like a headers-only parse), then builds the object of
/// the top-level elements before `until` only (nested ones whole): for a scan that needs a few
/// attributes of the first groups.
pub fn parse_until(bytes: &[u8], until: Tag) -> Result<(Object, Framing), Rejection> {
    let c = check(bytes, Scope::Headers)?;
    Ok((c.parse_until(until)?, c.framing))
}

/// A file parsed for rewriting: the object, and where its pixel data tail starts when it is
/// carried over as bytes (then the object holds everything before it, and `bytes[tail..]` is
/// the top-level Pixel Data element, header included, in the file's transfer syntax).
pub struct Split<'b> {
    /// Everything dicom-rs read.
    pub object: Object,
    /// The framing of the input.
    pub framing: Framing,
    /// Offset of the Pixel Data element kept as bytes, if any.
    pub tail: Option<usize>,
    /// The checked file, to parse whole without checking it again.
    pub checked: Checked<'b>,
}

/// Checks the whole file, then parses it for rewriting: when Pixel Data is the last element
/// (the usual image), dicom-rs reads only what comes before it; the pixel bytes, already
/// checked, are never decoded or copied into the object (keep pixel data out of the hot
/// path). Otherwise the whole file is parsed.
pub fn parse_split(bytes: &[u8]) -> Result<Split<'_>, Rejection> {
    let checked = check(bytes, Scope::Whole)?;
    // A bare data set is parsed whole: the check for encapsulated pixel data under a guessed
    // transfer syntax needs the Pixel Data element.
    let tail = checked
        .tail
        .filter(|_| !matches!(checked.framing, Framing::RawDataSet(_)));
    let head = match tail {
        // The header part of the checked bytes: everything before their tail.
        Some((_, at)) => &checked.bytes[..at],
        None => &checked.bytes[..],
    };
    let object = parse_checked(head, checked.framing, None)?;
    Ok(Split {
        object,
        framing: checked.framing,
        tail: tail.map(|(t, _)| t),
        checked,
    })
}

/// Builds the object from bytes the structural check has passed.
fn parse_checked(bytes: &[u8], framing: Framing, until: Option<Tag>) -> Result<Object, Rejection> {
    let obj = match framing {
        Framing::Standard | Framing::NoPreamble => {
            let start = if framing == Framing::Standard { 128 } else { 0 };
            let mut opts = OpenFileOptions::new().read_preamble(ReadPreamble::Never);
            if let Some(t) = until {
                opts = opts.read_until(t);
            }
            opts.from_reader(&bytes[start..]).map_err(unparseable)?
        }
        Framing::RawDataSet(ts_uid) => {
            let ts = TransferSyntaxRegistry
                .get(ts_uid)
                .ok_or_else(|| unparseable("transfer syntax not available"))?;
            let ds = InMemDicomObject::read_dataset_with_ts(bytes, ts).map_err(unparseable)?;
            // Encapsulated pixel data means a compressed transfer syntax, which only the missing
            // meta group could name: the output would claim a native syntax over JPEG bytes.
            if matches!(
                ds.get(tags::PIXEL_DATA).map(|e| e.value()),
                Some(dicom_core::value::Value::PixelSequence(_))
            ) {
                return Err(unparseable("bare data set (no meta group) with encapsulated pixel data: its transfer syntax is unknown"));
            }
            let sop_class = string_of(&ds, tags::SOP_CLASS_UID)
                .ok_or_else(|| unparseable("bare data set without SOP Class UID"))?;
            let sop_inst = string_of(&ds, tags::SOP_INSTANCE_UID)
                .ok_or_else(|| unparseable("bare data set without SOP Instance UID"))?;
            let meta = FileMetaTableBuilder::new()
                .media_storage_sop_class_uid(sop_class)
                .media_storage_sop_instance_uid(sop_inst)
                .transfer_syntax(ts_uid)
                .build()
                .map_err(unparseable)?;
            ds.with_exact_meta(meta)
        }
    };
    Ok(obj)
}

/// SOP Class UID of the Media Storage Directory Storage (DICOMDIR).
pub const DICOMDIR_SOP_CLASS: &str = "1.2.840.10008.1.3.10";

/// Whether the object is a DICOMDIR.
pub fn is_dicomdir(obj: &Object) -> bool {
    obj.meta().media_storage_sop_class_uid().unpadded() == DICOMDIR_SOP_CLASS
        || string_of(obj, tags::SOP_CLASS_UID).as_deref() == Some(DICOMDIR_SOP_CLASS)
        || obj.get(tags::DIRECTORY_RECORD_SEQUENCE).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of the corpus, and the offset of its Pixel Data element (the last one).
    fn real_file() -> (Vec<u8>, usize) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/dicom3tools/0051.dcm"
        );
        let b = std::fs::read(path).expect("corpus file");
        let c = check(&b, Scope::Whole).expect("checks");
        let (p, _) = c.tail.expect("pixel data last");
        (b, p)
    }

    fn explicit(tag: (u16, u16), vr: &[u8; 2], len: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend(tag.0.to_le_bytes());
        h.extend(tag.1.to_le_bytes());
        h.extend(vr);
        h.extend([0, 0]);
        h.extend(len.to_le_bytes());
        h
    }

    /// A private sequence sent as UN of undefined length: implicit VR items (PS3.5 6.2.2).
    fn un_sequence() -> Vec<u8> {
        let mut un = Vec::new();
        un.extend([0x29, 0, 0x10, 0, b'L', b'O', 8, 0]);
        un.extend(b"HOSTILE ");
        un.extend(explicit((0x0029, 0x1010), b"UN", u32::MAX));
        un.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        un.extend([0x10, 0, 0x20, 0, 8, 0, 0, 0]);
        un.extend(b"MRN12345");
        un.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
        un.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        un
    }

    #[test]
    fn a_normalised_file_keeps_its_pixel_tail_found_in_the_one_walk() {
        let (b, p) = real_file();
        let un = un_sequence();
        let input = [&b[..p], &un, &b[p..]].concat();
        let split = parse_split(&input).expect("parses");
        // The Pixel Data element is carried over from the input, at its offset in the input.
        assert_eq!(split.tail, Some(p + un.len()));
        assert!(matches!(split.checked.bytes, Cow::Owned(_)), "normalised");
        assert!(split.object.get(tags::PIXEL_DATA).is_none());
        assert!(split.object.get(Tag(0x0029, 0x1010)).is_some());
        // What the normaliser recorded is what a second walk of its output would find (the
        // walk this module no longer does): no UN left to rewrite, the same tail.
        let normalised = &split.checked.bytes;
        let again = crate::structure::walk(normalised, split.framing, false).expect("walks");
        assert!(!again.un);
        assert_eq!(again.tail, split.checked.tail.map(|(_, at)| at));
        assert_eq!(normalised[again.tail.expect("tail")..], b[p..]);
        // Parsed whole from the same check: the input's pixel data.
        let whole = split.checked.parse().expect("parses whole");
        let pixels = |o: &Object| {
            o.get(tags::PIXEL_DATA)
                .map(|e| e.value().to_bytes().expect("bytes").into_owned())
        };
        assert_eq!(pixels(&whole), pixels(&parse_whole(&b).expect("parses").0));
    }

    #[test]
    fn pixel_data_sent_as_un_is_retyped_and_not_carried_as_bytes() {
        let (b, p) = real_file();
        let mut input = b.clone();
        input[p + 4..p + 6].copy_from_slice(b"UN");
        let split = parse_split(&input).expect("parses");
        assert_eq!(split.tail, None);
        assert!(split.object.get(tags::PIXEL_DATA).is_some());
        let again =
            crate::structure::walk(&split.checked.bytes, split.framing, false).expect("walks");
        assert!(!again.un);
    }
}
