//! The plan step: a pure function of the scanned headers, the configuration, the mapping CSV,
//! an existing key and the secret. It decides, once, every research ID, date shift, accession
//! number and output path, so files can then be rewritten in any order on any worker with the
//! same result.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use snafu::Snafu;

use crate::config::{Config, IdScheme};
use crate::dates::{civil_from_days, days_from_civil, format_da, parse_da};
use crate::error::Rejection;
use crate::identity::iso_date;
use crate::identity::key::KeyRow;
use crate::identity::mapping::{same_id, Mapping};
use crate::scan::{Header, ScanRecord};
use crate::uid::Keyed;

pub use crate::identifiers::BatchIdentifiers;

/// One research subject (patient).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Research ID (PatientID in the output).
    pub research_id: String,
    /// Original PatientID (MRN), if any.
    pub mrn: Option<String>,
    /// Days added to each date of this patient.
    pub shift_days: i64,
    /// Surgery date from the mapping (YYYYMMDD).
    pub surgery_date: Option<String>,
    /// Anchor date used with the surgery date (YYYYMMDD).
    pub anchor_date: Option<String>,
    /// Notes from the mapping.
    pub notes: Option<String>,
}

/// One study (accession) of a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Study {
    /// Index into [`Plan::subjects`].
    pub subject: usize,
    /// Original StudyInstanceUID (or a stand-in when missing).
    pub study_uid: String,
    /// Original AccessionNumber.
    pub original_accession: Option<String>,
    /// N in `<research ID>_<N>`.
    pub number: u32,
    /// New AccessionNumber (≤ 16 characters).
    pub new_accession: String,
    /// Original CT date (YYYYMMDD): earliest AcquisitionDate / SeriesDate / StudyDate.
    pub ct_date: Option<String>,
    /// Files planned for this study.
    pub n_files: u64,
}

/// What the rewrite step needs for one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilePlan {
    /// Index into [`Plan::subjects`].
    pub subject: usize,
    /// Index into [`Plan::studies`].
    pub study: usize,
    /// Path inside the output zip (built only from de-identified values).
    pub out_path: String,
    /// Another file with the same SOP Instance UID that is written instead of this one.
    pub duplicate_of: Option<String>,
}

/// The decisions for a whole job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Subjects, in research-ID order.
    pub subjects: Vec<Subject>,
    /// Studies.
    pub studies: Vec<Study>,
    /// Per source path: the file's plan, or why it will not be written.
    pub files: BTreeMap<String, Result<FilePlan, Rejection>>,
    /// Identifiers of the whole batch (every scanned header), cleaned out of every file's free
    /// text and searched for by every file's self-check, besides the file's own.
    #[serde(default)]
    pub batch: BatchIdentifiers,
}

impl Plan {
    /// The shifted CT date of a study (YYYYMMDD), when dates are shifted; else the original.
    pub fn study_ct_date(&self, study: &Study, shift: bool) -> Option<String> {
        let d = study.ct_date.as_deref()?;
        if !shift {
            return Some(d.to_string());
        }
        let s = self.subjects.get(study.subject)?.shift_days;
        crate::dates::shift_da(d, s)
    }
}

/// Makes a path component safe: letters, digits, `_`, `-`, `.`; nothing else.
pub fn safe_component(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.chars().all(|c| c == '_' || c == '.') {
        out = "X".into();
    }
    out
}

/// `<research ID>_<N>` in at most 16 characters (AccessionNumber is SH): when too long, the
/// research ID is shortened, never the study number, so a patient's studies stay distinct.
pub fn accession_for(rid: &str, number: u32) -> String {
    let suffix = format!("_{number}");
    let keep = 16usize.saturating_sub(suffix.len());
    format!("{}{suffix}", rid.chars().take(keep).collect::<String>())
}

/// Why a job cannot be planned (found before anything is written).
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
pub enum PlanError {
    /// `id_scheme = "random"`: the number space of `id_digits` digits cannot hold the new
    /// patients next to the IDs already taken (mapping, existing key).
    #[snafu(display(
        "random research IDs: {patients} new patients do not fit in {digits} digit(s) \
         ({capacity} numbers, {taken} already taken by the mapping or the existing key); \
         set id_digits to at least {needed}"
    ))]
    IdSpaceTooSmall {
        /// new patients needing a generated ID
        patients: u64,
        /// `id_digits`
        digits: u32,
        /// numbers available (`10^digits - 1`)
        capacity: u64,
        /// numbers of that form already in use
        taken: u64,
        /// the smallest `id_digits` that holds them all
        needed: u32,
    },
}

