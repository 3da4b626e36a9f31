//! deid `%header` actions to recipe rules, ordered by deid's priority
//! (KEEP > ADD > REPLACE > JITTER > REMOVE > BLANK).

use std::collections::BTreeMap;

use crate::recipe::import_report::{ImportReport, RowStatus};
use crate::recipe::model::{Action, Recipe, Rule};
use crate::recipe::selector::{tag_selector, Selector};

use super::lines::Line;

/// The entries of a `%fields` section (`FIELD PatientName`, or a bare field per line).
pub(super) fn field_list(body: &[Line]) -> Vec<String> {
    body.iter()
        .map(|l| {
            let t = l.text.trim();
            match t.split_once(char::is_whitespace) {
                Some((kw, rest)) if kw.eq_ignore_ascii_case("FIELD") => rest.trim().to_string(),
                _ => t.to_string(),
            }
        })
        .collect()
}

/// The selectors a field expression stands for, and whether they only approximate deid's.
fn selectors(
    field: &str,
    lists: &BTreeMap<String, Vec<String>>,
    nested: bool,
) -> Result<(Vec<Selector>, bool), String> {
    let parse = |s: &str| Selector::parse(s).map_err(|e| e.to_string());
    if field.eq_ignore_ascii_case("all") {
        return Ok((vec![parse("*")?], false));
    }
    let Some((expander, expr)) = field
        .split_once(':')
        .filter(|(e, _)| !e.contains(['(', '"']))
    else {
        return Ok((vec![parse(&tag_selector(field))?], false));
    };
    let text = match expander.to_ascii_lowercase().as_str() {
        "contains" => format!("regex:(?i-u){expr}"),
        "startswith" => format!("regex:(?i-u)^({expr})"),
        "endswith" => format!("regex:(?i-u)({expr})$"),
        "select" => match expr.split_once(':') {
            Some((a, v)) if a.eq_ignore_ascii_case("vr") => {
                format!("vr:{}", v.trim().to_ascii_uppercase())
            }
            Some((a, v)) if a.eq_ignore_ascii_case("group") => format!("({},xxxx)", v.trim()),
            _ => return Err(format!("select:{expr} is not supported")),
        },
        "fields" if !nested => {
            let list = lists
                .get(expr.trim())
                .ok_or_else(|| format!("no %fields {expr}"))?;
            let mut out = Vec::new();
            let mut approx = false;
            for f in list {
                let (s, a) = selectors(f, lists, true)?;
                out.extend(s);
                approx |= a;
            }
            return Ok((out, approx));
        }
        other => return Err(format!("the expander {other}: is not supported")),
    };
    Ok((vec![parse(&text)?], true))
}

/// deid's priority of an action (lower first).
fn priority(action: &str) -> usize {
    ["KEEP", "ADD", "REPLACE", "JITTER", "REMOVE", "BLANK"]
        .iter()
        .position(|a| *a == action)
        .unwrap_or(6)
}

/// The action of a header line, with its status and detail.
fn action(verb: &str, field: &str, value: &str) -> Result<(Action, RowStatus, String), String> {
    let literal = !(value.starts_with("var:")
        || value.starts_with("func:")
        || value.starts_with("deid_func:"));
    let escaped = value.replace('{', "{{").replace('}', "}}");
    Ok(match verb {
        "KEEP" => (
            Action::Keep,
            RowStatus::Imported,
            "keep (text still cleaned)".into(),
        ),
        "BLANK" => (Action::Empty, RowStatus::Imported, "empty".into()),
        "REMOVE" if value.is_empty() => (Action::Remove, RowStatus::Imported, "remove".into()),
        "REMOVE" => return Err("a REMOVE with a condition on the value is not supported".into()),
        "ADD" if field == "PatientIdentityRemoved" => (
            Action::Profile,
            RowStatus::Approximated,
            "the engine writes Patient Identity Removed itself".into(),
        ),
        "ADD" | "REPLACE" if !literal => {
            return Err(format!(
                "{value}: deid's per-file variables and functions are not supported"
            ))
        }
        "ADD" => (
            Action::Replace(escaped),
            RowStatus::Approximated,
            format!("replace with {value:?} where present (an absent element is not inserted)"),
        ),
        "REPLACE" => (
            Action::Replace(escaped),
            RowStatus::Imported,
            format!("replace with {value:?}"),
        ),
        "JITTER" => match value.parse::<i64>() {
            Ok(days) => (
                Action::IncrementDate {
                    days: days.to_string(),
                },
                RowStatus::Imported,
                format!("add {days} days"),
            ),
            Err(_) => {
                return Err(format!(
                    "JITTER by {value:?} is not supported (a number of days)"
                ))
            }
        },
        other => return Err(format!("the action {other} is not supported")),
    })
}

/// Imports the `%header` lines.
pub(super) fn import(
    body: &[Line],
    lists: &BTreeMap<String, Vec<String>>,
    recipe: &mut Recipe,
    report: &mut ImportReport,
) {
    let mut ranked: Vec<(usize, Rule)> = Vec::new();
    for line in body {
        let source = format!("%header line {}", line.number);
        let mut words = line.text.splitn(3, char::is_whitespace);
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let field = words.next().unwrap_or("").trim();
        let value = words.next().unwrap_or("").trim();
        let converted = action(&verb, field, value)
            .and_then(|a| selectors(field, lists, false).map(|s| (a, s)));
        let ((act, mut status, mut detail), (sels, approx)) = match converted {
            Ok(c) => c,
            Err(why) => {
                let detail = format!("{why} (the profile decides)");
                report.push(source, &line.text, RowStatus::Unsupported, detail);
                continue;
            }
        };
        if approx && status == RowStatus::Imported {
            status = RowStatus::Approximated;
            detail.push_str(
                "; the expander is matched on standard keywords (deid also matches names and tags)",
            );
        }
        for select in sels {
            let rule = Rule {
                select,
                when: None,
                action: act.clone(),
                accept_risk: false,
                name: Some(source.clone()),
            };
            ranked.push((priority(&verb), rule));
        }
        report.push(source, &line.text, status, detail);
    }
    ranked.sort_by_key(|(p, _)| *p);
    recipe.rules.extend(ranked.into_iter().map(|(_, r)| r));
}
