//! The native command-line shell: walks files, folders and zips, feeds their bytes to the
//! engine, and writes the zip, the key and the log.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use dicom_deid::archive::output::{crc32_of, ZipSink};
use dicom_deid::pixels::clean::Unreviewed;
use dicom_deid::pixels::rules::RuleSet;
use dicom_deid::{Config, Engine, FileOutcome, Job};
use snafu::{ensure, ResultExt};

use crate::error::{
    CliError, ConfigFileSnafu, CreateSnafu, JobSnafu, PixelRulesSnafu, PresetSnafu, ReadSnafu,
    SameOutputsSnafu, SinkSnafu, WriteSnafu,
};
use crate::inputs::{self, Inputs, Source};
use crate::pool::ordered_map;
use crate::secret::load_secret;

/// De-identify DICOM files (PS3.15 Annex E) into a zip, with a separate key and log.
#[derive(Parser, Debug)]
#[command(name = "dicom-deid", version, about)]
pub struct Args {
    /// Files, folders (walked recursively) or .zip files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The de-identified zip to write.
    #[arg(long, value_name = "FILE.zip", required_unless_present = "plan_out")]
    pub out: Option<PathBuf>,
    /// Plan only: scan the headers and write every batch-wide decision to this file (PHI, like
    /// the key). Nothing is de-identified; shards then apply the plan (--plan, --shard).
    #[arg(long, value_name = "PLAN.json", conflicts_with_all = ["plan", "merge"])]
    pub plan_out: Option<PathBuf>,
    /// Apply a plan written by --plan-out (same options and secret) instead of planning.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// With --plan: process only shard K of N (a patient's files are all in one shard).
    #[arg(long, value_name = "K/N", requires = "plan")]
    pub shard: Option<String>,
    /// Merge shards: the inputs are the parts' zips, keys and logs; writes the single run's
    /// zip (--out), key and log.
    #[arg(long, conflicts_with_all = ["plan", "plan_out"])]
    pub merge: bool,
    /// The key CSV (PHI: research ID ↔ MRN, accession, dates). Default: <out>-key.csv.
    #[arg(long, value_name = "FILE.csv")]
    pub key: Option<PathBuf>,
    /// The audit log CSV (PHI: source paths). Default: <out>-log.csv.
    #[arg(long, value_name = "FILE.csv")]
    pub log: Option<PathBuf>,
    /// Configuration file (JSON or TOML); see README.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Preset: basic, research, keep-list (a config file's `preset` wins).
    #[arg(long, default_value = "basic")]
    pub preset: String,
    /// Project secret file; created with a random secret if missing, and reused.
    #[arg(long, value_name = "FILE", default_value = "dicom-deid.secret")]
    pub secret_file: PathBuf,
    /// Mapping CSV: MRN, Accession, New_Patient_ID, Surgery_Date, [Anchor_Date], [Notes].
    #[arg(long, value_name = "FILE.csv")]
    pub mapping: Option<PathBuf>,
    /// A key CSV from an earlier batch: its patients keep their IDs, shifts and study numbers.
    #[arg(long, value_name = "FILE.csv")]
    pub existing_key: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Pixel rules (TOML or JSON; see README): regions to black out, images to keep or exclude.
    /// Repeatable; consulted in order, before the shipped default rules.
    #[arg(long, value_name = "FILE")]
    pub pixel_rules: Vec<PathBuf>,
    /// Images that may show text in their pixels and that no pixel rule covers: hold (not
    /// written; the default), keep (written as they are, logged as an accepted risk) or exclude.
    #[arg(long, value_name = "POLICY", value_parser = ["hold", "keep", "exclude"])]
    pub unreviewed: Option<String>,
    /// Do not use the shipped default pixel rules (data/pixel_rules.toml).
    #[arg(long)]
    pub no_default_pixel_rules: bool,
    /// Skip the self-check of each output (benchmarking only).
    #[arg(long)]
    pub no_verify: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The configuration the options give: `--config` (or `--preset`), then the pixel rules files
/// before the configuration's own, `--unreviewed`, `--no-default-pixel-rules`, `--no-verify`.
pub fn build_config(args: &Args) -> Result<Config, CliError> {
    let mut config = match &args.config {
        Some(p) => {
            let text = fs::read_to_string(p).context(ReadSnafu {
                what: "config",
                path: p,
            })?;
            // --preset is the starting point unless the file names one: merged as a value
            // after parsing (never spliced into the text).
            Config::parse_with_preset(&text, &args.preset).context(ConfigFileSnafu { path: p })?
        }
        None => Config::preset(&args.preset).context(PresetSnafu)?,
    };
    if args.no_verify {
        config.verify = false;
    }
    let mut user_rules = Vec::new();
    for p in &args.pixel_rules {
        let text = fs::read_to_string(p).context(ReadSnafu {
            what: "pixel rules",
            path: p,
        })?;
        let set = RuleSet::parse(&text).context(PixelRulesSnafu { path: p })?;
        user_rules.extend(set.rules);
    }
    user_rules.append(&mut config.pixel_rules);
    config.pixel_rules = user_rules;
    if let Some(u) = &args.unreviewed {
        config.unreviewed_pixels = match u.as_str() {
            "keep" => Unreviewed::Keep,
            "exclude" => Unreviewed::Exclude,
            _ => Unreviewed::Hold,
        };
    }
    if args.no_default_pixel_rules {
        config.default_pixel_rules = false;
    }
    Ok(config)
}

/// The text of an optional CSV file.
fn read_text(p: &Option<PathBuf>, what: &'static str) -> Result<Option<String>, CliError> {
    match p {
        None => Ok(None),
        Some(p) => fs::read(p)
            .map(|b| Some(String::from_utf8_lossy(&b).into_owned()))
            .context(ReadSnafu { what, path: p }),
    }
}

fn with_suffix(out: &Path, suffix: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    out.with_file_name(format!("{stem}{suffix}"))
}

/// Where the zip, the key and the log go (the key and log by default next to the zip).
pub struct Outputs {
    pub zip: PathBuf,
    pub key: PathBuf,
    pub log: PathBuf,
}

impl Outputs {
    pub fn of(args: &Args) -> Result<Outputs, CliError> {
        // Clap asks for --out unless --plan-out is given, when no outputs are written.
        let zip = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output.zip"));
        let o = Outputs {
            key: args
                .key
                .clone()
                .unwrap_or_else(|| with_suffix(&zip, "-key.csv")),
            log: args
                .log
                .clone()
                .unwrap_or_else(|| with_suffix(&zip, "-log.csv")),
            zip,
        };
        ensure!(o.key != o.zip && o.log != o.zip, SameOutputsSnafu);
        Ok(o)
    }
}

pub fn threads(args: &Args) -> usize {
    args.threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1)
}

