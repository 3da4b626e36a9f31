//! Can an archive store this output? A STOW-RS or C-STORE archive needs the four identifiers
//! of the instance: SOP Class UID, SOP Instance UID, Study and Series Instance UID. Outputs
//! without them (worklist items, fragments, test objects) stay in the zip, are reported as not
//! storable ([`crate::codes::Code::NotStorable`]) and are never sent.

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use serde::{Deserialize, Serialize};
use snafu::Snafu;

use crate::padding::string_of;

/// The identifiers of a storable instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceIds {
    /// SOP Class UID (0008,0016).
    pub sop_class_uid: String,
    /// SOP Instance UID (0008,0018).
    pub sop_instance_uid: String,
    /// Study Instance UID (0020,000D).
    pub study_instance_uid: String,
    /// Series Instance UID (0020,000E).
    pub series_instance_uid: String,
    /// The transfer syntax of the file (its meta group).
    pub transfer_syntax_uid: String,
}

/// Why an output is not storable.
#[derive(Debug, Clone, PartialEq, Eq, Snafu, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum NotStorable {
    /// The bytes cannot be read as DICOM.
    #[snafu(display("not storable: cannot be read ({detail})"))]
    Unreadable {
        /// the parser's message
        detail: String,
    },
    /// An identifier an archive needs is absent or empty.
    #[snafu(display("not storable: no {attribute}"))]
    Missing {
        /// the keyword of the first missing attribute
        attribute: String,
    },
}

impl NotStorable {
    /// The log's reason code.
    pub fn code(&self) -> crate::codes::Code {
        crate::codes::Code::NotStorable
    }
}

/// The four identifiers of an output (its headers are read, not its pixel data), or why an
/// archive cannot store it.
pub fn storable(bytes: &[u8]) -> Result<InstanceIds, NotStorable> {
    let (obj, _) = crate::read::parse_headers(bytes).map_err(|e| NotStorable::Unreadable {
        detail: e.to_string(),
    })?;
    let get = |tag: Tag, keyword: &str| {
        string_of(&obj, tag).ok_or_else(|| NotStorable::Missing {
            attribute: keyword.to_string(),
        })
    };
    Ok(InstanceIds {
        sop_class_uid: get(tags::SOP_CLASS_UID, "SOPClassUID")?,
        sop_instance_uid: get(tags::SOP_INSTANCE_UID, "SOPInstanceUID")?,
        study_instance_uid: get(tags::STUDY_INSTANCE_UID, "StudyInstanceUID")?,
        series_instance_uid: get(tags::SERIES_INSTANCE_UID, "SeriesInstanceUID")?,
        transfer_syntax_uid: obj
            .meta()
            .transfer_syntax()
            .trim_end_matches(['\0', ' '])
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_object::{mem::InMemDicomObject, meta::FileMetaTableBuilder};

    fn file(with: &[(Tag, &str)]) -> Vec<u8> {
        let mut obj = InMemDicomObject::new_empty();
        for (tag, v) in with {
            obj.put(DataElement::new(*tag, VR::UI, PrimitiveValue::from(*v)));
        }
        let meta = FileMetaTableBuilder::new()
            .transfer_syntax("1.2.840.10008.1.2.1")
            .media_storage_sop_class_uid("1.2.840.10008.5.1.4.1.1.7")
            .media_storage_sop_instance_uid("1.2.3.4")
            .build()
            .expect("meta");
        let mut out = Vec::new();
        obj.with_exact_meta(meta)
            .write_all(&mut out)
            .expect("write");
        out
    }

    const ALL: [(Tag, &str); 4] = [
        (tags::SOP_CLASS_UID, "1.2.840.10008.5.1.4.1.1.7"),
        (tags::SOP_INSTANCE_UID, "1.2.3.4"),
        (tags::STUDY_INSTANCE_UID, "1.2.3"),
        (tags::SERIES_INSTANCE_UID, "1.2.3.5"),
    ];

    #[test]
    fn an_instance_with_its_four_identifiers_is_storable() {
        let ids = storable(&file(&ALL)).expect("storable");
        assert_eq!(ids.sop_instance_uid, "1.2.3.4");
        assert_eq!(ids.series_instance_uid, "1.2.3.5");
        assert_eq!(ids.transfer_syntax_uid, "1.2.840.10008.1.2.1");
    }

    #[test]
    fn each_missing_identifier_is_named() {
        for (i, keyword) in [
            "SOPClassUID",
            "SOPInstanceUID",
            "StudyInstanceUID",
            "SeriesInstanceUID",
        ]
        .iter()
        .enumerate()
        {
            let mut with = ALL.to_vec();
            with.remove(i);
            assert_eq!(
                storable(&file(&with)),
                Err(NotStorable::Missing {
                    attribute: keyword.to_string()
                })
            );
        }
        assert!(matches!(
            storable(b"not dicom at all"),
            Err(NotStorable::Unreadable { .. })
        ));
    }
}
