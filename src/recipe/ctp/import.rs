//! A CTP DICOM anonymizer script to a recipe and its import report.
//!
//! Order of the rules, as CTP decides an element (`DICOMAnonymizer.processElements`): overlay
//! and curve removal first (they win over the element's script), then the element rows in the
//! script's order, then the removal of private groups (elements without a row), then, with
//! `unspecifiedelements`, the keep groups and the elements CTP always keeps (SOP Class and
//! Instance UID, Study Instance UID, groups 0002, 0028, 7FE0) and the removal of all others.
//! Elements no rule decides go to the profile: CTP would keep them.

use std::collections::{BTreeMap, BTreeSet};

use crate::recipe::import_report::{ImportReport, RowStatus};
use crate::recipe::model::{Action, Condition, FileFilter, FilterAction, Param, Recipe, Rule};
use crate::recipe::selector::Selector;

use super::convert::{self, Converted, Effect, Row, RUN_DATE, RUN_TIME};
use super::script::{self, ScriptError, ScriptRow};

/// A converted script.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The recipe.
    pub recipe: Recipe,
    /// What became of every row.
    pub report: ImportReport,
}

#[derive(Default)]
struct Builder {
    recipe: Recipe,
    report: ImportReport,
    declared: BTreeMap<String, String>,
    used: BTreeSet<String>,
    pre: Vec<Rule>,
    post_private: Vec<Rule>,
    keep_groups: Vec<String>,
    remove_unspecified: bool,
}

/// Converts a script (either form).
pub fn import(text: &str) -> Result<Imported, ScriptError> {
    let script = script::parse(text)?;
    let mut b = Builder {
        report: ImportReport::new(format!("CTP DicomAnonymizer script ({})", script.form)),
        ..Default::default()
    };
    b.recipe.name = "imported CTP script".to_string();
    for row in &script.rows {
        if let ScriptRow::Param { name, value } = row {
            b.declared.insert(name.trim().to_string(), value.clone());
        }
    }
    for row in &script.rows {
        match row {
            ScriptRow::Param { .. } => {}
            ScriptRow::Element {
                enabled,
                tag,
                name,
                script,
            } => b.element(*enabled, tag, name, script),
            ScriptRow::Keep { enabled, target } => b.keep(*enabled, target),
            ScriptRow::Remove { enabled, target } => b.remove(*enabled, target),
        }
    }
    Ok(b.finish())
}

fn source_of(tag: &str, name: &str) -> String {
    format!("<e t=\"{tag}\" n=\"{name}\">")
}

/// The selector of an element row's `t`: `ggggeeee`, or `gggg[creator]ee` for a private one.
fn row_selector(tag: &str) -> Result<Selector, String> {
    let t = tag.trim();
    let text = match (t.find('['), t.rfind(']')) {
        (Some(a), Some(b)) if a == 4 && b > a => {
            format!("({},\"{}\",{})", &t[..4], &t[a + 1..b], &t[b + 1..])
        }
        _ => crate::recipe::selector::tag_selector(t),
    };
    Selector::parse(&text).map_err(|e| format!("the tag {tag:?} is not understood: {e}"))
}

fn rule(select: Selector, when: Option<Condition>, action: Action, name: &str) -> Rule {
    Rule {
        select,
        when,
        action,
        accept_risk: false,
        name: Some(name.to_string()),
    }
}

/// Whether PS3.15 Table E.1-1 has a row for the element `ggggeeee` whose Basic Profile action
/// is not K (rows with `x` masks included).
fn profile_lists(tag: &str) -> bool {
    let t = tag.to_ascii_uppercase();
    crate::profile::table::PROFILE_ROWS.iter().any(|row| {
        let r: String = row.tag.chars().filter(|c| *c != ',').collect();
        row.basic != "K"
            && r.len() == t.len()
            && r.chars()
                .zip(t.chars())
                .all(|(a, b)| a == 'x' || a == 'X' || a.to_ascii_uppercase() == b)
    })
}

