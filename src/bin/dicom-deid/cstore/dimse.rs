//! The C-STORE messages (PS3.7 9.1.1, 9.3.1): the request's command set, the response's
//! status, and what each status means (PS3.4 B.2.3). Command sets are always Implicit VR
//! Little Endian.

use dicom_core::{dicom_value, DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::IMPLICIT_VR_LITTLE_ENDIAN;

/// Command Field of C-STORE-RQ and C-STORE-RSP.
const C_STORE_RQ: u16 = 0x0001;
const C_STORE_RSP: u16 = 0x8001;
/// Command Data Set Type: a data set follows (any value but 0x0101).
const DATA_SET_PRESENT: u16 = 0x0000;
/// Priority: medium.
const PRIORITY_MEDIUM: u16 = 0x0000;

/// A UID value as DICOM writes it: padded with a NUL to an even length.
fn uid(value: &str) -> String {
    let mut s = value.trim_end_matches(['\0', ' ']).to_string();
    if s.len() % 2 == 1 {
        s.push('\0');
    }
    s
}

/// The command set of a C-STORE-RQ, encoded (with its group length).
pub fn store_request(message_id: u16, sop_class: &str, sop_instance: &str) -> Vec<u8> {
    let command = InMemDicomObject::command_from_element_iter([
        DataElement::new(
            tags::AFFECTED_SOP_CLASS_UID,
            VR::UI,
            PrimitiveValue::from(uid(sop_class)),
        ),
        DataElement::new(tags::COMMAND_FIELD, VR::US, dicom_value!(U16, [C_STORE_RQ])),
        DataElement::new(tags::MESSAGE_ID, VR::US, dicom_value!(U16, [message_id])),
        DataElement::new(tags::PRIORITY, VR::US, dicom_value!(U16, [PRIORITY_MEDIUM])),
        DataElement::new(
            tags::COMMAND_DATA_SET_TYPE,
            VR::US,
            dicom_value!(U16, [DATA_SET_PRESENT]),
        ),
        DataElement::new(
            tags::AFFECTED_SOP_INSTANCE_UID,
            VR::UI,
            PrimitiveValue::from(uid(sop_instance)),
        ),
    ]);
    let mut out = Vec::with_capacity(160);
    // Writing a command of these six elements into a Vec cannot fail.
    let _ = command.write_dataset_with_ts(&mut out, &IMPLICIT_VR_LITTLE_ENDIAN.erased());
    out
}

/// What a C-STORE-RSP says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreResponse {
    /// Message ID Being Responded To.
    pub responding_to: u16,
    /// Status (0000,0900).
    pub status: u16,
    /// Error Comment (0000,0902), if any.
    pub comment: Option<String>,
}

/// Reads a C-STORE-RSP command set; an error says why it is not one.
pub fn parse_response(bytes: &[u8]) -> Result<StoreResponse, String> {
    let obj = InMemDicomObject::read_dataset_with_ts(bytes, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
        .map_err(|e| format!("the response's command set cannot be read: {e}"))?;
    let u16_of = |tag| obj.element(tag).ok().and_then(|e| e.to_int::<u16>().ok());
    let field = u16_of(tags::COMMAND_FIELD).ok_or("the response has no Command Field")?;
    if field != C_STORE_RSP {
        return Err(format!(
            "the response is not a C-STORE-RSP (Command Field {field:04X}H)"
        ));
    }
    Ok(StoreResponse {
        responding_to: u16_of(tags::MESSAGE_ID_BEING_RESPONDED_TO)
            .ok_or("the response has no Message ID Being Responded To")?,
        status: u16_of(tags::STATUS).ok_or("the response has no Status")?,
        comment: obj
            .element(tags::ERROR_COMMENT)
            .ok()
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    })
}

/// The kind of a C-STORE status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// 0000: stored.
    Success,
    /// B000, B006, B007 (and 0001, Bxxx): stored, with a warning.
    Warning,
    /// Anything else (A7xx, A9xx, Cxxx, 01xx, 02xx, FE00): not stored.
    Failure,
}

