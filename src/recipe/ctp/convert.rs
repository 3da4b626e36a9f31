//! One CTP element script (`@hashuid(@UIDROOT,this)`, `@if(this,isblank){@remove()}{…}`) to
//! the recipe's rules and file filters, with the report's status and detail. Semantics from
//! CTP's `DICOMAnonymizer.java` (read, not copied); what the recipe model cannot express is
//! [`Converted::unsupported`], and the profile then decides the element.

use crate::recipe::import_report::RowStatus;
use crate::recipe::model::{
    Action, Condition, Fallback, HashCompat, LookupSource, MappingColumn, Test,
};
use crate::recipe::selector::{tag_selector, Selector};

use super::expr::{self, Call, Part};

/// The parameter CTP's `@date()` becomes (the engine has no clock: the run's date is given).
pub const RUN_DATE: &str = "RUN_DATE";
/// The parameter CTP's `@time()` becomes.
pub const RUN_TIME: &str = "RUN_TIME";

/// Nesting of `@if` clauses followed (CTP scripts nest one or two).
const MAX_DEPTH: usize = 4;

/// What a script means for one element, before it becomes rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// An action on the element.
    Act(Action),
    /// CTP's `@quarantine()`: the file is held.
    Quarantine,
    /// `@if`: the first effect where the condition holds, else the second.
    If(Condition, Box<Effect>, Box<Effect>),
}

/// The conversion of one script.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The effect, `None` when not supported.
    pub effect: Option<Effect>,
    /// The report's status.
    pub status: RowStatus,
    /// The report's detail.
    pub detail: String,
    /// Parameters the effect refers to (`UIDROOT`, `DATEINC`, `RUN_DATE`…).
    pub params: Vec<String>,
    /// The UID root `@hashuid` asks for (`{UIDROOT}` or a literal root).
    pub uid_root: Option<String>,
    /// Uses CTP's unkeyed MD5.
    pub md5: bool,
}

impl Converted {
    fn new(effect: Effect, status: RowStatus, detail: impl Into<String>) -> Self {
        Converted {
            effect: Some(effect),
            status,
            detail: detail.into(),
            params: Vec::new(),
            uid_root: None,
            md5: false,
        }
    }

    /// Not supported, with why.
    pub fn unsupported(detail: impl Into<String>) -> Self {
        Converted {
            effect: None,
            status: RowStatus::Unsupported,
            detail: format!("{} (the profile decides this element)", detail.into()),
            params: Vec::new(),
            uid_root: None,
            md5: false,
        }
    }

    fn approximated(mut self, why: &str) -> Self {
        if self.status == RowStatus::Imported {
            self.status = RowStatus::Approximated;
        }
        self.detail = format!("{}; {why}", self.detail);
        self
    }
}

/// The row being converted: its selector and its tag as written.
pub struct Row<'a> {
    /// The element's selector.
    pub select: &'a Selector,
    /// The `t` attribute (`00120063`).
    pub tag: &'a str,
}

/// Converts an element script.
pub fn convert(script: &str, row: &Row) -> Converted {
    convert_at(script, row, 0)
}

fn convert_at(script: &str, row: &Row, depth: usize) -> Converted {
    if depth > MAX_DEPTH {
        return Converted::unsupported("@if clauses nested too deep");
    }
    if row.tag == "00120064" && depth == 0 {
        // CTP adds the codes of this row to the De-identification Method Code Sequence
        return Converted::new(
            Effect::Act(Action::Profile),
            RowStatus::Approximated,
            "the engine writes the De-identification Method Code Sequence itself (CID 7050: \
             the profile and every option it applied)",
        );
    }
    let mut parts = expr::parse(script);
    let always = matches!(parts.first(), Some(Part::Call(c)) if c.name == "always");
    if always {
        parts.remove(0);
    }
    let converted = convert_parts(&parts, row, depth);
    if !always || converted.effect.is_none() {
        return converted;
    }
    match row.tag {
        "00120062" | "00280303" => Converted::new(
            Effect::Act(Action::Profile),
            RowStatus::Approximated,
            "the engine writes this attribute itself (Patient Identity Removed YES; Longitudinal \
             Temporal Information Modified from the date option)",
        ),
        _ => converted.approximated(
            "@always(): written where the element is present; the recipe does not insert \
             absent elements",
        ),
    }
}

fn convert_parts(parts: &[Part], row: &Row, depth: usize) -> Converted {
    match parts {
        [] => Converted::new(
            Effect::Act(Action::Empty),
            RowStatus::Imported,
            "empty (an empty script writes an empty value)",
        ),
        [Part::Call(call)] => convert_call(call, row, depth),
        _ => match parts.iter().position(is_hashptid) {
            Some(k) => convert_composed_hashptid(parts, k, row),
            None => convert_template(parts),
        },
    }
}

