//! Parameters of a recipe: `{NAME}` placeholders filled from the values the user gives (or the
//! declared defaults), and the recipe's UID root checked against PS3.5 9.1.

use std::collections::BTreeMap;

use super::error::RecipeError;
use super::model::Recipe;

/// Longest UID root accepted: a replaced UID is `<root>.<up to 39 digits>` within 64
/// characters (PS3.5 9.1), so the root leaves room for 20 digits (2^64) and its dot.
pub const MAX_UID_ROOT: usize = 64 - 21;

/// The parameter values of a recipe: every declared parameter, given or by default.
pub fn values(
    recipe: &Recipe,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, RecipeError> {
    for name in given.keys() {
        if !recipe.params.contains_key(name) {
            let declared: Vec<&str> = recipe.params.keys().map(String::as_str).collect();
            return Err(RecipeError::UnknownParam {
                name: name.clone(),
                declared: if declared.is_empty() {
                    "none".into()
                } else {
                    declared.join(", ")
                },
            });
        }
    }
    let mut out = BTreeMap::new();
    for (name, p) in &recipe.params {
        let v =
            given
                .get(name)
                .or(p.default.as_ref())
                .ok_or_else(|| RecipeError::MissingParam {
                    name: name.clone(),
                    description: p.description.clone(),
                })?;
        out.insert(name.clone(), v.clone());
    }
    Ok(out)
}

/// Fills `{NAME}` placeholders; `{{` and `}}` are literal braces.
pub fn fill(
    text: &str,
    values: &BTreeMap<String, String>,
    context: &str,
) -> Result<String, RecipeError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            out.push('}');
            rest = after;
            continue;
        }
        let Some(end) = tail.find('}') else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let name = &tail[1..end];
        let v = values
            .get(name)
            .ok_or_else(|| RecipeError::UndeclaredPlaceholder {
                context: context.to_string(),
                name: name.to_string(),
            })?;
        out.push_str(v);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks a UID root: digits and dots, components without leading zeros, at most
/// [`MAX_UID_ROOT`] characters (PS3.5 9.1).
pub fn check_uid_root(root: &str) -> Result<(), RecipeError> {
    let bad = |reason: &str| {
        Err(RecipeError::BadUidRoot {
            root: root.to_string(),
            reason: reason.to_string(),
        })
    };
    if root.is_empty() {
        return bad("empty");
    }
    if root.len() > MAX_UID_ROOT {
        return bad(&format!(
            "longer than {MAX_UID_ROOT} characters (a UID is at most 64, and the root must leave room for the generated part)"
        ));
    }
    for c in root.split('.') {
        if c.is_empty() {
            return bad("empty component (two dots, or a dot at an end)");
        }
        if !c.bytes().all(|b| b.is_ascii_digit()) {
            return bad("only digits and dots are allowed");
        }
        if c.len() > 1 && c.starts_with('0') {
            return bad("a component has a leading zero");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_roots_follow_ps3_5_9_1() {
        assert!(check_uid_root("1.2.826.0.1.3680043.10.1234").is_ok());
        for bad in ["", "1..2", "1.2.", ".1", "1.02", "1.2a", &"1.".repeat(30)] {
            assert!(check_uid_root(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_refused() {
        let v: BTreeMap<String, String> = [("P".to_string(), "X1".to_string())].into();
        assert_eq!(fill("a{P}b{{c}}", &v, "t").unwrap(), "aX1b{c}");
        assert!(fill("{Q}", &v, "t").is_err());
    }
}
