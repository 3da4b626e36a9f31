//! The self-check (fail closed): before a file is emitted, its output is re-read and every
//! element at every depth (private ones included), plus the raw header bytes, is searched for
//! the identifying values collected from its input ([`crate::identifiers`]). Any hit rejects
//! the file. It depends on the shared context and the identifier search, not on the rewrite.

use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::{InMemDicomObject, InMemElement};

use crate::charset::Charset;
use crate::context::Context;
use crate::error::Rejection;
use crate::phi::search::{find_token, Folded};
use crate::phi::{own_texts, values, Found};
use crate::pixels::{check as pixel_check, clean::CheckInput};
use crate::read;
use crate::visit::Stop;

use crate::padding::Unpadded as _;
use crate::phi::Identifiers;

/// Top-level attributes the engine sets itself from the plan (research identity); they are not
/// searched for the input's identifiers (a re-run on already de-identified data may legitimately
/// produce the same research ID).
const IDENTITY_TAGS: [Tag; 3] = [tags::PATIENT_ID, tags::PATIENT_NAME, tags::ACCESSION_NUMBER];

fn leak(kind: &str, tag: Tag, what: &str) -> Rejection {
    Rejection::Leak {
        detail: format!("{kind} of the input found in {what} {tag}"),
    }
}

/// What the rewrite hands the self-check about its input: the identifiers found in it, and what
/// was done to the pixels.
#[derive(Debug, Default)]
pub struct Evidence {
    /// The input's identifying values (and the batch's).
    pub identifiers: Identifiers,
    /// The input's decoded pixels and the regions blacked out, when they were.
    pub pixels: Option<CheckInput>,
    /// JPEG comment/application segments or bytes after EOI were removed.
    pub jpeg_segments_removed: bool,
}

/// The self-check of one written file (`head`: the bytes before an unchanged pixel tail, which
/// the structural check has walked already), unless the configuration turns it off: no
/// identifier of the input in any element or in the raw header bytes; regions black and every
/// other sample unchanged; no text segment left in a JPEG, JPEG-LS or JPEG 2000 codestream.
pub fn self_check(ctx: &Context, evidence: &Evidence, head: &[u8]) -> Result<(), Rejection> {
    if !ctx.config.verify {
        return Ok(());
    }
    check_output(&evidence.identifiers, head)?;
    if let Some(c) = &evidence.pixels {
        pixel_check::check_cleaned(&c.decoded, &c.regions, c.palette_black, head)?;
    }
    // Every written JPEG, JPEG-LS or JPEG 2000 codestream, stripped or not (headers only;
    // nothing is parsed when `head` holds no encapsulated pixel data: pixel data carried over
    // after it is the input's, which held no marker that could start a text segment).
    pixel_check::check_no_text_segments(head)?;
    Ok(())
}

/// Checks a de-identified output against its input's identifiers.
pub fn check_output(id: &Identifiers, out: &[u8]) -> Result<(), Rejection> {
    let (obj, _) = read::parse_whole(out).map_err(|e| Rejection::WriteFailed {
        detail: format!("output does not re-read: {e}"),
    })?;
    let meta_sop = obj
        .meta()
        .media_storage_sop_instance_uid()
        .unpadded()
        .to_string();
    if id.uids.contains(&meta_sop) {
        return Err(leak(
            "SOP Instance UID",
            tags::MEDIA_STORAGE_SOP_INSTANCE_UID,
            "meta group",
        ));
    }
    if obj.meta().source_application_entity_title.is_some()
        || obj.meta().sending_application_entity_title.is_some()
    {
        return Err(Rejection::Leak {
            detail: "AE title left in the file meta group".into(),
        });
    }
    let deflated = obj.meta().transfer_syntax().unpadded() == "1.2.840.10008.1.2.1.99";
    walk_check(id, &Charset::of(&obj), &obj)?;
    if !deflated {
        raw_check(id, out)?;
    }
    Ok(())
}

