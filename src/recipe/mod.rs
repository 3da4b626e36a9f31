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
pub mod model;
pub mod params;
pub mod read;
pub mod selector;
pub mod values;

pub use compile::{Compiled, CompiledRule};
pub use error::RecipeError;
pub use import::load;
pub use model::{Action, Condition, FileFilter, FilterAction, Recipe, Rule};
pub use read::{sha256_hex, tag_name};
pub use selector::{Matcher, Selector, SelectorError};

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