/// The kind of a status (PS3.4 B.2.3, PS3.7 C).
pub fn kind(status: u16) -> StatusKind {
    match status {
        0x0000 => StatusKind::Success,
        0x0001 | 0xB000..=0xBFFF => StatusKind::Warning,
        _ => StatusKind::Failure,
    }
}

/// What a status means, in words (the send log's reason).
pub fn meaning(status: u16) -> &'static str {
    match status {
        0x0000 => "success",
        0xB000 => "coercion of data elements",
        0xB006 => "elements discarded",
        0xB007 => "data set does not match SOP class",
        0x0001 | 0xB001..=0xBFFF => "warning",
        0xA700..=0xA7FF => "refused: out of resources",
        0xA900..=0xA9FF => "error: data set does not match SOP class",
        0xC000..=0xCFFF => "error: cannot understand",
        0x0122 => "refused: SOP class not supported",
        0x0124 => "refused: not authorized",
        0x0111 => "duplicate SOP instance",
        0x0117 => "invalid SOP instance",
        0x0210 => "duplicate invocation",
        0x0211 => "unrecognized operation",
        0x0212 => "mistyped argument",
        0x0213 => "resource limitation",
        0xFE00 => "cancelled",
        _ => "failure",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_with_its_uids_and_group_length() {
        let bytes = store_request(7, "1.2.840.10008.5.1.4.1.1.2", "1.2.3");
        let obj =
            InMemDicomObject::read_dataset_with_ts(&bytes[..], &IMPLICIT_VR_LITTLE_ENDIAN.erased())
                .expect("a command set");
        let text = |t| obj.element(t).expect("present").to_str().expect("text");
        assert_eq!(
            text(tags::AFFECTED_SOP_CLASS_UID),
            "1.2.840.10008.5.1.4.1.1.2"
        );
        assert_eq!(text(tags::AFFECTED_SOP_INSTANCE_UID), "1.2.3");
        let int = |t| {
            obj.element(t)
                .expect("present")
                .to_int::<u32>()
                .expect("int")
        };
        assert_eq!(int(tags::MESSAGE_ID), 7);
        assert_eq!(int(tags::COMMAND_FIELD), 1);
        // the group length counts every byte after its own element (12 bytes)
        assert_eq!(int(tags::COMMAND_GROUP_LENGTH) as usize, bytes.len() - 12);
        assert_eq!(bytes.len() % 2, 0);
    }

    #[test]
    fn statuses_are_classified_as_ps3_4_says() {
        assert_eq!(kind(0x0000), StatusKind::Success);
        for w in [0xB000, 0xB006, 0xB007] {
            assert_eq!(kind(w), StatusKind::Warning, "{w:04X}");
        }
        for f in [0xA700, 0xA7FF, 0xA900, 0xC000, 0xCFFF, 0x0122, 0x0211] {
            assert_eq!(kind(f), StatusKind::Failure, "{f:04X}");
        }
        assert_eq!(meaning(0xA701), "refused: out of resources");
        assert_eq!(meaning(0xB007), "data set does not match SOP class");
    }

    #[test]
    fn a_response_gives_its_status_and_comment() {
        let rsp = InMemDicomObject::command_from_element_iter([
            DataElement::new(
                tags::COMMAND_FIELD,
                VR::US,
                dicom_value!(U16, [C_STORE_RSP]),
            ),
            DataElement::new(
                tags::MESSAGE_ID_BEING_RESPONDED_TO,
                VR::US,
                dicom_value!(U16, [3]),
            ),
            DataElement::new(tags::STATUS, VR::US, dicom_value!(U16, [0xA900])),
            DataElement::new(
                tags::ERROR_COMMENT,
                VR::LO,
                PrimitiveValue::from("bad IOD "),
            ),
        ]);
        let mut bytes = Vec::new();
        rsp.write_dataset_with_ts(&mut bytes, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("written");
        let r = parse_response(&bytes).expect("a response");
        assert_eq!(
            r,
            StoreResponse {
                responding_to: 3,
                status: 0xA900,
                comment: Some("bad IOD".into())
            }
        );
        let rq = store_request(1, "1.2", "1.3");
        assert!(parse_response(&rq).is_err(), "a request is not a response");
    }
}