/// Every element at every depth ([`crate::visit`]); the research identity written at the top
/// level and the values exempt for this input are not searched.
fn walk_check(id: &Identifiers, cs: &Charset, obj: &InMemDicomObject) -> Result<(), Rejection> {
    let r = crate::visit::try_visit(obj, &mut |at, e| {
        let t = e.tag();
        if matches!(e.value(), Value::Sequence(_))
            || id.exempt.contains(&t)
            || (at.depth() == 0 && IDENTITY_TAGS.contains(&t))
        {
            return Ok(());
        }
        check_element(id, cs, e)
    });
    r.map_err(|stop| match stop {
        Stop::TooDeep => Rejection::RuleFailed {
            detail: "nesting too deep to check".into(),
        },
        Stop::Found(r) => r,
    })
}

/// Searches one element's values for the input's identifiers: UIDs in UI, dates in DA/DT,
/// IDs, names and dates in the decoded text of the string VRs, IDs and UIDs in UN bytes.
fn check_element(id: &Identifiers, cs: &Charset, e: &InMemElement) -> Result<(), Rejection> {
    let t = e.tag();
    let vr = e.vr();
    match vr {
        VR::UI => {
            for v in values(e) {
                if id.uids.contains(&v) {
                    return Err(leak("an original UID", t, "element"));
                }
            }
        }
        VR::DA | VR::DT => {
            for v in values(e) {
                for part in v.split('-') {
                    if let Some(d) = crate::dates::date_part(part) {
                        if id.dates.contains(&d) {
                            return Err(leak("an original date", t, "element"));
                        }
                    }
                }
            }
        }
        VR::AE | VR::CS | VR::LO | VR::SH | VR::LT | VR::ST | VR::UT | VR::UC | VR::PN | VR::UR => {
            for v in values(e) {
                // Searched in the decoded text (ISO 2022 code extensions read), kept values
                // included; only the engine's own values and a whole equipment value are not.
                let v = cs.text(vr, &v);
                if id.is_own(t, &v) || id.kept_whole(t, vr, &v) {
                    continue;
                }
                match id.found_in_text(&v, false) {
                    Some(Found::Id) => {
                        return Err(leak("an ID, address or institution value", t, "element"))
                    }
                    Some(Found::Name) => return Err(leak("a person name", t, "element")),
                    Some(Found::Date) => {
                        return Err(leak("an original date", t, "text of element"))
                    }
                    None => {}
                }
            }
        }
        _ => {
            // Binary values of private or unknown-VR elements (a standard attribute's Pixel
            // Data, waveforms or LUTs are numbers, not text): searched as text, UTF-8 and
            // UTF-16, for the input's UIDs, IDs and names.
            if vr == VR::UN || (t.group() % 2 == 1 && is_binary(vr)) {
                if let Value::Primitive(p) = e.value() {
                    let b = p.to_bytes();
                    if id
                        .uids
                        .iter()
                        .any(|u| find_token(&b, u.as_bytes()).is_some())
                        || id.found_in_binary(&b)
                    {
                        return Err(leak("an identifier", t, "binary element"));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether a VR holds bytes or numbers rather than text.
pub fn is_binary(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB | VR::OW | VR::OD | VR::OF | VR::OL | VR::OV | VR::UN
    )
}

/// Searches the raw bytes before Pixel Data for long identifiers.
fn raw_check(id: &Identifiers, out: &[u8]) -> Result<(), Rejection> {
    let le = [0xE0u8, 0x7F, 0x10, 0x00];
    let be = [0x7Fu8, 0xE0, 0x00, 0x10];
    let end = out
        .windows(4)
        .position(|w| w == le || w == be)
        .unwrap_or(out.len());
    let mut header = Folded::new(&out[..end]);
    // The engine's own texts and research identity values are blanked first: a patient named
    // like one of their words is not "found" in them (the walk above checked every value).
    header.mask(
        own_texts()
            .into_iter()
            .chain(id.own.iter().map(String::as_str))
            .chain(id.accepted.iter().map(String::as_str)),
    );
    for u in &id.uids {
        if u.len() >= 12 && header.has_token(u.as_bytes()) {
            return Err(Rejection::Leak {
                detail: "an original UID found in the raw header bytes".into(),
            });
        }
    }
    for x in id.own_ids_and_names() {
        if x.len() >= 6 && header.has_token(x.as_bytes()) {
            return Err(Rejection::Leak {
                detail: "an identifier or name found in the raw header bytes".into(),
            });
        }
    }
    Ok(())
}