fn is_hashptid(part: &Part) -> bool {
    matches!(part, Part::Call(c) if c.name == "hashptid")
}

/// Text, `@param`, `@date()` and `@time()` as a value with placeholders (`{NAME}`), and the
/// parameters it names; `Err` with why for another call.
fn template_text(parts: &[Part]) -> Result<(String, Vec<String>), String> {
    let mut value = String::new();
    let mut params = Vec::new();
    for part in parts {
        match part {
            Part::Text(t) => value.push_str(&t.replace('{', "{{").replace('}', "}}")),
            Part::Call(c) => match placeholder(c) {
                Some(p) => {
                    value.push_str(&format!("{{{p}}}"));
                    params.push(p);
                }
                None => {
                    return Err(format!(
                        "@{} inside a composed value is not supported",
                        c.name
                    ))
                }
            },
        }
    }
    Ok((value, params))
}

/// NBIA's `@param(@SHORTNAME)-@hashptid(@SITEID,this,10)`: CTP writes the text and the calls'
/// values one after the other, so the text around the one `@hashptid` (the part at `k`) becomes
/// its prefix and suffix.
fn convert_composed_hashptid(parts: &[Part], k: usize, row: &Row) -> Converted {
    let (Part::Call(call), before, after) = (&parts[k], &parts[..k], &parts[k + 1..]) else {
        return Converted::unsupported("@hashptid expected");
    };
    let (prefix, suffix) = match (template_text(before), template_text(after)) {
        (Ok(p), Ok(s)) => (p, s),
        (Err(why), _) | (_, Err(why)) => return Converted::unsupported(why),
    };
    let mut c = convert_hashptid(call, row);
    if let Some(Effect::Act(Action::HashPatientId {
        prefix: p,
        suffix: s,
        ..
    })) = c.effect.as_mut()
    {
        p.clone_from(&prefix.0);
        s.clone_from(&suffix.0);
        c.detail = format!("{:?}, then {}, then {:?}", prefix.0, c.detail, suffix.0);
        c.params.extend(prefix.1.into_iter().chain(suffix.1));
    }
    c
}

/// A script of text, `@param`, `@date()` and `@time()`: a replacement value with placeholders.
fn convert_template(parts: &[Part]) -> Converted {
    let (value, params) = match template_text(parts) {
        Ok(t) => t,
        Err(why) => return Converted::unsupported(why),
    };
    let mut c = Converted::new(
        Effect::Act(Action::Replace(value.clone())),
        RowStatus::Imported,
        format!("replace with {value:?}"),
    );
    c.params = params;
    c
}

/// The parameter a call stands for in a composed value.
fn placeholder(call: &Call) -> Option<String> {
    match call.name.as_str() {
        "param" => call.arg(0).strip_prefix(['@', '$']).map(str::to_string),
        "date" if call.arg(0).is_empty() => Some(RUN_DATE.to_string()),
        "time" if call.arg(0).is_empty() => Some(RUN_TIME.to_string()),
        _ => None,
    }
}

fn is_this(arg: &str, row: &Row) -> bool {
    let a = arg.trim();
    a.is_empty() || a == "this" || a.eq_ignore_ascii_case(row.tag)
}

fn act(action: Action, detail: &str) -> Converted {
    Converted::new(Effect::Act(action), RowStatus::Imported, detail)
}

fn convert_call(call: &Call, row: &Row, depth: usize) -> Converted {
    match call.name.as_str() {
        "keep" => act(
            Action::Keep,
            "keep (text still cleaned of the file's identifiers)",
        ),
        "remove" => act(Action::Remove, "remove"),
        "empty" => act(Action::Empty, "empty"),
        "blank" => act(Action::Empty, "empty (blanks are an empty value)"),
        "process" => act(
            Action::Keep,
            "keep the sequence; its items are de-identified by the rules and the profile",
        ),
        "contents" if call.args.len() == 1 && is_this(call.arg(0), row) => {
            act(Action::Keep, "keep (its own contents)")
        }
        "require" if call.args.is_empty() => {
            act(Action::Keep, "keep").approximated("@require(): an absent element is not inserted")
        }
        "quarantine" => Converted::new(Effect::Quarantine, RowStatus::Imported, "hold the file"),
        "hashuid" => convert_hashuid(call, row),
        "hash" => convert_hash(call, row),
        "incrementdate" => convert_incrementdate(call, row),
        "round" if is_this(call.arg(0), row) => convert_round(call),
        "lookup" => convert_lookup(call, row),
        "if" => convert_if(call, row, depth),
        "append" if row.tag == "00120063" => act(Action::Profile, "the profile decides")
            .approximated(
                "the engine writes its own De-identification Method (the profile and options \
                 applied); CTP's text is not appended",
            ),
        "param" | "date" | "time" => convert_template(&[Part::Call(call.clone())]),
        "hashdate" => convert_hashdate(call, row),
        "hashname" => convert_hashname(call, row),
        "hashptid" => convert_hashptid(call, row),
        "initials" if is_this(call.arg(0), row) && call.arg(1).trim().is_empty() => act(
            Action::Initials,
            "CTP's @initials (first letters, the family name's last)",
        ),
        "select" => Converted::unsupported(
            "@select: the recipe cannot tell the top-level data set from sequence items",
        ),
        other => Converted::unsupported(format!("@{other} is not supported")),
    }
}

