//! The stable codes of the engine's errors, as the shells see them (the `code` of a JS `Error`
//! thrown by the wasm bindings): one list, with the input each code blames. The page's
//! `www/internal/engine-codes.js` is generated from [`ALL`] (see `src/typescript.rs`).

/// Invalid options (also a pixel rules file).
pub const BAD_OPTIONS: &str = "bad_options";
/// A mapping CSV that cannot be used.
pub const BAD_MAPPING: &str = "bad_mapping";
/// An existing key CSV that cannot be used.
pub const BAD_KEY: &str = "bad_key";
/// No secret, or an empty one.
pub const EMPTY_SECRET: &str = "empty_secret";
/// An engine specification (what the shell hands to its workers) that cannot be read or written.
pub const BAD_SPEC: &str = "bad_spec";
/// A mapping with surgery dates under options that do not shift dates.
pub const MAPPING_DATES_NOT_SHIFTED: &str = "mapping_dates_not_shifted";
/// Random research IDs that cannot all fit in `id_digits`.
pub const ID_SPACE_TOO_SMALL: &str = "id_space_too_small";
/// A value from JS that is not of the expected shape.
pub const BAD_VALUE: &str = "bad_value";
/// A zip that cannot be read.
pub const BAD_ZIP: &str = "bad_zip";
/// A file that cannot be shown (preview).
pub const UNREADABLE: &str = "unreadable";
/// The output zip cannot be laid out.
pub const ZIP_OUTPUT: &str = "zip_output";

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
pub const ALL: [(&str, Fault); 11] = [
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
];
