//! Job configuration: profile options, research-ID scheme, date handling, keep-list and forced
//! values. Read from JSON or TOML (the CLI's `--config`, the page's option form), starting from
//! a preset.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use snafu::{ResultExt, Snafu};

use crate::profile::ProfileOptions;
use crate::recipe::error::RecipeError;
use crate::recipe::model::Settings;
use crate::recipe::presets;

/// How research IDs are generated for patients not found in a mapping CSV or existing key.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IdScheme {
    /// 1, 2, 3… in the order of the patients' keyed hashes, after the highest number already used.
    #[default]
    Sequential,
    /// A keyed pseudo-random number in `1..10^digits`, unique within the run and the key.
    Random,
}

/// What PatientName becomes.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PatientNameMode {
    /// The research ID.
    #[default]
    ResearchId,
    /// `<research ID>_<CT date>` (CT date = AcquisitionDate, else SeriesDate, else StudyDate; shifted).
    ResearchIdCtDate,
}

/// What PatientBirthDate becomes.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BirthDateMode {
    /// Emptied (the Basic Profile's Z).
    #[default]
    Remove,
    /// The year is kept, month and day become 0101.
    KeepYear,
}

/// Every option of a de-identification job.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Name of the preset this configuration started from (informational).
    #[cfg_attr(test, ts(type = "Preset"))]
    pub preset: String,
    /// The PS3.15 options.
    pub profile: ProfileOptions,
    /// Prefix of generated research IDs (`SUBJ` → `SUBJ0042`).
    pub id_prefix: String,
    /// Digits of the zero-padded number of generated research IDs.
    pub id_digits: u32,
    /// Sequential or random numbering.
    pub id_scheme: IdScheme,
    /// PatientName replacement.
    pub patient_name: PatientNameMode,
    /// PatientBirthDate handling.
    pub birth_date: BirthDateMode,
    /// Anchor date (YYYY-MM-DD) used when a mapping row has a surgery date but no anchor.
    pub default_anchor_date: String,
    /// Range (inclusive, days) of the keyed per-patient shift when no surgery date is given.
    pub shift_min_days: i64,
    /// Upper end of the keyed shift range.
    pub shift_max_days: i64,
    /// Keep-list mode: only these top-level keywords survive (identity rules still apply).
    pub keep_list: Option<Vec<String>>,
    /// Forced values, applied last: keyword or `GGGG,EEEE` → value.
    pub forced: BTreeMap<String, String>,
    /// Pixel rules (`--pixel-rules`, the page's review): consulted before the default rules.
    pub pixel_rules: Vec<crate::pixels::rules::Rule>,
    /// Whether the shipped default pixel rules (`data/pixel_rules.toml`) apply after the user's.
    pub default_pixel_rules: bool,
    /// What happens to images that may show text and that no pixel rule covers.
    pub unreviewed_pixels: crate::pixels::rules::Unreviewed,
    /// Re-read every output and reject it if an identifier of its input is found (on by default;
    /// switch off only for benchmarking).
    pub verify: bool,
    /// A recipe (its text: this project's TOML or JSON, or a CTP script or deid recipe, which the
    /// job runs in this project's form; see [`crate::recipe`]): rules applied before the
    /// profile, file filters, parameters, a UID root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipe: Option<String>,
    /// Values of the recipe's parameters (`--param NAME=VALUE`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// The user accepted the import report of an imported recipe (CTP script, deid recipe) that
    /// lists rows not supported (`--accept-import-report`); without it such a recipe is refused.
    /// Recorded (in the run statement's options) only when the report had such rows.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub accept_import_report: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            preset: "basic".into(),
            profile: ProfileOptions::default(),
            id_prefix: "SUBJ".into(),
            id_digits: 4,
            id_scheme: IdScheme::Sequential,
            patient_name: PatientNameMode::ResearchId,
            birth_date: BirthDateMode::Remove,
            default_anchor_date: "2024-06-15".into(),
            shift_min_days: -365,
            shift_max_days: -30,
            keep_list: None,
            forced: BTreeMap::new(),
            pixel_rules: Vec::new(),
            default_pixel_rules: true,
            unreviewed_pixels: crate::pixels::rules::Unreviewed::Hold,
            verify: true,
            recipe: None,
            params: BTreeMap::new(),
            accept_import_report: false,
        }
    }
}

