//! The audit's three files (made by [`crate::job::Job::audit`] from a job whose scans are in and
//! the audit's header reads): the CLI writes them into `--audit DIR`, the page offers them as
//! downloads, the same bytes.

use crate::audit::summary::Summary;

/// `audit-summary.json` (no PHI).
pub const SUMMARY_JSON: &str = "audit-summary.json";
/// `audit-summary.html` (no PHI).
pub const SUMMARY_HTML: &str = "audit-summary.html";
/// `audit-detail.csv` (PHI).
pub const DETAIL_CSV: &str = "audit-detail.csv";

/// The audit of a batch: its summary and the texts of its three files.
#[derive(Debug, Clone)]
pub struct AuditFiles {
    /// The summary (no PHI).
    pub summary: Summary,
    /// `audit-summary.json`: the summary as pretty JSON, ending with a newline.
    pub summary_json: String,
    /// `audit-summary.html`.
    pub summary_html: String,
    /// `audit-detail.csv` (PHI).
    pub detail_csv: String,
}
