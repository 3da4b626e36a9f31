//! A recipe made ready for the engine: parameters filled in, the UID root checked, regular
//! expressions compiled, rules that would open a side door refused. Built once per job
//! ([`crate::context::Context`]); the engine then asks it, per file, which filter holds
//! ([`Compiled::filter`]) and which rules are in force ([`Compiled::active`]).

use std::collections::BTreeMap;

use dicom_object::mem::InMemDicomObject;

use super::condition::Cond;
use super::error::RecipeError;
use super::import::load_report;
use super::model::{Action, FilterAction, HashCompat, Recipe};
use super::params::{check_uid_root, fill, values};
use super::presets::compose;
use super::selector::{names_identifying, Selector};

/// One rule, ready.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// `rule N` or the rule's name.
    pub label: String,
    /// Which elements.
    pub select: Selector,
    /// The condition on the file's header.
    pub when: Option<Cond>,
    /// The action, placeholders filled.
    pub action: Action,
    /// Keeps an identifying attribute verbatim (self-check skips it; logged).
    pub accept_risk: bool,
}

/// One file filter, ready.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    /// The condition.
    pub when: Cond,
    /// Hold or exclude.
    pub then: FilterAction,
    /// The reason for the log.
    pub reason: String,
}

/// A recipe ready for the engine.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The recipe's name.
    pub name: String,
    /// The preset the recipe expects underneath, if it names one.
    pub base: Option<String>,
    /// The UID root (parameters filled, checked), if the recipe has one.
    pub uid_root: Option<String>,
    /// Rules in order.
    pub rules: Vec<CompiledRule>,
    /// File filters in order.
    pub filters: Vec<CompiledFilter>,
    /// Lookup tables.
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
    /// SHA-256 of the recipe's bytes (hex), for the plan and the log.
    pub sha256: String,
}

fn bad(context: &str, message: impl Into<String>) -> RecipeError {
    RecipeError::BadRule {
        context: context.to_string(),
        message: message.into(),
    }
}

fn fill_action(
    a: &Action,
    v: &BTreeMap<String, String>,
    label: &str,
) -> Result<Action, RecipeError> {
    Ok(match a {
        Action::Replace(s) => Action::Replace(fill(s, v, label)?),
        Action::IncrementDate { days } => {
            let d = fill(days, v, label)?;
            d.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| n.abs() <= 100_000)
                .ok_or_else(|| bad(label, format!("days {d:?} is not a whole number of days")))?;
            Action::IncrementDate { days: d }
        }
        Action::Round { step } if !(step.is_finite() && *step > 0.0) => {
            return Err(bad(label, "round step must be a positive number"))
        }
        Action::Hash { digits, .. } if !(1..=64).contains(digits) => {
            return Err(bad(label, "hash digits must be 1 to 64"))
        }
        Action::HashName { length, .. }
        | Action::HashPatientId {
            length: Some(length),
            ..
        } if !(1..=64).contains(length) => return Err(bad(label, "hash length must be 1 to 64")),
        Action::HashPatientId {
            site,
            length,
            prefix,
            suffix,
        } => Action::HashPatientId {
            site: fill(site, v, label)?,
            length: *length,
            prefix: fill(prefix, v, label)?,
            suffix: fill(suffix, v, label)?,
        },
        Action::Lookup { from, fallback } => Action::Lookup {
            from: from.clone(),
            fallback: match fallback {
                super::model::Fallback::Default(s) => {
                    super::model::Fallback::Default(fill(s, v, label)?)
                }
                f => f.clone(),
            },
        },
        other => other.clone(),
    })
}

/// CTP-compatible UIDs (`@hashuid`) are made under the recipe's UID root, which they need.
fn check_compat(a: &Action, label: &str, uid_root: Option<&String>) -> Result<(), RecipeError> {
    let ctp_uid = matches!(
        a,
        Action::Uid {
            compat: HashCompat::Ctp
        }
    );
    if ctp_uid && uid_root.is_none() {
        return Err(bad(label, "CTP-compatible UIDs need the recipe's uid_root"));
    }
    Ok(())
}

