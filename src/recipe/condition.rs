//! Conditions on a file's header, evaluated on its top-level data set (or along a selector's
//! path into sequences): equals, contains, matches, greater than, exists, blank; all/any/not.

use std::collections::BTreeMap;

use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_object::mem::{InMemDicomObject, InMemElement};

use super::error::RecipeError;
use super::model::{Condition, Test};
use super::params::fill;
use super::selector::Selector;
use crate::padding::Unpadded as _;

/// Most conditions nested in one another (a recipe is input too).
pub const MAX_NESTING: usize = 32;

/// A condition, ready: placeholders filled, regular expressions compiled.
#[derive(Debug, Clone)]
pub enum Cond {
    /// Some value equals.
    Equals(Selector, String),
    /// Some value contains (both lower-cased).
    Contains(Selector, String),
    /// Some value matches.
    Matches(Selector, regex::Regex),
    /// Some value is greater.
    GreaterThan(Selector, String),
    /// Present.
    Exists(Selector),
    /// Absent, empty or spaces.
    Blank(Selector),
    /// Every one.
    All(Vec<Cond>),
    /// Some one.
    Any(Vec<Cond>),
    /// Not.
    Not(Box<Cond>),
}

impl Cond {
    /// Prepares a condition of the rule or filter `label`.
    pub fn new(
        c: &Condition,
        v: &BTreeMap<String, String>,
        label: &str,
    ) -> Result<Cond, RecipeError> {
        Cond::nested(c, v, label, 0)
    }

    fn nested(
        c: &Condition,
        v: &BTreeMap<String, String>,
        label: &str,
        depth: usize,
    ) -> Result<Cond, RecipeError> {
        if depth > MAX_NESTING {
            return Err(RecipeError::BadRule {
                context: label.to_string(),
                message: format!("conditions nested more than {MAX_NESTING} deep"),
            });
        }
        let test = |t: &Test| -> Result<(Selector, String), RecipeError> {
            Ok((t.attr.clone(), fill(&t.value, v, label)?))
        };
        let list = |cs: &[Condition]| -> Result<Vec<Cond>, RecipeError> {
            cs.iter()
                .map(|c| Cond::nested(c, v, label, depth + 1))
                .collect()
        };
        Ok(match c {
            Condition::Equals(t) => {
                let (s, x) = test(t)?;
                Cond::Equals(s, x)
            }
            Condition::Contains(t) => {
                let (s, x) = test(t)?;
                Cond::Contains(s, x.to_lowercase())
            }
            Condition::Matches(t) => {
                let (s, x) = test(t)?;
                let r = regex::Regex::new(&x).map_err(|e| RecipeError::BadRule {
                    context: label.to_string(),
                    message: format!("bad regular expression {x:?}: {e}"),
                })?;
                Cond::Matches(s, r)
            }
            Condition::GreaterThan(t) => {
                let (s, x) = test(t)?;
                Cond::GreaterThan(s, x)
            }
            Condition::Exists(s) => Cond::Exists(s.clone()),
            Condition::Blank(s) => Cond::Blank(s.clone()),
            Condition::All(cs) => Cond::All(list(cs)?),
            Condition::Any(cs) => Cond::Any(list(cs)?),
            Condition::Not(c) => Cond::Not(Box::new(Cond::nested(c, v, label, depth + 1)?)),
        })
    }

    /// Whether the condition holds for this data set.
    pub fn holds(&self, obj: &InMemDicomObject) -> bool {
        let any = |s: &Selector, f: &dyn Fn(&str) -> bool| {
            values_of(obj, s).is_some_and(|vs| vs.iter().any(|x| f(x)))
        };
        match self {
            Cond::Equals(s, x) => any(s, &|v| v == x),
            Cond::Contains(s, x) => any(s, &|v| v.to_lowercase().contains(x.as_str())),
            Cond::Matches(s, r) => any(s, &|v| r.is_match(v)),
            Cond::GreaterThan(s, x) => any(s, &|v| greater(v, x)),
            Cond::Exists(s) => values_of(obj, s).is_some(),
            Cond::Blank(s) => {
                values_of(obj, s).is_none_or(|vs| vs.iter().all(|v| v.trim().is_empty()))
            }
            Cond::All(cs) => cs.iter().all(|c| c.holds(obj)),
            Cond::Any(cs) => cs.iter().any(|c| c.holds(obj)),
            Cond::Not(c) => !c.holds(obj),
        }
    }
}

/// `a > b`: as numbers when both read as numbers, else as text.
fn greater(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => a.trim() > b.trim(),
    }
}

/// The private creators of a data set: (group, block) → creator.
pub fn creators(obj: &InMemDicomObject) -> BTreeMap<(u16, u8), String> {
    let mut out = BTreeMap::new();
    for e in obj.iter() {
        let t = e.tag();
        if t.group() % 2 == 1 && (0x10..=0xFF).contains(&t.element()) {
            if let Some(v) = element_strings(e).into_iter().next() {
                out.insert((t.group(), t.element() as u8), v.trim().to_string());
            }
        }
    }
    out
}

/// The creator of a private element in a data set whose creators are `creators`.
pub fn creator_of(creators: &BTreeMap<(u16, u8), String>, t: dicom_core::Tag) -> Option<&str> {
    if t.group() % 2 == 0 || t.element() < 0x1000 {
        return None;
    }
    creators
        .get(&(t.group(), (t.element() >> 8) as u8))
        .map(String::as_str)
}

/// The string values of an element, without their padding (none for sequences and binary).
pub fn element_strings(e: &InMemElement) -> Vec<String> {
    match e.value() {
        Value::Primitive(p) => p
            .to_multi_str()
            .iter()
            .map(|s| s.unpadded().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// The values of the elements a selector names (along its path from the top level; without a
/// path, at the top level only); `None` when there is no such element.
pub fn values_of(obj: &InMemDicomObject, sel: &Selector) -> Option<Vec<String>> {
    let mut level: Vec<&InMemDicomObject> = vec![obj];
    for step in &sel.within {
        let mut next = Vec::new();
        for o in &level {
            let cs = creators(o);
            for e in o.iter() {
                if !step.matches(e.tag(), creator_of(&cs, e.tag()), e.vr()) {
                    continue;
                }
                if let Value::Sequence(s) = e.value() {
                    next.extend(s.items().iter());
                }
            }
        }
        level = next;
    }
    let mut found = false;
    let mut out = Vec::new();
    for o in &level {
        let cs = creators(o);
        for e in o.iter() {
            if sel
                .element
                .matches(e.tag(), creator_of(&cs, e.tag()), e.vr())
            {
                found = true;
                out.extend(element_strings(e));
            }
        }
    }
    found.then_some(out)
}
