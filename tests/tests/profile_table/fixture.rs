//! Fixtures for `tests/tests/profile_table.rs`: real DICOM files built in memory with dicom-rs
//! (preamble, file meta group, explicit VR little endian), plausible values for each VR, the
//! research identity and the independent text scrubber the Clean (C) checks compare against.

use dicom_core::dictionary::DataDictionary;
use dicom_core::value::{DataSetSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_deid::deid::NewIdentity;
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_object::file::ReadPreamble;
use dicom_object::mem::{InMemDicomObject, InMemElement};
use dicom_object::meta::FileMetaTableBuilder;
use dicom_object::{FileDicomObject, OpenFileOptions};

/// The project secret every case runs under (the tests' one secret, as bytes).
pub const SECRET: &[u8] = crate::support::SECRET.as_bytes();
/// CT Image Storage.
pub const SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.2";
/// Baseline SOP Instance UID (also the input meta group's MediaStorageSOPInstanceUID).
pub const SOP_INSTANCE: &str = "1.2.826.0.1.3680043.9.7777.1.1";
/// Baseline Study Instance UID.
pub const STUDY_UID: &str = "1.2.826.0.1.3680043.9.7777.1.2";
/// Baseline Series Instance UID.
pub const SERIES_UID: &str = "1.2.826.0.1.3680043.9.7777.1.3";
/// UID referenced inside the items of every test sequence.
pub const ITEM_REF_UID: &str = "1.2.826.0.1.3680043.9.7777.3.1";
/// Baseline identifiers of the input: patient name, ID and study date.
pub const PATIENT_NAME: &str = "DOE^JOHN";
/// Baseline PatientID.
pub const PATIENT_ID: &str = "PID12345";
/// Baseline StudyDate.
pub const STUDY_DATE: &str = "20190704";
/// The code value put in every test sequence item.
pub const ITEM_CODE_VALUE: &str = "T-D1100";

/// Values written for dates and times, and what the identity's shift of −30 days makes of them
/// (2021-03-15 − 30 days = 2021-02-13; times are not changed by a whole-day shift).
pub const DA_VALUE: &str = "20210315";
/// DA shifted by [`SHIFT_DAYS`].
pub const DA_SHIFTED: &str = "20210213";
/// DT value.
pub const DT_VALUE: &str = "20210315101500";
/// DT shifted by [`SHIFT_DAYS`].
pub const DT_SHIFTED: &str = "20210213101500";
/// TM value.
pub const TM_VALUE: &str = "101500";
/// AS value, and its 5-year bin.
pub const AS_VALUE: &str = "043Y";
/// AS binned.
pub const AS_BINNED: &str = "040Y";
/// The identity's date shift.
pub const SHIFT_DAYS: i64 = -30;

/// Free text carrying the input's identifiers (name words, PatientID, StudyDate), used for
/// the values that the Clean action must scrub.
pub const IDENTIFYING_TEXT: &str = "REVIEWED BY DOE JOHN FOR PID12345 ON 20190704";
/// The same for 16-character VRs (SH, AE).
pub const IDENTIFYING_SHORT: &str = "DOE PID12345";
/// The same for UR.
pub const IDENTIFYING_UR: &str = "http://example.org/DOE/PID12345";

/// The research identity every case is rewritten with.
pub fn identity() -> NewIdentity {
    NewIdentity {
        research_id: "SUBJ0042".into(),
        patient_name: "SUBJ0042".into(),
        accession: "SUBJ0042_1".into(),
        shift_days: SHIFT_DAYS,
        notes: Some("batch A".into()),
        surgery_date: None,
        anchor_date: None,
        out_path: "SUBJ0042/1/1.dcm".into(),
    }
}

/// The dictionary VR of a tag (dicom-rs standard dictionary; ambiguous VRs relaxed to US/OW).
pub fn dictionary_vr(tag: Tag) -> Option<VR> {
    StandardDataDictionary.by_tag(tag).map(|e| e.vr.relaxed())
}

fn text(tag: Tag, vr: VR, s: &str) -> InMemElement {
    DataElement::new(tag, vr, PrimitiveValue::from(s))
}

/// One item with a code (CodeValue / CodingSchemeDesignator / CodeMeaning) and a nested UID
/// reference (ReferencedSOPClassUID / ReferencedSOPInstanceUID).
pub fn code_and_ref_item() -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        text(tags::CODE_VALUE, VR::SH, ITEM_CODE_VALUE),
        text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, "SRT"),
        text(tags::CODE_MEANING, VR::LO, "Head"),
        text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, SOP_CLASS),
        text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, ITEM_REF_UID),
    ])
}

