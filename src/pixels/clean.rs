//! What happens to the pixels of one file: the gate's class and the first matching rule decide
//! ([`decide`]); images that may show text are looked at by the detector; regions are blacked
//! out in every frame; text segments of JPEG, JPEG-LS and JPEG 2000 frames are stripped
//! ([`apply`], [`super::codestream`]). Fail closed: a text
//! carrier that no rule covers is held, one that cannot be decoded is held, and nothing is
//! written whose cleaning cannot be checked.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;
use serde::{Deserialize, Serialize};

use super::blackout::{self, effective_regions, fill_values, palette_black};
use super::frames::{self, syntax, Decoded, Encoding};
use super::gate::{self, Class, Gate, Signature};
use super::rules::{Action, RuleSet, Unreviewed};
use super::{codestream, detect, rle, PixelError, Rect};
use crate::error::Rejection;
use crate::padding::string_of;

/// What was done to the pixels, for the log (`reason_code`, `reason` of a written file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelNote {
    /// The log's reason code.
    pub code: PixelCode,
    /// In words.
    pub text: String,
}

/// The reason code of a written file's pixels (the log's `reason_code`, serialised as these
/// snake_case names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixelCode {
    /// The gate let them pass.
    PixelsPassed,
    /// The detector looked and found no text.
    NoTextDetected,
    /// A rule's regions were blacked out.
    PixelsCleaned,
    /// Kept as they are (accepted risk, by a rule or the policy for unreviewed images).
    PixelsKept,
    /// Text segments removed from JPEG, JPEG-LS or JPEG 2000 codestreams.
    JpegTextRemoved,
    /// No pixel note of its own; a recipe's accepted risks are noted.
    RecipeAcceptedRisk,
    /// No pixel note of its own; the file's IOD changed a recipe rule's action (noted).
    RecipeWithinIod,
}

impl PixelCode {
    /// Every code.
    pub const ALL: [PixelCode; 7] = [
        PixelCode::PixelsPassed,
        PixelCode::NoTextDetected,
        PixelCode::PixelsCleaned,
        PixelCode::PixelsKept,
        PixelCode::JpegTextRemoved,
        PixelCode::RecipeAcceptedRisk,
        PixelCode::RecipeWithinIod,
    ];

    /// The code as the log writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PixelCode::PixelsPassed => "pixels_passed",
            PixelCode::NoTextDetected => "no_text_detected",
            PixelCode::PixelsCleaned => "pixels_cleaned",
            PixelCode::PixelsKept => "pixels_kept",
            PixelCode::JpegTextRemoved => "jpeg_text_removed",
            PixelCode::RecipeAcceptedRisk => "recipe_accepted_risk",
            PixelCode::RecipeWithinIod => "recipe_within_iod",
        }
    }
}

/// A note with no words: the gate let the pixels pass.
pub fn passed() -> PixelNote {
    note(PixelCode::PixelsPassed, "")
}

fn note(code: PixelCode, text: impl Into<String>) -> PixelNote {
    PixelNote {
        code,
        text: text.into(),
    }
}

/// The decision for one file before its pixels are looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Pixels pass (text segments of JPEG frames are still removed).
    Pass(Option<PixelNote>),
    /// The detector decides (a possible carrier no rule covers).
    Detect(Gate),
    /// Black out these regions.
    Clean {
        /// the rule's name
        rule: String,
        /// regions
        regions: Vec<Rect>,
        /// the gate's reasons
        why: String,
    },
    /// Written as it is, by a rule or by `unreviewed = keep` (accepted risk).
    Keep(PixelNote),
    /// Not written.
    Reject(Rejection),
}

