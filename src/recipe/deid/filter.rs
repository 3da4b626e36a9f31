//! deid `%filter` blocks. A `LABEL` is a filter; its lines are ANDed (deid's pixel detector
//! combines them so), and a line continued by `+ criterion` (and) or `|| criterion` (or) is
//! read left to right. deid flags the images a blacklist or graylist filter matches (their
//! pixels may show PHI): without blackout coordinates such a file is held here for review; a
//! filter with coordinates is a pixel rule (`--pixel-rules`; `scripts/convert_deid_recipe.py`
//! converts them, and the shipped defaults are deid's own recipe's); a whitelist never
//! loosens the pixel gate.

use crate::recipe::import_report::{ImportReport, RowStatus};
use crate::recipe::model::{Condition, FileFilter, FilterAction, Recipe, Test};
use crate::recipe::selector::Selector;

use super::lines::Line;

/// One `LABEL` and its lines.
struct Label {
    name: String,
    number: usize,
    groups: Vec<String>,
    coordinates: bool,
}

fn labels(body: &[Line]) -> (Vec<Label>, Vec<Line>) {
    let mut out: Vec<Label> = Vec::new();
    let mut stray = Vec::new();
    for line in body {
        let t = line.text.trim();
        if let Some(name) = t.strip_prefix("LABEL") {
            out.push(Label {
                name: name.trim().to_string(),
                number: line.number,
                groups: Vec::new(),
                coordinates: false,
            });
            continue;
        }
        let Some(label) = out.last_mut() else {
            stray.push(line.clone());
            continue;
        };
        let lower = t.to_ascii_lowercase();
        if [
            "coordinates",
            "ctpcoordinates",
            "keepcoordinates",
            "ctpkeepcoordinates",
        ]
        .iter()
        .any(|k| lower.starts_with(k))
        {
            label.coordinates = true;
        } else if t.starts_with('+') || t.starts_with("||") {
            match label.groups.last_mut() {
                Some(g) => {
                    g.push(' ');
                    g.push_str(t);
                }
                None => label.groups.push(t.to_string()),
            }
        } else {
            label.groups.push(t.to_string());
        }
    }
    (out, stray)
}

/// One criterion: `contains Field value`, `equals`, `notequals`, `notcontains`, `missing`,
/// `present`, `empty`.
fn criterion(text: &str) -> Result<Condition, String> {
    let mut words = text.trim().splitn(3, char::is_whitespace);
    let op = words.next().unwrap_or("").to_ascii_lowercase();
    let field = words.next().unwrap_or("");
    let value = words.next().unwrap_or("").trim().to_string();
    let attr = Selector::parse(field).map_err(|e| e.to_string())?;
    // ASCII case folding: the regex crate is built without its Unicode case tables
    let pattern = |v: String| -> Result<String, String> {
        regex::Regex::new(&v)
            .map(|_| v)
            .map_err(|e| format!("not a usable regular expression: {e}"))
    };
    let matches = |v: String| {
        Condition::Matches(Test {
            attr: attr.clone(),
            value: v,
        })
    };
    let not = |c: Condition| Condition::Not(Box::new(c));
    let exact = || pattern(format!("(?i-u)^{}$", regex::escape(&value)));
    let search = || pattern(format!("(?i-u){value}"));
    Ok(match op.as_str() {
        "contains" => matches(search()?),
        "notcontains" => not(matches(search()?)),
        "equals" => matches(exact()?),
        "notequals" => not(matches(exact()?)),
        "missing" => not(Condition::Exists(attr.clone())),
        "present" => Condition::Exists(attr.clone()),
        "empty" => Condition::All(vec![
            Condition::Exists(attr.clone()),
            Condition::Blank(attr.clone()),
        ]),
        other => return Err(format!("the filter test {other:?} is not supported")),
    })
}

/// A line group read left to right: `A + B || C` is (A and B) or C.
fn group(text: &str) -> Result<Condition, String> {
    let mut rest = text.trim();
    let mut acc: Option<Condition> = None;
    let mut op = "";
    loop {
        let next = [("+", rest.find(" + ")), ("||", rest.find(" || "))]
            .into_iter()
            .filter_map(|(o, i)| i.map(|i| (o, i)))
            .min_by_key(|(_, i)| *i);
        let (head, tail) = match next {
            Some((o, i)) => (&rest[..i], Some((o, &rest[i + o.len() + 2..]))),
            None => (rest, None),
        };
        let head = head.trim().trim_start_matches('+').trim_start_matches("||");
        let c = criterion(head)?;
        acc = Some(match (acc, op) {
            (None, _) => c,
            (Some(a), "||") => Condition::Any(vec![a, c]),
            (Some(a), _) => Condition::All(vec![a, c]),
        });
        match tail {
            Some((o, t)) => {
                op = o;
                rest = t;
            }
            None => break,
        }
    }
    acc.ok_or_else(|| "an empty filter".to_string())
}

/// Imports one `%filter NAME` section.
pub(super) fn import(head: &str, body: &[Line], recipe: &mut Recipe, report: &mut ImportReport) {
    let list = head
        .trim_start_matches("%filter")
        .trim()
        .to_ascii_lowercase();
    let (labels, stray) = labels(body);
    for line in stray {
        let source = format!("{head} line {}", line.number);
        report.push(
            source,
            &line.text,
            RowStatus::Unsupported,
            "a criterion outside a LABEL",
        );
    }
    for label in labels {
        let source = format!("{head} LABEL line {}", label.number);
        let construct = format!("LABEL {}", label.name);
        if list == "whitelist" {
            let detail = "a whitelist does not loosen the pixel gate (the gate still decides)";
            report.push(source, &construct, RowStatus::Ignored, detail);
            continue;
        }
        if label.coordinates {
            let detail = "blackout coordinates are pixel rules (--pixel-rules; \
                scripts/convert_deid_recipe.py converts them; the shipped defaults are deid's \
                own recipe's): the pixel gate decides";
            report.push(source, &construct, RowStatus::Unsupported, detail);
            continue;
        }
        let when: Result<Vec<Condition>, String> = label.groups.iter().map(|g| group(g)).collect();
        match when {
            Ok(all) => {
                recipe.filters.push(FileFilter {
                    when: Condition::All(all),
                    then: FilterAction::Hold,
                    reason: format!("deid {list} filter: {}", label.name),
                });
                let detail = "the file is held for review (deid flags its pixels); tests read \
                    as case-insensitive regular expressions on any value";
                report.push(source, &construct, RowStatus::Approximated, detail);
            }
            Err(why) => {
                let detail = format!("{why} (the pixel gate decides)");
                report.push(source, &construct, RowStatus::Unsupported, detail);
            }
        }
    }
}