/// The ID `prefix` + `n` zero-padded to `digits`.
fn format_id(prefix: &str, n: u64, digits: u32) -> String {
    format!("{prefix}{n:0w$}", w = digits as usize)
}

/// Number of a generated research ID (`SUBJ0042` → 42) if it has the prefix.
fn id_number(prefix: &str, id: &str) -> Option<u64> {
    id.strip_prefix(prefix)?.parse().ok()
}

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
        batch: BatchIdentifiers::gather(
            scans.iter().filter_map(|s| s.result.as_ref().ok()),
            config,
        ),
        ..Plan::default()
    };

    // 1. Usable files. Of several files with one SOP Instance UID, the largest (then the first
    //    by path) is written; the others are still rewritten, so that a damaged copy is
    //    reported as damaged, but then reported as duplicates.
    let mut primary: HashMap<&str, &ScanRecord> = HashMap::new();
    for s in &scans {
        if let Ok(Header {
            sop_uid: Some(sop), ..
        }) = &s.result
        {
            let e = primary.entry(sop.as_str()).or_insert(s);
            if s.size > e.size {
                *e = s;
            }
        }
    }
    let mut duplicates: HashMap<String, String> = HashMap::new();
    let mut usable: Vec<(&ScanRecord, &Header)> = Vec::new();
    for s in &scans {
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
                usable.push((s, h));
            }
        }
    }

    // 2. Subject of each file: mapping row, else patient key.
    #[derive(Default)]
    struct Proto {
        research_id: Option<String>,
        mrn: Option<String>,
        surgery: Option<String>,
        anchor: Option<String>,
        notes: Option<String>,
        key_shift: Option<i64>,
    }
    let mut protos: BTreeMap<String, Proto> = BTreeMap::new();
    let mut file_subject: Vec<(usize, String)> = Vec::new();
    for (i, (s, h)) in usable.iter().enumerate() {
        let skey = if let Some(m) = mapping {
            match m.lookup(h.patient_id.as_deref(), h.accession.as_deref()) {
                None => {
                    plan.files.insert(s.path.clone(), Err(Rejection::NoMapping));
                    continue;
                }
                Some(row) => {
                    let k = match &row.new_patient_id {
                        Some(id) => format!("id:{id}"),
                        None => format!("pk:{}", h.patient_key()),
                    };
                    let p = protos.entry(k.clone()).or_default();
                    if p.research_id.is_none() {
                        p.research_id = row.new_patient_id.clone();
                        p.surgery = row.surgery_date.clone();
                        p.anchor = row.anchor_date.clone();
                        p.notes = row.notes.clone();
                    }
                    if p.mrn.is_none() {
                        p.mrn = h.patient_id.clone();
                    }
                    k
                }
            }
        } else {
            let k = format!("pk:{}", h.patient_key());
            let p = protos.entry(k.clone()).or_default();
            if p.mrn.is_none() {
                p.mrn = h.patient_id.clone();
            }
            k
        };
        file_subject.push((i, skey));
    }

    // 3. Research IDs: mapping, then existing key (by MRN), then generated.
    let mut used: BTreeSet<String> = existing_key.iter().map(|k| k.research_id.clone()).collect();
    for p in protos.values() {
        if let Some(id) = &p.research_id {
            used.insert(id.clone());
        }
    }
    for p in protos.values_mut() {
        if let Some(mrn) = &p.mrn {
            if let Some(k) = existing_key
                .iter()
                .find(|k| !k.mrn.is_empty() && same_id(&k.mrn, mrn))
            {
                if p.research_id.is_none() {
                    p.research_id = Some(k.research_id.clone());
                }
                if p.research_id.as_deref() == Some(k.research_id.as_str()) {
                    p.key_shift = Some(k.date_shift_days);
                }
            }
        }
    }
    let modulus = 10u64.saturating_pow(config.id_digits);
    // Random numbers are drawn from 1..=capacity (0 is never handed out).
    let capacity = modulus.saturating_sub(1).max(1);
    let mut next_seq = used
        .iter()
        .filter_map(|id| id_number(&config.id_prefix, id))
        .max()
        .unwrap_or(0)
        + 1;
    // New subjects in keyed order: stable, and reveals nothing about MRN order.
    let mut new_keys: Vec<(String, [u8; 32])> = protos
        .iter()
        .filter(|(_, p)| p.research_id.is_none())
        .map(|(k, _)| (k.clone(), keyed.mac("subject-order", k.as_bytes())))
        .collect();
    new_keys.sort_by_key(|k| k.1);
    if config.id_scheme == IdScheme::Random && !new_keys.is_empty() {
        // Before anything is drawn: the numbers of this form already taken, plus the new
        // patients, must fit in the space, so that the probe below always ends.
        let taken = used
            .iter()
            .filter(|id| {
                id_number(&config.id_prefix, id).is_some_and(|n| {
                    (1..=capacity).contains(&n)
                        && format_id(&config.id_prefix, n, config.id_digits) == **id
                })
            })
            .count() as u64;
        let patients = new_keys.len() as u64;
        if taken.saturating_add(patients) > capacity {
            let want = taken.saturating_add(patients);
            let needed = (1..=19u32)
                .find(|d| 10u64.saturating_pow(*d).saturating_sub(1) >= want)
                .unwrap_or(19);
            return IdSpaceTooSmallSnafu {
                patients,
                digits: config.id_digits,
                capacity,
                taken,
                needed,
            }
            .fail();
        }
    }
    for (k, _) in new_keys {
        let id = match config.id_scheme {
            IdScheme::Sequential => {
                // Each step passes a used ID at most once: ends within |used| + 1 steps.
                let mut id = format_id(&config.id_prefix, next_seq, config.id_digits);
                next_seq += 1;
                while used.contains(&id) {
                    id = format_id(&config.id_prefix, next_seq, config.id_digits);
                    next_seq += 1;
                }
                id
            }
            IdScheme::Random => {
                // Linear probing from the keyed start, wrapping within 1..=capacity. The space
                // has a free number (checked above), and each failed step meets a distinct used
                // ID: at most |used| + 1 steps.
                let mut n = keyed.number("subject-id", k.as_bytes(), capacity) + 1;
                let mut id = format_id(&config.id_prefix, n, config.id_digits);
                let mut steps = 0u64;
                while used.contains(&id) && steps < capacity {
                    n = n % capacity + 1;
                    id = format_id(&config.id_prefix, n, config.id_digits);
                    steps += 1;
                }
                id
            }
        };
        used.insert(id.clone());
        if let Some(p) = protos.get_mut(&k) {
            p.research_id = Some(id);
        }
    }

    // 4. Subjects with their date shift.
    let anchor_default = config.default_anchor_date.replace('-', "");
    let mut subject_index: HashMap<String, usize> = HashMap::new();
    let mut ordered: Vec<(&String, &Proto)> = protos.iter().collect();
    ordered.sort_by(|a, b| a.1.research_id.cmp(&b.1.research_id));
    for (k, p) in ordered {
        let research_id = p.research_id.clone().unwrap_or_else(|| "UNKNOWN".into());
        let (shift_days, anchor) = match (&p.surgery, p.key_shift) {
            (Some(s), _) => {
                let anchor = p.anchor.clone().unwrap_or_else(|| anchor_default.clone());
                let days = match (parse_da(&anchor), parse_da(s)) {
                    (Some((ay, am, ad)), Some((sy, sm, sd))) => {
                        days_from_civil(ay, am, ad) - days_from_civil(sy, sm, sd)
                    }
                    _ => 0,
                };
                (days, Some(anchor))
            }
            (None, Some(shift)) => (shift, p.anchor.clone()),
            (None, None) => {
                let span = (config.shift_max_days - config.shift_min_days + 1).max(1) as u64;
                let basis = p.mrn.clone().unwrap_or_else(|| k.clone());
                (
                    config.shift_min_days
                        + keyed.number("date-shift", basis.as_bytes(), span) as i64,
                    None,
                )
            }
        };
        subject_index.insert(k.clone(), plan.subjects.len());
        plan.subjects.push(Subject {
            research_id,
            mrn: p.mrn.clone(),
            shift_days,
            surgery_date: p.surgery.clone(),
            anchor_date: anchor,
            notes: p.notes.clone(),
        });
    }

    // 5. Studies per subject, numbered 1, 2, 3… by (CT date, UID) after numbers in the key.
    struct StudyProto {
        accession: Option<String>,
        ct_date: Option<String>,
        files: Vec<usize>,
    }
    let mut studies: BTreeMap<(usize, String), StudyProto> = BTreeMap::new();
    for (fi, skey) in &file_subject {
        let h = usable[*fi].1;
        let subj = subject_index.get(skey).copied().unwrap_or(0);
        let suid = h
            .study_uid
            .clone()
            .or_else(|| h.accession.as_ref().map(|a| format!("(accession) {a}")))
            .unwrap_or_else(|| "(no study)".into());
        let sp = studies.entry((subj, suid)).or_insert(StudyProto {
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
    let mut by_subject: BTreeMap<usize, Vec<(String, StudyProto)>> = BTreeMap::new();
    for ((subj, suid), sp) in studies {
        by_subject.entry(subj).or_default().push((suid, sp));
    }
    for (subj, mut list) in by_subject {
        let rid = plan.subjects[subj].research_id.clone();
        let key_rows: Vec<&KeyRow> = existing_key
            .iter()
            .filter(|k| k.research_id == rid)
            .collect();
        let mut next = key_rows
            .iter()
            .filter_map(|k| {
                k.new_accession
                    .rsplit('_')
                    .next()
                    .and_then(|n| n.parse::<u32>().ok())
            })
            .max()
            .unwrap_or(0)
            + 1;
        list.sort_by(|a, b| (&a.1.ct_date, &a.0).cmp(&(&b.1.ct_date, &b.0)));
        for (suid, sp) in list {
            let known = key_rows.iter().find(|k| {
                (!k.study_instance_uid.is_empty() && k.study_instance_uid == suid)
                    || (k.study_instance_uid.is_empty()
                        && sp
                            .accession
                            .as_deref()
                            .is_some_and(|a| same_id(a, &k.original_accession)))
            });
            let number =
                match known.and_then(|k| k.new_accession.rsplit('_').next()?.parse::<u32>().ok()) {
                    Some(n) => n,
                    None => {
                        let n = next;
                        next += 1;
                        n
                    }
                };
            let study_idx = plan.studies.len();
            plan.studies.push(Study {
                subject: subj,
                study_uid: suid,
                original_accession: sp.accession.clone(),
                number,
                new_accession: accession_for(&rid, number),
                ct_date: sp.ct_date.clone(),
                n_files: sp
                    .files
                    .iter()
                    .filter(|fi| !duplicates.contains_key(&usable[**fi].0.path))
                    .count() as u64,
            });
            // 6. Output paths: <RID>/<RID>_<N>/<series>/<rank>.dcm
            let rid_dir = safe_component(&rid);
            let study_dir = safe_component(&format!("{rid}_{number}"));
            let mut series: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for fi in &sp.files {
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
            for (k, (_, mut files)) in series_list.into_iter().enumerate() {
                let h = usable[files[0]].1;
                let modality = safe_component(h.modality.as_deref().unwrap_or("OT"));
                let base = match h.series_number {
                    Some(n) if n >= 0 => format!("{n:03}_{modality}"),
                    _ => format!("S{:03}_{modality}", k + 1),
                };
                let mut dir = base.clone();
                let mut j = 2;
                while used_dirs.contains(&dir) {
                    dir = format!("{base}_{j}");
                    j += 1;
                }
                used_dirs.insert(dir.clone());
                files.sort_by_key(|fi| {
                    let h = usable[*fi].1;
                    (
                        h.instance_number.unwrap_or(i64::MAX),
                        h.sop_uid.clone().unwrap_or_default(),
                        usable[*fi].0.path.clone(),
                    )
                });
                let mut rank = 0;
                for fi in files.iter() {
                    let path = &usable[*fi].0.path;
                    let duplicate_of = duplicates.get(path).cloned();
                    if duplicate_of.is_none() {
                        rank += 1;
                    }
                    let out_path = format!("{rid_dir}/{study_dir}/{dir}/{:05}.dcm", rank.max(1));
                    plan.files.insert(
                        path.clone(),
                        Ok(FilePlan {
                            subject: subj,
                            study: study_idx,
                            out_path,
                            duplicate_of,
                        }),
                    );
                }
            }
        }
    }
    Ok(plan)
}

/// Key rows for a finished job: one per study, with files written counted by the caller.
pub fn key_rows(plan: &Plan, written_per_study: &BTreeMap<usize, u64>) -> Vec<KeyRow> {
    let mut rows: Vec<KeyRow> = plan
        .studies
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let s = &plan.subjects[st.subject];
            KeyRow {
                research_id: s.research_id.clone(),
                mrn: s.mrn.clone().unwrap_or_default(),
                original_accession: st.original_accession.clone().unwrap_or_default(),
                new_accession: st.new_accession.clone(),
                ct_date: st.ct_date.as_deref().map(iso_date).unwrap_or_default(),
                surgery_date: s.surgery_date.as_deref().map(iso_date).unwrap_or_default(),
                anchor_date: s.anchor_date.as_deref().map(iso_date).unwrap_or_default(),
                date_shift_days: s.shift_days,
                n_files: written_per_study.get(&i).copied().unwrap_or(0),
                study_instance_uid: if st.study_uid.starts_with('(') {
                    String::new()
                } else {
                    st.study_uid.clone()
                },
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.research_id, &a.new_accession).cmp(&(&b.research_id, &b.new_accession))
    });
    rows
}

/// `YYYYMMDD` shifted by days (helper for callers that hold civil dates).
pub fn shift_civil(da: &str, days: i64) -> Option<String> {
    let (y, m, d) = parse_da(da)?;
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) + days);
    Some(format_da(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` synthetic patients, one file each.
    fn patients(n: usize) -> Vec<ScanRecord> {
        (0..n)
            .map(|i| ScanRecord {
                path: format!("in/{i}.dcm"),
                size: 100,
                result: Ok(Header {
                    patient_id: Some(format!("MRN{i:03}")),
                    study_uid: Some(format!("1.2.3.{i}")),
                    sop_uid: Some(format!("1.2.3.{i}.1")),
                    ..Default::default()
                }),
            })
            .collect()
    }

    fn random(digits: u32) -> Config {
        Config {
            id_scheme: IdScheme::Random,
            id_digits: digits,
            ..Config::default()
        }
    }

    #[test]
    fn random_ids_that_cannot_fit_are_an_error_at_once() {
        let keyed = Keyed::new(b"secret");
        let started = std::time::Instant::now();
        let err = make_plan(&patients(40), &random(1), None, &[], &keyed).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(
            err,
            PlanError::IdSpaceTooSmall {
                patients: 40,
                digits: 1,
                capacity: 9,
                taken: 0,
                needed: 2
            }
        );
        assert!(
            err.to_string().contains("set id_digits to at least 2"),
            "{err}"
        );
        // IDs of the existing key count against the space: 8 taken + 2 new > 9.
        let key: Vec<KeyRow> = (1..=8)
            .map(|n| KeyRow {
                research_id: format!("SUBJ{n}"),
                mrn: format!("OLD{n}"),
                ..Default::default()
            })
            .collect();
        let err = make_plan(&patients(2), &random(1), None, &key, &keyed).unwrap_err();
        assert!(
            matches!(err, PlanError::IdSpaceTooSmall { taken: 8, .. }),
            "{err}"
        );
        // 1 new patient fits next to them: it gets the ninth number.
        let plan = make_plan(&patients(1), &random(1), None, &key, &keyed).expect("fits");
        assert_eq!(plan.subjects[0].research_id, "SUBJ9");
    }

    #[test]
    fn random_ids_fill_a_small_space_with_distinct_ids() {
        let keyed = Keyed::new(b"secret");
        let plan = make_plan(&patients(9), &random(1), None, &[], &keyed).expect("fits");
        let ids: BTreeSet<&str> = plan
            .subjects
            .iter()
            .map(|s| s.research_id.as_str())
            .collect();
        let want: BTreeSet<String> = (1..=9).map(|n| format!("SUBJ{n}")).collect();
        assert_eq!(ids, want.iter().map(String::as_str).collect());
        // Deterministic: the same input and secret give the same IDs.
        let again = make_plan(&patients(9), &random(1), None, &[], &keyed).expect("fits");
        assert_eq!(plan, again);
        // Many patients in a large space: distinct, of the right form.
        let plan = make_plan(&patients(500), &random(4), None, &[], &keyed).expect("fits");
        let ids: BTreeSet<&str> = plan
            .subjects
            .iter()
            .map(|s| s.research_id.as_str())
            .collect();
        assert_eq!(ids.len(), 500);
        assert!(ids.iter().all(|id| id.len() == 8 && id != &"SUBJ0000"));
    }

    #[test]
    fn accession_fits_and_stays_distinct() {
        assert_eq!(accession_for("SUBJ0001", 2), "SUBJ0001_2");
        assert_eq!(accession_for("ABCDEFGHIJKLMNOP", 1), "ABCDEFGHIJKLMN_1");
        assert_eq!(accession_for("ABCDEFGHIJKLMNOP", 12), "ABCDEFGHIJKLM_12");
        assert_ne!(
            accession_for("ABCDEFGHIJKLMNO", 1),
            accession_for("ABCDEFGHIJKLMNO", 2)
        );
    }
}
