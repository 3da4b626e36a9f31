//! `--plan-out`: plan once (headers only) and write every batch-wide decision to a file that
//! the shards then apply (`shards.rs`).

use std::path::Path;

use dicom_deid::distribute::PlanFile;
use snafu::ResultExt;

use crate::args::Args;
use crate::common::{build_config, scan_into, start_job, write_file};
use crate::error::{CliError, JobSnafu};
use crate::inputs;

/// Scans every input (headers only), plans the batch and writes the plan file.
pub fn plan_out(args: &Args, out: &Path) -> Result<(), CliError> {
    let config = build_config(args)?;
    let mut job = start_job(args, &config)?;
    let mut inputs = inputs::collect(&args.inputs)?;
    scan_into(&mut job, &mut inputs, args.threads());
    let engine = job.plan().context(JobSnafu)?;
    let plan = &engine.plan;
    let file = PlanFile::new(&config, &engine.ctx.keyed, plan, job.scans());
    write_file(out, file.to_json().as_bytes())?;
    if !args.quiet {
        let planned = plan.files.values().filter(|f| f.is_ok()).count();
        eprintln!(
            "planned {planned} of {} files, {} patients, {} studies; plan (PHI): {}",
            plan.files.len(),
            plan.subjects.len(),
            plan.studies.len(),
            out.display()
        );
    }
    Ok(())
}