/// Turns `keep` into `profile` where the profile removes or replaces the attribute (Table
/// E.1-1 lists it: names, IDs, dates, station names, descriptions…): a CTP script keeps such
/// an attribute where its site chose to, and the configuration's PS3.15 options (Retain Device
/// Identity, Retain Patient Characteristics…) are how this project keeps it; an import never
/// keeps it on its own.
fn demote_listed_keeps(effect: &mut Effect, select: &Selector, tag: &str) -> bool {
    match effect {
        Effect::Act(a @ Action::Keep)
            if profile_lists(tag) || crate::recipe::selector::names_identifying(select) =>
        {
            *a = Action::Profile;
            true
        }
        Effect::If(_, yes, no) => {
            let a = demote_listed_keeps(yes, select, tag);
            demote_listed_keeps(no, select, tag) || a
        }
        _ => false,
    }
}

fn all(guard: &[Condition]) -> Option<Condition> {
    match guard {
        [] => None,
        [one] => Some(one.clone()),
        more => Some(Condition::All(more.to_vec())),
    }
}

impl Builder {
    fn element(&mut self, enabled: bool, tag: &str, name: &str, script: &str) {
        let source = source_of(tag, name);
        if !enabled {
            self.report
                .push(source, script, RowStatus::Ignored, "disabled (en=\"F\")");
            return;
        }
        let select = match row_selector(tag) {
            Ok(s) => s,
            Err(why) => {
                let c = Converted::unsupported(why);
                self.report.push(source, script, c.status, c.detail);
                return;
            }
        };
        let mut c = convert::convert(
            script,
            &Row {
                select: &select,
                tag,
            },
        );
        if let (Some(root), Some(have)) = (&c.uid_root, &self.recipe.uid_root) {
            if root != have {
                c = Converted::unsupported(format!(
                    "a second UID root {root:?} (the recipe has one: {have:?})"
                ));
            }
        }
        if let Some(effect) = c.effect.as_mut() {
            if demote_listed_keeps(effect, &select, tag) {
                c.status = RowStatus::Approximated;
                c.detail = format!(
                    "{}; CTP keeps it, but PS3.15 Table E.1-1 removes or replaces it: here the \
                     profile decides, under the configuration's options (a Retain option keeps \
                     it)",
                    c.detail
                );
            }
        }
        if let Some(effect) = c.effect.clone() {
            if c.uid_root.is_some() {
                self.recipe.uid_root = c.uid_root.clone();
            }
            self.used.extend(c.params.iter().cloned());
            self.report.unkeyed_md5 |= c.md5;
            self.add_effect(&select, &effect, &mut Vec::new(), &format!("CTP {source}"));
        }
        self.report.push(source, script, c.status, c.detail);
    }

    /// The rules and filters of an effect under a guard (the conditions of enclosing `@if`s).
    fn add_effect(
        &mut self,
        select: &Selector,
        effect: &Effect,
        guard: &mut Vec<Condition>,
        name: &str,
    ) {
        match effect {
            Effect::Act(action) => {
                let r = rule(select.clone(), all(guard), action.clone(), name);
                self.recipe.rules.push(r);
            }
            Effect::Quarantine => {
                let mut when = vec![Condition::Exists(select.clone())];
                when.extend(guard.iter().cloned());
                self.recipe.filters.push(FileFilter {
                    when: Condition::All(when),
                    then: FilterAction::Hold,
                    reason: format!("{name}: @quarantine()"),
                });
            }
            Effect::If(cond, yes, no) => {
                guard.push(cond.clone());
                self.add_effect(select, yes, guard, name);
                guard.pop();
                guard.push(Condition::Not(Box::new(cond.clone())));
                self.add_effect(select, no, guard, name);
                guard.pop();
            }
        }
    }

