//! The plan step: a pure function of the scanned headers, the configuration, the mapping CSV,
//! an existing key and the secret. It decides, once, every research ID, date shift, accession
//! number and output path, so files can then be rewritten in any order on any worker with the
//! same result.

pub mod build;
mod studies;
mod subjects;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use snafu::Snafu;

use crate::dates::{civil_from_days, days_from_civil, format_da, parse_da};
use crate::error::Rejection;
use crate::pseudonyms::iso_date;
use crate::pseudonyms::key::KeyRow;
use crate::scan::Header;

use crate::phi::BatchIdentifiers;

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

/// What makes files one study of a subject: the StudyInstanceUID, else the AccessionNumber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyKey {
    /// StudyInstanceUID.
    Uid(String),
    /// No StudyInstanceUID: the AccessionNumber.
    Accession(String),
    /// Neither.
    Unknown,
}

impl StudyKey {
    /// The key of a file's study.
    pub fn of(h: &Header) -> StudyKey {
        match (&h.study_uid, &h.accession) {
            (Some(u), _) => StudyKey::Uid(u.clone()),
            (None, Some(a)) => StudyKey::Accession(a.clone()),
            (None, None) => StudyKey::Unknown,
        }
    }

    /// The StudyInstanceUID, when the study has one.
    pub fn uid(&self) -> Option<&str> {
        match self {
            StudyKey::Uid(u) => Some(u),
            _ => None,
        }
    }

    /// The text the studies of a subject with the same CT date are ordered by: the UID, else
    /// `(accession) …`, else `(no study)` (stand-ins sort before UIDs).
    fn sort_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            StudyKey::Uid(u) => u.into(),
            StudyKey::Accession(a) => format!("(accession) {a}").into(),
            StudyKey::Unknown => "(no study)".into(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            StudyKey::Uid(_) => 0,
            StudyKey::Accession(_) => 1,
            StudyKey::Unknown => 2,
        }
    }
}

impl Ord for StudyKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.sort_text(), self.rank()).cmp(&(other.sort_text(), other.rank()))
    }
}

impl PartialOrd for StudyKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
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
