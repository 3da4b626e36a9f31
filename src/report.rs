//! The log CSV (PHI: source paths), the PHI-free manifest CSV (inside the zip) and the summary.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Log columns, in order.
pub const LOG_COLUMNS: [&str; 7] = [
    "source_path",
    "outcome",
    "output_path",
    "reason_code",
    "reason",
    "bytes_in",
    "bytes_out",
];
/// Manifest columns, in order.
pub const MANIFEST_COLUMNS: [&str; 7] = [
    "path",
    "modality",
    "sop_class_uid",
    "series",
    "study_instance_uid",
    "series_instance_uid",
    "sop_instance_uid",
];

/// What happened to one input file: the log's `outcome` column, written (CSV, JSON, JS) as
/// its snake_case name.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// De-identified and written to the zip.
    Written,
    /// Could not be cleaned, or the self-check failed.
    Rejected,
    /// Not DICOM, or a DICOMDIR.
    Skipped,
    /// No row of the mapping CSV names its patient.
    NoMapping,
    /// The same SOP Instance UID as a file already written.
    Duplicate,
    /// Its pixels may show text that no rule covers, or cannot be cleaned: not written until
    /// reviewed.
    Held,
    /// Excluded by a pixel rule or the policy for unreviewed images.
    Excluded,
}

impl Outcome {
    /// Every outcome, in order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Written,
        Outcome::Rejected,
        Outcome::Skipped,
        Outcome::NoMapping,
        Outcome::Duplicate,
        Outcome::Held,
        Outcome::Excluded,
    ];

    /// The name written in the log (the same as its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Written => "written",
            Outcome::Rejected => "rejected",
            Outcome::Skipped => "skipped",
            Outcome::NoMapping => "no_mapping",
            Outcome::Duplicate => "duplicate",
            Outcome::Held => "held",
            Outcome::Excluded => "excluded",
        }
    }

    /// The outcome a log names, if any.
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the log: what happened to one input file.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    /// Source path (PHI: folder names often hold MRNs).
    pub source_path: String,
    /// What happened to it.
    pub outcome: Outcome,
    /// Path in the zip, when written.
    pub output_path: String,
    /// Short reason code.
    pub reason_code: String,
    /// Reason in words.
    pub reason: String,
    /// Input size.
    pub bytes_in: u64,
    /// Output size.
    pub bytes_out: u64,
}

/// One row of the manifest (no PHI: new paths and new UIDs only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRow {
    /// Path in the zip.
    pub path: String,
    /// Modality.
    pub modality: String,
    /// SOP Class UID.
    pub sop_class_uid: String,
    /// Series folder name.
    pub series: String,
    /// New Study Instance UID.
    pub study_instance_uid: String,
    /// New Series Instance UID.
    pub series_instance_uid: String,
    /// New SOP Instance UID.
    pub sop_instance_uid: String,
}

fn to_csv<const N: usize>(header: [&str; N], rows: impl Iterator<Item = [String; N]>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The log as CSV, sorted by source path.
pub fn log_csv(rows: &[LogRow]) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.source_path.cmp(&b.source_path));
    sorted_log_csv(rows)
}

/// The log as CSV, of rows already sorted by source path (taken, not copied).
pub(crate) fn sorted_log_csv(rows: Vec<LogRow>) -> String {
    to_csv(
        LOG_COLUMNS,
        rows.into_iter().map(|r| {
            [
                r.source_path,
                r.outcome.as_str().to_string(),
                r.output_path,
                r.reason_code,
                r.reason,
                r.bytes_in.to_string(),
                r.bytes_out.to_string(),
            ]
        }),
    )
}

/// The manifest as CSV, sorted by path.
pub fn manifest_csv(rows: &[ManifestRow]) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    to_csv(
        MANIFEST_COLUMNS,
        rows.into_iter().map(|r| {
            [
                r.path,
                r.modality,
                r.sop_class_uid,
                r.series,
                r.study_instance_uid,
                r.series_instance_uid,
                r.sop_instance_uid,
            ]
        }),
    )
}

/// Counts of a finished run.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Input files seen.
    pub seen: u64,
    /// Written to the zip.
    pub written: u64,
    /// Rejected (could not be cleaned, or the self-check failed).
    pub rejected: u64,
    /// Skipped (not DICOM, DICOMDIR, duplicates, no mapping).
    pub skipped: u64,
    /// Held: images that may show text in their pixels, not written until reviewed.
    #[serde(default)]
    pub held: u64,
    /// Excluded by a pixel rule or the policy for unreviewed images.
    #[serde(default)]
    pub excluded: u64,
    /// Counts by reason code.
    pub by_reason: BTreeMap<String, u64>,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written (DICOM files).
    pub bytes_out: u64,
}

impl Summary {
    /// Computes the summary of a log.
    pub fn of(rows: &[LogRow]) -> Summary {
        let mut s = Summary::default();
        for r in rows {
            s.seen += 1;
            s.bytes_in += r.bytes_in;
            s.bytes_out += r.bytes_out;
            match r.outcome {
                Outcome::Written => s.written += 1,
                Outcome::Rejected => s.rejected += 1,
                Outcome::Held => s.held += 1,
                Outcome::Excluded => s.excluded += 1,
                Outcome::Skipped | Outcome::NoMapping | Outcome::Duplicate => s.skipped += 1,
            }
            if !r.reason_code.is_empty() {
                *s.by_reason.entry(r.reason_code.clone()).or_default() += 1;
            }
        }
        s
    }

    /// One line for a terminal or the log's end.
    pub fn line(&self) -> String {
        let reasons: Vec<String> = self
            .by_reason
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        format!(
            "files seen {}, written {}, rejected {}, skipped {}, held {}, excluded {}{}",
            self.seen,
            self.written,
            self.rejected,
            self.skipped,
            self.held,
            self.excluded,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_written_by_their_log_names() {
        for o in Outcome::ALL {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), o);
            assert_eq!(Outcome::from_name(&o.to_string()), Some(o));
        }
        assert_eq!(Outcome::from_name("Written"), None);
    }
}
