//! The audit: a dry run over the headers of a batch (the scan phase; nothing is written but
//! the audit's own files). It says what is in the batch and what the run will do with it:
//!
//! - a **summary with no PHI** ([`Summary`], `audit-summary.json` and `.html`): counts of
//!   files, patients, studies, series, modalities, SOP classes and transfer syntaxes; the
//!   outcomes the run will have (the log's outcome names); per attribute, in how many files it
//!   occurs and what the run does with it and why (the recipe rule deciding, else the profile);
//!   the private creators and whether their elements are kept; the date-shift range; the re-identification risk of what is kept
//!   ([`risk`]);
//! - a **detail with PHI** (`audit-detail.csv`): one row per file with its predicted outcome,
//!   research ID and original identifiers, kept apart like the key.

pub mod files;
pub mod header;
pub mod html;
pub mod risk;
pub mod summary;

pub use summary::{AttributeAction, CreatorUse, Summary};

use std::collections::{BTreeMap, BTreeSet};

use dicom_core::dictionary::{DataDictionary as _, DataDictionaryEntry as _};
use dicom_core::Tag;

use crate::config::BirthDateMode;
use crate::context::Context;
use crate::error::Rejection;
use crate::plan::Plan;
use crate::profile::Action;
use crate::recipe::explain::RuleDecision;
use crate::recipe::model::Action as RuleAction;
use crate::report::{LogRow, Outcome};
use crate::scan::ScanRecord;
use header::{AuditHeader, QUASI_IDENTIFIERS};

/// What the audit is made from: the job's context, its plan, its log rows after planning
/// (the files not to be written), the scans, and the audit's read of each file's headers.
#[derive(Debug)]
pub struct Input<'a> {
    /// Context (options, profile).
    pub ctx: &'a Context,
    /// The plan.
    pub plan: &'a Plan,
    /// Log rows of the plan (the files that will not be written, with why).
    pub rows: &'a [LogRow],
    /// Source paths that will be written.
    pub to_write: &'a [String],
    /// Scans of every file.
    pub scans: &'a [ScanRecord],
    /// The audit's header read of each DICOM file, by source path (or why the run will reject
    /// it).
    pub headers: &'a BTreeMap<String, HeaderResult>,
}

fn tag_text(g: u16, e: u16) -> String {
    format!("({g:04X},{e:04X})")
}

/// What the run does with a top-level public attribute, and the rule that decides it.
pub fn attribute_action(ctx: &Context, tag: Tag) -> (&'static str, String) {
    action_at(ctx, tag, true)
}

/// What the run does with a public attribute at the top level (`top`) or in a sequence's item
/// (forced values and the keep list apply at the top level only, as in the rewrite).
fn action_at(ctx: &Context, tag: Tag, top: bool) -> (&'static str, String) {
    if top && ctx.forced.iter().any(|(t, _, _)| *t == tag) {
        return ("replaced", "a forced value of the options".into());
    }
    if let (true, Some(keep)) = (top, &ctx.keep_list) {
        if !keep.contains(&tag) {
            return ("removed", "not in the keep list".into());
        }
    }
    match ctx.profile.action(tag) {
        (Some(row), Some(a)) => {
            let what = match a {
                Action::Dummy => "replaced",
                Action::Empty => "emptied",
                Action::Remove => "removed",
                Action::Keep => "kept",
                Action::Clean => "cleaned",
                Action::ReplaceUid => "uid replaced",
            };
            (
                what,
                format!("Table E.1-1 row {} ({})", row.keyword, row.name),
            )
        }
        _ if top && ctx.keep_list.is_some() => ("kept", "in the keep list".into()),
        _ => ("kept", "not in Table E.1-1".into()),
    }
}

/// What the run does with a top-level attribute a recipe rule decides in a file: the action it
/// applies (the profile's when the rule leaves it to the profile), and the rule in
/// `--explain`'s words.
pub fn ruled_action(ctx: &Context, tag: Tag, d: &RuleDecision) -> (&'static str, String) {
    ruled_action_at(ctx, tag, d, true)
}

