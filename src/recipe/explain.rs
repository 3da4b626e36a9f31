//! `--explain TAG`: which rule decides a top-level attribute of a file, or the profile's row
//! when no rule does (the precedence of README, applied to one attribute).

use dicom_core::header::Header as _;
use dicom_core::Tag;

use super::condition::{creator_of, creators};
use super::iod_bound::{Bounded, FileIod};
use super::model::Action;
use super::selector::{Matcher, Selector};
use crate::context::Context;
use crate::error::Rejection;
use crate::padding::Unpadded as _;
use crate::read;
use dicom_object::mem::InMemDicomObject;
use std::collections::BTreeMap;

/// The decision for the attribute `selector` names (a keyword, tag, or private element by
/// creator) in the file `bytes`, in words.
pub fn explain(ctx: &Context, bytes: &[u8], selector: &Selector) -> Result<String, Rejection> {
    let split = read::parse_split(bytes)?;
    let obj: &InMemDicomObject = &split.object;
    let cs = creators(obj);
    let tag = obj
        .iter()
        .map(|e| e.tag())
        .find(|t| {
            selector
                .element
                .matches(*t, creator_of(&cs, *t), dicom_core::VR::UN)
        })
        .or_else(|| selector.single_tag());
    let Some(tag) = tag else {
        return Ok(format!("{selector}: not in this file"));
    };
    Ok(decide(ctx, obj, &cs, &file_iod(&split.object), tag))
}

/// The decision for every top-level attribute of the file `bytes` (the page's preview: a
/// "why" per attribute), as `((gggg,eeee), words)` in the file's order: the same words as
/// [`explain`] gives for that attribute.
pub fn explain_attributes(ctx: &Context, bytes: &[u8]) -> Result<Vec<(String, String)>, Rejection> {
    let split = read::parse_split(bytes)?;
    let obj: &InMemDicomObject = &split.object;
    let cs = creators(obj);
    let iod = file_iod(&split.object);
    Ok(obj
        .iter()
        .map(|e| e.tag())
        .map(|t| {
            let path = format!("({:04X},{:04X})", t.group(), t.element());
            (path, decide(ctx, obj, &cs, &iod, t))
        })
        .collect())
}

/// Who decides `tag` in `obj`: the recipe's filter, its first rule in force, or the profile.
fn decide(
    ctx: &Context,
    obj: &InMemDicomObject,
    cs: &BTreeMap<(u16, u8), String>,
    iod: &FileIod,
    tag: Tag,
) -> String {
    let present = obj.element(tag).is_ok();
    let name = super::tag_name(tag);
    if let Some(recipe) = &ctx.recipe {
        if let Some(f) = recipe.filter(obj) {
            return format!(
                "{name}: the file is {} by the recipe's filter ({})",
                match f.then {
                    super::model::FilterAction::Hold => "held",
                    super::model::FilterAction::Exclude => "excluded",
                },
                f.reason
            );
        }
        if let Some(d) = rule_decision(ctx, obj, cs, iod, tag) {
            return format!("{name}: {}", d.words);
        }
    }
    let absent = if present { "" } else { " (not in this file)" };
    format!("{name}: {}{absent}", profile_words(ctx, tag, true))
}

/// A recipe rule that decides a top-level attribute of a file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleDecision {
    /// The decision in words, as `--explain` gives them after the attribute's name: the rule,
    /// its selector, its written action, and what the file's IOD makes of it.
    pub words: String,
    /// The action the run applies; `None` when the rule leaves the attribute to the profile.
    pub applied: Option<Action>,
}

/// The rule in force that decides the top-level attribute `tag` of `obj`, if one does (a rule
/// whose action is `profile` does not); the recipe's filters aside.
pub fn rule_decision(
    ctx: &Context,
    obj: &InMemDicomObject,
    cs: &BTreeMap<(u16, u8), String>,
    iod: &FileIod,
    tag: Tag,
) -> Option<RuleDecision> {
    let vr = obj
        .element(tag)
        .map(|e| e.vr())
        .unwrap_or(dicom_core::VR::UN);
    let on = ctx.recipe.as_ref()?.active(obj);
    let place = Place {
        above: &[],
        tag,
        creator: creator_of(cs, tag),
        vr,
    };
    decision_at(ctx, &on, iod, &place)
}

