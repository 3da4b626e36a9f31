//! The stable codes of the engine's errors and rejections: one list. A shell sees them as the
//! `code` of a JS `Error` thrown by the wasm bindings ([`Code::as_str`]), and the log's
//! `reason_code` of a file that is not written ([`crate::error::Rejection::code`]).

use serde::Serialize;

/// One code; serialised, and written, as its snake_case name ([`Code::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// Invalid options (also a pixel rules file).
    BadOptions,
    /// A mapping CSV that cannot be used.
    BadMapping,
    /// An existing key CSV that cannot be used.
    BadKey,
    /// No secret, or an empty one.
    EmptySecret,
    /// An engine specification (what the shell hands to its workers) that cannot be read or
    /// written.
    BadSpec,
    /// A mapping with surgery dates under options that do not shift dates.
    MappingDatesNotShifted,
    /// Random research IDs that cannot all fit in `id_digits`.
    IdSpaceTooSmall,
    /// A value from JS that is not of the expected shape.
    BadValue,
    /// A zip that cannot be read.
    BadZip,
    /// A file that cannot be shown (preview).
    Unreadable,
    /// The output zip cannot be laid out.
    ZipOutput,
    /// A file that is not DICOM.
    NotDicom,
    /// A DICOMDIR (never copied).
    Dicomdir,
    /// A file that cannot be parsed completely.
    Unparseable,
    /// A rule of the profile that cannot be applied.
    RuleFailed,
    /// An output that cannot be encoded.
    WriteFailed,
    /// The self-check found an identifier of the input in the output.
    SelfCheck,
    /// A patient not in the mapping CSV.
    NoMapping,
    /// A second file with a SOP Instance UID already written.
    Duplicate,
    /// A file the plan was made without.
    NotPlanned,
    /// An image held for pixel review.
    PixelReviewNeeded,
    /// An image left out by a pixel rule or the policy for unreviewed images.
    PixelExcluded,
    /// An image whose pixels should be cleaned and cannot be.
    PixelCannotClean,
}

impl Code {
    /// Every code, in the order above.
    pub const ALL: [Code; 23] = [
        Code::BadOptions,
        Code::BadMapping,
        Code::BadKey,
        Code::EmptySecret,
        Code::BadSpec,
        Code::MappingDatesNotShifted,
        Code::IdSpaceTooSmall,
        Code::BadValue,
        Code::BadZip,
        Code::Unreadable,
        Code::ZipOutput,
        Code::NotDicom,
        Code::Dicomdir,
        Code::Unparseable,
        Code::RuleFailed,
        Code::WriteFailed,
        Code::SelfCheck,
        Code::NoMapping,
        Code::Duplicate,
        Code::NotPlanned,
        Code::PixelReviewNeeded,
        Code::PixelExcluded,
        Code::PixelCannotClean,
    ];

    /// The code as shells and the log see it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::BadOptions => "bad_options",
            Code::BadMapping => "bad_mapping",
            Code::BadKey => "bad_key",
            Code::EmptySecret => "empty_secret",
            Code::BadSpec => "bad_spec",
            Code::MappingDatesNotShifted => "mapping_dates_not_shifted",
            Code::IdSpaceTooSmall => "id_space_too_small",
            Code::BadValue => "bad_value",
            Code::BadZip => "bad_zip",
            Code::Unreadable => "unreadable",
            Code::ZipOutput => "zip_output",
            Code::NotDicom => "not_dicom",
            Code::Dicomdir => "dicomdir",
            Code::Unparseable => "unparseable",
            Code::RuleFailed => "rule_failed",
            Code::WriteFailed => "write_failed",
            Code::SelfCheck => "self_check",
            Code::NoMapping => "no_mapping",
            Code::Duplicate => "duplicate",
            Code::NotPlanned => "not_planned",
            Code::PixelReviewNeeded => "pixel_review_needed",
            Code::PixelExcluded => "pixel_excluded",
            Code::PixelCannotClean => "pixel_cannot_clean",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn serialised_as_written_and_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let json = serde_json::to_string(&code).expect("a code serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
    }
}