/// [`ruled_action`] for an attribute at the top level (`top`) or in a sequence's item.
fn ruled_action_at(ctx: &Context, tag: Tag, d: &RuleDecision, top: bool) -> (&'static str, String) {
    let what = match &d.applied {
        None | Some(RuleAction::Profile) => action_at(ctx, tag, top).0,
        Some(RuleAction::Keep) => "kept",
        Some(RuleAction::Remove) => "removed",
        Some(RuleAction::Empty) => "emptied",
        Some(RuleAction::Uid { .. }) => "uid replaced",
        Some(_) => "replaced",
    };
    (what, format!("recipe: {}", d.words))
}

/// What the run does with a public attribute of the file `h` inside the items of `above` (the
/// sequences, the outermost first): removed with the first of them that is removed or emptied
/// (by the recipe rule that decides it there, else the profile), else what the rule that
/// decides it at that path does, else the profile's action.
pub fn nested_action(
    ctx: &Context,
    h: &AuditHeader,
    above: &[(u16, u16)],
    tag: Tag,
) -> (&'static str, String) {
    let decided = |i: usize, t: (u16, u16)| match i {
        0 => h.ruled.get(&t),
        _ => h.nested_ruled.get(&(above[..i].to_vec(), t)),
    };
    for (i, (g, e)) in above.iter().enumerate() {
        let seq = Tag(*g, *e);
        let (what, by) = match decided(i, (*g, *e)) {
            Some(d) => {
                let (what, rule) = ruled_action_at(ctx, seq, d, i == 0);
                (what, format!(" ({rule})"))
            }
            None => (action_at(ctx, seq, i == 0).0, String::new()),
        };
        if matches!(what, "removed" | "emptied") {
            let name = keyword_of(seq);
            return (
                "removed",
                format!("inside {} {name}, which is {what}{by}", tag_text(*g, *e)),
            );
        }
    }
    match h
        .nested_ruled
        .get(&(above.to_vec(), (tag.group(), tag.element())))
    {
        Some(d) => ruled_action_at(ctx, tag, d, false),
        None => action_at(ctx, tag, false),
    }
}

fn keyword_of(tag: Tag) -> String {
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map(|d| d.alias().to_string())
        .unwrap_or_default()
}

/// The quasi-identifiers the run keeps in some file: a recipe rule's decision where one decides
/// the attribute in that file, else the options'. A value kept, cleaned or turned by a rule into
/// another value of its own (rounded, shifted, hashed, looked up: still telling patients apart)
/// counts as kept; removed, emptied or one fixed text does not.
fn retained_quasi(input: &Input) -> Vec<String> {
    let ctx = input.ctx;
    QUASI_IDENTIFIERS
        .iter()
        .filter(|(k, t)| {
            let by_options = if *k == "PatientBirthDate" {
                ctx.config.birth_date == BirthDateMode::KeepYear
            } else {
                matches!(attribute_action(ctx, *t).0, "kept" | "cleaned")
            };
            let in_file = |h: &AuditHeader| match h.ruled.get(&(t.group(), t.element())) {
                None => by_options,
                Some(d) => match &d.applied {
                    None | Some(RuleAction::Profile) => by_options,
                    Some(RuleAction::Remove | RuleAction::Empty | RuleAction::Replace(_)) => false,
                    Some(_) => true,
                },
            };
            let mut read = input.headers.values().flatten().peekable();
            match read.peek() {
                None => by_options,
                Some(_) => read.any(in_file),
            }
        })
        .map(|(k, _)| k.to_string())
        .collect()
}

/// Files predicted written whose image the pixel gate flags (not [`crate::pixels::gate::Class::Pass`]).
pub fn pending_pixel_review(input: &Input) -> BTreeSet<String> {
    let to_write: BTreeSet<&String> = input.to_write.iter().collect();
    input
        .scans
        .iter()
        .filter(|s| to_write.contains(&s.path))
        .filter(|s| {
            s.result
                .as_ref()
                .is_ok_and(|h| h.pixel_gate.class != crate::pixels::gate::Class::Pass)
        })
        .map(|s| s.path.clone())
        .collect()
}