/// The built-in presets (their recipes: [`crate::recipe::presets`]).
pub const PRESETS: [&str; 3] = ["basic", "research", "keep-list"];

/// Errors in a configuration.
#[derive(Debug, Snafu)]
pub enum ConfigError {
    /// Not valid JSON for a [`Config`].
    #[snafu(display("configuration is not valid JSON: {source}"))]
    Json {
        /// cause
        source: serde_json::Error,
    },
    /// Not valid TOML for a [`Config`].
    #[snafu(display("configuration is not valid TOML: {source}"))]
    Toml {
        /// cause
        source: toml::de::Error,
    },
    /// A recipe's settings that are not a valid configuration.
    #[snafu(display("the recipe's settings are not valid: {source}"))]
    Settings {
        /// cause
        source: serde_json::Error,
    },
    /// The recipe cannot be read (for its base and settings).
    #[snafu(display("{source}"))]
    Recipe {
        /// cause
        source: Box<RecipeError>,
    },
    /// Unknown preset.
    #[snafu(display("unknown preset {name:?} (known: basic, research, keep-list)"))]
    UnknownPreset {
        /// the name given
        name: String,
    },
    /// A value is out of range.
    #[snafu(display("invalid configuration: {message}"))]
    Invalid {
        /// what is wrong
        message: String,
    },
}

impl Config {
    /// A preset by name (or an older alias: `ps3.15-basic`, `research-shifted-dates`): the
    /// defaults with the settings of its recipe (`data/presets/<name>.toml`,
    /// [`crate::recipe::presets`]): `basic` (PS3.15 Basic Profile), `research` (Basic + Retain
    /// Longitudinal Modified Dates + Retain Patient Characteristics + Clean Descriptors, names
    /// `ID_CTDATE`), `keep-list` (the attributes image analysis needs, dates shifted).
    pub fn preset(name: &str) -> Result<Config, ConfigError> {
        let recipe = presets::recipe(name).map_err(|e| match e {
            RecipeError::UnknownBase { name } => ConfigError::UnknownPreset { name },
            source => ConfigError::Recipe {
                source: Box::new(source),
            },
        })?;
        let defaults = Config {
            preset: name.to_string(),
            ..Config::default()
        };
        defaults.with_settings(&recipe.settings)
    }

    /// This configuration with a recipe's `[settings]` on top (nested tables merged key by
    /// key: `[settings.profile]` sets only the options it names), checked.
    pub fn with_settings(&self, settings: &Settings) -> Result<Config, ConfigError> {
        let mut merged = serde_json::to_value(self).context(JsonSnafu)?;
        merge(&mut merged, serde_json::Value::Object(settings.clone()));
        let c: Config = serde_json::from_value(merged).context(SettingsSnafu)?;
        c.validate()?;
        Ok(c)
    }

