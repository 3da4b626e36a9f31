//! Making the plan: the phases in order (the files read and their duplicates, the batch's
//! identifiers, subjects and research IDs in [`super::subjects`], studies and output paths in
//! [`super::studies`]).

use std::collections::{BTreeSet, HashMap};

use crate::config::Config;
use crate::phi::{batch_term, name_terms, BatchIdentifiers};
use crate::pseudonyms::key::KeyRow;
use crate::pseudonyms::mapping::Mapping;
use crate::scan::{Header, ScanRecord};
use crate::uid::Keyed;

use super::{studies, subjects, Plan, PlanError};

/// Builds the plan. `scans` may be in any order; the result depends only on their content.
pub fn make_plan(
    scans: &[ScanRecord],
    config: &Config,
    mapping: Option<&Mapping>,
    existing_key: &[KeyRow],
    keyed: &Keyed,
) -> Result<Plan, PlanError> {
    let mut scans: Vec<&ScanRecord> = scans.iter().collect();
    scans.sort_by(|a, b| a.path.cmp(&b.path));
    let mut plan = Plan {
        batch: gather_batch(
            scans.iter().filter_map(|s| s.result.as_deref().ok()),
            config,
        ),
        ..Plan::default()
    };
    let (usable, duplicates) = usable_files(&scans, &mut plan);
    let (mut grouping, no_mapping) = subjects::group_subjects(&usable, mapping);
    plan.files
        .extend(no_mapping.into_iter().map(|(path, r)| (path, Err(r))));
    subjects::assign_research_ids(&mut grouping.protos, config, existing_key, keyed)?;
    let (subjects, subject_index) = subjects::make_subjects(&grouping.protos, config, keyed);
    plan.subjects = subjects;
    let files = studies::Files {
        usable: &usable,
        duplicates: &duplicates,
        existing_key,
    };
    studies::plan_studies(&mut plan, &files, &grouping.file_subject, &subject_index);
    Ok(plan)
}

/// Phase 1: the files whose headers were read (the others go into `plan` as rejected), and the
/// duplicates among them (path → the path written instead). Of several files with one SOP
/// Instance UID, the largest (then the first by path) is written; the others are still
/// rewritten, so that a damaged copy is reported as damaged, but then reported as duplicates.
fn usable_files<'s>(
    scans: &[&'s ScanRecord],
    plan: &mut Plan,
) -> (Vec<(&'s ScanRecord, &'s Header)>, HashMap<String, String>) {
    let mut primary: HashMap<&str, &ScanRecord> = HashMap::new();
    for s in scans {
        if let Ok(Header {
            sop_uid: Some(sop), ..
        }) = s.result.as_deref()
        {
            let e = primary.entry(sop.as_str()).or_insert(s);
            if s.size > e.size {
                *e = s;
            }
        }
    }
    let mut duplicates = HashMap::new();
    let mut usable = Vec::new();
    for s in scans {
        match &s.result {
            Err(r) => {
                plan.files.insert(s.path.clone(), Err(r.clone()));
            }
            Ok(h) => {
                if let Some(p) = h.sop_uid.as_deref().and_then(|sop| primary.get(sop)) {
                    if p.path != s.path {
                        duplicates.insert(s.path.clone(), p.path.clone());
                    }
                }
                usable.push((*s, &**h));
            }
        }
    }
    (usable, duplicates)
}

/// Gathers the identifiers of the batch from its headers (the same for any order of the
/// headers): the names as a file's own names are taken, and the values specific enough to be
/// cleaned out of every file.
fn gather_batch<'h>(
    headers: impl Iterator<Item = &'h Header>,
    config: &Config,
) -> BatchIdentifiers {
    let (mut names, mut words, mut ids) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for h in headers {
        let hi = &h.identifiers;
        for n in &hi.names {
            let (full, parts) = name_terms(n);
            names.extend(full);
            words.extend(parts);
        }
        let inst = (!config.profile.retain_institution_identity).then_some(&hi.institutions);
        let dev = (!config.profile.retain_device_identity).then_some(&hi.devices);
        for v in hi
            .ids
            .iter()
            .chain(inst.into_iter().flatten())
            .chain(dev.into_iter().flatten())
        {
            if batch_term(v) {
                ids.insert(v.clone());
            }
        }
    }
    BatchIdentifiers::new(
        names.into_iter().collect(),
        words.into_iter().collect(),
        ids.into_iter().collect(),
    )
}
