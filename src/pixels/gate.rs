//! The gate: which images may show identifying text in their pixels, decided from the header at
//! scan time (so the page can show them before Start), with the reasons.
//!
//! PS3.15 E.3.1 (Clean Pixel Data Option) and E.3.2 (Clean Recognizable Visual Features Option)
//! name the attributes; the modalities and SOP classes below are those whose images routinely carry
//! burned-in annotation (ultrasound banners, screen captures, photographs, scanned documents).
//! Burned In Annotation NO does not clear ultrasound or screen saves: the flag is often wrong.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;
use serde::{Deserialize, Serialize};

use crate::padding::{string_of, Unpadded as _};

/// The header values the gate and the rules look at (PHI-free apart from the device names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Signature {
    /// Modality (0008,0060).
    pub modality: String,
    /// Manufacturer (0008,0070).
    pub manufacturer: String,
    /// Manufacturer's Model Name (0008,1090).
    pub model: String,
    /// Rows (0028,0010), 0 when absent.
    pub rows: u32,
    /// Columns (0028,0011), 0 when absent.
    pub columns: u32,
    /// Image Type (0008,0008), values joined with `\`.
    pub image_type: String,
    /// SOP Class UID.
    pub sop_class: String,
    /// Photometric Interpretation (0028,0004).
    pub photometric: String,
    /// Transfer Syntax UID of the file.
    pub transfer_syntax: String,
    /// Burned In Annotation (0028,0301), as written.
    pub burned_in_annotation: String,
    /// Recognizable Visual Features (0028,0302), as written.
    pub recognizable_visual_features: String,
}

/// What the gate decided for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// No reason to expect text: pixel data passes untouched.
    Pass,
    /// May show text: the text detector decides on the decoded image.
    Possible,
    /// Shows text, or is known to often show it: cleaned by a rule, or held for review.
    Carrier,
}

/// The gate's decision with its reasons, in words for the log and the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// The class.
    pub class: Class,
    /// Why (empty for [`Class::Pass`]).
    pub reasons: Vec<String>,
}

impl Default for Gate {
    /// The gate of a file with nothing to flag.
    fn default() -> Self {
        Gate {
            class: Class::Pass,
            reasons: Vec::new(),
        }
    }
}

impl Gate {
    /// The reasons joined for one log cell.
    pub fn reason_text(&self) -> String {
        self.reasons.join("; ")
    }
}

/// Secondary Capture Image Storage SOP classes (PS3.4 B.5): SC, Multi-frame Single Bit, Grayscale
/// Byte, Grayscale Word, True Color.
const SECONDARY_CAPTURE: [&str; 5] = [
    "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.7.1",
    "1.2.840.10008.5.1.4.1.1.7.2",
    "1.2.840.10008.5.1.4.1.1.7.3",
    "1.2.840.10008.5.1.4.1.1.7.4",
];

/// Prefix of the VL (visible light) image SOP classes, photo and video (PS3.4 B.5: 77.1.x).
const VISIBLE_LIGHT_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.77.1";

/// Encapsulated PDF, CDA, STL, OBJ, MTL (PS3.4 B.5: 104.x).
const ENCAPSULATED_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.104.";