/// Where an element is, as a rule's selector sees it.
struct Place<'a> {
    /// The sequences above it, the outermost first (empty at the top level).
    above: &'a [Tag],
    /// Its tag.
    tag: Tag,
    /// Its private creator, for a private element.
    creator: Option<&'a str>,
    /// Its VR.
    vr: dicom_core::VR,
}

/// The first rule in force (`on`: the recipe's rules whose conditions hold in the file) that
/// decides the element at `place`, with what the file's IOD makes of its action.
fn decision_at(ctx: &Context, on: &[bool], iod: &FileIod, place: &Place) -> Option<RuleDecision> {
    let recipe = ctx.recipe.as_ref()?;
    let tag = place.tag;
    let (r, _) = recipe
        .rules
        .iter()
        .zip(on)
        .find(|(r, on)| **on && r.select.matches(place.above, tag, place.creator, place.vr))?;
    if r.action == Action::Profile {
        return None;
    }
    let path: Vec<u32> = place
        .above
        .iter()
        .chain([&tag])
        .map(|t| (u32::from(t.group()) << 16) | u32::from(t.element()))
        .collect();
    let bounded = iod.bound(&ctx.profile, &r.action, &path);
    let risk = if r.accept_risk {
        " (accepted risk)"
    } else {
        ""
    };
    let head = format!(
        "{} (select {}) decides: {}{risk}",
        r.label,
        r.select,
        action_words(&r.action)
    );
    let applied = bounded.applied(&r.action);
    let words = match bounded.words() {
        None => head,
        Some(w) if applied.is_some() => format!("{head} → {w}"),
        Some(w) => format!(
            "{head} → {w}: {}",
            profile_words(ctx, tag, place.above.is_empty()).trim_start_matches("no rule; ")
        ),
    };
    Some(RuleDecision { words, applied })
}

/// The rules that decide the top-level public attributes of the file `obj`, by tag (none when
/// the recipe's filter holds or excludes the file: it is not written).
pub fn rule_decisions(ctx: &Context, obj: &read::Object) -> BTreeMap<Tag, RuleDecision> {
    let Some(recipe) = &ctx.recipe else {
        return BTreeMap::new();
    };
    if recipe.filter(obj).is_some() {
        return BTreeMap::new();
    }
    let cs = creators(obj);
    let iod = file_iod(obj);
    obj.iter()
        .map(|e| e.tag())
        .filter(|t| t.group() % 2 == 0)
        .filter_map(|t| Some((t, rule_decision(ctx, obj, &cs, &iod, t)?)))
        .collect()
}

/// The rules that decide public attributes inside the items of public sequences of `obj` (the
/// walk's depth limit applies), by the sequences above each (the outermost first) and its tag:
/// the walk's decision at that path, the same for every item (none when the recipe's filter
/// holds or excludes the file).
pub fn nested_rule_decisions(
    ctx: &Context,
    obj: &read::Object,
) -> BTreeMap<(Vec<Tag>, Tag), RuleDecision> {
    let mut out = BTreeMap::new();
    let Some(recipe) = &ctx.recipe else {
        return out;
    };
    if recipe.filter(obj).is_some() {
        return out;
    }
    let on = recipe.active(obj);
    let iod = file_iod(obj);
    let public = |t: Tag| t.group() % 2 == 0;
    crate::visit::visit(obj, &mut |at, e| {
        let tag = e.tag();
        if at.depth() == 0 || !public(tag) || tag.element() == 0 {
            return;
        }
        let above: Vec<Tag> = at.path.iter().map(|(s, _)| *s).collect();
        if !above.iter().all(|s| public(*s)) || out.contains_key(&(above.clone(), tag)) {
            return;
        }
        let place = Place {
            above: &above,
            tag,
            creator: None,
            vr: e.vr(),
        };
        if let Some(d) = decision_at(ctx, &on, &iod, &place) {
            out.insert((above, tag), d);
        }
    });
    out
}