/// Decides from the header: the gate, then the first rule that matches, then the policy for
/// carriers no rule covers.
pub fn decide(sig: &Signature, rules: &RuleSet, unreviewed: Unreviewed) -> Decision {
    let g = gate::gate(sig);
    if g.class == Class::Pass {
        return Decision::Pass(None);
    }
    let why = g.reason_text();
    if let Some(rule) = rules.find(sig) {
        return match rule.action {
            Action::Clean => Decision::Clean {
                rule: rule.name.clone(),
                regions: rule.regions.clone(),
                why,
            },
            Action::Keep => Decision::Keep(note(
                PixelCode::PixelsKept,
                format!("kept as is by rule {:?} (accepted risk): {why}", rule.name),
            )),
            Action::Exclude => Decision::Reject(Rejection::PixelExcluded {
                detail: format!("rule {:?}: {why}", rule.name),
            }),
        };
    }
    match g.class {
        Class::Possible => Decision::Detect(g),
        _ => unreviewed_decision(unreviewed, why),
    }
}

fn unreviewed_decision(unreviewed: Unreviewed, why: String) -> Decision {
    match unreviewed {
        Unreviewed::Hold => Decision::Reject(Rejection::PixelReview { detail: why }),
        Unreviewed::Keep => Decision::Keep(note(
            PixelCode::PixelsKept,
            format!("no rule; kept unreviewed (accepted risk): {why}"),
        )),
        Unreviewed::Exclude => Decision::Reject(Rejection::PixelExcluded {
            detail: format!("no rule; unreviewed images excluded: {why}"),
        }),
    }
}

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct Applied {
    /// For the log.
    pub note: Option<PixelNote>,
    /// The new transfer syntax, when the pixels had to be re-encoded.
    pub transfer_syntax: Option<String>,
    /// Regions were blacked out (Burned In Annotation becomes NO; CID 7050 113101 added).
    pub cleaned: bool,
    /// What the self-check compares the written file with.
    pub check: Option<CheckInput>,
    /// Text segments were removed from the codestreams (JPEG, JPEG-LS, JPEG 2000).
    pub stripped: bool,
}

/// The input's decoded pixels and the regions, for [`super::check::check_cleaned`].
#[derive(Debug)]
pub struct CheckInput {
    /// Decoded before cleaning.
    pub decoded: Decoded,
    /// Regions blacked out.
    pub regions: Vec<Rect>,
    /// Palette index of black.
    pub palette_black: Option<u32>,
}

fn cannot(e: PixelError, why: &str) -> Rejection {
    Rejection::PixelCannotClean {
        detail: format!("{e} ({why})"),
    }
}

/// Applies a decision to a data set that holds its Pixel Data (`ts`: its transfer syntax).
pub fn apply(
    obj: &mut InMemDicomObject,
    ts: &str,
    decision: Decision,
    rules_unreviewed: Unreviewed,
) -> Result<Applied, Rejection> {
    let has_pixels = obj.get(tags::PIXEL_DATA).is_some();
    let mut applied = Applied::default();
    let mut removed = None;
    let decision = match decision {
        Decision::Detect(g) => detect_text(obj, ts, g, rules_unreviewed)?,
        d => d,
    };
    match decision {
        Decision::Reject(r) => return Err(r),
        Decision::Pass(n) => {
            if has_pixels {
                applied.note = Some(n.unwrap_or_else(passed));
                removed = strip_codestream_text(obj, ts)?;
            } else {
                applied.note = n;
            }
        }
        Decision::Keep(n) => {
            applied.note = Some(n);
            if has_pixels {
                removed = strip_codestream_text(obj, ts)?;
            }
        }
        Decision::Clean { rule, regions, why } => {
            if !has_pixels {
                return Err(Rejection::PixelCannotClean {
                    detail: format!(
                        "rule {rule:?} names regions, but the file has no pixel data: {why}"
                    ),
                });
            }
            let check =
                blackout_regions(obj, ts, &regions, &mut applied).map_err(|e| cannot(e, &why))?;
            applied.check = Some(check);
            applied.cleaned = true;
            applied.note = Some(note(
                PixelCode::PixelsCleaned,
                format!("regions of rule {rule:?} blacked out: {why}"),
            ));
        }
        Decision::Detect(g) => {
            return Err(Rejection::PixelReview {
                detail: g.reason_text(),
            })
        }
    }
    applied.stripped = removed.is_some();
    if let Some(what) = removed {
        if let Some(n) = &mut applied.note {
            // One reason code for every codestream syntax (the log's vocabulary is unchanged);
            // the text names the syntax.
            if n.code == PixelCode::PixelsPassed {
                n.code = PixelCode::JpegTextRemoved;
            }
            n.text = [n.text.as_str(), what]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
        }
    }
    Ok(applied)
}

