//! Recipes: rules that decide attributes before the profile does (`model`: the language;
//! `selector`: which elements; `params`: parameters and the UID root). [`load`] reads a
//! recipe from its bytes, the format recognised from the content; the importers of other
//! tools' scripts (CTP, pydicom deid) add their formats there.

pub mod compile;
pub mod condition;
pub mod ctp;
pub mod deid;
pub mod error;
pub mod explain;
pub mod import;
pub mod import_report;
pub mod iod_bound;
pub mod model;
pub mod params;
pub mod presets;
pub mod read;
pub mod selector;
pub mod values;

use error::RecipeError;

/// A tag's keyword, or `(GGGG,EEEE)` (private and unknown tags).
pub fn tag_name(t: dicom_core::Tag) -> String {
    use dicom_core::dictionary::DataDictionary;
    match dicom_dictionary_std::StandardDataDictionary.by_tag(t) {
        Some(e) if t.group() % 2 == 0 => e.alias.to_string(),
        _ => format!("({:04X},{:04X})", t.group(), t.element()),
    }
}

/// Reads a recipe from its bytes: JSON when the first non-blank character is `{`, else TOML.
/// (The importers of CTP scripts and deid recipes recognise their formats here first.)
pub fn load(bytes: &[u8]) -> Result<model::Recipe, RecipeError> {
    // CTP scripts and deid recipes are imported (refused when their report has unsupported
    // rows: `import::load_report` with the user's acceptance)
    import::load_report(bytes, false).map(|l| l.recipe)
}

#[cfg(test)]
mod tests {
    use super::model::{Action, FilterAction};
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

    #[test]
    fn ctp_pseudonym_actions_read_in_their_toml_form() {
        let text = r#"
[[rules]]
select = "StudyDate"
action = { hash_date = { from = "PatientID" } }
[[rules]]
select = "PatientName"
action = { hash_name = { length = 6, words = 2 } }
[[rules]]
select = "PatientID"
action = { hash_patient_id = { site = "99", length = 10, prefix = "NBIA-" } }
[[rules]]
select = "OperatorsName"
action = "initials"
"#;
        let r = load(text.as_bytes()).unwrap();
        let actions: Vec<&Action> = r.rules.iter().map(|r| &r.action).collect();
        assert!(matches!(actions[0], Action::HashDate { from } if from.to_string() == "PatientID"));
        assert_eq!(
            *actions[1],
            Action::HashName {
                length: 6,
                words: Some(2)
            }
        );
        assert_eq!(
            *actions[2],
            Action::HashPatientId {
                site: "99".into(),
                length: Some(10),
                prefix: "NBIA-".into(),
                suffix: String::new(),
            }
        );
        assert_eq!(*actions[3], Action::Initials);
        assert!(import::uses_unkeyed_md5(&r));
        let bad = text.replace("length = 6", "length = 0");
        assert!(compile::Compiled::new(bad.as_bytes(), &Default::default()).is_err());
    }
}
