//! The audit's summary as `audit-summary.json` holds it (no PHI). A leaf of [`crate::audit`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::risk;

/// One attribute found in the batch, and what the run does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeAction {
    /// `(gggg,eeee)`.
    pub tag: String,
    /// Its keyword (empty when the dictionary has none).
    pub keyword: String,
    /// Files in which it occurs (at the top level, or in sequences for the nested rows).
    pub files: u64,
    /// kept, removed, emptied, replaced, uid replaced, cleaned.
    pub action: &'static str,
    /// The rule that decides it.
    pub rule: String,
}

/// A private creator found in the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatorUse {
    /// The private group, `gggg`.
    pub group: String,
    /// The creator's name.
    pub creator: String,
    /// Files with this creator.
    pub files: u64,
    /// Its private elements, over all files.
    pub elements: u64,
    /// `kept (safe elements only)` under Retain Safe Private for a creator of Table E.3.10-1,
    /// else `removed`.
    pub action: &'static str,
}

/// The audit's summary: no PHI (counts, attribute actions, creators, risk figures).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `dicom-deid audit 1`.
    pub format: &'static str,
    /// Input files.
    pub files: u64,
    /// Distinct patients, studies and series among the DICOM files.
    pub patients: u64,
    /// Distinct studies.
    pub studies: u64,
    /// Distinct series.
    pub series: u64,
    /// DICOM files by modality.
    pub modalities: BTreeMap<String, u64>,
    /// DICOM files by SOP class UID.
    pub sop_classes: BTreeMap<String, u64>,
    /// DICOM files by transfer syntax UID.
    pub transfer_syntaxes: BTreeMap<String, u64>,
    /// Files by the outcome the run will give them (the log's outcome names, zeros included).
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Files not written, by reason code.
    pub reasons: BTreeMap<String, u64>,
    /// Of the files predicted written, the images the pixel gate flags (may show burned-in
    /// text): under the `hold` policy, a rule, the review or the run's text detector (which
    /// reads pixels, not headers) decides whether each is written or held.
    pub pixel_review_pending: u64,
    /// Every top-level public attribute found, with its action.
    pub attributes: Vec<AttributeAction>,
    /// Every public attribute found in the items of public sequences (at any depth), one row
    /// per attribute, action and rule (`files`: the files where it is in a sequence with that
    /// action): its own action, or removed with a sequence above it that is removed or emptied.
    pub nested_attributes: Vec<AttributeAction>,
    /// Private creators found.
    pub private_creators: Vec<CreatorUse>,
    /// The smallest and largest date shift of the patients, in days (none without patients).
    pub date_shift_days: Option<(i64, i64)>,
    /// Research IDs the run assigns (patients of the plan).
    pub research_ids: u64,
    /// The re-identification risk of the quasi-identifiers kept.
    pub risk: risk::Risk,
}
