//! The stable codes of the engine's errors and rejections: one list ([`Code`]). A shell sees
//! them as the `code` of a JS `Error` thrown by the wasm bindings ([`Code::as_str`]), and the
//! log's `reason_code` of a file that is not written ([`crate::error::Rejection::code`]). The
//! codes the wasm bindings throw for the job's inputs are also named below as text, each with
//! the input it blames ([`ALL`]); the page's `www/internal/engine-codes.js` is generated from
//! [`ALL`] (see `src/typescript.rs`).

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
    /// A file held by a recipe.
    RecipeHeld,
    /// A file left out by a recipe.
    RecipeExcluded,
    /// An output no archive can store (no SOP Class, SOP Instance, Study or Series Instance
    /// UID): kept in the zip, never sent to a destination.
    NotStorable,
    /// A ledger of stored instances (`src/deliver/ledger.rs`) that cannot be read.
    BadLedger,
    /// A STOW-RS response body that cannot be read (neither DICOM JSON nor DICOM XML).
    BadStowResponse,
    /// A STOW-RS request that cannot be built (a boundary cannot be found, a batch limit of 0).
    BadStowRequest,
}

impl Code {
    /// Every code, in the order above.
    pub const ALL: [Code; 29] = [
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
        Code::RecipeHeld,
        Code::RecipeExcluded,
        Code::NotStorable,
        Code::BadLedger,
        Code::BadStowResponse,
        Code::BadStowRequest,
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
            Code::RecipeHeld => "recipe_held",
            Code::RecipeExcluded => "recipe_excluded",
            Code::NotStorable => "not_storable",
            Code::BadLedger => "bad_ledger",
            Code::BadStowResponse => "bad_stow_response",
            Code::BadStowRequest => "bad_stow_request",
        }
    }
}

/// Invalid options (also a pixel rules file).
pub const BAD_OPTIONS: &str = Code::BadOptions.as_str();
/// A mapping CSV that cannot be used.
pub const BAD_MAPPING: &str = Code::BadMapping.as_str();
/// An existing key CSV that cannot be used.
pub const BAD_KEY: &str = Code::BadKey.as_str();
/// No secret, or an empty one.
pub const EMPTY_SECRET: &str = Code::EmptySecret.as_str();
/// An engine specification (what the shell hands to its workers) that cannot be read or written.
pub const BAD_SPEC: &str = Code::BadSpec.as_str();
/// A mapping with surgery dates under options that do not shift dates.
pub const MAPPING_DATES_NOT_SHIFTED: &str = Code::MappingDatesNotShifted.as_str();
/// Random research IDs that cannot all fit in `id_digits`.
pub const ID_SPACE_TOO_SMALL: &str = Code::IdSpaceTooSmall.as_str();
/// A value from JS that is not of the expected shape.
pub const BAD_VALUE: &str = Code::BadValue.as_str();
/// A zip that cannot be read.
pub const BAD_ZIP: &str = Code::BadZip.as_str();
/// A file that cannot be shown (preview).
pub const UNREADABLE: &str = Code::Unreadable.as_str();
/// The output zip cannot be laid out.
pub const ZIP_OUTPUT: &str = Code::ZipOutput.as_str();
/// A ledger of stored instances that cannot be read.
pub const BAD_LEDGER: &str = Code::BadLedger.as_str();
/// A STOW-RS response body that cannot be read.
pub const BAD_STOW_RESPONSE: &str = Code::BadStowResponse.as_str();
/// A STOW-RS request that cannot be built.
pub const BAD_STOW_REQUEST: &str = Code::BadStowRequest.as_str();

/// The input a code blames: what the user has to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The options (or the secret that goes with them).
    Options,
    /// The mapping CSV.
    Mapping,
    /// The existing key CSV.
    Key,
    /// No input of the user's: a file, the browser or the engine itself.
    Other,
}

impl Fault {
    /// The name of the input at fault (`options`, `mapping`, `key`), or `None`.
    pub fn input(self) -> Option<&'static str> {
        match self {
            Fault::Options => Some("options"),
            Fault::Mapping => Some("mapping"),
            Fault::Key => Some("key"),
            Fault::Other => None,
        }
    }
}

/// Every code the engine throws, with the input it blames.
pub const ALL: [(&str, Fault); 14] = [
    (BAD_OPTIONS, Fault::Options),
    (EMPTY_SECRET, Fault::Options),
    (ID_SPACE_TOO_SMALL, Fault::Options),
    (BAD_MAPPING, Fault::Mapping),
    (MAPPING_DATES_NOT_SHIFTED, Fault::Mapping),
    (BAD_KEY, Fault::Key),
    (BAD_SPEC, Fault::Other),
    (BAD_VALUE, Fault::Other),
    (BAD_ZIP, Fault::Other),
    (UNREADABLE, Fault::Other),
    (ZIP_OUTPUT, Fault::Other),
    (BAD_LEDGER, Fault::Other),
    (BAD_STOW_RESPONSE, Fault::Other),
    (BAD_STOW_REQUEST, Fault::Other),
];

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