    fn keep(&mut self, enabled: bool, target: &str) {
        let source = format!("<k t=\"{target}\">");
        if !enabled {
            self.report
                .push(source, target, RowStatus::Ignored, "disabled (en=\"F\")");
        } else if target.starts_with("safe") {
            self.report.push(
                source,
                target,
                RowStatus::Unsupported,
                "a recipe cannot switch on the profile's Retain Safe Private option: set \
                 retain_safe_private = true in the configuration (the profile then keeps the \
                 safe private elements of Table E.3.10-1); without it they are removed",
            );
        } else if target.len() == 4 && target.chars().all(|c| c.is_ascii_hexdigit()) {
            self.keep_groups.push(target.to_string());
            self.report
                .push(source, target, RowStatus::Imported, "pending");
        } else {
            self.report
                .push(source, target, RowStatus::Unsupported, "not a group number");
        }
    }

    fn remove(&mut self, enabled: bool, target: &str) {
        let source = format!("<r t=\"{target}\">");
        if !enabled {
            let detail = "disabled (en=\"F\"); the profile still decides these elements";
            self.report.push(source, target, RowStatus::Ignored, detail);
            return;
        }
        let (list, mask, detail) = match target {
            "curves" => (
                0,
                "(50xx,xxxx)",
                "remove every curve element (groups 50xx), before the rows",
            ),
            "overlays" => (
                0,
                "(60xx,xxxx)",
                "remove every overlay element (groups 60xx), before the rows",
            ),
            "privategroups" => (1, "private", "remove private elements no row names"),
            "unspecifiedelements" => {
                self.remove_unspecified = true;
                let detail = "remove every element no row or kept group names";
                self.report
                    .push(source, target, RowStatus::Imported, detail);
                return;
            }
            _ => {
                self.report
                    .push(source, target, RowStatus::Unsupported, "unknown removal");
                return;
            }
        };
        let Ok(select) = Selector::parse(mask) else {
            return;
        };
        let r = rule(
            select,
            None,
            Action::Remove,
            &format!("CTP remove.{target}"),
        );
        if list == 0 {
            self.pre.push(r)
        } else {
            self.post_private.push(r)
        }
        self.report
            .push(source, target, RowStatus::Imported, detail);
    }
}

/// Elements CTP keeps whatever `unspecifiedelements` says (besides the keep groups).
const ALWAYS_KEPT: [&str; 6] = [
    "(0008,0016)",
    "(0008,0018)",
    "(0020,000D)",
    "(0002,xxxx)",
    "(0028,xxxx)",
    "(7FE0,xxxx)",
];

impl Builder {
    fn finish(mut self) -> Imported {
        let rows = std::mem::take(&mut self.recipe.rules);
        let mut rules = std::mem::take(&mut self.pre);
        rules.extend(rows);
        rules.append(&mut self.post_private);
        self.finish_keep_groups(&mut rules);
        self.recipe.rules = rules;
        self.finish_params();
        Imported {
            recipe: self.recipe,
            report: self.report,
        }
    }

    fn finish_keep_groups(&mut self, rules: &mut Vec<Rule>) {
        let detail = if self.remove_unspecified {
            "spared from the removal of unspecified elements; the profile decides them"
        } else {
            "no effect while unspecifiedelements is off (CTP keeps unlisted elements anyway)"
        };
        for row in self
            .report
            .rows
            .iter_mut()
            .filter(|r| r.detail == "pending")
        {
            row.detail = detail.to_string();
            if !self.remove_unspecified {
                row.status = RowStatus::Ignored;
            }
        }
        if !self.remove_unspecified {
            self.report.push(
                "(elements no row names)".to_string(),
                "",
                RowStatus::Approximated,
                "CTP keeps every element its script does not name (unspecifiedelements is off); \
                 here the profile (PS3.15 Table E.1-1) decides them, so identifying attributes \
                 the script does not name are still removed or replaced",
            );
            return;
        }
        let kept = self.keep_groups.iter().map(|g| format!("({g},xxxx)"));
        for text in ALWAYS_KEPT.iter().map(|s| s.to_string()).chain(kept) {
            if let Ok(select) = Selector::parse(&text) {
                rules.push(rule(select, None, Action::Profile, "CTP kept group"));
            }
        }
        if let Ok(any) = Selector::parse("*") {
            rules.push(rule(
                any,
                None,
                Action::Remove,
                "CTP remove.unspecifiedelements",
            ));
        }
    }

