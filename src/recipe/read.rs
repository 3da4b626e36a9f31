//! Reading this project's own recipe text (TOML or JSON); the hash and the tag names the log
//! and the plan use.

use super::error::RecipeError;
use super::model::{Recipe, SETTINGS_KEYS};

/// Reads this project's own TOML or JSON; its settings may only hold [`SETTINGS_KEYS`].
pub(crate) fn load_native(text: &str) -> Result<Recipe, RecipeError> {
    let recipe: Recipe = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|source| RecipeError::Json { source })?
    } else {
        toml::from_str(text).map_err(|source| RecipeError::Toml { source })?
    };
    if let Some(key) = recipe
        .settings
        .keys()
        .find(|k| !SETTINGS_KEYS.contains(&k.as_str()))
    {
        return Err(RecipeError::SettingNotAllowed { key: key.clone() });
    }
    Ok(recipe)
}

/// SHA-256 of a recipe's bytes, as 64 hex digits (the plan and the log name a recipe by it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
