//! Recipes: what to do to each attribute, and the importers of other tools' recipes.

pub mod ctp;
pub mod import_report;