/// A sequence element holding `items`.
pub fn sequence(tag: Tag, items: Vec<InMemDicomObject>) -> InMemElement {
    DataElement::new(
        tag,
        VR::SQ,
        Value::from(DataSetSequence::new(items, Length::UNDEFINED)),
    )
}

/// Whether the engine's Clean action scrubs values of this VR (src/deid.rs `clean`).
pub fn is_scrubbed_text(vr: VR) -> bool {
    matches!(
        vr,
        VR::AE | VR::LO | VR::LT | VR::SH | VR::ST | VR::UT | VR::UC | VR::UR
    )
}

/// A plausible value of the given VR. `serial` makes UIDs unique per row; `identifying` asks
/// for text that carries the input's identifiers (for the Clean checks of text VRs).
pub fn element_for(tag: Tag, vr: VR, serial: usize, identifying: bool) -> InMemElement {
    let uid = format!("1.2.826.0.1.3680043.9.7777.2.{}", serial + 1);
    match vr {
        VR::SQ => sequence(tag, vec![code_and_ref_item()]),
        VR::AE if identifying => text(tag, vr, IDENTIFYING_SHORT),
        VR::SH if identifying => text(tag, vr, IDENTIFYING_SHORT),
        VR::UR if identifying => text(tag, vr, IDENTIFYING_UR),
        VR::LO | VR::LT | VR::ST | VR::UT | VR::UC if identifying => {
            text(tag, vr, IDENTIFYING_TEXT)
        }
        VR::AE => text(tag, vr, "NODE7"),
        VR::AS => text(tag, vr, AS_VALUE),
        VR::CS => text(tag, vr, "VALUE_A"),
        VR::DA => text(tag, vr, DA_VALUE),
        VR::DT => text(tag, vr, DT_VALUE),
        VR::TM => text(tag, vr, TM_VALUE),
        VR::DS => text(tag, vr, "12.5"),
        VR::IS => text(tag, vr, "42"),
        VR::SH => text(tag, vr, "SH VALUE 7"),
        VR::LO => text(tag, vr, "LO VALUE FOR ROW"),
        VR::LT | VR::ST | VR::UT | VR::UC => text(tag, vr, "FREE TEXT FOR ROW"),
        VR::UR => text(tag, vr, "http://example.org/row"),
        VR::PN => text(tag, vr, "ROE^RICHARD"),
        VR::UI => text(tag, vr, &uid),
        VR::US => DataElement::new(tag, vr, PrimitiveValue::from(7u16)),
        VR::SS => DataElement::new(tag, vr, PrimitiveValue::from(-7i16)),
        VR::UL => DataElement::new(tag, vr, PrimitiveValue::from(70_000u32)),
        VR::SL => DataElement::new(tag, vr, PrimitiveValue::from(-70_000i32)),
        VR::FL | VR::OF => DataElement::new(tag, vr, PrimitiveValue::from(1.5f32)),
        VR::FD | VR::OD => DataElement::new(tag, vr, PrimitiveValue::from(2.5f64)),
        VR::OL => DataElement::new(
            tag,
            vr,
            PrimitiveValue::U32([7u32, 8].into_iter().collect()),
        ),
        VR::OV | VR::UV => {
            DataElement::new(tag, vr, PrimitiveValue::U64([7u64].into_iter().collect()))
        }
        VR::SV => DataElement::new(tag, vr, PrimitiveValue::I64([-7i64].into_iter().collect())),
        VR::OW => DataElement::new(
            tag,
            vr,
            PrimitiveValue::U16([0x0102u16, 0x0304].into_iter().collect()),
        ),
        VR::AT => DataElement::new(
            tag,
            vr,
            PrimitiveValue::Tags([tags::PATIENT_NAME].into_iter().collect()),
        ),
        // OB, UN and anything else: bytes.
        _ => DataElement::new(
            tag,
            vr,
            PrimitiveValue::U8([1u8, 2, 3, 4].into_iter().collect()),
        ),
    }
}

/// The tag of the sequence (not in Table E.1-1) whose item holds the nested copy.
pub const WRAPPER: Tag = tags::REFERENCED_SERIES_SEQUENCE;