/// Runs the detector on every frame of a possible carrier, decoded one at a time: text in any
/// frame (a name shown for a few frames of a loop) makes it a carrier. A frame equal to the one
/// before it is not looked at again.
fn detect_text(
    obj: &InMemDicomObject,
    ts: &str,
    g: Gate,
    unreviewed: Unreviewed,
) -> Result<Decision, Rejection> {
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Ok(Decision::Pass(None));
    }
    let why = g.reason_text();
    let cannot_look = |e: PixelError| {
        unreviewed_decision(unreviewed, format!("{why}; cannot look for text: {e}"))
    };
    let source = match frames::FrameSource::new(obj, ts) {
        Ok(s) => s,
        Err(e) => return Ok(cannot_look(e)),
    };
    let geo = &source.geometry;
    let mut previous: Option<Vec<u8>> = None;
    for k in 0..source.len() {
        let f = match source.frame(k) {
            Ok(f) => f,
            Err(e) => return Ok(cannot_look(e)),
        };
        if previous.as_ref() == Some(&f) {
            continue;
        }
        let boxes = detect::text_boxes(&frames::luma_of(&f, geo), geo.cols, geo.rows);
        if let Some(b) = boxes.first() {
            return Ok(unreviewed_decision(
                unreviewed,
                format!(
                    "{why}; text detected in frame {} of {} ({} line(s), first at x {} y {} {}x{})",
                    k + 1,
                    source.len(),
                    boxes.len(),
                    b.x,
                    b.y,
                    b.w,
                    b.h
                ),
            ));
        }
        previous = Some(f);
    }
    let frames = match source.len() {
        1 => String::new(),
        n => format!(" in any of {n} frames"),
    };
    Ok(Decision::Pass(Some(note(
        PixelCode::NoTextDetected,
        format!("{why}; no text detected{frames}"),
    ))))
}

/// Removes text segments from every encapsulated JPEG, JPEG-LS or JPEG 2000 frame
/// ([`codestream::strip`]); when any was removed, the fragments are put back one per frame with
/// a new Basic Offset Table, and the log's words for it are returned. A frame that cannot be
/// walked rejects the file (fail closed).
fn strip_codestream_text(
    obj: &mut InMemDicomObject,
    ts: &str,
) -> Result<Option<&'static str>, Rejection> {
    let Some(kind) = codestream::kind_of(ts) else {
        return Ok(None);
    };
    let fail = |e: PixelError| Rejection::PixelCannotClean {
        detail: format!("{e} (removing text segments from {} frames)", kind.name()),
    };
    let g = frames::Geometry::of(obj).map_err(fail)?;
    let framed = frames::frame_fragments(obj, g.frames).map_err(fail)?;
    let mut changed = false;
    let mut out = Vec::with_capacity(framed.len());
    for f in framed {
        match codestream::strip(kind, &f).map_err(fail)? {
            Some(s) => {
                changed = true;
                out.push(s);
            }
            None => out.push(f),
        }
    }
    if !changed {
        return Ok(None);
    }
    frames::put_fragments(obj, out, true);
    Ok(Some(kind.removed_text()))
}

/// The cleaned pixels, encoded: native bytes, or one RLE fragment per frame.
enum Cleaned {
    Native(Vec<u8>),
    Rle(Vec<Vec<u8>>),
}

