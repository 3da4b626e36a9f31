//! The recipe's rules in the walk over a data set: the first rule in force whose selector
//! matches an element decides it; an element no rule decides goes to the profile. Kept values
//! are still cleaned of the file's identifiers unless the rule accepts the risk.

use std::collections::BTreeMap;

use dicom_core::header::Header as _;
use dicom_core::value::{DataSetSequence, Value};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_object::mem::{InMemDicomObject, InMemElement};

use super::{is_string_vr, str_values, strs, Walker};
use crate::error::Rejection;
use crate::recipe::compile::CompiledRule;
use crate::recipe::ctp::functions as ctp_fn;
use crate::recipe::explain::iod_note;
use crate::recipe::model::{Action, Fallback, HashCompat, LookupSource, MappingColumn};
use crate::recipe::{tag_name, values};

/// What the recipe made of an element: `Break` when a rule decided (the element written, or
/// `None`: removed), `Continue` with the element when the profile decides.
type Ruled = std::ops::ControlFlow<Option<InMemElement>, InMemElement>;

fn failed(rule: &CompiledRule, what: String) -> Rejection {
    Rejection::RuleFailed {
        detail: format!("recipe {}: {what}", rule.label),
    }
}

impl Walker<'_> {
    /// The sequences the walk is inside, the outermost first.
    fn above(&self) -> Vec<Tag> {
        self.path
            .iter()
            .map(|p| Tag((p >> 16) as u16, *p as u16))
            .collect()
    }

    /// The first rule in force that matches the element at the walk's path.
    fn rule_for(
        &self,
        e: &InMemElement,
        creators: &BTreeMap<(u16, u8), String>,
    ) -> Option<&CompiledRule> {
        let recipe = self.ctx.recipe.as_ref()?;
        let t = e.tag();
        if t.group() % 2 == 1 && t.element() < 0x1000 {
            // Private creators follow their blocks.
            return None;
        }
        let creator = (t.group() % 2 == 1)
            .then(|| creators.get(&(t.group(), (t.element() >> 8) as u8)))
            .flatten()
            .map(String::as_str);
        let path = self.above();
        recipe
            .rules
            .iter()
            .zip(&self.rules_on)
            .find(|(r, on)| **on && r.select.matches(&path, t, creator, e.vr()))
            .map(|(r, _)| r)
    }

    /// The recipe's decision for an element, or the element back for the profile.
    pub(super) fn by_recipe(
        &mut self,
        e: InMemElement,
        creators: &BTreeMap<(u16, u8), String>,
        top: bool,
        depth: usize,
    ) -> Result<Ruled, Rejection> {
        let Some(rule) = self.rule_for(&e, creators).cloned() else {
            return Ok(Ruled::Continue(e));
        };
        if rule.action == Action::Profile {
            return Ok(Ruled::Continue(e));
        }
        let action = match self.within_iod(&rule, e.tag()) {
            None => return Ok(Ruled::Continue(e)),
            Some(a) => a,
        };
        if top {
            self.decided.insert(e.tag());
        }
        self.rule_action(&rule, &action, e, depth)
    }

    /// The action the run applies for the action of `rule` on the element `t` at the walk's
    /// path ([`crate::recipe::iod_bound`]): `None` when the profile decides. When the file's
    /// IOD changes the action, the log's note says which attribute and why.
    fn within_iod(&mut self, rule: &CompiledRule, t: Tag) -> Option<Action> {
        self.path
            .push((u32::from(t.group()) << 16) | u32::from(t.element()));
        let bounded = self.iod.bound(&self.ctx.profile, &rule.action, &self.path);
        self.path.pop();
        if let Some(note) = iod_note(&rule.label, &rule.action, bounded, &self.above(), t) {
            if !self.iod_notes.contains(&note) {
                self.iod_notes.push(note);
            }
        }
        bounded.applied(&rule.action)
    }

    fn rule_action(
        &mut self,
        rule: &CompiledRule,
        action: &Action,
        e: InMemElement,
        depth: usize,
    ) -> Result<Ruled, Rejection> {
        let done = |x: Option<InMemElement>| Ok(Ruled::Break(x));
        match action {
            Action::Profile => Ok(Ruled::Continue(e)),
            Action::Keep => self.rule_keep(rule, e, depth),
            Action::Remove => {
                self.stats.removed += 1;
                done(None)
            }
            Action::Empty => {
                self.stats.emptied += 1;
                done(Some(empty(&e)))
            }
            Action::Replace(v) => self.replace_with(rule, e, v),
            Action::Uid { .. } => self.rule_uid(rule, e, depth),
            Action::ShiftDate => self.rule_dates(rule, e, self.shift_days),
            Action::IncrementDate { days } => {
                let n = days
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| failed(rule, format!("days {days:?}")))?;
                self.rule_dates(rule, e, n)
            }
            Action::Round { step } => self.rule_round(rule, e, *step),
            Action::Pseudonym => {
                let len = values::max_len(e.vr()).min(64);
                let keyed = &self.ctx.keyed;
                self.map_strings(rule, e, |v| values::pseudonym(keyed, v, len))
            }
            Action::Hash {
                digits,
                compat: HashCompat::Ctp,
            } => {
                let n = (*digits as usize).min(values::max_len(e.vr())) as i64;
                let unpadded = |v: &str| v.trim_end_matches([' ', '\0']).to_string();
                self.map_strings(rule, e, |v| ctp_fn::hash(&unpadded(v), Some(n)))
            }
            Action::Hash { digits, .. } => {
                let n = (*digits as usize).min(values::max_len(e.vr())) as u32;
                let keyed = &self.ctx.keyed;
                self.map_strings(rule, e, |v| values::hash_digits(keyed, v, n))
            }
            Action::Lookup { from, fallback } => self.rule_lookup(rule, e, from, fallback, depth),
            Action::HashDate { from } => self.rule_hash_date(rule, e, &from.to_string()),
            Action::HashName { length, words } => {
                let (n, w) = (i64::from(*length), words.map(i64::from));
                self.map_strings(rule, e, |v| ctp_fn::hash_name(v, n, w))
            }
            Action::HashPatientId {
                site,
                length,
                prefix,
                suffix,
            } => {
                let n = length.map(i64::from);
                let max = values::max_len(e.vr());
                self.map_strings(rule, e, |v| {
                    let digits = ctp_fn::hash_ptid(site, v, n);
                    format!("{prefix}{digits}{suffix}")
                        .chars()
                        .take(max)
                        .collect()
                })
            }
            Action::Initials => self.map_strings(rule, e, ctp_fn::initials),
        }
    }

    /// CTP's `@hashdate`: the whole value (its dates split at backslashes) moved by the offset
    /// of the other element's original value; empty where CTP writes an empty value.
    fn rule_hash_date(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        from: &str,
    ) -> Result<Ruled, Rejection> {
        if !matches!(e.vr(), VR::DA | VR::DT) {
            return Err(failed(
                rule,
                format!("{} is not a date (VR {:?})", tag_name(e.tag()), e.vr()),
            ));
        }
        let other = self.sources.get(from).map_or("", String::as_str);
        let value = str_values(&e).join("\\");
        self.stats.dummied += 1;
        match ctp_fn::hash_date(&value, other) {
            Ok(Some(moved)) => {
                let parts = moved.split('\\').map(str::to_string).collect();
                Ok(Ruled::Break(Some(DataElement::new(
                    e.tag(),
                    e.vr(),
                    strs(parts),
                ))))
            }
            Ok(None) | Err(_) => Ok(Ruled::Break(Some(empty(&e)))),
        }
    }

    fn rule_keep(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        depth: usize,
    ) -> Result<Ruled, Rejection> {
        if Self::is_seq(&e) {
            // A sequence is kept with the recipe and the profile applied inside.
            return self.sequence(e, depth).map(Ruled::Break);
        }
        if rule.accept_risk {
            let t = e.tag();
            self.accepted_tags.insert(t);
            self.accepted_values.extend(str_values(&e));
            let note = format!(
                "{} kept {} verbatim (accepted risk)",
                rule.label,
                tag_name(t)
            );
            if !self.accepted_notes.contains(&note) {
                self.accepted_notes.push(note);
            }
            return Ok(Ruled::Break(Some(e)));
        }
        self.keep_with_identity_rules(e, depth).map(Ruled::Break)
    }

    fn replace_with(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        v: &str,
    ) -> Result<Ruled, Rejection> {
        let vr = e.vr();
        if !is_string_vr(vr) {
            return Err(failed(
                rule,
                format!("cannot write text into {} (VR {vr:?})", tag_name(e.tag())),
            ));
        }
        self.stats.dummied += 1;
        Ok(Ruled::Break(Some(DataElement::new(
            e.tag(),
            vr,
            strs(vec![v.to_string()]),
        ))))
    }

    fn rule_uid(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        depth: usize,
    ) -> Result<Ruled, Rejection> {
        if Self::is_seq(&e) {
            return self.sequence(e, depth).map(Ruled::Break);
        }
        if e.vr() != VR::UI {
            return Err(failed(
                rule,
                format!("{} is not a UID (VR {:?})", tag_name(e.tag()), e.vr()),
            ));
        }
        Ok(Ruled::Break(Some(self.map_uids(e))))
    }

    fn rule_dates(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        days: i64,
    ) -> Result<Ruled, Rejection> {
        if !matches!(e.vr(), VR::DA | VR::DT | VR::TM) {
            return Err(failed(
                rule,
                format!("{} is not a date (VR {:?})", tag_name(e.tag()), e.vr()),
            ));
        }
        let before = self.shift_days;
        self.shift_days = days;
        let out = self.shift(e);
        self.shift_days = before;
        Ok(Ruled::Break(out))
    }

    fn rule_round(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        step: f64,
    ) -> Result<Ruled, Rejection> {
        let vr = e.vr();
        let f: fn(&str, f64) -> Option<String> = match vr {
            VR::AS => values::round_age,
            VR::IS => |v, s| values::round_number(v, s, true),
            VR::DS => |v, s| values::round_number(v, s, false),
            _ => {
                return Err(failed(
                    rule,
                    format!("cannot round {} (VR {vr:?})", tag_name(e.tag())),
                ))
            }
        };
        let mut out = Vec::new();
        for v in str_values(&e) {
            out.push(
                f(&v, step).ok_or_else(|| {
                    failed(rule, format!("{} holds no number", tag_name(e.tag())))
                })?,
            );
        }
        self.stats.cleaned += 1;
        Ok(Ruled::Break(Some(DataElement::new(e.tag(), vr, strs(out)))))
    }

    fn map_strings(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        f: impl Fn(&str) -> String,
    ) -> Result<Ruled, Rejection> {
        let vr = e.vr();
        if !is_string_vr(vr) || Self::is_seq(&e) {
            return Err(failed(
                rule,
                format!("cannot hash {} (VR {vr:?})", tag_name(e.tag())),
            ));
        }
        let out: Vec<String> = str_values(&e).iter().map(|v| f(v)).collect();
        self.stats.dummied += 1;
        Ok(Ruled::Break(Some(DataElement::new(e.tag(), vr, strs(out)))))
    }

    fn rule_lookup(
        &mut self,
        rule: &CompiledRule,
        e: InMemElement,
        from: &LookupSource,
        fallback: &Fallback,
        depth: usize,
    ) -> Result<Ruled, Rejection> {
        let found = match from {
            LookupSource::Mapping(col) => match col {
                MappingColumn::NewPatientId => Some(self.identity.research_id.clone()),
                MappingColumn::SurgeryDate => self.identity.surgery_date.clone(),
                MappingColumn::AnchorDate => self.identity.anchor_date.clone(),
                MappingColumn::Notes => self.identity.notes.clone(),
            },
            LookupSource::Table(name) => {
                let table = self
                    .ctx
                    .recipe
                    .as_ref()
                    .and_then(|r| r.tables.get(name))
                    .ok_or_else(|| failed(rule, format!("no table {name:?}")))?;
                str_values(&e)
                    .first()
                    .and_then(|v| table.get(v.trim()))
                    .cloned()
            }
        };
        if let Some(v) = found {
            return self.replace_with(rule, e, &v);
        }
        match fallback {
            Fallback::Profile => Ok(Ruled::Continue(e)),
            Fallback::Keep => self.rule_action(rule, &Action::Keep, e, depth),
            Fallback::Remove => self.rule_action(rule, &Action::Remove, e, depth),
            Fallback::Empty => self.rule_action(rule, &Action::Empty, e, depth),
            Fallback::Default(v) => self.replace_with(rule, e, v),
            Fallback::Hold => Err(Rejection::RecipeHeld {
                detail: format!("{}: no value for {}", rule.label, tag_name(e.tag())),
            }),
        }
    }
}

fn empty(e: &InMemElement) -> InMemElement {
    if matches!(e.value(), Value::Sequence(_)) {
        DataElement::new(
            e.tag(),
            VR::SQ,
            Value::from(DataSetSequence::new(
                Vec::<InMemDicomObject>::new(),
                Length::UNDEFINED,
            )),
        )
    } else {
        DataElement::empty(e.tag(), e.vr())
    }
}