/// The outcome the run will give each file, by source path, with the reason code.
pub fn predicted(input: &Input) -> BTreeMap<String, (Outcome, String)> {
    let mut out: BTreeMap<String, (Outcome, String)> = input
        .rows
        .iter()
        .map(|r| (r.source_path.clone(), (r.outcome, r.reason_code.clone())))
        .collect();
    for p in input.to_write {
        let o = match input.headers.get(p) {
            Some(Err(r)) => (r.outcome(), r.code().to_string()),
            _ => (Outcome::Written, String::new()),
        };
        out.insert(p.clone(), o);
    }
    out
}

fn count<K: Ord>(m: &mut BTreeMap<K, u64>, k: K) {
    *m.entry(k).or_insert(0) += 1;
}

/// The attributes and creators found, with their actions: the top-level attributes, those in
/// sequences (one row per attribute, action and rule), and the private creators.
fn attributes_and_creators(
    input: &Input,
) -> (Vec<AttributeAction>, Vec<AttributeAction>, Vec<CreatorUse>) {
    let mut tags: BTreeMap<((u16, u16), &'static str, String), u64> = BTreeMap::new();
    let mut nested: BTreeMap<((u16, u16), &'static str, String), u64> = BTreeMap::new();
    let mut creators: BTreeMap<(u16, String), (u64, u64)> = BTreeMap::new();
    for h in input.headers.values().filter_map(|h| h.as_ref().ok()) {
        for t in &h.tags {
            let (what, rule) = match h.ruled.get(t) {
                Some(d) => ruled_action(input.ctx, Tag(t.0, t.1), d),
                None => attribute_action(input.ctx, Tag(t.0, t.1)),
            };
            count(&mut tags, (*t, what, rule));
        }
        let in_file: BTreeSet<_> = h
            .nested
            .iter()
            .map(|(above, (g, e))| {
                let (what, rule) = nested_action(input.ctx, h, above, Tag(*g, *e));
                ((*g, *e), what, rule)
            })
            .collect();
        for k in in_file {
            count(&mut nested, k);
        }
        for ((g, c), n) in &h.creators {
            let e = creators.entry((*g, c.clone())).or_insert((0, 0));
            e.0 += 1;
            e.1 += n;
        }
    }
    let row = |(g, e): (u16, u16), files, (action, rule): (&'static str, String)| AttributeAction {
        tag: tag_text(g, e),
        keyword: keyword_of(Tag(g, e)),
        files,
        action,
        rule,
    };
    let attributes = tags
        .into_iter()
        .map(|((t, action, rule), files)| row(t, files, (action, rule)))
        .collect();
    let nested = nested
        .into_iter()
        .map(|((t, action, rule), files)| row(t, files, (action, rule)))
        .collect();
    let profile = &input.ctx.profile;
    let creators = creators
        .into_iter()
        .map(|((g, c), (files, elements))| {
            let safe =
                (0x10..=0xFFu16).any(|lo| profile.private_kept(Some(&c), Tag(g, 0x1000 | lo)));
            CreatorUse {
                group: format!("{g:04X}"),
                creator: c,
                files,
                elements,
                action: if safe {
                    "kept (safe elements only)"
                } else {
                    "removed"
                },
            }
        })
        .collect();
    (attributes, nested, creators)
}

/// The patients' descriptions over the retained quasi-identifiers (a patient: the plan's
/// subject of a file; its first file in path order describes it).
fn descriptions(input: &Input, qis: &[String]) -> Vec<risk::Description> {
    let mut by_subject: BTreeMap<usize, risk::Description> = BTreeMap::new();
    for (path, f) in &input.plan.files {
        let (Ok(f), Some(Ok(h))) = (f, input.headers.get(path)) else {
            continue;
        };
        by_subject.entry(f.subject).or_insert_with(|| {
            qis.iter()
                .map(|q| {
                    let v = h.quasi.get(q).map(|v| risk::generalise(q, v));
                    (q.clone(), v.unwrap_or_default())
                })
                .collect()
        });
    }
    by_subject.into_values().collect()
}

/// The summary of the audit.
pub fn summary(input: &Input) -> Summary {
    let (mut patients, mut studies, mut series) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let (mut modalities, mut sop_classes, mut tss) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for s in input.scans {
        let Ok(h) = &s.result else { continue };
        patients.insert(h.patient_key());
        studies.insert(h.study_uid.clone());
        series.insert(h.series_uid.clone());
        count(&mut modalities, h.modality.clone().unwrap_or_default());
        count(&mut sop_classes, h.sop_class.clone().unwrap_or_default());
    }
    for h in input.headers.values().filter_map(|h| h.as_ref().ok()) {
        count(&mut tss, h.transfer_syntax.clone());
    }
    let mut outcomes: BTreeMap<&'static str, u64> =
        Outcome::ALL.iter().map(|o| (o.as_str(), 0)).collect();
    let mut reasons = BTreeMap::new();
    for (o, code) in predicted(input).into_values() {
        count(&mut outcomes, o.as_str());
        if !code.is_empty() {
            count(&mut reasons, code);
        }
    }
    let pending = pending_pixel_review(input);
    let (attributes, nested_attributes, private_creators) = attributes_and_creators(input);
    let shifts = input.plan.subjects.iter().map(|s| s.shift_days);
    let qis = retained_quasi(input);
    Summary {
        format: "dicom-deid audit 1",
        files: input.scans.len() as u64,
        patients: patients.len() as u64,
        studies: studies.len() as u64,
        series: series.len() as u64,
        modalities,
        sop_classes,
        transfer_syntaxes: tss,
        outcomes,
        reasons,
        pixel_review_pending: pending.len() as u64,
        attributes,
        nested_attributes,
        private_creators,
        date_shift_days: shifts.clone().min().zip(shifts.max()),
        research_ids: input.plan.subjects.len() as u64,
        risk: risk::k_anonymity(&descriptions(input, &qis), &qis),
    }
}

/// `audit-detail.csv` (PHI): one row per file: its predicted outcome and reason, research ID,
/// output path, and original patient ID, study, series, modality, SOP class, transfer syntax.
pub fn detail_csv(input: &Input) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "source_path",
        "outcome",
        "reason_code",
        "research_id",
        "output_path",
        "patient_id",
        "study_instance_uid",
        "series_instance_uid",
        "modality",
        "sop_class_uid",
        "transfer_syntax_uid",
        "pixel_review_pending",
    ]);
    let pending = pending_pixel_review(input);
    let scans: BTreeMap<&str, &ScanRecord> =
        input.scans.iter().map(|s| (s.path.as_str(), s)).collect();
    for (path, (outcome, code)) in predicted(input) {
        let planned = input.plan.files.get(&path).and_then(|f| f.as_ref().ok());
        let rid = planned
            .and_then(|f| input.plan.subjects.get(f.subject))
            .map(|s| s.research_id.clone());
        let h = scans
            .get(path.as_str())
            .and_then(|s| s.result.as_ref().ok());
        let field = |v: Option<&String>| v.cloned().unwrap_or_default();
        let ts = match input.headers.get(&path) {
            Some(Ok(a)) => Some(a.transfer_syntax.clone()),
            _ => None,
        };
        let _ = w.write_record([
            path.clone(),
            outcome.as_str().to_string(),
            code,
            rid.unwrap_or_default(),
            field(planned.map(|f| &f.out_path)),
            field(h.and_then(|h| h.patient_id.as_ref())),
            field(h.and_then(|h| h.study_uid.as_ref())),
            field(h.and_then(|h| h.series_uid.as_ref())),
            field(h.and_then(|h| h.modality.as_ref())),
            field(h.and_then(|h| h.sop_class.as_ref())),
            ts.unwrap_or_default(),
            if pending.contains(&path) { "yes" } else { "" }.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The audit's three files from its input (the job planned: [`crate::job::Job::audit`]).
pub fn audit_files(input: &Input) -> files::AuditFiles {
    let summary = summary(input);
    let mut summary_json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    summary_json.push('\n');
    files::AuditFiles {
        summary_html: html::render(&summary),
        detail_csv: detail_csv(input),
        summary_json,
        summary,
    }
}

/// A header that the audit's read of a file could not make (the scan's rejection stands).
pub type HeaderResult = Result<AuditHeader, Rejection>;
