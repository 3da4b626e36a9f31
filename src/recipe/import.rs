//! Recipes of other tools, recognised from their content: a CTP DicomAnonymizer script (XML
//! `<script>` or `.properties`), a pydicom deid recipe (`FORMAT dicom`), else this project's
//! TOML or JSON. An imported recipe comes with its import report; one whose report has an
//! unsupported row is refused unless the user accepts the report.

use super::ctp::import::import as import_ctp;
use super::ctp::script::looks_like_ctp;
use super::deid;
use super::error::RecipeError;
use serde::Serialize;

use super::import_report::{Counts, ImportReport};
use super::model::{Action, HashCompat, Recipe};
use super::read::{load_native, sha256_hex};

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

/// A recipe text in this project's own form, as the engine runs it: this project's TOML or
/// JSON unchanged, an imported recipe (CTP script, deid recipe) as the JSON of the recipe it
/// becomes (refused, as [`load_report`], when its report has an unsupported row and `accept` is
/// false), with its import report. The CLI and the page give the engine the same text, so their
/// run statements record the same recipe and SHA-256.
pub fn native_text(
    text: &str,
    accept: bool,
) -> Result<(String, Option<ImportReport>), RecipeError> {
    let loaded = load_report(text.as_bytes(), accept)?;
    match loaded.report {
        None => Ok((text.to_string(), None)),
        Some(report) => serde_json::to_string(&loaded.recipe)
            .map(|json| (json, Some(report)))
            .map_err(|e| RecipeError::Import {
                message: e.to_string(),
            }),
    }
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

/// One parameter of a recipe, as the page asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamInfo {
    /// `UIDROOT`, `DATEINC`…
    pub name: String,
    /// What the user is asked for.
    pub description: String,
    /// The value when none is given; `None`: it must be given.
    pub default: Option<String>,
}

/// What a shell shows of a recipe before the run (the page's recipe panel): its format, name,
/// base preset, parameters, import report and whether it uses CTP's unkeyed hashes.
#[derive(Debug, Clone, Serialize)]
pub struct Description {
    /// `ctp`, `deid` or `native`.
    pub format: &'static str,
    /// The recipe's name.
    pub name: String,
    /// The preset the recipe runs on, when it names one.
    pub base: Option<String>,
    /// The settings it gives the job (a configuration's keys), empty when none.
    pub settings: super::model::Settings,
    /// Its parameters, by name.
    pub params: Vec<ParamInfo>,
    /// The import report (`None` for this project's own TOML/JSON).
    pub report: Option<ImportReport>,
    /// The report's rows counted by status.
    pub counts: Option<Counts>,
    /// The report lists rows not supported: the run needs the user's acceptance.
    pub needs_acceptance: bool,
    /// The recipe uses CTP's unkeyed MD5 pseudonyms.
    pub unkeyed_md5: bool,
    /// SHA-256 of the recipe in this project's own form, as the run statement records it.
    pub sha256: String,
}

/// Describes a recipe text of any format (its report whatever it lists: the acceptance is
/// asked for and checked when the job is built).
pub fn describe(text: &str) -> Result<Description, RecipeError> {
    let text = text.trim_start_matches('\u{feff}');
    let format = match recognise(text) {
        Format::Ctp => "ctp",
        Format::Deid => "deid",
        Format::Native => "native",
    };
    let (native, report) = native_text(text, true)?;
    let recipe = load_native(&native)?;
    Ok(Description {
        format,
        name: recipe.name.clone(),
        base: recipe.base.clone(),
        settings: recipe.settings.clone(),
        params: recipe
            .params
            .iter()
            .map(|(name, p)| ParamInfo {
                name: name.clone(),
                description: p.description.clone(),
                default: p.default.clone(),
            })
            .collect(),
        counts: report.as_ref().map(ImportReport::counts),
        needs_acceptance: report.as_ref().is_some_and(ImportReport::has_unsupported),
        unkeyed_md5: uses_unkeyed_md5(&recipe),
        report,
        sha256: sha256_hex(native.as_bytes()),
    })
}
