//! The STOW-RS response read per instance (PS3.18 10.5.3, Table 10.5.3-1 and its attributes:
//! Referenced SOP Sequence with an optional Warning Reason, Failed SOP Sequence with its
//! Failure Reason), in DICOM JSON (PS3.18 F.2) or DICOM XML (the Native DICOM Model,
//! PS3.19 A.1). An HTTP 200 whose body says an instance failed is a failed instance.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use snafu::{ResultExt, Snafu};

/// Referenced SOP Class UID.
const SOP_CLASS: &str = "00081150";
/// Referenced SOP Instance UID.
const SOP_INSTANCE: &str = "00081155";
/// Warning Reason.
const WARNING_REASON: &str = "00081196";
/// Failure Reason.
const FAILURE_REASON: &str = "00081197";
/// Failed SOP Sequence.
const FAILED_SEQ: &str = "00081198";
/// Referenced SOP Sequence.
const REFERENCED_SEQ: &str = "00081199";
/// The largest response read (a response lists each instance in about 300 bytes).
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// What the archive says of one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Stored (in the Referenced SOP Sequence, no warning).
    Stored,
    /// Stored with a warning (PS3.18 Warning Reason: `0xB000` coercion, `0xB007` data set
    /// does not match the SOP class, `0xB006` elements discarded).
    Warning {
        /// the Warning Reason, when given
        reason: Option<u16>,
    },
    /// Not stored (in the Failed SOP Sequence; PS3.18 Failure Reason such as `0xA700` out of
    /// resources, `0xA900` does not match the SOP class, `0xC000` cannot understand,
    /// `0x0122` SOP class not supported, `0x0111` duplicate).
    Failed {
        /// the Failure Reason, when given
        reason: Option<u16>,
    },
}

/// One instance of the response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceResult {
    /// Referenced SOP Instance UID.
    pub sop_instance_uid: String,
    /// Referenced SOP Class UID, when given.
    pub sop_class_uid: Option<String>,
    /// What the archive says.
    #[serde(flatten)]
    pub status: InstanceStatus,
}

/// Why a response body cannot be read.
#[derive(Debug, Snafu)]
pub enum ResponseError {
    /// Larger than [`MAX_RESPONSE_BYTES`].
    #[snafu(display("STOW-RS response of {len} bytes, more than {MAX_RESPONSE_BYTES}"))]
    TooLarge {
        /// its length
        len: usize,
    },
    /// Not JSON as its content type says.
    #[snafu(display("STOW-RS response is not DICOM JSON: {source}"))]
    Json {
        /// the parser's error
        source: serde_json::Error,
    },
    /// Not XML as its content type says.
    #[snafu(display("STOW-RS response is not DICOM XML: {source}"))]
    Xml {
        /// the parser's error
        source: roxmltree::Error,
    },
    /// Not text.
    #[snafu(display("STOW-RS response is not UTF-8 text"))]
    NotText,
    /// A shape the standard does not give (a sequence that is not an array of items, ...).
    #[snafu(display("STOW-RS response is not a PS3.18 response: {detail}"))]
    Shape {
        /// what is wrong
        detail: String,
    },
}

impl ResponseError {
    /// The code shells see.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::BadStowResponse
    }
}

/// Reads a response body; the content type chooses XML (`xml` in it) or JSON (anything else,
/// as sent by archives that ignore `Accept`). An empty body gives no instance.
pub fn parse(body: &[u8], content_type: &str) -> Result<Vec<InstanceResult>, ResponseError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return TooLargeSnafu { len: body.len() }.fail();
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let looks_xml = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<');
    if content_type.to_ascii_lowercase().contains("xml") || looks_xml {
        let text = std::str::from_utf8(body).map_err(|_| ResponseError::NotText)?;
        parse_xml(text)
    } else {
        let v: Value = serde_json::from_slice(body).context(JsonSnafu)?;
        parse_json(&v)
    }
}

fn shape(detail: impl Into<String>) -> ResponseError {
    ResponseError::Shape {
        detail: detail.into(),
    }
}

