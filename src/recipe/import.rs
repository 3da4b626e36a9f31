//! Recipes of other tools, recognised from their content: a CTP DicomAnonymizer script (XML
//! `<script>` or `.properties`), a pydicom deid recipe (`FORMAT dicom`), else this project's
//! TOML or JSON. An imported recipe comes with its import report; one whose report has an
//! unsupported row is refused unless the user accepts the report.

use super::ctp::import::import as import_ctp;
use super::ctp::script::looks_like_ctp;
use super::deid;
use super::error::RecipeError;
use super::import_report::ImportReport;
use super::model::{Action, HashCompat, Recipe};
use super::read::load_native;

/// The format of a recipe text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A CTP DicomAnonymizer script.
    Ctp,
    /// A pydicom deid recipe.
    Deid,
    /// This project's TOML or JSON.
    Native,
}

/// Recognises a recipe's format from its text.
pub fn recognise(text: &str) -> Format {
    if deid::looks_like_deid(text) {
        Format::Deid
    } else if looks_like_ctp(text) {
        Format::Ctp
    } else {
        Format::Native
    }
}

/// A recipe read from its bytes, with the import report when it was converted.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The recipe.
    pub recipe: Recipe,
    /// The import report (`None` for this project's own TOML/JSON).
    pub report: Option<ImportReport>,
}

/// Reads a recipe in any format, with its import report; refused when the report has an
/// unsupported row and `accept` is false.
pub fn load_report(bytes: &[u8], accept: bool) -> Result<Loaded, RecipeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| RecipeError::NotText)?;
    let text = text.trim_start_matches('\u{feff}');
    let (recipe, report) = match recognise(text) {
        Format::Native => {
            return Ok(Loaded {
                recipe: load_native(text)?,
                report: None,
            })
        }
        Format::Ctp => {
            let i = import_ctp(text).map_err(|e| RecipeError::Import {
                message: e.to_string(),
            })?;
            (i.recipe, i.report)
        }
        Format::Deid => {
            let i = deid::import(text).map_err(|e| RecipeError::Import {
                message: e.to_string(),
            })?;
            (i.recipe, i.report)
        }
    };
    if report.has_unsupported() && !accept {
        return Err(RecipeError::ImportNotAccepted {
            report: report.to_text(false),
        });
    }
    Ok(Loaded {
        recipe,
        report: Some(report),
    })
}

/// Whether a recipe uses RSNA CTP's unkeyed MD5 functions (reversible by dictionary attack,
/// PS3.15 E.1.1).
pub fn uses_unkeyed_md5(recipe: &Recipe) -> bool {
    recipe.rules.iter().any(|r| {
        matches!(
            r.action,
            Action::Uid {
                compat: HashCompat::Ctp
            } | Action::Hash {
                compat: HashCompat::Ctp,
                ..
            } | Action::HashDate { .. }
                | Action::HashName { .. }
                | Action::HashPatientId { .. }
        )
    })
}
