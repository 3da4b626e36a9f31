//! One instance as C-STORE sends it: its SOP class, SOP instance and transfer syntax (from
//! the file meta group the engine wrote) and where its data set starts. The data set goes on
//! the wire as it is in the file; the only re-encoding is Implicit VR Little Endian to Explicit
//! VR Little Endian (the values unchanged, each element given its VR), for an archive that
//! refuses Implicit VR.

use dicom_object::meta::FileMetaTable;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::{
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};

/// The preamble and `DICM` before the file meta group.
const PREAMBLE: usize = 132;
/// The group length element (tag, VR, reserved, length, value) that opens the meta group.
const GROUP_LENGTH_ELEMENT: usize = 12;

/// What C-STORE needs to know of a file before sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Affected SOP Class UID.
    pub sop_class: String,
    /// Affected SOP Instance UID.
    pub sop_instance: String,
    /// The transfer syntax of the data set in the file.
    pub transfer_syntax: String,
    /// Where the data set starts (after the file meta group).
    pub dataset_offset: usize,
}

fn trimmed(s: &str) -> String {
    s.trim_end_matches(['\0', ' ']).to_string()
}

/// Reads the file meta group of a Part 10 file.
pub fn header(bytes: &[u8]) -> Result<Header, String> {
    let rest = bytes.get(128..).ok_or("shorter than a DICOM preamble")?;
    let meta = FileMetaTable::from_reader(rest)
        .map_err(|e| format!("its file meta group cannot be read: {e}"))?;
    let dataset_offset = PREAMBLE + GROUP_LENGTH_ELEMENT + meta.information_group_length as usize;
    if dataset_offset > bytes.len() {
        return Err("its file meta group is longer than the file".into());
    }
    Ok(Header {
        sop_class: trimmed(&meta.media_storage_sop_class_uid),
        sop_instance: trimmed(&meta.media_storage_sop_instance_uid),
        transfer_syntax: trimmed(&meta.transfer_syntax),
        dataset_offset,
    })
}

/// Whether a data set in this transfer syntax can be re-encoded to Explicit VR Little Endian
/// without changing a value.
pub fn reencodable(transfer_syntax: &str) -> bool {
    transfer_syntax == IMPLICIT_VR_LITTLE_ENDIAN.uid()
}

/// The data set (Implicit VR Little Endian) re-encoded as Explicit VR Little Endian.
pub fn to_explicit_le(dataset: &[u8]) -> Result<Vec<u8>, String> {
    let obj = InMemDicomObject::read_dataset_with_ts(dataset, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
        .map_err(|e| format!("cannot be read for re-encoding: {e}"))?;
    let mut out = Vec::with_capacity(dataset.len() + dataset.len() / 16);
    obj.write_dataset_with_ts(&mut out, &EXPLICIT_VR_LITTLE_ENDIAN.erased())
        .map_err(|e| format!("cannot be re-encoded as Explicit VR Little Endian: {e}"))?;
    Ok(out)
}

/// The data set as it goes on the wire: as in the file, but a deflated data set of odd length
/// gets the trailing NUL byte PS3.5 A.5 asks for (a DIMSE fragment has an even length; the
/// inflated data set is the same).
pub fn on_the_wire<'a>(transfer_syntax: &str, dataset: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
    if dataset.len() % 2 == 1 && transfer_syntax == DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.uid() {
        let mut padded = Vec::with_capacity(dataset.len() + 1);
        padded.extend_from_slice(dataset);
        padded.push(0);
        std::borrow::Cow::Owned(padded)
    } else {
        std::borrow::Cow::Borrowed(dataset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::{dicom_value, DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;

    #[test]
    fn implicit_vr_is_re_encoded_as_explicit_vr_with_the_same_values() {
        let obj = InMemDicomObject::from_element_iter([
            DataElement::new(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from("1.2.3\0"),
            ),
            DataElement::new(tags::PATIENT_NAME, VR::PN, PrimitiveValue::from("SUBJ0001")),
            DataElement::new(tags::ROWS, VR::US, dicom_value!(U16, [2])),
            DataElement::new(
                tags::PIXEL_DATA,
                VR::OW,
                PrimitiveValue::from(vec![1u8, 2, 3, 4, 5, 6, 7, 8]),
            ),
        ]);
        let mut implicit = Vec::new();
        obj.write_dataset_with_ts(&mut implicit, &IMPLICIT_VR_LITTLE_ENDIAN.erased())
            .expect("written");
        let explicit = to_explicit_le(&implicit).expect("re-encoded");
        assert_ne!(explicit, implicit, "the VRs are now written");
        let back = InMemDicomObject::read_dataset_with_ts(
            &explicit[..],
            &EXPLICIT_VR_LITTLE_ENDIAN.erased(),
        )
        .expect("read back");
        for tag in [
            tags::SOP_INSTANCE_UID,
            tags::PATIENT_NAME,
            tags::ROWS,
            tags::PIXEL_DATA,
        ] {
            let (a, b) = (
                obj.element(tag).expect("sent"),
                back.element(tag).expect("read"),
            );
            assert_eq!(
                a.to_bytes().expect("bytes"),
                b.to_bytes().expect("bytes"),
                "{tag}"
            );
        }
        assert!(reencodable(IMPLICIT_VR_LITTLE_ENDIAN.uid()));
        assert!(!reencodable(EXPLICIT_VR_LITTLE_ENDIAN.uid()));
        assert!(!reencodable("1.2.840.10008.1.2.4.50"));
    }

    #[test]
    fn an_odd_deflated_data_set_is_padded_and_nothing_else_is() {
        let deflated = DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN.uid();
        assert_eq!(on_the_wire(deflated, &[1, 2, 3]).as_ref(), &[1, 2, 3, 0]);
        assert_eq!(on_the_wire(deflated, &[1, 2]).as_ref(), &[1, 2]);
        assert_eq!(
            on_the_wire(EXPLICIT_VR_LITTLE_ENDIAN.uid(), &[1, 2, 3]).as_ref(),
            &[1, 2, 3]
        );
    }
}