    /// The recipe's parameters: those its rules use, with the script's values as defaults when
    /// they are usable values (a script's `<p>` often holds a prompt instead: "Enter your date
    /// offset…"; then the value must be given).
    fn finish_params(&mut self) {
        let root_param = self
            .recipe
            .uid_root
            .as_deref()
            .and_then(|r| r.strip_prefix('{'))
            .and_then(|r| r.strip_suffix('}'))
            .map(str::to_string);
        for name in &self.used {
            let value = self.declared.get(name).map(|v| v.trim().to_string());
            let numeric = self.recipe.rules.iter().any(|r| {
                matches!(&r.action, Action::IncrementDate { days } if *days == format!("{{{name}}}"))
            });
            let usable = |v: &String| {
                let lower = v.to_ascii_lowercase();
                if ["enter ", "insert ", "change "]
                    .iter()
                    .any(|p| lower.starts_with(p))
                {
                    false // a prompt for the user, not a value
                } else if Some(name) == root_param.as_ref() {
                    !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')
                } else if numeric {
                    v.parse::<i64>().is_ok()
                } else {
                    true
                }
            };
            let description = match (name.as_str(), &value) {
                (RUN_DATE, _) => "the date of the run, YYYYMMDD (CTP's @date())".to_string(),
                (RUN_TIME, _) => "the time of the run, HHMMSS (CTP's @time())".to_string(),
                (_, Some(v)) if !usable(v) => format!("CTP parameter {name}: {v}"),
                (_, Some(_)) => format!("CTP parameter {name}"),
                (_, None) => format!("CTP parameter {name} (not given in the script)"),
            };
            let default = value.filter(|v| usable(v));
            self.recipe.params.insert(
                name.clone(),
                Param {
                    description,
                    default,
                },
            );
        }
        for (name, value) in &self.declared {
            let (status, detail) = if self.used.contains(name) {
                match &self.recipe.params[name].default {
                    Some(d) => (
                        RowStatus::Imported,
                        format!("parameter {name}, default {d:?}"),
                    ),
                    None => (
                        RowStatus::Imported,
                        format!("parameter {name}, to be given (--param {name}=…)"),
                    ),
                }
            } else {
                (
                    RowStatus::Ignored,
                    "not used by an imported row".to_string(),
                )
            };
            self.report
                .push(format!("<p t=\"{name}\">"), value, status, detail);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_rows_become_guarded_rules_and_quarantine_a_filter() {
        let xml = r#"<script><p t="UIDROOT">1.2.3</p>
          <e en="T" t="0040a123" n="PersonName">@if(this,isblank){@remove()}{Removed by CTP}</e>
          <e en="T" t="00080008" n="ImageType">@if(ImageType,contains,"SCREEN SAVE"){@quarantine()}{@keep()}</e>
          <e en="T" t="00080018" n="SOPInstanceUID">@hashuid(@UIDROOT,this)</e>
          <r en="T" t="overlays">x</r></script>"#;
        let i = import(xml).unwrap();
        let r = &i.recipe;
        assert_eq!(r.rules[0].action, Action::Remove); // overlays first
        assert_eq!(r.rules[1].action, Action::Remove);
        assert!(matches!(r.rules[1].when, Some(Condition::Blank(_))));
        assert_eq!(r.rules[2].action, Action::Replace("Removed by CTP".into()));
        assert_eq!(r.filters.len(), 1);
        assert_eq!(r.uid_root.as_deref(), Some("{UIDROOT}"));
        assert_eq!(r.params["UIDROOT"].default.as_deref(), Some("1.2.3"));
        assert!(i.report.unkeyed_md5);
        assert!(!i.report.has_unsupported());
    }
}
