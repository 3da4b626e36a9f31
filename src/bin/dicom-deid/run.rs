//! The default mode: scan every input, plan the batch, rewrite the files into the zip, and
//! write the key and the log.

use snafu::ResultExt;

use crate::args::Args;
use crate::common::{build_config, rewrite_and_write, scan_into, start_job, Outputs};
use crate::error::{CliError, JobSnafu};
use crate::inputs;

/// Runs the whole batch on this machine.
pub fn run(args: &Args) -> Result<(), CliError> {
    let config = build_config(args)?;
    let mut job = start_job(args, &config)?;
    let outputs = Outputs::of(args)?;
    let mut inputs = inputs::collect(&args.inputs)?;
    let started = std::time::Instant::now();
    scan_into(&mut job, &mut inputs, args.threads());
    let engine = job.plan().context(JobSnafu)?;
    rewrite_and_write(args, &mut job, &engine, &inputs, &outputs, started)
}
