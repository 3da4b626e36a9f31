//! Reading this project's own recipe text (TOML or JSON); the hash and the tag names the log
//! and the plan use.

use super::error::RecipeError;
use super::model::Recipe;

/// Reads this project's own TOML or JSON.
pub(crate) fn load_native(text: &str) -> Result<Recipe, RecipeError> {
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|source| RecipeError::Json { source })
    } else {
        toml::from_str(text).map_err(|source| RecipeError::Toml { source })
    }
}
