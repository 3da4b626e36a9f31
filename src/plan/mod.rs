//! The plan step: a pure function of the scanned headers, the configuration, the mapping CSV,
//! an existing key and the secret. It decides, once, every research ID, date shift, accession
//! number and output path, so files can then be rewritten in any order on any worker with the
//! same result.

mod studies;
mod subjects;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use snafu::Snafu;

use crate::config::Config;
use crate::dates::{civil_from_days, days_from_civil, format_da, parse_da};
use crate::error::Rejection;
use crate::identity::iso_date;
use crate::identity::key::KeyRow;
use crate::identity::mapping::Mapping;
use crate::scan::{Header, ScanRecord};
use crate::uid::Keyed;

pub use crate::identifiers::BatchIdentifiers;

pub use studies::StudyKey;

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
    /// What the study's files share: the StudyInstanceUID, else the AccessionNumber.
    pub key: StudyKey,
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
    /// (The plan is boxed: most files of a large batch are rejected, and an inline plan would
    /// make every entry of the map 88 bytes instead of 56.)
    pub files: BTreeMap<String, Result<Box<FilePlan>, Rejection>>,
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
                study_instance_uid: st.key.uid().unwrap_or_default().to_string(),
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
