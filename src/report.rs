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

/// One row of the log: what happened to one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    /// Source path (PHI: folder names often hold MRNs).
    pub source_path: String,
    /// `written`, `rejected`, `skipped`, `no_mapping`, `duplicate`.
    pub outcome: String,
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
    to_csv(
        LOG_COLUMNS,
        rows.into_iter().map(|r| {
            [
                r.source_path,
                r.outcome,
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
            match r.outcome.as_str() {
                "written" => s.written += 1,
                "rejected" => s.rejected += 1,
                "held" => s.held += 1,
                "excluded" => s.excluded += 1,
                _ => s.skipped += 1,
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
