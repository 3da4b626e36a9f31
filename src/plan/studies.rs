//! Planner phases 5–6: the studies of each subject, numbered 1, 2, 3… by (CT date, study)
//! after the numbers an existing key gives, and each file's path in the output zip.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::pseudonyms::key::KeyRow;
use crate::pseudonyms::mapping::same_id;
use crate::scan::{Header, ScanRecord};

use super::subjects::SubjectKey;
use super::{accession_for, safe_component, FilePlan, Plan, Study, StudyKey};

/// A study while planning: its files by index into the usable files.
struct StudyProto {
    accession: Option<String>,
    ct_date: Option<String>,
    files: Vec<usize>,
}

/// The usable files, which of them are duplicates (path → the path written instead), and the
/// existing key: what phases 5 and 6 read.
pub(super) struct Files<'a, 's> {
    pub usable: &'a [(&'s ScanRecord, &'s Header)],
    pub duplicates: &'a HashMap<String, String>,
    pub existing_key: &'a [KeyRow],
}

/// Phase 5: groups the files into studies per subject (earliest CT date, first accession).
fn group_studies(
    files: &Files,
    file_subject: &[(usize, SubjectKey)],
    subject_index: &BTreeMap<SubjectKey, usize>,
) -> BTreeMap<usize, Vec<(StudyKey, StudyProto)>> {
    let mut studies: BTreeMap<(usize, StudyKey), StudyProto> = BTreeMap::new();
    for (fi, skey) in file_subject {
        let h = files.usable[*fi].1;
        let subj = subject_index.get(skey).copied().unwrap_or(0);
        let sp = studies
            .entry((subj, StudyKey::of(h)))
            .or_insert(StudyProto {
                accession: h.accession.clone(),
                ct_date: None,
                files: Vec::new(),
            });
        if let Some(d) = h.ct_date() {
            if sp.ct_date.as_ref().is_none_or(|c| &d < c) {
                sp.ct_date = Some(d);
            }
        }
        if sp.accession.is_none() {
            sp.accession = h.accession.clone();
        }
        sp.files.push(*fi);
    }
    let mut by_subject: BTreeMap<usize, Vec<(StudyKey, StudyProto)>> = BTreeMap::new();
    for ((subj, key), sp) in studies {
        by_subject.entry(subj).or_default().push((key, sp));
    }
    by_subject
}

/// Phases 5 and 6: numbers each subject's studies and places their files in `plan`.
pub(super) fn plan_studies(
    plan: &mut Plan,
    files: &Files,
    file_subject: &[(usize, SubjectKey)],
    subject_index: &BTreeMap<SubjectKey, usize>,
) {
    for (subj, mut list) in group_studies(files, file_subject, subject_index) {
        let rid = plan.subjects[subj].research_id.clone();
        let key_rows: Vec<&KeyRow> = files
            .existing_key
            .iter()
            .filter(|k| k.research_id == rid)
            .collect();
        let mut next = key_rows
            .iter()
            .filter_map(|k| study_number(k))
            .max()
            .unwrap_or(0)
            + 1;
        list.sort_by(|a, b| (&a.1.ct_date, &a.0).cmp(&(&b.1.ct_date, &b.0)));
        for (key, sp) in list {
            let number = match known_number(&key_rows, &key, sp.accession.as_deref()) {
                Some(n) => n,
                None => {
                    next += 1;
                    next - 1
                }
            };
            let study = plan.studies.len();
            plan.studies.push(Study {
                subject: subj,
                key,
                original_accession: sp.accession.clone(),
                number,
                new_accession: accession_for(&rid, number),
                ct_date: sp.ct_date.clone(),
                n_files: sp
                    .files
                    .iter()
                    .filter(|fi| !files.duplicates.contains_key(&files.usable[**fi].0.path))
                    .count() as u64,
            });
            place_files(plan, files, study, &sp.files);
        }
    }
}

/// N of a key row's `<research ID>_<N>`.
fn study_number(k: &KeyRow) -> Option<u32> {
    k.new_accession.rsplit('_').next()?.parse().ok()
}

/// The number the existing key gives this study (by UID, else by accession), if any.
fn known_number(key_rows: &[&KeyRow], key: &StudyKey, accession: Option<&str>) -> Option<u32> {
    let known = key_rows.iter().find(|k| match key.uid() {
        Some(u) => !k.study_instance_uid.is_empty() && k.study_instance_uid == u,
        None => {
            k.study_instance_uid.is_empty()
                && accession.is_some_and(|a| same_id(a, &k.original_accession))
        }
    })?;
    study_number(known)
}

/// Phase 6: output paths `<RID>/<RID>_<N>/<series>/<rank>.dcm` of one study's files; the
/// series folder is `<SeriesNumber>_<Modality>` (or `S<k>_<Modality>`), made unique.
fn place_files(plan: &mut Plan, files: &Files, study: usize, study_files: &[usize]) {
    let usable = files.usable;
    let subject = plan.studies[study].subject;
    let rid = plan.subjects[subject].research_id.clone();
    let number = plan.studies[study].number;
    let rid_dir = safe_component(&rid);
    let study_dir = safe_component(&format!("{rid}_{number}"));
    let mut series: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for fi in study_files {
        let h = usable[*fi].1;
        series
            .entry(h.series_uid.clone().unwrap_or_default())
            .or_default()
            .push(*fi);
    }
    let mut series_list: Vec<(String, Vec<usize>)> = series.into_iter().collect();
    series_list.sort_by_key(|(uid, files)| {
        let h = usable[files[0]].1;
        (h.series_number.unwrap_or(i64::MAX), uid.clone())
    });
    let mut used_dirs: BTreeSet<String> = BTreeSet::new();
    for (k, (_, mut list)) in series_list.into_iter().enumerate() {
        let dir = series_dir(usable[list[0]].1, k, &mut used_dirs);
        list.sort_by_key(|fi| {
            let (s, h) = usable[*fi];
            (
                h.instance_number.unwrap_or(i64::MAX),
                h.sop_uid.clone().unwrap_or_default(),
                s.path.clone(),
            )
        });
        let mut rank = 0;
        for fi in list {
            let path = &usable[fi].0.path;
            let duplicate_of = files.duplicates.get(path).cloned();
            if duplicate_of.is_none() {
                rank += 1;
            }
            let out_path = format!("{rid_dir}/{study_dir}/{dir}/{:05}.dcm", rank.max(1));
            let fp = FilePlan {
                subject,
                study,
                out_path,
                duplicate_of,
            };
            plan.files.insert(path.clone(), Ok(Box::new(fp)));
        }
    }
}

/// The folder of the `k`-th series of a study (from its first file's header), not in `used`.
fn series_dir(h: &Header, k: usize, used: &mut BTreeSet<String>) -> String {
    let modality = safe_component(h.modality.as_deref().unwrap_or("OT"));
    let base = match h.series_number {
        Some(n) if n >= 0 => format!("{n:03}_{modality}"),
        _ => format!("S{:03}_{modality}", k + 1),
    };
    let mut dir = base.clone();
    let mut j = 2;
    while used.contains(&dir) {
        dir = format!("{base}_{j}");
        j += 1;
    }
    used.insert(dir.clone());
    dir
}