impl Compiled {
    /// Whether a rule replaces UIDs in CTP's `@hashuid` form: then every replaced UID takes
    /// that form (`crate::uid::Keyed::with_ctp_uids`).
    pub fn ctp_uids(&self) -> bool {
        self.rules.iter().any(|r| {
            matches!(
                r.action,
                Action::Uid {
                    compat: HashCompat::Ctp
                }
            )
        })
    }

    /// Reads and prepares a recipe: `bytes` as [`load`] reads them, over its base preset
    /// ([`compose`]: its rules, then the base's), `given` the parameter values (`--param`).
    pub fn new(bytes: &[u8], given: &BTreeMap<String, String>) -> Result<Compiled, RecipeError> {
        let recipe = compose(&load_report(bytes, false)?.recipe)?;
        Compiled::of(&recipe, given, sha256_hex(bytes))
    }

    /// Prepares a recipe already read.
    pub fn of(
        recipe: &Recipe,
        given: &BTreeMap<String, String>,
        sha256: String,
    ) -> Result<Compiled, RecipeError> {
        let v = values(recipe, given)?;
        let uid_root = match &recipe.uid_root {
            Some(r) => {
                let r = fill(r, &v, "uid_root")?;
                check_uid_root(&r)?;
                Some(r)
            }
            None => None,
        };
        let mut rules = Vec::with_capacity(recipe.rules.len());
        for (i, r) in recipe.rules.iter().enumerate() {
            let label = r.name.clone().unwrap_or_else(|| format!("rule {}", i + 1));
            if r.accept_risk && r.action != Action::Keep {
                return Err(bad(&label, "accept_risk applies to keep only"));
            }
            if r.action == Action::Keep && !r.accept_risk && names_identifying(&r.select) {
                return Err(bad(
                    &label,
                    format!(
                        "keeps {} verbatim, an identifying attribute: add accept_risk = true to this rule to accept the risk (the log will say so), or use another action",
                        r.select
                    ),
                ));
            }
            check_compat(&r.action, &label, uid_root.as_ref())?;
            rules.push(CompiledRule {
                action: fill_action(&r.action, &v, &label)?,
                when: r
                    .when
                    .as_ref()
                    .map(|c| Cond::new(c, &v, &label))
                    .transpose()?,
                select: r.select.clone(),
                accept_risk: r.accept_risk,
                label,
            });
        }
        let mut filters = Vec::with_capacity(recipe.filters.len());
        for (i, f) in recipe.filters.iter().enumerate() {
            let label = format!("filter {}", i + 1);
            filters.push(CompiledFilter {
                when: Cond::new(&f.when, &v, &label)?,
                then: f.then,
                reason: if f.reason.is_empty() {
                    label
                } else {
                    f.reason.clone()
                },
            });
        }
        Ok(Compiled {
            name: recipe.name.clone(),
            base: recipe.base.clone(),
            uid_root,
            rules,
            filters,
            tables: recipe.tables.clone(),
            sha256,
        })
    }

    /// The first file filter whose condition holds for this header.
    pub fn filter(&self, obj: &InMemDicomObject) -> Option<&CompiledFilter> {
        self.filters.iter().find(|f| f.when.holds(obj))
    }

    /// The values the rules read from other elements of a data set (the top level or an item, as
    /// CTP reads the data set the element is in: [`Action::HashDate`]'s `from`), by the selector
    /// as written: the element's values joined with a backslash, empty when it is absent.
    pub fn sources(&self, obj: &InMemDicomObject) -> BTreeMap<String, String> {
        self.rules
            .iter()
            .filter_map(|r| match &r.action {
                Action::HashDate { from } => Some(from),
                _ => None,
            })
            .map(|sel| {
                let v = super::condition::values_of(obj, sel).unwrap_or_default();
                (sel.to_string(), v.join("\\"))
            })
            .collect()
    }

    /// Which rules are in force for this file (their conditions hold on its header).
    pub fn active(&self, obj: &InMemDicomObject) -> Vec<bool> {
        self.rules
            .iter()
            .map(|r| r.when.as_ref().is_none_or(|c| c.holds(obj)))
            .collect()
    }
}

pub use super::read::sha256_hex;
