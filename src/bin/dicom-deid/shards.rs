//! `--plan PLAN.json [--shard K/N]`: apply one shard of a plan written by `--plan-out`
//! (`plan.rs`).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use dicom_deid::distribute::{Assignment, PlanFile, Shard};
use dicom_deid::error::Rejection;
use dicom_deid::job::{FileOutcome, Job};
use dicom_deid::uid::Keyed;
use snafu::ResultExt;

use crate::args::Args;
use crate::common::{build_config, rewrite_and_write, Outputs};
use crate::error::{CliError, JobSnafu, ReadSnafu, ShardSnafu};
use crate::inputs::{self, Inputs};
use crate::secret::load_secret;

/// Applies shard K of N of a plan: rewrites the shard's files into its own zip, key and log.
/// Inputs the plan does not know (of this shard, by a hash of their path) and planned files of
/// this shard that are missing are logged as not written.
pub fn apply(args: &Args, plan_path: &Path, shard: &str) -> Result<(), CliError> {
    let config = &build_config(args)?;
    let shard = Shard::parse(shard).context(ShardSnafu)?;
    // The coordinator's secret: never created here.
    let secret = load_secret(&args.secret_file, false)?;
    let mut job = Job::new(config, &secret, None, None).context(JobSnafu)?;
    let text = fs::read_to_string(plan_path).context(ReadSnafu {
        what: "plan",
        path: plan_path,
    })?;
    let file = PlanFile::from_json(&text, config, &Keyed::new(&secret)).context(ShardSnafu)?;
    let outputs = Outputs::of(args)?;
    let mut inputs = inputs::collect(&args.inputs)?;
    let plan = file.shard_plan(shard);
    for (path, r) in &plan.files {
        if let Err(r) = r {
            let size = file.sizes.get(path).copied().unwrap_or(0);
            job.add_unreadable(path, size, r.clone());
        }
    }
    let started = std::time::Instant::now();
    let engine = job.adopt_plan(plan);
    record_unplanned(&mut job, &file, shard, &mut inputs);
    rewrite_and_write(args, &mut job, &engine, &inputs, &outputs, started)
}

/// Logs, fail closed, this shard's inputs that are not in the plan and its planned files that
/// are not among the inputs.
fn record_unplanned(job: &mut Job, file: &PlanFile, shard: Shard, inputs: &mut Inputs) {
    let assignment = Assignment::new(&file.plan, shard.count);
    let mine = |path: &str| assignment.shard_of(&file.plan, path) == shard.index - 1;
    let outcome = |path: &str, bytes_in: u64, r: Rejection| FileOutcome {
        source_path: path.to_string(),
        bytes_in,
        result: Err(r),
        pixels: None,
        sha256: None,
    };
    let unreadable = std::mem::take(&mut inputs.unreadable);
    for (path, size, r) in unreadable {
        if !file.plan.files.contains_key(&path) && mine(&path) {
            job.record(outcome(&path, size, r));
        }
    }
    let mut present = BTreeSet::new();
    for (path, src) in &inputs.items {
        present.insert(path.as_str());
        if !file.plan.files.contains_key(path) && mine(path) {
            job.record(outcome(path, inputs.size(src), Rejection::NotPlanned));
        }
    }
    for (path, fp) in &file.plan.files {
        if fp.is_ok() && mine(path) && !present.contains(path.as_str()) {
            let missing = Rejection::Unparseable {
                detail: "in the plan, but not found among the inputs".into(),
            };
            job.record(outcome(path, 0, missing));
        }
    }
}