/// The log's words when the file's IOD changes what a rule (`label`, its `written` action)
/// does to the attribute `tag` inside the sequences `above` (the outermost first): which
/// attribute, which rule, and why (`None` when the action stands as written).
pub fn iod_note(
    label: &str,
    written: &Action,
    bounded: Bounded,
    above: &[Tag],
    tag: Tag,
) -> Option<String> {
    let why = bounded.words()?;
    let mut at = super::tag_name(tag);
    if !above.is_empty() {
        let seqs: Vec<String> = above.iter().map(|t| super::tag_name(*t)).collect();
        at = format!("{at} in {}", seqs.join("/"));
    }
    Some(format!(
        "{at}: {label} decides {} → {why}",
        action_words(written)
    ))
}

/// The file's IOD as the rewrite sees it: the data set's SOP Class UID, else the file meta's.
fn file_iod(obj: &read::Object) -> FileIod {
    let sop_class = crate::padding::string_of(obj, dicom_dictionary_std::tags::SOP_CLASS_UID)
        .unwrap_or_else(|| {
            obj.meta()
                .media_storage_sop_class_uid()
                .unpadded()
                .to_string()
        });
    FileIod::of(&sop_class, obj)
}

fn action_words(a: &Action) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| format!("{a:?}"))
}

/// The profile's decision in words; the keep-list applies at the top level (`top`) only.
fn profile_words(ctx: &Context, tag: Tag, top: bool) -> String {
    if tag.group() % 2 == 1 {
        return "no rule; the profile removes private elements unless Retain Safe Private keeps them".into();
    }
    if top && ctx.keep_list.as_ref().is_some_and(|k| !k.contains(&tag)) {
        return "no rule; not in the keep-list: removed".into();
    }
    match ctx.profile.action(tag) {
        (Some(row), Some(a)) => format!(
            "no rule; the profile: Table E.1-1 row ({}) {} → {a:?}",
            row.tag, row.name
        ),
        _ => {
            "no rule; not in Table E.1-1: kept and cleaned by VR (README, Not in the table)".into()
        }
    }
}

/// A selector naming exactly one element, for `--explain`.
pub fn parse_target(text: &str) -> Result<Selector, super::selector::SelectorError> {
    let s = Selector::parse(text)?;
    match (&s.element, s.within.is_empty()) {
        (Matcher::Tag(_) | Matcher::Private { .. }, true) => Ok(s),
        _ => Err(super::selector::SelectorError {
            text: text.to_string(),
            message:
                "--explain takes one attribute: a keyword, (gggg,eeee) or (gggg,\"CREATOR\",ee)"
                    .into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use dicom_dictionary_std::tags;

    use super::{iod_note, Action, Bounded};

    #[test]
    fn the_log_note_names_the_attribute_its_sequences_the_rule_and_why() {
        let note = |b, above: &[_]| {
            iod_note(
                "no interpreter",
                &Action::Remove,
                b,
                above,
                tags::ROI_INTERPRETER,
            )
        };
        assert_eq!(note(Bounded::AsWritten, &[]), None);
        assert_eq!(
            note(Bounded::Emptied, &[tags::RTROI_OBSERVATIONS_SEQUENCE]).as_deref(),
            Some("ROIInterpreter in RTROIObservationsSequence: no interpreter decides \"remove\" → emptied: Type 2 in this IOD")
        );
        assert_eq!(
            note(Bounded::ToProfile, &[]).as_deref(),
            Some("ROIInterpreter: no interpreter decides \"remove\" → left to the profile: Type 1 in this IOD")
        );
    }
}
