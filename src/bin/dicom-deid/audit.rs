//! `--audit DIR`: the dry run. Scans and plans the batch as a run would (headers only), reads
//! each DICOM file's headers for the audit, and writes `audit-summary.json`, `audit-summary.html`
//! (no PHI) and `audit-detail.csv` (PHI) into DIR; nothing else is written (the secret must
//! exist already: the audit does not create it).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use dicom_deid::audit::{self, HeaderResult};
use dicom_deid::job::Job;
use snafu::ResultExt;

use crate::args::Args;
use crate::common::{build_config, read_text, scan_into, write_file};
use crate::error::{CliError, CreateSnafu, JobSnafu};
use crate::inputs::{self, Inputs, Source};
use crate::pool::ordered_map;
use crate::secret::load_secret;

/// The audit's header read of every file the scan found to be DICOM.
fn read_headers(
    job: &Job,
    inputs: &Inputs,
    threads: usize,
) -> Result<BTreeMap<String, HeaderResult>, CliError> {
    let dicom: std::collections::BTreeSet<&str> = job
        .scans()
        .iter()
        .filter(|s| s.result.is_ok())
        .map(|s| s.path.as_str())
        .collect();
    let todo: Vec<&(String, Source)> = inputs
        .items
        .iter()
        .filter(|(p, _)| dicom.contains(p.as_str()))
        .collect();
    let mut headers = BTreeMap::new();
    ordered_map(
        &todo,
        threads,
        threads * 4,
        |(path, src)| {
            let h = inputs
                .read_into(src, Vec::new())
                .and_then(|b| audit::header::read(&b, Some(job.context())));
            (path.clone(), h)
        },
        |(path, h)| {
            headers.insert(path, h);
            Ok::<(), CliError>(())
        },
    )?;
    Ok(headers)
}

/// Runs the audit into `dir`.
pub fn audit(args: &Args, dir: &Path) -> Result<(), CliError> {
    let config = build_config(args)?;
    let secret = load_secret(&args.secret_file, false)?;
    let mapping = read_text(&args.mapping, "mapping CSV")?;
    let existing = read_text(&args.existing_key, "key CSV")?;
    let mut job =
        Job::new(&config, &secret, mapping.as_deref(), existing.as_deref()).context(JobSnafu)?;
    let mut inputs = inputs::collect(&args.inputs)?;
    scan_into(&mut job, &mut inputs, args.threads());
    let headers = read_headers(&job, &inputs, args.threads())?;
    let files = job.audit(&headers).context(JobSnafu)?;
    let summary = &files.summary;
    fs::create_dir_all(dir).context(CreateSnafu { path: dir })?;
    for (name, text) in [
        (audit::files::SUMMARY_JSON, &files.summary_json),
        (audit::files::SUMMARY_HTML, &files.summary_html),
        (audit::files::DETAIL_CSV, &files.detail_csv),
    ] {
        write_file(&dir.join(name), text.as_bytes())?;
    }
    if !args.quiet {
        eprintln!(
            "audit of {} files: {} patients, {} to be written; k = {}, {} unique patients; {} (no PHI), audit-detail.csv (PHI)",
            summary.files,
            summary.patients,
            summary.outcomes.get("written").copied().unwrap_or(0),
            summary.risk.k,
            summary.risk.unique_patients,
            dir.join("audit-summary.json").display()
        );
    }
    Ok(())
}