/// `@UIDROOT` → `{UIDROOT}`; a literal stays as written.
fn param_or_literal(arg: &str) -> (String, Option<String>) {
    match arg.trim().strip_prefix(['@', '$']) {
        Some(name) => (format!("{{{name}}}"), Some(name.to_string())),
        None => (arg.trim().to_string(), None),
    }
}

fn convert_hashuid(call: &Call, row: &Row) -> Converted {
    if call.args.len() != 2 || !is_this(call.arg(1), row) {
        return Converted::unsupported(
            "@hashuid of another element or with a third argument is not supported",
        );
    }
    let (root, param) = param_or_literal(call.arg(0));
    let mut c = act(
        Action::Uid {
            compat: HashCompat::Ctp,
        },
        "CTP's @hashuid under the recipe's UID root (unkeyed MD5)",
    );
    c.uid_root = Some(root);
    c.params.extend(param);
    c.md5 = true;
    c
}

fn convert_hash(call: &Call, row: &Row) -> Converted {
    if !is_this(call.arg(0), row) {
        return Converted::unsupported("@hash of another element is not supported");
    }
    let digits = match call.arg(1) {
        "" => 64,
        n => match n.parse::<u32>() {
            Ok(d) => d.clamp(1, 64),
            Err(_) => return Converted::unsupported(format!("@hash length {n:?} is not a number")),
        },
    };
    let mut c = act(
        Action::Hash {
            digits,
            compat: HashCompat::Ctp,
        },
        &format!("CTP's @hash (unkeyed MD5), cut to {digits} digits"),
    );
    c.md5 = true;
    c
}

fn md5(mut c: Converted) -> Converted {
    c.md5 = true;
    c
}

fn convert_hashdate(call: &Call, row: &Row) -> Converted {
    if call.args.len() != 2 || !is_this(call.arg(0), row) {
        return Converted::unsupported("@hashdate of another element is not supported");
    }
    match Selector::parse(&tag_selector(call.arg(1))) {
        Ok(from) => md5(act(
            Action::HashDate { from },
            &format!(
                "CTP's @hashdate: moved by the offset of {}'s MD5 (unkeyed)",
                call.arg(1)
            ),
        )),
        Err(e) => Converted::unsupported(format!("@hashdate element: {e}")),
    }
}

/// A length argument of CTP's hash functions: `None` when absent.
fn length_arg(arg: &str) -> Result<Option<u32>, String> {
    match arg.trim() {
        "" => Ok(None),
        n => n
            .parse::<u32>()
            .map(|d| Some(d.clamp(1, 64)))
            .map_err(|_| format!("length {n:?} is not a number")),
    }
}

fn convert_hashname(call: &Call, row: &Row) -> Converted {
    if !is_this(call.arg(0), row) {
        return Converted::unsupported("@hashname of another element is not supported");
    }
    let (length, words) = match (length_arg(call.arg(1)), length_arg(call.arg(2))) {
        (Ok(Some(l)), Ok(w)) => (l, w),
        (Err(why), _) | (_, Err(why)) => return Converted::unsupported(why),
        (Ok(None), _) => return Converted::unsupported("@hashname without a length"),
    };
    md5(act(
        Action::HashName { length, words },
        &format!("CTP's @hashname (unkeyed MD5), cut to {length} digits"),
    ))
}

fn convert_hashptid(call: &Call, row: &Row) -> Converted {
    let own = is_this(call.arg(1), row) || (call.arg(1) == "PatientID" && row.tag == "00100020");
    if !own {
        return Converted::unsupported("@hashptid of another element is not supported");
    }
    let length = match length_arg(call.arg(2)) {
        Ok(l) => l,
        Err(why) => return Converted::unsupported(why),
    };
    let (site, param) = param_or_literal(call.arg(0));
    let mut c = md5(act(
        Action::HashPatientId {
            site,
            length,
            prefix: String::new(),
            suffix: String::new(),
        },
        "CTP's @hashptid of [site]ID (unkeyed MD5)",
    ));
    c.params.extend(param);
    c
}