/// Decodes every frame (one at a time), blacks out the regions and encodes it for the output:
/// returns the input's frames (for the self-check) and the output, never holding a second
/// decoded copy of every frame.
fn clean_frames(
    source: &frames::FrameSource<'_>,
    regions: &[Rect],
    palette: Option<u32>,
) -> Result<(Vec<Vec<u8>>, Cleaned), PixelError> {
    let g = &source.geometry;
    let effective = effective_regions(regions, g);
    let fill = fill_values(g, palette);
    let rle = source.encoding.rewrites_as_rle();
    let mut native = frames::NativeWriter::new(g, if rle { 0 } else { source.len() });
    let mut fragments = Vec::new();
    let mut input = Vec::with_capacity(source.len());
    for k in 0..source.len() {
        let f = source.frame(k)?;
        let mut c = f.clone();
        blackout::clear_unused_bits(&mut c, g);
        blackout::blackout(&mut c, g, &effective, &fill);
        if rle {
            fragments.push(rle::encode_frame(
                &c,
                g.rows,
                g.cols,
                g.spp,
                g.bits_allocated,
            )?);
        } else {
            native.push(&c);
        }
        input.push(f);
    }
    let out = if rle {
        Cleaned::Rle(fragments)
    } else {
        Cleaned::Native(native.finish())
    };
    Ok((input, out))
}

/// Decodes, blacks out, re-encodes; sets the header attributes the new encoding needs.
fn blackout_regions(
    obj: &mut InMemDicomObject,
    ts: &str,
    regions: &[Rect],
    applied: &mut Applied,
) -> Result<CheckInput, PixelError> {
    let palette =
        if string_of(obj, tags::PHOTOMETRIC_INTERPRETATION).as_deref() == Some("PALETTE COLOR") {
            palette_black(obj)
        } else {
            None
        };
    let source = frames::FrameSource::new(obj, ts)?;
    if source.encoding == Encoding::Other {
        return Err(PixelError::Unsupported {
            what: format!("pixel data in transfer syntax {ts}"),
        });
    }
    let (g, encoding) = (source.geometry.clone(), source.encoding);
    let (input, cleaned) = clean_frames(&source, regions, palette)?;
    drop(source);
    let vr = frames::pixel_vr(obj);
    match (encoding, cleaned) {
        (e, Cleaned::Rle(fragments)) if e.rewrites_as_rle() => {
            frames::put_fragments(obj, fragments, g.frames > 1);
            if g.spp == 3 {
                // PS3.5 G.2: RLE codes colour by plane.
                put_us(obj, tags::PLANAR_CONFIGURATION, 1);
            }
            applied.transfer_syntax = Some(syntax::RLE.into());
        }
        (e, Cleaned::Native(bytes)) if e.is_lossy() => {
            let vr = if g.bits_allocated > 8 {
                dicom_core::VR::OW
            } else {
                dicom_core::VR::OB
            };
            frames::put_native(obj, bytes, vr);
            put_str(
                obj,
                tags::PHOTOMETRIC_INTERPRETATION,
                dicom_core::VR::CS,
                &g.photometric,
            );
            if g.spp == 3 {
                put_us(obj, tags::PLANAR_CONFIGURATION, 0);
            }
            // The pixels were lossy-compressed once (PS3.3 C.7.6.1.1.5): say so.
            put_str(obj, tags::LOSSY_IMAGE_COMPRESSION, dicom_core::VR::CS, "01");
            applied.transfer_syntax = Some(syntax::EXPLICIT_LE.into());
        }
        (_, Cleaned::Native(bytes)) => frames::put_native(obj, bytes, vr),
        (_, Cleaned::Rle(_)) => {
            return Err(PixelError::Unsupported {
                what: format!("pixel data in transfer syntax {ts}"),
            })
        }
    }
    Ok(CheckInput {
        decoded: Decoded {
            geometry: g,
            encoding,
            frames: input,
        },
        regions: regions.to_vec(),
        palette_black: palette,
    })
}