/// Builds a file: baseline attributes (SOP class/instance, study/series UIDs, patient name and
/// ID, study date, modality), then `top` at top level and `nested` inside one item of
/// ReferencedSeriesSequence (0008,1115). The meta group carries the AE titles and private
/// information that the rewrite must drop.
pub fn build_file(top: Vec<InMemElement>, nested: Option<Vec<InMemElement>>) -> Vec<u8> {
    let mut obj = InMemDicomObject::from_element_iter([
        text(tags::SOP_CLASS_UID, VR::UI, SOP_CLASS),
        text(tags::SOP_INSTANCE_UID, VR::UI, SOP_INSTANCE),
        text(tags::STUDY_DATE, VR::DA, STUDY_DATE),
        text(tags::MODALITY, VR::CS, "CT"),
        text(tags::PATIENT_NAME, VR::PN, PATIENT_NAME),
        text(tags::PATIENT_ID, VR::LO, PATIENT_ID),
        text(tags::STUDY_INSTANCE_UID, VR::UI, STUDY_UID),
        text(tags::SERIES_INSTANCE_UID, VR::UI, SERIES_UID),
    ]);
    for e in top {
        obj.put(e);
    }
    if let Some(inner) = nested {
        obj.put(sequence(
            WRAPPER,
            vec![InMemDicomObject::from_element_iter(inner)],
        ));
    }
    let sop = obj
        .get(tags::SOP_INSTANCE_UID)
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
        .unwrap_or_else(|| SOP_INSTANCE.to_string());
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(SOP_CLASS)
        .media_storage_sop_instance_uid(sop.as_str())
        .transfer_syntax("1.2.840.10008.1.2.1")
        .implementation_class_uid("1.2.826.0.1.3680043.9.7777.99")
        .implementation_version_name("PROFILE_TEST")
        .source_application_entity_title("SOURCE_AE")
        .sending_application_entity_title("SENDING_AE")
        .receiving_application_entity_title("RECEIVING_AE")
        .private_information_creator_uid("1.2.826.0.1.3680043.9.7777.98")
        .private_information(vec![1u8, 2, 3, 4])
        .build()
        .expect("meta group");
    let file = obj.with_exact_meta(meta);
    let mut bytes = Vec::new();
    file.write_all(&mut bytes).expect("write test file");
    bytes
}

/// Parses a whole file (128-byte preamble, `DICM`, meta group, data set) with dicom-rs.
pub fn parse(bytes: &[u8]) -> FileDicomObject<InMemDicomObject> {
    OpenFileOptions::new()
        .read_preamble(ReadPreamble::Never)
        .from_reader(&bytes[128..])
        .expect("file parses with dicom-rs")
}

/// An element's value as a string, padding trimmed (multi-values joined by `\`).
pub fn str_of(e: &InMemElement) -> String {
    e.to_str()
        .map(|s| s.trim_end_matches(['\0', ' ']).to_string())
        .unwrap_or_default()
}

/// An element's raw value bytes (empty for sequences).
pub fn bytes_of(e: &InMemElement) -> Vec<u8> {
    match e.value() {
        Value::Primitive(p) => p.to_bytes().into_owned(),
        _ => Vec::new(),
    }
}

/// Blanks every occurrence of each term (a whole name "DOE JOHN", a name word, an ID, a date)
/// that stands as whole tokens (not inside a longer alphanumeric run) with `X`s of the same
/// length, longest term first — what src/deid.rs documents for cleaned text, written here
/// independently of src/verify.rs.
pub fn scrub_tokens(text: &str, terms: &[&str]) -> String {
    let mut terms: Vec<&str> = terms.to_vec();
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut out: Vec<u8> = text.as_bytes().to_vec();
    for term in terms {
        let t = term.as_bytes();
        let mut i = 0;
        while !t.is_empty() && i + t.len() <= out.len() {
            let boundary_before = i == 0 || !out[i - 1].is_ascii_alphanumeric();
            let boundary_after =
                i + t.len() == out.len() || !out[i + t.len()].is_ascii_alphanumeric();
            if boundary_before && boundary_after && out[i..i + t.len()].eq_ignore_ascii_case(t) {
                out[i..i + t.len()].fill(b'X');
                i += t.len();
            } else {
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("ASCII test text")
}