    /// Parses JSON or TOML (detected by the first non-blank character: `{` means JSON).
    /// A `preset` key selects the starting preset (`basic` when absent); other keys override it.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse_with_preset(text, "basic")
    }

    /// Like [`Config::parse`], starting from `default_preset` when the text names no `preset`
    /// (the CLI's `--preset`, the page's preset menu). The text is parsed first and the preset
    /// set as a value, so any valid text works (`{}`, `{ }`, an empty TOML file, comments).
    /// When the text carries a `recipe` (the page's and the API's options), its base and
    /// settings apply as in [`Config::parse_with_recipe`].
    pub fn parse_with_preset(text: &str, default_preset: &str) -> Result<Config, ConfigError> {
        Config::parse_with_recipe(text, default_preset, None)
    }

    /// The configuration of a run: the preset (the text's `preset`, else the recipe's `base`,
    /// else `default_preset`), then the recipe's settings, then the text's keys (a `--config`
    /// file wins over both). `recipe` is the recipe's text (any format); `None`: the text's own
    /// `recipe` key, if any. The recipe itself is not put into the configuration here.
    pub fn parse_with_recipe(
        text: &str,
        default_preset: &str,
        recipe: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let text = text.trim_start_matches('\u{feff}');
        let mut value: serde_json::Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).context(JsonSnafu)?
        } else {
            let v: toml::Value = toml::from_str(text).context(TomlSnafu)?;
            serde_json::to_value(v).context(JsonSnafu)?
        };
        let Some(fields) = value.as_object_mut() else {
            return InvalidSnafu {
                message: "the configuration must be a JSON object or a TOML table".to_string(),
            }
            .fail();
        };
        let recipe = match recipe.or_else(|| fields.get("recipe").and_then(|r| r.as_str())) {
            Some(text) => Some(
                crate::recipe::import::load_report(text.as_bytes(), true)
                    .map_err(|e| ConfigError::Recipe {
                        source: Box::new(e),
                    })?
                    .recipe,
            ),
            None => None,
        };
        if fields.get("preset").is_none_or(|p| p.is_null()) {
            let preset = recipe.as_ref().and_then(|r| r.base.as_deref());
            fields.insert("preset".into(), preset.unwrap_or(default_preset).into());
        }
        let preset = value
            .get("preset")
            .and_then(|p| p.as_str())
            .unwrap_or(default_preset);
        let mut base = Config::preset(preset)?;
        if let Some(r) = &recipe {
            base = base.with_settings(&r.settings)?;
        }
        let mut merged = serde_json::to_value(&base).context(JsonSnafu)?;
        merge(&mut merged, value);
        let c: Config = serde_json::from_value(merged).context(JsonSnafu)?;
        c.validate()?;
        Ok(c)
    }

    /// Checks ranges and combinations.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| {
            InvalidSnafu {
                message: m.to_string(),
            }
            .fail()
        };
        if self.profile.retain_long_full_dates && self.profile.retain_long_modified_dates {
            return bad("retain_long_full_dates and retain_long_modified_dates cannot both be on");
        }
        if !(1..=9).contains(&self.id_digits) {
            return bad("id_digits must be between 1 and 9");
        }
        if self.id_prefix.len() > 10
            || !self
                .id_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad("id_prefix must be at most 10 letters, digits, '_' or '-'");
        }
        if self.shift_min_days > self.shift_max_days {
            return bad("shift_min_days must not exceed shift_max_days");
        }
        if crate::dates::parse_da(&self.default_anchor_date.replace('-', "")).is_none() {
            return bad("default_anchor_date must be YYYY-MM-DD");
        }
        Ok(())
    }
}

