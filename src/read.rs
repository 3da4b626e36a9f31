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

/// The bytes dicom-rs may read after the structural check `walk` passed: the input, or its
/// normalised copy when an element of VR UN must be rewritten ([`crate::normalise`]: UN
/// sequences, standard attributes sent as UN), checked again. dicom-rs reads a UN of
/// undefined length as a sequence in the file's own syntax, not the implicit VR little endian
/// it is in: it would read lengths from value bytes that the check never saw as lengths (and
/// allocate what they declare), so such a file is refused when it cannot be normalised.
fn normalised<'b>(
    bytes: &'b [u8],
    framing: Framing,
    walk: crate::structure::Walk,
    headers_only: bool,
) -> Result<Cow<'b, [u8]>, Rejection> {
    if !walk.un {
        return Ok(Cow::Borrowed(bytes));
    }
    if walk.deflated || !crate::normalise::supported(bytes, framing) {
        return Err(unparseable(
            "elements of VR UN that must be re-encoded, in a big endian or deflated data set",
        ));
    }
    match crate::normalise::normalise(bytes, framing)? {
        None => Ok(Cow::Borrowed(bytes)),
        Some(n) => {
            let again = crate::structure::walk(&n, framing, headers_only)?;
            if again.un {
                return Err(unparseable("elements of VR UN that cannot be re-encoded"));
            }
            Ok(Cow::Owned(n))
        }
    }
}

/// Parses the whole file ([`parse_whole`]), or only its headers ([`parse_headers`]) when
/// `headers_only`. Kept for the call sites in `src/pixels/` (being changed in parallel); new
/// code calls the two functions by name.
pub fn parse(bytes: &[u8], headers_only: bool) -> Result<(Object, Framing), Rejection> {
    if headers_only {
        parse_headers(bytes)
    } else {
        parse_whole(bytes)
    }
}

/// Parses the whole file (Pixel Data included).
pub fn parse_whole(bytes: &[u8]) -> Result<(Object, Framing), Rejection> {
    let framing = detect(bytes)?;
    let walk = crate::structure::walk(bytes, framing, false)?;
    let bytes = normalised(bytes, framing, walk, false)?;
    Ok((parse_checked(&bytes, framing, None)?, framing))
}

/// Parses the headers only: every element up to (not including) Pixel Data.
pub fn parse_headers(bytes: &[u8]) -> Result<(Object, Framing), Rejection> {
    parse_until(bytes, tags::PIXEL_DATA)
}

/// Checks the headers (up to Pixel Data, like a headers-only parse), then builds the object of
/// the top-level elements before `until` only (nested ones whole): for a scan that needs a few
/// attributes of the first groups.
pub fn parse_until(bytes: &[u8], until: Tag) -> Result<(Object, Framing), Rejection> {
    let framing = detect(bytes)?;
    let walk = crate::structure::walk(bytes, framing, true)?;
    let bytes = normalised(bytes, framing, walk, true)?;
    Ok((parse_checked(&bytes, framing, Some(until))?, framing))
}

/// A file parsed for rewriting: the object, and where its pixel data tail starts when it is
/// carried over as bytes (then the object holds everything before it, and `bytes[tail..]` is
/// the top-level Pixel Data element, header included, in the file's transfer syntax).
pub struct Split {
    /// Everything dicom-rs read.
    pub object: Object,
    /// The framing of the input.
    pub framing: Framing,
    /// Offset of the Pixel Data element kept as bytes, if any.
    pub tail: Option<usize>,
}

/// Checks the whole file, then parses it for rewriting: when Pixel Data is the last element
/// (the usual image), dicom-rs reads only what comes before it; the pixel bytes, already
/// checked, are never decoded or copied into the object (ISSUE 5: keep pixel data out of the
/// hot path). Otherwise the whole file is parsed.
pub fn parse_split(bytes: &[u8]) -> Result<Split, Rejection> {
    let framing = detect(bytes)?;
    let walk = crate::structure::walk(bytes, framing, false)?;
    let norm = normalised(bytes, framing, walk, false)?;
    // The tail of a normalised copy is carried over only when it is the input's tail, byte for
    // byte (a Pixel Data element re-typed from UN is not).
    let tail = match &norm {
        Cow::Borrowed(_) => walk.tail,
        Cow::Owned(n) => crate::structure::walk(n, framing, false)?
            .tail
            .and_then(|t| {
                let at = bytes.len().checked_sub(n.len() - t)?;
                (bytes.get(at..) == n.get(t..)).then_some(at)
            }),
    };
    // A bare data set is parsed whole: the check for encapsulated pixel data under a guessed
    // transfer syntax needs the Pixel Data element.
    let tail = tail.filter(|_| !matches!(framing, Framing::RawDataSet(_)));
    let head = match tail {
        // The header part of the normalised copy: everything before its tail.
        Some(at) => &norm[..norm.len() - (bytes.len() - at)],
        None => &norm[..],
    };
    let object = parse_checked(head, framing, None)?;
    Ok(Split {
        object,
        framing,
        tail,
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
