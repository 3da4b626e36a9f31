//! The audit's three files from a job whose scans are in and the audit's header reads: the
//! CLI writes them into `--audit DIR`, the page offers them as downloads, the same bytes.

use std::collections::BTreeMap;

use crate::audit::{detail_csv, html, summary, HeaderResult, Input, Summary};
use crate::job::{Job, JobError};

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

/// Plans `job` (its scans added) as the run would and makes the audit from the plan and
/// `headers` (the audit's read of each DICOM file, [`crate::audit::header::read`], by source
/// path). Errors are the plan's (e.g. random research IDs that do not fit).
pub fn audit_job(
    job: &mut Job,
    headers: &BTreeMap<String, HeaderResult>,
) -> Result<AuditFiles, JobError> {
    let engine = job.plan()?;
    let rows = job.log_rows();
    let to_write = job.paths_to_process();
    let input = Input {
        ctx: job.context(),
        plan: &engine.plan,
        rows: &rows,
        to_write: &to_write,
        scans: job.scans(),
        headers,
    };
    let summary = summary(&input);
    let mut summary_json = serde_json::to_string_pretty(&summary).unwrap_or_default();
    summary_json.push('\n');
    Ok(AuditFiles {
        summary_html: html::render(&summary),
        detail_csv: detail_csv(&input),
        summary_json,
        summary,
    })
}