fn merge(base: &mut serde_json::Value, over: serde_json::Value) {
    match (base, over) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_preset_is_merged_as_a_value() {
        let research = Config::preset("research").unwrap();
        for text in ["{}", "{ }", " {\n}\n", "", "# comment\n", "\u{feff}{}"] {
            assert_eq!(
                Config::parse_with_preset(text, "research").unwrap(),
                research,
                "{text:?}"
            );
            assert_eq!(Config::parse(text).unwrap(), Config::default(), "{text:?}");
        }
        let c = Config::parse_with_preset(r#"{"id_prefix": "P", "preset": "basic"}"#, "research")
            .unwrap();
        assert_eq!((c.preset.as_str(), c.id_prefix.as_str()), ("basic", "P"));
        let c = Config::parse_with_preset("id_prefix = \"P\" # preset?\n", "keep-list").unwrap();
        assert_eq!(
            (c.preset.as_str(), c.id_prefix.as_str()),
            ("keep-list", "P")
        );
        assert!(Config::parse_with_preset("[]", "basic").is_err());
        assert!(Config::parse_with_preset("{", "basic").is_err());
        assert!(Config::parse_with_preset("{}", "nonsense").is_err());
    }

    /// The presets' recipes give what the presets gave when they were written in Rust.
    #[test]
    fn presets_are_their_recipes_settings() {
        assert_eq!(Config::preset("basic").unwrap(), Config::default());
        let mut research = Config {
            preset: "research".into(),
            patient_name: PatientNameMode::ResearchIdCtDate,
            ..Config::default()
        };
        research.profile.retain_long_modified_dates = true;
        research.profile.retain_patient_characteristics = true;
        research.profile.clean_descriptors = true;
        assert_eq!(Config::preset("research").unwrap(), research);
        let alias = Config::preset("research-shifted-dates").unwrap();
        assert_eq!(alias.preset, "research-shifted-dates");
        assert_eq!(alias.profile, research.profile);
        let keep = Config::preset("keep-list").unwrap();
        assert!(keep.profile.retain_long_modified_dates);
        assert_eq!(keep.patient_name, PatientNameMode::ResearchId);
        let list = keep.keep_list.unwrap_or_default();
        assert_eq!(list.len(), 88);
        for k in [
            "StudyID",
            "AccessionNumber",
            "PixelData",
            "ModalityLUTSequence",
        ] {
            assert!(list.iter().any(|l| l == k), "{k}");
        }
        assert!(matches!(
            Config::preset("nonsense"),
            Err(ConfigError::UnknownPreset { .. })
        ));
        let names: Vec<&str> = presets::PRESET_RECIPES.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, PRESETS);
    }

    /// The preset, then the recipe's settings, then the configuration's own keys.
    #[test]
    fn a_recipe_s_settings_sit_between_its_base_and_the_configuration() {
        let recipe = "base = \"research\"\n[settings]\nid_prefix = \"MR\"\nbirth_date = \"keep_year\"\n[settings.profile]\nretain_safe_private = true\n";
        let c = Config::parse_with_recipe("", "basic", Some(recipe)).unwrap();
        assert_eq!(c.preset, "research");
        assert_eq!(
            (c.id_prefix.as_str(), c.birth_date),
            ("MR", BirthDateMode::KeepYear)
        );
        // the base's options stay where the recipe names none
        assert!(c.profile.retain_safe_private && c.profile.clean_descriptors);
        assert_eq!(c.patient_name, PatientNameMode::ResearchIdCtDate);
        assert_eq!(c.recipe, None);
        let c = Config::parse_with_recipe("id_prefix = \"P\"\n", "basic", Some(recipe)).unwrap();
        assert_eq!(
            (c.id_prefix.as_str(), c.birth_date),
            ("P", BirthDateMode::KeepYear)
        );
        // options that carry the recipe (the page's, the API's) read it the same way
        let json = serde_json::json!({ "recipe": recipe, "id_digits": 6 }).to_string();
        let c = Config::parse_with_preset(&json, "basic").unwrap();
        assert_eq!(
            (c.preset.as_str(), c.id_prefix.as_str(), c.id_digits),
            ("research", "MR", 6)
        );
        // checked as a configuration: a value of the wrong kind, a key a recipe may not set
        let wrong = "[settings]\nid_digits = \"four\"\n";
        assert!(Config::parse_with_recipe("", "basic", Some(wrong)).is_err());
        for key in [
            "verify = false",
            "unreviewed_pixels = \"keep\"",
            "preset = \"basic\"",
        ] {
            let text = format!("[settings]\n{key}\n");
            let e = Config::parse_with_recipe("", "basic", Some(&text)).unwrap_err();
            assert!(e.to_string().contains("cannot set"), "{key}: {e}");
        }
    }
}