/// The first value of an attribute of a DICOM JSON data set, as text.
fn json_first<'a>(ds: &'a Value, tag: &str) -> Option<&'a Value> {
    ds.get(tag)?.get("Value")?.as_array()?.first()
}

fn json_text(ds: &Value, tag: &str) -> Option<String> {
    match json_first(ds, tag)? {
        Value::String(s) => Some(s.trim_end_matches(['\0', ' ']).to_string()),
        _ => None,
    }
}

fn json_us(ds: &Value, tag: &str) -> Option<u16> {
    json_first(ds, tag)?
        .as_u64()
        .and_then(|n| u16::try_from(n).ok())
}

fn parse_json(v: &Value) -> Result<Vec<InstanceResult>, ResponseError> {
    // Some archives send an array of one data set.
    let ds = match v {
        Value::Array(a) if a.len() == 1 => &a[0],
        Value::Object(_) => v,
        _ => return Err(shape("the body is not one data set")),
    };
    let mut out = Vec::new();
    for (tag, failed) in [(REFERENCED_SEQ, false), (FAILED_SEQ, true)] {
        let Some(seq) = ds.get(tag) else { continue };
        let items = match seq.get("Value") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(items)) => items,
            Some(_) => return Err(shape(format!("{tag} is not a sequence"))),
        };
        for item in items {
            let uid = json_text(item, SOP_INSTANCE)
                .ok_or_else(|| shape(format!("an item of {tag} without a SOP Instance UID")))?;
            out.push(InstanceResult {
                sop_instance_uid: uid,
                sop_class_uid: json_text(item, SOP_CLASS),
                status: status(
                    failed,
                    json_us(item, FAILURE_REASON),
                    json_us(item, WARNING_REASON),
                ),
            });
        }
    }
    Ok(out)
}

fn status(failed: bool, failure: Option<u16>, warning: Option<u16>) -> InstanceStatus {
    if failed {
        InstanceStatus::Failed { reason: failure }
    } else if warning.is_some() {
        InstanceStatus::Warning { reason: warning }
    } else {
        InstanceStatus::Stored
    }
}

/// A child `DicomAttribute` of `node` with this tag.
fn xml_attr<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| {
        c.has_tag_name("DicomAttribute")
            && c.attribute("tag")
                .is_some_and(|t| t.eq_ignore_ascii_case(tag))
    })
}

fn xml_text(node: roxmltree::Node<'_, '_>, tag: &str) -> Option<String> {
    let value = xml_attr(node, tag)?
        .children()
        .find(|c| c.has_tag_name("Value"))?;
    Some(value.text()?.trim().to_string())
}

fn xml_us(node: roxmltree::Node<'_, '_>, tag: &str) -> Option<u16> {
    xml_text(node, tag)?.parse().ok()
}

fn parse_xml(text: &str) -> Result<Vec<InstanceResult>, ResponseError> {
    let doc = roxmltree::Document::parse(text).context(XmlSnafu)?;
    let root = doc.root_element();
    if !root.has_tag_name("NativeDicomModel") {
        return Err(shape("the root element is not NativeDicomModel"));
    }
    let mut out = Vec::new();
    for (tag, failed) in [(REFERENCED_SEQ, false), (FAILED_SEQ, true)] {
        let Some(seq) = xml_attr(root, tag) else {
            continue;
        };
        for item in seq.children().filter(|c| c.has_tag_name("Item")) {
            let uid = xml_text(item, SOP_INSTANCE)
                .ok_or_else(|| shape(format!("an item of {tag} without a SOP Instance UID")))?;
            out.push(InstanceResult {
                sop_instance_uid: uid,
                sop_class_uid: xml_text(item, SOP_CLASS),
                status: status(
                    failed,
                    xml_us(item, FAILURE_REASON),
                    xml_us(item, WARNING_REASON),
                ),
            });
        }
    }
    Ok(out)
}