fn convert_incrementdate(call: &Call, row: &Row) -> Converted {
    if call.args.len() != 2 || !is_this(call.arg(0), row) {
        return Converted::unsupported(
            "@incrementdate of another element or by a lookup table is not supported",
        );
    }
    let (days, param) = param_or_literal(call.arg(1));
    let mut c = act(
        Action::IncrementDate { days: days.clone() },
        &format!("add {days} days"),
    );
    c.params.extend(param);
    c
}

fn convert_round(call: &Call) -> Converted {
    match call.arg(1).parse::<f64>() {
        Ok(step) if step > 0.0 => act(Action::Round { step }, &format!("round to {step}"))
            .approximated("the recipe's rounding of ages and numbers, not CTP's text form"),
        _ => Converted::unsupported(format!("@round step {:?} is not a number", call.arg(1))),
    }
}

fn convert_lookup(call: &Call, row: &Row) -> Converted {
    let key = call.arg(0);
    if !(key == "PatientID" || (is_this(key, row) && row.tag == "00100020")) {
        return Converted::unsupported(
            "@lookup keyed by another element than PatientID is not supported",
        );
    }
    let fallback = match call.arg(2) {
        "" => Fallback::Hold,
        "keep" => Fallback::Keep,
        "remove" => Fallback::Remove,
        "empty" => Fallback::Empty,
        "default" => Fallback::Default(call.arg(3).replace('{', "{{").replace('}', "}}")),
        other => {
            return Converted::unsupported(format!("@lookup action {other:?} is not supported"))
        }
    };
    act(
        Action::Lookup {
            from: LookupSource::Mapping(MappingColumn::NewPatientId),
            fallback,
        },
        "the mapping CSV's New_Patient_ID of the file's patient",
    )
    .approximated(&format!(
        "CTP's lookup table ({}/<PatientID>=<new ID>) is given as the mapping CSV (MRN, \
         New_Patient_ID); a patient without a row is held as CTP quarantines",
        call.arg(1)
    ))
}

/// The condition of `@if(element, test, value)`.
fn condition(call: &Call, row: &Row) -> Result<(Condition, bool), String> {
    let attr = match call.arg(0) {
        a if is_this(a, row) => row.select.clone(),
        a => Selector::parse(&tag_selector(a)).map_err(|e| e.to_string())?,
    };
    let (value, _) = param_or_literal(call.arg(2));
    let test = || Test {
        attr: attr.clone(),
        value: value.clone(),
    };
    Ok(match call.arg(1) {
        "isblank" => (Condition::Blank(attr.clone()), true),
        "exists" => (Condition::Exists(attr.clone()), true),
        "contains" => (Condition::Contains(test()), true),
        "equals" => (Condition::Equals(test()), false),
        "matches" => (Condition::Matches(test()), true),
        "greaterthan" => (Condition::GreaterThan(test()), false),
        other => return Err(format!("@if test {other:?} is not supported")),
    })
}

fn convert_if(call: &Call, row: &Row, depth: usize) -> Converted {
    let (cond, exact) = match condition(call, row) {
        Ok(c) => c,
        Err(why) => return Converted::unsupported(why),
    };
    let [yes, no] =
        [0, 1].map(|k| convert_at(call.clauses.get(k).map_or("", |s| s), row, depth + 1));
    let (Some(a), Some(b)) = (yes.effect.clone(), no.effect.clone()) else {
        return Converted::unsupported(format!(
            "a clause of @if is not supported: {} / {}",
            yes.detail, no.detail
        ));
    };
    let mut c = Converted::new(
        Effect::If(cond, Box::new(a), Box::new(b)),
        worst(yes.status, no.status),
        format!(
            "if {} {}: {}; else: {}",
            call.arg(0),
            call.arg(1),
            yes.detail,
            no.detail
        ),
    );
    c.params = [yes.params, no.params].concat();
    c.uid_root = yes.uid_root.or(no.uid_root);
    c.md5 = yes.md5 || no.md5;
    if !exact {
        c = c.approximated(
            "CTP compares equals case-insensitively and greaterthan on the digits only; the \
             recipe's test is used",
        );
    }
    c
}

fn worst(a: RowStatus, b: RowStatus) -> RowStatus {
    let rank = |s| match s {
        RowStatus::Imported | RowStatus::Ignored => 0,
        RowStatus::Approximated => 1,
        RowStatus::Unsupported => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}
