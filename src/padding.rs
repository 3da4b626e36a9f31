//! Value padding (PS3.5 6.2, 6.4): string values are padded to an even length with a trailing
//! space, UIDs with a trailing NUL, and some writers leave either after any VR. One helper for
//! every place that reads a value as text.

use dicom_core::Tag;
use dicom_object::mem::InMemDicomObject;

/// The value without its trailing padding (spaces and NULs).
pub trait Unpadded {
    /// `s` without trailing spaces and NULs.
    fn unpadded(&self) -> &str;
}

impl Unpadded for str {
    fn unpadded(&self) -> &str {
        self.trim_end_matches(['\0', ' '])
    }
}

/// The first value of an element as a trimmed string.
pub fn string_of(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let e = obj.get(tag)?;
    let s = e.to_str().ok()?;
    let s = s.unpadded().trim_start();
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::Unpadded;

    #[test]
    fn trailing_spaces_and_nuls_only() {
        assert_eq!("1.2.3\0".unpadded(), "1.2.3");
        assert_eq!(" CT \0 ".unpadded(), " CT");
        assert_eq!("".unpadded(), "");
    }
}
