//! Recipes: rules that decide attributes before the profile does (`model`: the language;
//! `selector`: which elements; `params`: parameters and the UID root). [`load`] reads a
//! recipe from its bytes, the format recognised from the content; the importers of other
//! tools' scripts (CTP, pydicom deid) add their formats there.

pub mod compile;
pub mod condition;
pub mod ctp;
pub mod deid;
pub mod explain;
pub mod import;
pub mod import_report;
pub mod model;
pub mod params;
pub mod selector;
pub mod values;

use snafu::Snafu;

pub use compile::{Compiled, CompiledRule};
pub use model::{Action, Condition, FileFilter, FilterAction, Recipe, Rule};
pub use selector::{Matcher, Selector, SelectorError};

/// Errors in reading or preparing a recipe.
#[derive(Debug, Snafu)]
#[snafu(visibility(pub(crate)))]
pub enum RecipeError {
    /// Not UTF-8 text.
    #[snafu(display("the recipe is not UTF-8 text"))]
    NotText,
    /// A CTP script or deid recipe that cannot be read.
    #[snafu(display("{message}"))]
    Import {
        /// why
        message: String,
    },
    /// An imported recipe with unsupported rows, not accepted.
    #[snafu(display(
        "the imported recipe has rows that are not supported (the profile would decide those \
         elements); read the report and pass --accept-import-report to run it:\n{report}"
    ))]
    ImportNotAccepted {
        /// the import report as text
        report: String,
    },
    /// Not valid JSON for a recipe.
    #[snafu(display("the recipe is not valid JSON: {source}"))]
    Json {
        /// cause
        source: serde_json::Error,
    },
    /// Not valid TOML for a recipe.
    #[snafu(display("the recipe is not valid TOML: {source}"))]
    Toml {
        /// cause
        source: toml::de::Error,
    },
    /// A parameter without default was not given.
    #[snafu(display(
        "the recipe needs the parameter {name} ({description}): give it with --param {name}=VALUE"
    ))]
    MissingParam {
        /// the parameter
        name: String,
        /// its description
        description: String,
    },
    /// A parameter given that the recipe does not declare.
    #[snafu(display("the recipe has no parameter {name} (it declares: {declared})"))]
    UnknownParam {
        /// the name given
        name: String,
        /// the recipe's parameters
        declared: String,
    },
    /// A placeholder names no parameter.
    #[snafu(display("{context} uses {{{name}}}, which is not a parameter of the recipe"))]
    UndeclaredPlaceholder {
        /// where
        context: String,
        /// the placeholder
        name: String,
    },
    /// The UID root breaks PS3.5 9.1.
    #[snafu(display("uid_root {root:?} is not a valid UID root: {reason}"))]
    BadUidRoot {
        /// the root after parameters
        root: String,
        /// why
        reason: String,
    },
    /// A rule or filter is not usable as written.
    #[snafu(display("{context}: {message}"))]
    BadRule {
        /// which rule
        context: String,
        /// what is wrong
        message: String,
    },
}

/// SHA-256 of a recipe's bytes, as 64 hex digits (the plan and the log name a recipe by it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A tag's keyword, or `(GGGG,EEEE)` (private and unknown tags).
pub fn tag_name(t: dicom_core::Tag) -> String {
    use dicom_core::dictionary::DataDictionary;
    match dicom_dictionary_std::StandardDataDictionary.by_tag(t) {
        Some(e) if t.group() % 2 == 0 => e.alias.to_string(),
        _ => format!("({:04X},{:04X})", t.group(), t.element()),
    }
}

/// Reads a recipe from its bytes, the format recognised from the content
/// ([`import::recognise`]): a CTP DicomAnonymizer script or a pydicom deid recipe is imported
/// (and refused when its import report has unsupported rows); else JSON when the first
/// non-blank character is `{`, else TOML.
pub fn load(bytes: &[u8]) -> Result<Recipe, RecipeError> {
    // CTP scripts and deid recipes are imported (refused when their report has unsupported
    // rows: `import::load_report` with the user's acceptance)
    import::load_report(bytes, false).map(|l| l.recipe)
}

/// Reads this project's own TOML or JSON.
pub(crate) fn load_native(text: &str) -> Result<Recipe, RecipeError> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|source| RecipeError::Json { source })
    } else {
        toml::from_str(text).map_err(|source| RecipeError::Toml { source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
name = "t"
base = "research"
uid_root = "{UIDROOT}"
[params.UIDROOT]
description = "root"
[[filters]]
when = { all = [ { contains = { attr = "ImageType", value = "SCREEN" } }, { not = { blank = "Modality" } } ] }
then = "exclude"
reason = "screen capture"
[[rules]]
select = '(0029,"SIEMENS CSA HEADER",10)'
action = "keep"
[[rules]]
select = "InstitutionName"
when = { equals = { attr = "Modality", value = "CT" } }
action = { replace = "Site" }
[[rules]]
select = "PatientID"
action = { hash = { digits = 8, compat = "ctp" } }
[[rules]]
select = "StudyDate"
action = { increment_date = { days = "{DATEINC}" } }
[[rules]]
select = "PatientComments"
action = { lookup = { from = { mapping = "notes" }, fallback = { default = "none" } } }
"#;

    #[test]
    fn toml_and_json_read_into_one_model() {
        let r = load(TOML.as_bytes()).unwrap();
        assert_eq!(r.rules.len(), 5);
        assert_eq!(r.filters[0].then, FilterAction::Exclude);
        assert_eq!(
            r.rules[2].action,
            Action::Hash {
                digits: 8,
                compat: model::HashCompat::Ctp
            }
        );
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""select":"(0029,\"SIEMENS CSA HEADER\",10)""#));
        assert_eq!(load(json.as_bytes()).unwrap(), r);
        assert!(load(b"[[rules]]\nselect = \"PatientName\"\naction = \"shred\"\n").is_err());
        assert!(load(b"rules = 1").is_err());
    }
}