/// Video transfer syntaxes: MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265 (PS3.5 A.4.5–A.4.8:
/// 1.2.840.10008.1.2.4.100 … .108 and their sub-UIDs).
fn is_video_syntax(ts: &str) -> bool {
    ts.strip_prefix("1.2.840.10008.1.2.4.10")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Modalities whose images routinely carry burned-in text (US banners; XA/RF/ES/XC/OP captures;
/// SM slide labels; DOC scanned documents; OT other).
const TEXT_MODALITIES: [&str; 9] = ["US", "XA", "RF", "ES", "XC", "OP", "SM", "DOC", "OT"];

fn yes(v: &str) -> bool {
    v.trim().eq_ignore_ascii_case("YES")
}

fn no(v: &str) -> bool {
    v.trim().eq_ignore_ascii_case("NO")
}

/// Decides the class of one file from its header.
pub fn gate(s: &Signature) -> Gate {
    let sop = s.sop_class.trim();
    let is_image = s.rows > 0 || s.columns > 0;
    if !is_image && !sop.starts_with(ENCAPSULATED_PREFIX) {
        // No pixels (structured reports, RT structures, presentation states …).
        return Gate {
            class: Class::Pass,
            reasons: Vec::new(),
        };
    }
    let mut carrier = Vec::new();
    let image_type: Vec<String> = s
        .image_type
        .split('\\')
        .map(|v| v.trim().to_ascii_uppercase())
        .collect();
    let modality = s.modality.trim().to_ascii_uppercase();
    let is_sc = SECONDARY_CAPTURE.contains(&sop);

    if yes(&s.burned_in_annotation) {
        carrier.push("Burned In Annotation is YES".to_string());
    }
    if yes(&s.recognizable_visual_features) {
        carrier.push("Recognizable Visual Features is YES".to_string());
    }
    if TEXT_MODALITIES.contains(&modality.as_str()) {
        carrier.push(format!("modality {modality} often shows burned-in text"));
    }
    if is_sc && (!no(&s.burned_in_annotation) || ["OT", "DOC", "US"].contains(&modality.as_str())) {
        carrier.push(if no(&s.burned_in_annotation) {
            format!("secondary capture of modality {modality}")
        } else {
            "secondary capture without Burned In Annotation NO".to_string()
        });
    }
    if sop.starts_with(VISIBLE_LIGHT_PREFIX) {
        carrier.push("visible-light photograph or video".to_string());
    }
    if is_video_syntax(s.transfer_syntax.trim()) {
        carrier.push("video transfer syntax".to_string());
    }
    if image_type
        .iter()
        .any(|v| v == "SCREEN SAVE" || v == "SAVE" || v == "SCREENSAVE")
    {
        carrier.push("Image Type says screen save".to_string());
    }
    if sop.starts_with(ENCAPSULATED_PREFIX) {
        carrier.push("encapsulated document (PDF, CDA or model)".to_string());
    }
    if !carrier.is_empty() {
        carrier.dedup();
        return Gate {
            class: Class::Carrier,
            reasons: carrier,
        };
    }
    let derived_secondary = image_type.first().is_some_and(|v| v == "DERIVED")
        && image_type.get(1).is_some_and(|v| v == "SECONDARY");
    if derived_secondary {
        return Gate {
            class: Class::Possible,
            reasons: vec!["DERIVED\\SECONDARY image (reformat, rendering or screen)".into()],
        };
    }
    if is_sc {
        return Gate {
            class: Class::Possible,
            reasons: vec!["secondary capture".into()],
        };
    }
    Gate {
        class: Class::Pass,
        reasons: Vec::new(),
    }
}

/// The header values of one file the gate and the rules use.
pub fn signature_of(obj: &InMemDicomObject, transfer_syntax: &str) -> Signature {
    let s = |t: Tag| string_of(obj, t).unwrap_or_default();
    let n = |t: Tag| obj.get(t).and_then(|e| e.to_int::<u32>().ok()).unwrap_or(0);
    let image_type = obj
        .get(tags::IMAGE_TYPE)
        .and_then(|e| e.to_multi_str().ok())
        .map(|v| {
            v.iter()
                .map(|x| x.unpadded().trim().to_string())
                .collect::<Vec<_>>()
                .join("\\")
        })
        .unwrap_or_default();
    Signature {
        modality: s(tags::MODALITY),
        manufacturer: s(tags::MANUFACTURER),
        model: s(tags::MANUFACTURER_MODEL_NAME),
        rows: n(tags::ROWS),
        columns: n(tags::COLUMNS),
        image_type,
        sop_class: s(tags::SOP_CLASS_UID),
        photometric: s(tags::PHOTOMETRIC_INTERPRETATION),
        transfer_syntax: transfer_syntax.unpadded().to_string(),
        burned_in_annotation: s(tags::BURNED_IN_ANNOTATION),
        recognizable_visual_features: s(tags::RECOGNIZABLE_VISUAL_FEATURES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(modality: &str, sop: &str, image_type: &str, bia: &str) -> Signature {
        Signature {
            modality: modality.into(),
            sop_class: sop.into(),
            image_type: image_type.into(),
            burned_in_annotation: bia.into(),
            transfer_syntax: "1.2.840.10008.1.2.1".into(),
            rows: 64,
            columns: 64,
            ..Signature::default()
        }
    }

    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
    const US: &str = "1.2.840.10008.5.1.4.1.1.6.1";
    const SC: &str = "1.2.840.10008.5.1.4.1.1.7";

    #[test]
    fn classes() {
        let g = |s: &Signature| gate(s).class;
        assert_eq!(
            g(&sig("CT", CT, "ORIGINAL\\PRIMARY\\AXIAL", "")),
            Class::Pass
        );
        assert_eq!(
            g(&sig("CT", CT, "ORIGINAL\\PRIMARY\\AXIAL", "YES")),
            Class::Carrier
        );
        // US is a carrier even when it says NO.
        assert_eq!(g(&sig("US", US, "ORIGINAL\\PRIMARY", "NO")), Class::Carrier);
        assert_eq!(
            g(&sig("CT", CT, "DERIVED\\SECONDARY\\REFORMATTED", "")),
            Class::Possible
        );
        assert_eq!(
            g(&sig("CT", CT, "DERIVED\\SECONDARY\\SCREEN SAVE", "NO")),
            Class::Carrier
        );
        assert_eq!(g(&sig("CT", SC, "DERIVED\\SECONDARY", "")), Class::Carrier);
        assert_eq!(
            g(&sig("CT", SC, "DERIVED\\SECONDARY", "NO")),
            Class::Possible
        );
        assert_eq!(g(&sig("OT", SC, "", "NO")), Class::Carrier);
        assert_eq!(
            g(&sig("MR", "1.2.840.10008.5.1.4.1.1.77.1.4", "", "NO")),
            Class::Carrier
        );
        assert_eq!(
            g(&sig("OT", "1.2.840.10008.5.1.4.1.1.104.1", "", "")),
            Class::Carrier
        );
        let mut v = sig("ES", "1.2.840.10008.5.1.4.1.1.77.1.1.1", "", "");
        v.transfer_syntax = "1.2.840.10008.1.2.4.102".into();
        assert!(gate(&v).reasons.iter().any(|r| r.contains("video")));
        assert!(!is_video_syntax("1.2.840.10008.1.2.4.1"));
        assert!(is_video_syntax("1.2.840.10008.1.2.4.100.1"));
        assert!(!is_video_syntax("1.2.840.10008.1.2.4.91"));
        // No pixels, no gate (an SR of modality OT).
        let mut sr = sig("OT", "1.2.840.10008.5.1.4.1.1.88.11", "", "");
        sr.rows = 0;
        sr.columns = 0;
        assert_eq!(g(&sr), Class::Pass);
    }
}
