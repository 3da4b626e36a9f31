//! The presets, as recipes shipped with the engine (`data/presets/*.toml`): each a name, a
//! description line and the settings it gives the job (the keys of a `--config` file, applied
//! by [`crate::config::Config::preset`]), and rules when a preset has some. A recipe's `base`
//! names one of them ([`compose`]: its rules first, then the base's). A shipped preset has
//! settings only: a `--preset` run has no recipe to run rules from (a test keeps it so).

use super::error::RecipeError;
use super::model::Recipe;
use super::read::load_native;

/// The presets by name, with their recipe text (the one source of what a preset sets).
pub const PRESET_RECIPES: [(&str, &str); 3] = [
    ("basic", include_str!("../../data/presets/basic.toml")),
    ("research", include_str!("../../data/presets/research.toml")),
    (
        "keep-list",
        include_str!("../../data/presets/keep-list.toml"),
    ),
];

/// Other names the presets answer to (older names kept working): alias → preset.
pub const ALIASES: [(&str, &str); 2] = [
    ("ps3.15-basic", "basic"),
    ("research-shifted-dates", "research"),
];

/// The preset a name (or an alias) stands for.
pub fn canonical(name: &str) -> Option<&'static str> {
    PRESET_RECIPES
        .iter()
        .map(|(n, _)| *n)
        .find(|n| *n == name)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == name).map(|(_, n)| *n))
}

/// The recipe text of a preset (by name or alias), as shipped.
pub fn text(name: &str) -> Option<&'static str> {
    let name = canonical(name)?;
    PRESET_RECIPES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}

/// The recipe of a preset (by name or alias).
pub fn recipe(name: &str) -> Result<Recipe, RecipeError> {
    let text = text(name).ok_or_else(|| RecipeError::UnknownBase {
        name: name.to_string(),
    })?;
    load_native(text)
}

/// A recipe over its base preset: its own rules and file filters first, then the base's; the
/// base's parameters and tables under its own (its own win on a name); its UID root, else the
/// base's. Settings are not merged here: the configuration takes the base's, then the recipe's
/// ([`crate::config::Config`]). A recipe without `base` is returned as it is.
pub fn compose(own: &Recipe) -> Result<Recipe, RecipeError> {
    let Some(base) = &own.base else {
        return Ok(own.clone());
    };
    let base = recipe(base)?;
    let mut r = own.clone();
    r.rules.extend(base.rules);
    r.filters.extend(base.filters);
    for (k, v) in base.params {
        r.params.entry(k).or_insert(v);
    }
    for (k, v) in base.tables {
        r.tables.entry(k).or_insert(v);
    }
    if r.uid_root.is_none() {
        r.uid_root = base.uid_root;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::model::Action;

    #[test]
    fn every_preset_reads_with_its_name_and_a_description() {
        for (name, _) in PRESET_RECIPES {
            let r = recipe(name).unwrap();
            assert_eq!(r.name, name);
            assert!(!r.description.is_empty(), "{name}");
            assert!(!r.description.contains('\n'), "{name}");
            assert!(r.base.is_none(), "{name}: a preset has no base");
            // a --preset run applies a preset's settings only: rules there would not run
            assert!(r.rules.is_empty() && r.filters.is_empty(), "{name}");
            assert!(r.params.is_empty() && r.uid_root.is_none(), "{name}");
        }
        assert_eq!(canonical("ps3.15-basic"), Some("basic"));
        assert_eq!(canonical("research-shifted-dates"), Some("research"));
        assert_eq!(text("research-shifted-dates"), text("research"));
        assert!(canonical("nonsense").is_none());
        assert!(matches!(
            recipe("nonsense"),
            Err(RecipeError::UnknownBase { .. })
        ));
    }

    #[test]
    fn a_recipe_over_its_base_has_its_rules_first() {
        let own: Recipe = load_native(
            "base = \"research\"\n[[rules]]\nselect = \"StudyDate\"\naction = \"remove\"\n",
        )
        .unwrap();
        let composed = compose(&own).unwrap();
        assert_eq!(composed.rules.first(), own.rules.first());
        assert_eq!(
            composed.rules.len(),
            own.rules.len() + recipe("research").unwrap().rules.len()
        );
        assert_eq!(composed.rules[0].action, Action::Remove);
        let unknown = load_native("base = \"nonsense\"\n").unwrap();
        assert!(compose(&unknown).is_err());
    }
}
