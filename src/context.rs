//! What every step of a job shares and that is the same for every file: the configuration,
//! the resolved profile, the keyed functions, the keep-list and forced values, the pixel rules,
//! and the depth limit of every walk over a data set. The rewrite (`deid`), the identifier
//! search (`identifiers`) and the self-check (`verify`) all read it; it depends on none of them.

use std::collections::HashSet;

use dicom_core::dictionary::DataDictionary;
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;
use snafu::ResultExt;

use crate::config::Config;
use crate::pixels::rules::{RuleSet, RulesError, DEFAULT_RULES};
use crate::profile::{Profile, ProfileError};
use crate::recipe::compile::Compiled;
use crate::recipe::error::RecipeError;
use crate::recipe::presets;
use crate::uid::Keyed;

/// Text written to DeidentificationMethod (first value).
pub const METHOD_NAME: &str = "dicom-deid 0.1 PS3.15 E.1-1 2026c";
/// Everything the rewrite step needs that is the same for every file of a job.
#[derive(Debug, Clone)]
pub struct Context {
    /// The configuration.
    pub config: Config,
    /// Table E.1-1 resolved for the configured options.
    pub profile: Profile,
    /// Keyed functions of the project secret.
    pub keyed: Keyed,
    pub(crate) keep_list: Option<HashSet<Tag>>,
    pub(crate) forced: Vec<(Tag, VR, String)>,
    /// Pixel rules in force: the user's, then (unless switched off) the shipped defaults.
    pub pixel_rules: RuleSet,
    /// The recipe, ready (rules before the profile), when the configuration has one.
    pub recipe: Option<std::sync::Arc<Compiled>>,
}

/// Errors in building a [`Context`].
#[derive(Debug, snafu::Snafu)]
pub enum ContextError {
    /// Profile options.
    #[snafu(display("{source}"))]
    Profile {
        /// cause
        source: ProfileError,
    },
    /// The shipped pixel rules do not parse (a build defect).
    #[snafu(display("{source}"))]
    PixelRules {
        /// cause
        source: RulesError,
    },
    /// The recipe cannot be used.
    #[snafu(display("{source}"))]
    Recipe {
        /// cause
        source: RecipeError,
    },
    /// The recipe expects another preset underneath.
    #[snafu(display(
        "the recipe is written for the {base:?} preset, and the job's preset is {preset:?}: use --preset {base}"
    ))]
    RecipeBase {
        /// the recipe's base
        base: String,
        /// the job's preset
        preset: String,
    },
    /// Keep-list or forced value names an unknown attribute.
    #[snafu(display(
        "unknown attribute {name:?} (use a DICOM keyword such as PatientSex, or GGGG,EEEE)"
    ))]
    UnknownAttribute {
        /// the name given
        name: String,
    },
}

/// Resolves a keyword or `GGGG,EEEE` / `(GGGG,EEEE)` to a tag and its dictionary VR.
pub fn resolve_attribute(name: &str) -> Option<(Tag, VR)> {
    let n = name.trim().trim_start_matches('(').trim_end_matches(')');
    if let Some((g, e)) = n.split_once(',') {
        let g = u16::from_str_radix(g.trim(), 16).ok()?;
        let e = u16::from_str_radix(e.trim(), 16).ok()?;
        let tag = Tag(g, e);
        let vr = StandardDataDictionary
            .by_tag(tag)
            .map(|e| e.vr.relaxed())
            .unwrap_or(VR::LO);
        return Some((tag, vr));
    }
    let entry = StandardDataDictionary.by_name(n)?;
    Some((entry.tag.inner(), entry.vr.relaxed()))
}

/// The configuration with its recipe in this project's own form
/// ([`crate::recipe::import::native_text`]): an imported recipe (CTP script, deid recipe)
/// converted, refused when its import report lists unsupported rows that the configuration does
/// not accept (`accept_import_report`); the acceptance kept only when the report had such rows.
/// The job runs, plans and records (run statement) this configuration.
pub fn with_native_recipe(config: &Config) -> Result<Config, ContextError> {
    let mut config = config.clone();
    if let Some(text) = &config.recipe {
        let (native, report) =
            crate::recipe::import::native_text(text, config.accept_import_report)
                .map_err(|source| ContextError::Recipe { source })?;
        if let Some(report) = report {
            config.accept_import_report &= report.has_unsupported();
        }
        config.recipe = Some(native);
    }
    Ok(config)
}

/// The configuration's recipe (already in its own form) compiled over its base, checked against
/// the preset (an alias and its name are the same preset).
fn compile_recipe(config: &Config) -> Result<Option<std::sync::Arc<Compiled>>, ContextError> {
    let Some(text) = &config.recipe else {
        return Ok(None);
    };
    let r = Compiled::new(text.as_bytes(), &config.params)
        .map_err(|source| ContextError::Recipe { source })?;
    let same = |base: &String| presets::canonical(base) == presets::canonical(&config.preset);
    if let Some(base) = r.base.as_ref().filter(|b| !same(b)) {
        return Err(ContextError::RecipeBase {
            base: base.clone(),
            preset: config.preset.clone(),
        });
    }
    Ok(Some(std::sync::Arc::new(r)))
}

impl Context {
    /// Builds the per-job context.
    pub fn new(config: &Config, secret: &[u8]) -> Result<Context, ContextError> {
        let profile = Profile::new(&config.profile).context(ProfileSnafu)?;
        let keep_list = match &config.keep_list {
            None => None,
            Some(list) => {
                let mut set = HashSet::new();
                for k in list {
                    let (tag, _) = resolve_attribute(k)
                        .ok_or_else(|| ContextError::UnknownAttribute { name: k.clone() })?;
                    set.insert(tag);
                }
                Some(set)
            }
        };
        let mut forced = Vec::new();
        for (k, v) in &config.forced {
            let (tag, vr) = resolve_attribute(k)
                .ok_or_else(|| ContextError::UnknownAttribute { name: k.clone() })?;
            forced.push((tag, vr, v.clone()));
        }
        let mut pixel_rules = RuleSet {
            rules: config.pixel_rules.clone(),
        };
        pixel_rules.validate().context(PixelRulesSnafu)?;
        if config.default_pixel_rules {
            let defaults = RuleSet::parse(DEFAULT_RULES).context(PixelRulesSnafu)?;
            pixel_rules.rules.extend(defaults.rules);
        }
        let config = &with_native_recipe(config)?;
        let recipe = compile_recipe(config)?;
        let mut keyed = Keyed::new(secret);
        if let Some(root) = recipe.as_ref().and_then(|r| r.uid_root.clone()) {
            keyed = keyed.with_uid_root(root);
        }
        if recipe.as_ref().is_some_and(|r| r.ctp_uids()) {
            keyed = keyed.with_ctp_uids();
        }
        Ok(Context {
            config: config.clone(),
            profile,
            keyed,
            recipe,
            keep_list,
            forced,
            pixel_rules,
        })
    }

    pub(crate) fn shift_dates(&self) -> bool {
        self.config.profile.retain_long_modified_dates
    }

    pub(crate) fn full_dates(&self) -> bool {
        self.config.profile.retain_long_full_dates
    }

    /// Tags whose values the user forced or explicitly listed (exempt from the self-check).
    pub fn user_tags(&self) -> HashSet<Tag> {
        let mut s: HashSet<Tag> = self.forced.iter().map(|f| f.0).collect();
        if let Some(k) = &self.keep_list {
            s.extend(k.iter().copied());
        }
        s
    }
}