fn put_us(obj: &mut InMemDicomObject, tag: Tag, v: u16) {
    obj.put(dicom_core::DataElement::new(
        tag,
        dicom_core::VR::US,
        dicom_core::value::PrimitiveValue::from(v),
    ));
}

fn put_str(obj: &mut InMemDicomObject, tag: Tag, vr: dicom_core::VR, v: &str) {
    obj.put(dicom_core::DataElement::new(
        tag,
        vr,
        dicom_core::value::PrimitiveValue::from(v),
    ));
}

#[cfg(test)]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
mod tests {
    use super::*;

    #[test]
    fn pixel_codes_serialise_as_the_log_writes_them() {
        for code in PixelCode::ALL {
            let json = serde_json::to_string(&code).expect("a code serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: PixelCode = serde_json::from_str(&json).expect("and reads back");
            assert_eq!(back, code);
        }
    }
    use crate::padding::Unpadded as _;
    use crate::pixels::check::check_cleaned;
    use dicom_core::value::PrimitiveValue;
    use dicom_core::{DataElement, VR};
    use dicom_object::meta::FileMetaTableBuilder;

    /// A synthetic image: `frames` frames of `rows` x `cols`, pixel value from a formula.
    fn image(
        photometric: &str,
        spp: u16,
        bits: u16,
        stored: u16,
        signed: bool,
        planar: bool,
        frames: usize,
        data: Vec<u8>,
    ) -> InMemDicomObject {
        let us = |t, v: u16| DataElement::new(t, VR::US, PrimitiveValue::from(v));
        let mut o = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::SOP_CLASS_UID,
                VR::UI,
                PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.7"),
            ),
            DataElement::new(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from("1.2.3.4"),
            ),
            DataElement::new(tags::MODALITY, VR::CS, PrimitiveValue::from("OT")),
            DataElement::new(
                tags::PHOTOMETRIC_INTERPRETATION,
                VR::CS,
                PrimitiveValue::from(photometric),
            ),
            DataElement::new(
                tags::NUMBER_OF_FRAMES,
                VR::IS,
                PrimitiveValue::from(frames.to_string()),
            ),
            us(tags::SAMPLES_PER_PIXEL, spp),
            us(tags::ROWS, 6),
            us(tags::COLUMNS, 10),
            us(tags::BITS_ALLOCATED, bits),
            us(tags::BITS_STORED, stored),
            us(tags::HIGH_BIT, stored - 1),
            us(tags::PIXEL_REPRESENTATION, u16::from(signed)),
        ]);
        if spp == 3 {
            o.put(us(tags::PLANAR_CONFIGURATION, u16::from(planar)));
        }
        frames::put_native(&mut o, data, if bits > 8 { VR::OW } else { VR::OB });
        o
    }

    fn write(o: &InMemDicomObject, ts: &str) -> Vec<u8> {
        let meta = FileMetaTableBuilder::new()
            .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
            .media_storage_sop_instance_uid("1.2.3.4")
            .transfer_syntax(ts)
            .build()
            .expect("meta");
        let mut out = Vec::new();
        o.clone()
            .with_exact_meta(meta)
            .write_all(&mut out)
            .expect("writes");
        out
    }

    fn clean_and_check(mut o: InMemDicomObject, ts: &str, regions: Vec<Rect>) -> Vec<u8> {
        let d = Decision::Clean {
            rule: "test".into(),
            regions,
            why: "test".into(),
        };
        let a = apply(&mut o, ts, d, Unreviewed::Hold).expect("cleans");
        assert!(a.cleaned);
        let out_ts = a.transfer_syntax.clone().unwrap_or(ts.to_string());
        let bytes = write(&o, &out_ts);
        let c = a.check.expect("check input");
        check_cleaned(&c.decoded, &c.regions, c.palette_black, &bytes).expect("self-check passes");
        bytes
    }

    const R: Rect = Rect {
        x: 3,
        y: 1,
        w: 3,
        h: 2,
    };

    #[test]
    fn every_layout_is_cleaned_and_checked() {
        let pattern = |n: usize| (0..n).map(|i| (i * 7 + 3) as u8).collect::<Vec<u8>>();
        let cases: Vec<(&str, u16, u16, u16, bool, bool, usize, usize)> = vec![
            // photometric, spp, bits, stored, signed, planar, frames, bytes
            ("MONOCHROME2", 1, 8, 8, false, false, 2, 120),
            ("MONOCHROME1", 1, 16, 12, false, false, 1, 120),
            ("MONOCHROME2", 1, 16, 12, true, false, 3, 360),
            ("RGB", 3, 8, 8, false, false, 2, 360),
            ("RGB", 3, 8, 8, false, true, 1, 180),
            ("YBR_FULL_422", 3, 8, 8, false, false, 2, 240),
            ("MONOCHROME2", 1, 1, 1, false, false, 3, 23),
        ];
        for ts in [
            syntax::EXPLICIT_LE,
            syntax::IMPLICIT_LE,
            syntax::EXPLICIT_BE,
        ] {
            for &(p, spp, bits, stored, signed, planar, frames, n) in &cases {
                let o = image(p, spp, bits, stored, signed, planar, frames, pattern(n));
                let bytes = clean_and_check(o, ts, vec![R]);
                assert!(!bytes.is_empty(), "{ts} {p} {bits}");
            }
        }
    }

    #[test]
    fn rle_is_re_encoded_and_checked() {
        let o = image(
            "RGB",
            3,
            8,
            8,
            false,
            false,
            2,
            (0..360).map(|i| (i % 251) as u8).collect(),
        );
        // Encode as RLE first.
        let d = frames::decode(&o, syntax::EXPLICIT_LE).expect("decodes");
        let frags: Vec<Vec<u8>> = d
            .frames
            .iter()
            .map(|f| rle::encode_frame(f, 6, 10, 3, 8).expect("encodes"))
            .collect();
        let mut o = o;
        frames::put_fragments(&mut o, frags, true);
        o.put(DataElement::new(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(1u16),
        ));
        clean_and_check(o, syntax::RLE, vec![R]);
    }

    #[test]
    fn the_check_catches_a_change_outside_and_text_left_inside() {
        let mut o = image("MONOCHROME2", 1, 8, 8, false, false, 1, vec![100; 60]);
        let d = Decision::Clean {
            rule: "t".into(),
            regions: vec![R],
            why: "t".into(),
        };
        let a = apply(&mut o, syntax::EXPLICIT_LE, d, Unreviewed::Hold).expect("cleans");
        let c = a.check.expect("check");
        // Outside changed.
        let mut bad = o.clone();
        let mut px = vec![100u8; 60];
        for y in 1..3 {
            for x in 3..6 {
                px[y * 10 + x] = 0;
            }
        }
        px[0] = 99;
        frames::put_native(&mut bad, px.clone(), VR::OB);
        assert!(check_cleaned(
            &c.decoded,
            &c.regions,
            None,
            &write(&bad, syntax::EXPLICIT_LE)
        )
        .is_err());
        // Inside not black.
        px[0] = 100;
        px[13] = 100;
        frames::put_native(&mut bad, px, VR::OB);
        assert!(check_cleaned(
            &c.decoded,
            &c.regions,
            None,
            &write(&bad, syntax::EXPLICIT_LE)
        )
        .is_err());
    }

    /// A derived multi-frame secondary capture (a "possible" carrier), 8-bit MONOCHROME2,
    /// `w` x `h`, from canonical frames; RLE encoded when `rle`.
    fn loop_image(
        frames: &[Vec<u8>],
        w: usize,
        h: usize,
        rle: bool,
    ) -> (InMemDicomObject, &'static str) {
        let us = |t, v: usize| DataElement::new(t, VR::US, PrimitiveValue::from(v as u16));
        let cs = |t, v: &str| DataElement::new(t, VR::CS, PrimitiveValue::from(v));
        let mut o = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::SOP_CLASS_UID,
                VR::UI,
                PrimitiveValue::from("1.2.840.10008.5.1.4.1.1.7.2"),
            ),
            cs(tags::MODALITY, "CT"),
            cs(tags::IMAGE_TYPE, "DERIVED\\SECONDARY"),
            cs(tags::BURNED_IN_ANNOTATION, "NO"),
            cs(tags::PHOTOMETRIC_INTERPRETATION, "MONOCHROME2"),
            DataElement::new(
                tags::NUMBER_OF_FRAMES,
                VR::IS,
                PrimitiveValue::from(frames.len().to_string()),
            ),
            us(tags::SAMPLES_PER_PIXEL, 1),
            us(tags::ROWS, h),
            us(tags::COLUMNS, w),
            us(tags::BITS_ALLOCATED, 8),
            us(tags::BITS_STORED, 8),
            us(tags::HIGH_BIT, 7),
            us(tags::PIXEL_REPRESENTATION, 0),
        ]);
        if rle {
            let fragments = frames
                .iter()
                .map(|f| rle::encode_frame(f, h, w, 1, 8).expect("encodes"))
                .collect();
            frames::put_fragments(&mut o, fragments, true);
            (o, syntax::RLE)
        } else {
            frames::put_native(&mut o, frames.concat(), VR::OB);
            (o, syntax::EXPLICIT_LE)
        }
    }

    /// Frames of a moving bright disc on a dark ground; `text` is drawn into frame `at`.
    fn loop_frames(n: usize, w: usize, h: usize, text: Option<(usize, &str)>) -> Vec<Vec<u8>> {
        (0..n)
            .map(|k| {
                let mut img = crate::pixels::detect::tests::Img::new(w, h, 10);
                let (cx, cy) = (40 + 8 * k, h / 2);
                for y in 0..h {
                    for x in 0..w {
                        let d2 = x.abs_diff(cx).pow(2) + y.abs_diff(cy).pow(2);
                        if d2 < 30 * 30 {
                            img.px[y * w + x] = 200 - (d2 / 6) as u8;
                        }
                    }
                }
                if let Some((at, s)) = text.filter(|(at, _)| *at == k) {
                    img.text(s, 4 + 3 * at, 4, 2, 250);
                }
                img.px
            })
            .collect()
    }

    fn detect_decision(o: &mut InMemDicomObject, ts: &str) -> Result<Applied, Rejection> {
        let sig = gate::signature_of(o, ts);
        let d = decide(&sig, &RuleSet::default(), Unreviewed::Hold);
        assert!(matches!(d, Decision::Detect(_)), "{d:?}");
        apply(o, ts, d, Unreviewed::Hold)
    }

    #[test]
    fn text_in_any_one_frame_of_a_possible_carrier_holds_it() {
        let (w, h, n) = (220, 80, 9);
        for rle in [false, true] {
            for at in 0..n {
                let frames = loop_frames(n, w, h, Some((at, "DOE^JOHN 12345678")));
                let (mut o, ts) = loop_image(&frames, w, h, rle);
                match detect_decision(&mut o, ts) {
                    Err(Rejection::PixelReview { detail }) => assert!(
                        detail.contains(&format!("text detected in frame {} of {n}", at + 1)),
                        "{detail}"
                    ),
                    other => panic!("text in frame {} (rle {rle}): {other:?}", at + 1),
                }
            }
            // the same loop without text passes, every frame looked at
            let (mut o, ts) = loop_image(&loop_frames(n, w, h, None), w, h, rle);
            let a = detect_decision(&mut o, ts).expect("passes");
            let note = a.note.expect("a note");
            assert_eq!(note.code, PixelCode::NoTextDetected);
            assert!(note.text.contains("in any of 9 frames"), "{}", note.text);
        }
    }

    #[test]
    fn a_frame_that_cannot_be_decoded_holds_a_possible_carrier() {
        let (w, h, n) = (220, 80, 4);
        let frames = loop_frames(n, w, h, None);
        let (mut o, ts) = loop_image(&frames, w, h, true);
        let fragments = frames
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let mut e = rle::encode_frame(f, h, w, 1, 8).expect("encodes");
                if k == 2 {
                    e.truncate(40);
                }
                e
            })
            .collect();
        frames::put_fragments(&mut o, fragments, true);
        assert!(matches!(
            detect_decision(&mut o, ts),
            Err(Rejection::PixelReview { detail }) if detail.contains("cannot look for text")
        ));
    }

    #[test]
    fn a_rule_cleans_every_frame_and_the_check_reads_every_frame() {
        let (w, h, n) = (220, 80, 5);
        let region = Rect {
            x: 0,
            y: 0,
            w: 220,
            h: 22,
        };
        for rle in [false, true] {
            // text in the band of every frame, a different one in each
            let frames: Vec<Vec<u8>> = (0..n)
                .map(|k| loop_frames(n, w, h, Some((k, "DOE^JOHN 12345678"))).swap_remove(k))
                .collect();
            let (o, ts) = loop_image(&frames, w, h, rle);
            let bytes = clean_and_check(o, ts, vec![region]);
            let (out, _) = crate::read::parse_whole(&bytes).expect("parses");
            let out_ts = out.meta().transfer_syntax().unpadded().to_string();
            let d = frames::decode(&out, &out_ts).expect("decodes");
            assert_eq!(d.frames.len(), n);
            for (k, f) in d.frames.iter().enumerate() {
                assert!(
                    detect::text_boxes(f, w, h).is_empty(),
                    "frame {} still shows text",
                    k + 1
                );
                assert!(f[..22 * w].iter().all(|&v| v == 0), "frame {}", k + 1);
            }
        }
        // the self-check rejects text left in one middle frame only
        let frames = loop_frames(n, w, h, None);
        let (mut o, ts) = loop_image(&frames, w, h, false);
        let d = Decision::Clean {
            rule: "t".into(),
            regions: vec![region],
            why: "t".into(),
        };
        let a = apply(&mut o, ts, d, Unreviewed::Hold).expect("cleans");
        let c = a.check.expect("check");
        let mut out = frames::decode(&o, ts).expect("decodes").frames;
        out[2][5 * w + 7] = 255;
        let mut bad = o.clone();
        frames::put_native(&mut bad, out.concat(), VR::OB);
        match check_cleaned(&c.decoded, &c.regions, None, &write(&bad, ts)) {
            Err(Rejection::Leak { detail }) => assert!(detail.contains("frame 3,"), "{detail}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decisions() {
        let rules = RuleSet::parse(
            "[[rule]]\nname = \"us\"\naction = \"clean\"\nregions = [[0, 0, 10, 2]]\n[rule.match]\nModality = \"US\"\n",
        )
        .expect("rules");
        let sig = |m: &str, it: &str| Signature {
            modality: m.into(),
            image_type: it.into(),
            rows: 6,
            columns: 10,
            ..Signature::default()
        };
        assert!(matches!(
            decide(&sig("US", ""), &rules, Unreviewed::Hold),
            Decision::Clean { .. }
        ));
        assert!(matches!(
            decide(&sig("XA", ""), &rules, Unreviewed::Hold),
            Decision::Reject(Rejection::PixelReview { .. })
        ));
        assert!(matches!(
            decide(&sig("XA", ""), &rules, Unreviewed::Keep),
            Decision::Keep(_)
        ));
        assert!(matches!(
            decide(&sig("XA", ""), &rules, Unreviewed::Exclude),
            Decision::Reject(Rejection::PixelExcluded { .. })
        ));
        assert!(matches!(
            decide(&sig("CT", "DERIVED\\SECONDARY"), &rules, Unreviewed::Hold),
            Decision::Detect(_)
        ));
        assert_eq!(
            decide(&sig("CT", "ORIGINAL\\PRIMARY"), &rules, Unreviewed::Hold),
            Decision::Pass(None)
        );
    }
}