/// What became of each instance sent in one request: the response's word for it, or, for an
/// instance the response does not name, `Failed` without a reason (an archive that answers
/// without listing an instance has not confirmed it). Instances named in the response but not
/// sent are ignored. In the order of `sent`.
pub fn outcomes(sent: &[&str], response: &[InstanceResult]) -> Vec<InstanceStatus> {
    sent.iter()
        .map(|uid| {
            // A failure wins over a success for the same UID.
            let mut found = None;
            for r in response.iter().filter(|r| r.sop_instance_uid == *uid) {
                match (&found, &r.status) {
                    (Some(InstanceStatus::Failed { .. }), _) => {}
                    _ => found = Some(r.status.clone()),
                }
            }
            found.unwrap_or(InstanceStatus::Failed { reason: None })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{
      "00081190": {"vr": "UR", "Value": ["http://h/dicom-web/studies/1.2"]},
      "00081198": {"vr": "SQ", "Value": [
        {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
         "00081155": {"vr": "UI", "Value": ["1.2.3.9"]},
         "00081197": {"vr": "US", "Value": [49152]}}]},
      "00081199": {"vr": "SQ", "Value": [
        {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
         "00081155": {"vr": "UI", "Value": ["1.2.3.1"]},
         "00081190": {"vr": "UR", "Value": ["http://h/x"]}},
        {"00081155": {"vr": "UI", "Value": ["1.2.3.2"]},
         "00081196": {"vr": "US", "Value": [45056]}}]}
    }"#;

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">
  <DicomAttribute tag="00081199" vr="SQ" keyword="ReferencedSOPSequence">
    <Item number="1">
      <DicomAttribute tag="00081150" vr="UI" keyword="ReferencedSOPClassUID"><Value number="1">1.2.840.10008.5.1.4.1.1.2</Value></DicomAttribute>
      <DicomAttribute tag="00081155" vr="UI" keyword="ReferencedSOPInstanceUID"><Value number="1">1.2.3.1</Value></DicomAttribute>
    </Item>
    <Item number="2">
      <DicomAttribute tag="00081155" vr="UI"><Value number="1">1.2.3.2</Value></DicomAttribute>
      <DicomAttribute tag="00081196" vr="US"><Value number="1">45056</Value></DicomAttribute>
    </Item>
  </DicomAttribute>
  <DicomAttribute tag="00081198" vr="SQ" keyword="FailedSOPSequence">
    <Item number="1">
      <DicomAttribute tag="00081155" vr="UI"><Value number="1">1.2.3.9</Value></DicomAttribute>
      <DicomAttribute tag="00081197" vr="US"><Value number="1">49152</Value></DicomAttribute>
    </Item>
  </DicomAttribute>
</NativeDicomModel>"#;

    fn expected() -> Vec<InstanceStatus> {
        vec![
            InstanceStatus::Stored,
            InstanceStatus::Warning {
                reason: Some(0xB000),
            },
            InstanceStatus::Failed {
                reason: Some(0xC000),
            },
            InstanceStatus::Failed { reason: None },
        ]
    }

    #[test]
    fn json_and_xml_give_each_instance_its_status() {
        let sent = ["1.2.3.1", "1.2.3.2", "1.2.3.9", "1.2.3.404"];
        let json = parse(JSON.as_bytes(), "application/dicom+json").expect("json");
        assert_eq!(outcomes(&sent, &json), expected());
        assert_eq!(
            json[0].sop_class_uid.as_deref(),
            Some("1.2.840.10008.5.1.4.1.1.2")
        );
        let xml = parse(XML.as_bytes(), "application/dicom+xml").expect("xml");
        assert_eq!(outcomes(&sent, &xml), expected());
    }

    #[test]
    fn bodies_that_are_not_responses_are_errors() {
        assert!(parse(b"{not json", "application/dicom+json").is_err());
        assert!(parse(b"<a><b></a>", "application/dicom+xml").is_err());
        assert!(parse(b"<Other/>", "application/xml").is_err());
        assert!(parse(br#"{"00081199": {"vr": "SQ", "Value": 3}}"#, "").is_err());
        assert!(parse(br#"{"00081199": {"vr": "SQ", "Value": [{}]}}"#, "").is_err());
        assert_eq!(
            parse(b"  ", "application/dicom+json").expect("empty"),
            vec![]
        );
        let big = vec![b' '; MAX_RESPONSE_BYTES + 1];
        assert!(matches!(
            parse(&big, ""),
            Err(ResponseError::TooLarge { .. })
        ));
    }
}
