//! Planner phases 2–4: the subject of each file (mapping row, else patient key), research IDs
//! (mapping, then existing key, then generated) and each subject's date shift.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, IdScheme};
use crate::dates::{days_from_civil, parse_da};
use crate::error::Rejection;
use crate::pseudonyms::key::KeyRow;
use crate::pseudonyms::mapping::{same_id, Mapping};
use crate::scan::{Header, ScanRecord};
use crate::uid::Keyed;

use super::{IdSpaceTooSmallSnafu, PlanError, Subject};

/// What makes files one subject while planning: the research ID a mapping row gives, else the
/// scanned patient key (PatientID, else name and birth date, else study).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SubjectKey {
    /// A mapping row's `New_Patient_ID`.
    Mapped(String),
    /// [`Header::patient_key`].
    Patient(String),
}

impl SubjectKey {
    /// The bytes keyed into the subject order and, without an MRN, the date shift. (The derived
    /// order, mapped before patient keys and then by value, is the order of these labels.)
    fn label(&self) -> String {
        match self {
            SubjectKey::Mapped(id) => format!("id:{id}"),
            SubjectKey::Patient(pk) => format!("pk:{pk}"),
        }
    }
}

/// A subject before its research ID and shift are final.
#[derive(Debug, Default)]
pub(super) struct Proto {
    research_id: Option<String>,
    mrn: Option<String>,
    surgery: Option<String>,
    anchor: Option<String>,
    notes: Option<String>,
    key_shift: Option<i64>,
}

/// Subjects by key, and the subject of each usable file (by index into the usable files).
pub(super) struct Grouping {
    pub protos: BTreeMap<SubjectKey, Proto>,
    pub file_subject: Vec<(usize, SubjectKey)>,
}

/// Phase 2: the subject of each usable file. Files whose patient the mapping does not list are
/// returned as rejected (path, [`Rejection::NoMapping`]).
pub(super) fn group_subjects(
    usable: &[(&ScanRecord, &Header)],
    mapping: Option<&Mapping>,
) -> (Grouping, Vec<(String, Rejection)>) {
    let mut g = Grouping {
        protos: BTreeMap::new(),
        file_subject: Vec::new(),
    };
    let mut rejected = Vec::new();
    for (i, (s, h)) in usable.iter().enumerate() {
        let row = match mapping {
            None => None,
            Some(m) => match m.lookup(h.patient_id.as_deref(), h.accession.as_deref()) {
                None => {
                    rejected.push((s.path.clone(), Rejection::NoMapping));
                    continue;
                }
                Some(row) => Some(row),
            },
        };
        let key = match row.and_then(|r| r.new_patient_id.clone()) {
            Some(id) => SubjectKey::Mapped(id),
            None => SubjectKey::Patient(h.patient_key()),
        };
        let p = g.protos.entry(key.clone()).or_default();
        if let Some(row) = row {
            if p.research_id.is_none() {
                p.research_id = row.new_patient_id.clone();
                p.surgery = row.surgery_date.clone();
                p.anchor = row.anchor_date.clone();
                p.notes = row.notes.clone();
            }
        }
        if p.mrn.is_none() {
            p.mrn = h.patient_id.clone();
        }
        g.file_subject.push((i, key));
    }
    (g, rejected)
}

/// The ID `prefix` + `n` zero-padded to `digits`.
fn format_id(prefix: &str, n: u64, digits: u32) -> String {
    format!("{prefix}{n:0w$}", w = digits as usize)
}

/// Number of a generated research ID (`SUBJ0042` → 42) if it has the prefix.
fn id_number(prefix: &str, id: &str) -> Option<u64> {
    id.strip_prefix(prefix)?.parse().ok()
}

/// Phase 3: research IDs, from the mapping, then the existing key (by MRN), then generated.
pub(super) fn assign_research_ids(
    protos: &mut BTreeMap<SubjectKey, Proto>,
    config: &Config,
    existing_key: &[KeyRow],
    keyed: &Keyed,
) -> Result<(), PlanError> {
    let mut used: BTreeSet<String> = existing_key.iter().map(|k| k.research_id.clone()).collect();
    used.extend(protos.values().filter_map(|p| p.research_id.clone()));
    for p in protos.values_mut() {
        adopt_existing_key(p, existing_key);
    }
    // New subjects in keyed order: stable, and reveals nothing about MRN order.
    let mut new_keys: Vec<(SubjectKey, [u8; 32])> = protos
        .iter()
        .filter(|(_, p)| p.research_id.is_none())
        .map(|(k, _)| (k.clone(), keyed.mac("subject-order", k.label().as_bytes())))
        .collect();
    new_keys.sort_by_key(|k| k.1);
    let mut ids = IdSource::new(config, &used);
    if config.id_scheme == IdScheme::Random && !new_keys.is_empty() {
        ids.check_space(&used, new_keys.len() as u64)?;
    }
    for (k, _) in new_keys {
        let id = ids.next(&k, &used, keyed);
        used.insert(id.clone());
        if let Some(p) = protos.get_mut(&k) {
            p.research_id = Some(id);
        }
    }
    Ok(())
}