/// The job the options describe (configuration, mapping, existing key, secret).
pub fn start_job(args: &Args, config: &Config) -> Result<Job, CliError> {
    if !config.verify {
        eprintln!("dicom-deid: WARNING: the self-check is off (benchmarking only); outputs are not re-read for leaks");
    }
    let mapping = read_text(&args.mapping, "mapping CSV")?;
    let existing = read_text(&args.existing_key, "key CSV")?;
    let secret = load_secret(&args.secret_file, true)?;
    Job::new(config, &secret, mapping.as_deref(), existing.as_deref()).context(JobSnafu)
}

fn run(args: Args) -> Result<(), CliError> {
    if args.merge {
        return crate::merge::run(&args);
    }
    let config = build_config(&args)?;
    if let Some(plan) = &args.plan {
        return crate::shards::apply(&args, &config, plan);
    }
    let mut job = start_job(&args, &config)?;
    if let Some(plan_out) = &args.plan_out {
        return crate::shards::plan_out(&args, &config, job, plan_out);
    }
    let outputs = Outputs::of(&args)?;
    let mut inputs = inputs::collect(&args.inputs)?;
    let started = std::time::Instant::now();
    scan_into(&mut job, &mut inputs, threads(&args));
    let engine = job.plan().context(JobSnafu)?;
    rewrite_and_write(&args, &mut job, &engine, &inputs, &outputs, started)
}