/// A subject whose MRN is in the existing key gets its research ID (unless the mapping gave
/// one) and, when the IDs agree, its date shift.
fn adopt_existing_key(p: &mut Proto, existing_key: &[KeyRow]) {
    let Some(mrn) = &p.mrn else { return };
    let Some(k) = existing_key
        .iter()
        .find(|k| !k.mrn.is_empty() && same_id(&k.mrn, mrn))
    else {
        return;
    };
    if p.research_id.is_none() {
        p.research_id = Some(k.research_id.clone());
    }
    if p.research_id.as_deref() == Some(k.research_id.as_str()) {
        p.key_shift = Some(k.date_shift_days);
    }
}

/// Generates research IDs of the configured scheme.
struct IdSource<'c> {
    config: &'c Config,
    /// Random numbers are drawn from 1..=capacity (0 is never handed out).
    capacity: u64,
    next_seq: u64,
}

impl<'c> IdSource<'c> {
    fn new(config: &'c Config, used: &BTreeSet<String>) -> Self {
        let modulus = 10u64.saturating_pow(config.id_digits);
        let next_seq = used
            .iter()
            .filter_map(|id| id_number(&config.id_prefix, id))
            .max()
            .unwrap_or(0)
            + 1;
        IdSource {
            config,
            capacity: modulus.saturating_sub(1).max(1),
            next_seq,
        }
    }

    /// Before anything is drawn: the numbers of this form already taken, plus the new patients,
    /// must fit in the space, so that the probe in [`IdSource::next`] always ends.
    fn check_space(&self, used: &BTreeSet<String>, patients: u64) -> Result<(), PlanError> {
        let c = self.config;
        let taken = used
            .iter()
            .filter(|id| {
                id_number(&c.id_prefix, id).is_some_and(|n| {
                    (1..=self.capacity).contains(&n)
                        && format_id(&c.id_prefix, n, c.id_digits) == **id
                })
            })
            .count() as u64;
        if taken.saturating_add(patients) <= self.capacity {
            return Ok(());
        }
        let want = taken.saturating_add(patients);
        let needed = (1..=19u32)
            .find(|d| 10u64.saturating_pow(*d).saturating_sub(1) >= want)
            .unwrap_or(19);
        IdSpaceTooSmallSnafu {
            patients,
            digits: c.id_digits,
            capacity: self.capacity,
            taken,
            needed,
        }
        .fail()
    }

    /// The next free ID for subject `k`.
    fn next(&mut self, k: &SubjectKey, used: &BTreeSet<String>, keyed: &Keyed) -> String {
        let (prefix, digits) = (&self.config.id_prefix, self.config.id_digits);
        match self.config.id_scheme {
            IdScheme::Sequential => {
                // Each step passes a used ID at most once: ends within |used| + 1 steps.
                let mut id = format_id(prefix, self.next_seq, digits);
                self.next_seq += 1;
                while used.contains(&id) {
                    id = format_id(prefix, self.next_seq, digits);
                    self.next_seq += 1;
                }
                id
            }
            IdScheme::Random => {
                // Linear probing from the keyed start, wrapping within 1..=capacity. The space
                // has a free number (checked before), and each failed step meets a distinct
                // used ID: at most |used| + 1 steps.
                let capacity = self.capacity;
                let mut n = keyed.number("subject-id", k.label().as_bytes(), capacity) + 1;
                let mut id = format_id(prefix, n, digits);
                let mut steps = 0u64;
                while used.contains(&id) && steps < capacity {
                    n = n % capacity + 1;
                    id = format_id(prefix, n, digits);
                    steps += 1;
                }
                id
            }
        }
    }
}

/// Phase 4: the subjects in research-ID order with their date shifts, and the index of each
/// subject key in them.
pub(super) fn make_subjects(
    protos: &BTreeMap<SubjectKey, Proto>,
    config: &Config,
    keyed: &Keyed,
) -> (Vec<Subject>, BTreeMap<SubjectKey, usize>) {
    let anchor_default = config.default_anchor_date.replace('-', "");
    let mut ordered: Vec<(&SubjectKey, &Proto)> = protos.iter().collect();
    ordered.sort_by(|a, b| a.1.research_id.cmp(&b.1.research_id));
    let mut subjects = Vec::with_capacity(ordered.len());
    let mut index = BTreeMap::new();
    for (k, p) in ordered {
        let (shift_days, anchor_date) = match (&p.surgery, p.key_shift) {
            (Some(s), _) => {
                let anchor = p.anchor.clone().unwrap_or_else(|| anchor_default.clone());
                (surgery_shift(&anchor, s), Some(anchor))
            }
            (None, Some(shift)) => (shift, p.anchor.clone()),
            (None, None) => {
                let span = (config.shift_max_days - config.shift_min_days + 1).max(1) as u64;
                let basis = p.mrn.clone().unwrap_or_else(|| k.label());
                let n = keyed.number("date-shift", basis.as_bytes(), span) as i64;
                (config.shift_min_days + n, None)
            }
        };
        index.insert(k.clone(), subjects.len());
        subjects.push(Subject {
            research_id: p.research_id.clone().unwrap_or_else(|| "UNKNOWN".into()),
            mrn: p.mrn.clone(),
            shift_days,
            surgery_date: p.surgery.clone(),
            anchor_date,
            notes: p.notes.clone(),
        });
    }
    (subjects, index)
}

/// Days from the surgery date to the anchor date (0 when either is not a date).
fn surgery_shift(anchor: &str, surgery: &str) -> i64 {
    match (parse_da(anchor), parse_da(surgery)) {
        (Some((ay, am, ad)), Some((sy, sm, sd))) => {
            days_from_civil(ay, am, ad) - days_from_civil(sy, sm, sd)
        }
        _ => 0,
    }
}