/// Rewrites the planned files into the zip, writes the key and the log, and reports.
pub fn rewrite_and_write(
    args: &Args,
    job: &mut Job,
    engine: &Engine,
    inputs: &Inputs,
    outputs: &Outputs,
    started: std::time::Instant,
) -> Result<(), CliError> {
    let threads = threads(args);
    let bytes = write_zip(job, engine, inputs, threads, &outputs.zip, args.quiet)?;
    write_reports(job, outputs)?;
    if !args.quiet {
        report_done(job, outputs, bytes, started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Scans every input (headers only) into the job.
pub fn scan_into(job: &mut Job, inputs: &mut Inputs, threads: usize) {
    for (p, size, r) in inputs.unreadable.drain(..) {
        job.add_unreadable(&p, size, r);
    }
    let all: Vec<&(String, Source)> = inputs.items.iter().collect();
    for s in inputs::scan_all(inputs, &all, threads) {
        job.add_scan(s);
    }
}

/// Writes the key and the log.
pub fn write_reports(job: &Job, outputs: &Outputs) -> Result<(), CliError> {
    write_file(&outputs.key, job.key_csv().as_bytes())?;
    write_file(&outputs.log, job.log_csv().as_bytes())
}

/// The summary and the throughput, on stderr.
pub fn report_done(job: &Job, outputs: &Outputs, bytes_total: u64, secs: f64) {
    eprintln!();
    eprintln!("{}", job.summary().line());
    eprintln!(
        "{:.1} MB in {:.2} s ({:.0} MB/s); zip: {}; key: {}; log: {}",
        bytes_total as f64 / 1e6,
        secs,
        bytes_total as f64 / 1e6 / secs.max(1e-9),
        outputs.zip.display(),
        outputs.key.display(),
        outputs.log.display()
    );
}

/// What a worker hands back for one file: the input buffer (for reuse), the rewritten header
/// with the length of the input's tail after it and their CRC, and the outcome.
type Rewritten = (Option<Vec<u8>>, Option<(Vec<u8>, usize, u32)>, FileOutcome);

/// Reads and rewrites one input (on a worker thread), reusing a spare buffer.
fn rewrite_one(
    engine: &Engine,
    inputs: &Inputs,
    spare: &Mutex<Vec<Vec<u8>>>,
    (path, src): &(String, Source),
) -> Rewritten {
    let buf = spare
        .lock()
        .ok()
        .and_then(|mut v| v.pop())
        .unwrap_or_default();
    match inputs.read_into(src, buf) {
        Ok(b) => {
            let (out, outcome) = engine.process_parts(path, &b);
            // The tail is always the end of the input: keep its length, return the buffer
            // with the header and the CRC of both (computed here, in parallel).
            let out = out.map(|o| {
                let crc = crc32_of(&[&o.head, o.tail]);
                (o.head, o.tail.len(), crc)
            });
            (Some(b), out, outcome)
        }
        Err(r) => (
            None,
            None,
            FileOutcome {
                source_path: path.clone(),
                bytes_in: 0,
                result: Err(r),
                pixels: None,
            },
        ),
    }
}

/// Rewrites the planned files in parallel batches and writes the zip in sorted source order
/// (then the job's final entries), through a `.zip.partial` file renamed at the end. Returns
/// the bytes of the inputs written.
pub fn write_zip(
    job: &mut Job,
    engine: &Engine,
    inputs: &Inputs,
    threads: usize,
    out: &Path,
    quiet: bool,
) -> Result<u64, CliError> {
    let todo: Vec<&(String, Source)> = {
        let want: std::collections::BTreeSet<String> = job.paths_to_process().into_iter().collect();
        inputs
            .items
            .iter()
            .filter(|(p, _)| want.contains(p))
            .collect()
    };
    let tmp = out.with_extension("zip.partial");
    let file = fs::File::create(&tmp).context(CreateSnafu { path: &tmp })?;
    // Small writes (zip headers, rewritten DICOM headers) are buffered; pixel data, larger than
    // the buffer, goes from the input buffer to the file in one write.
    let mut sink = ZipSink::new(BufWriter::with_capacity(64 << 10, file));
    let (total, mut done, mut bytes_total) = (todo.len(), 0usize, 0u64);
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    // Workers read and rewrite; this thread writes the zip in order meanwhile.
    let rewrite = |item: &&(String, Source)| rewrite_one(engine, inputs, &spare, item);
    ordered_map(
        &todo,
        threads,
        threads * 4,
        rewrite,
        |(input, out, outcome)| {
            if let (Some(input), Some((head, tail_len, crc)), Ok((m, _))) =
                (&input, &out, &outcome.result)
            {
                let tail = &input[input.len().saturating_sub(*tail_len)..];
                sink.add_parts_crc(&m.path, *crc, &[head, tail])
                    .context(SinkSnafu)?;
                bytes_total += outcome.bytes_in;
            }
            if let (Some(b), Ok(mut v)) = (input, spare.lock()) {
                v.push(b);
            }
            job.record(outcome);
            done += 1;
            if !quiet && (done % 64 == 0 || done == total) {
                eprint!("\rde-identified {done}/{total} files");
            }
            Ok::<(), CliError>(())
        },
    )?;
    for (path, bytes) in job.final_entries() {
        sink.add(&path, &bytes).context(SinkSnafu)?;
    }
    sink.finish().context(SinkSnafu)?;
    fs::rename(&tmp, out).context(WriteSnafu { path: out })?;
    Ok(bytes_total)
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut f = fs::File::create(path).context(CreateSnafu { path })?;
    f.write_all(bytes).context(WriteSnafu { path })
}

pub fn main() -> ExitCode {
    // dicom-rs reports the end of every data set as an error internally; with RUST_BACKTRACE=1
    // in the environment, snafu would capture a backtrace for each (4% of the run time).
    // Errors are shown by their message only: library backtraces are never used. Set before
    // any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dicom-deid: {e}");
            ExitCode::from(1)
        }
    }
}
