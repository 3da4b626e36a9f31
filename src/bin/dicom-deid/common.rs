//! What the modes share: the configuration and the job the options give, where the outputs
//! go, scanning the inputs, rewriting them into the zip, and writing files.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dicom_deid::archive::output::{crc32_of, ZipSink};
use dicom_deid::config::Config;
use dicom_deid::job::{Engine, FileOutcome, Job};
use dicom_deid::pixels::rules::RuleSet;
use dicom_deid::recipe;
use snafu::{ensure, ResultExt};

use crate::args::Args;
use crate::error::{
    CliError, ConfigFileSnafu, CreateSnafu, JobSnafu, PixelRulesSnafu, PresetSnafu, ReadSnafu,
    SameOutputsSnafu, SinkSnafu, StatementSnafu, WriteSnafu,
};
use crate::inputs::{self, Inputs, Source};
use crate::pool::ordered_map;
use crate::secret::{load_secret, write_public_key};

/// The configuration the options give: the preset (`--config`'s own, else the recipe's base,
/// else `--preset`), the recipe's settings, `--config`'s keys, then the pixel rules files before
/// the configuration's own, `--unreviewed`, `--no-default-pixel-rules`, `--no-verify`.
pub fn build_config(args: &Args) -> Result<Config, CliError> {
    let recipe = read_recipe(args)?;
    let recipe_text = recipe.as_ref().map(|(t, _)| t.as_str());
    let mut config = match &args.config {
        Some(p) => {
            let text = fs::read_to_string(p).context(ReadSnafu {
                what: "config",
                path: p,
            })?;
            // --preset is the starting point unless the file or the recipe names one: merged
            // as a value after parsing (never spliced into the text).
            Config::parse_with_recipe(&text, &args.preset, recipe_text)
                .context(ConfigFileSnafu { path: p })?
        }
        None => Config::parse_with_recipe("", &args.preset, recipe_text).context(PresetSnafu)?,
    };
    if let Some((text, accepted)) = recipe {
        config.recipe = Some(text);
        config.accept_import_report = accepted;
        for p in &args.params {
            let (k, v) = p
                .split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .ok_or_else(|| CliError::BadParam { given: p.clone() })?;
            config.params.insert(k.trim().to_string(), v.to_string());
        }
    }
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
    if let Some(u) = args.unreviewed {
        config.unreviewed_pixels = u.into();
    }
    if args.no_default_pixel_rules {
        config.default_pixel_rules = false;
    }
    Ok(config)
}

/// The text of `--recipe`, if given, in this project's own form (an imported recipe converted
/// by the engine, its report printed), and whether the user accepted a report that lists
/// unsupported rows (recorded in the options).
fn read_recipe(args: &Args) -> Result<Option<(String, bool)>, CliError> {
    let Some(p) = &args.recipe else {
        return Ok(None);
    };
    let bytes = fs::read(p).context(ReadSnafu {
        what: "recipe",
        path: p,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| CliError::RecipeText { path: p.clone() })?;
    let (native, report) =
        recipe::import::native_text(&text, args.accept_import_report).map_err(|e| {
            CliError::Recipe {
                detail: format!("recipe {}: {e}", p.display()),
            }
        })?;
    // the report says it uses unkeyed MD5 when it does; a hand-written recipe is told here
    let md5 = recipe::load(native.as_bytes()).is_ok_and(|r| recipe::import::uses_unkeyed_md5(&r));
    match (&report, args.quiet) {
        (Some(report), false) => eprint!("{}", report.to_text(false)),
        _ if md5 => eprintln!("WARNING: {}", recipe::import_report::UNKEYED_MD5_WARNING),
        _ => {}
    }
    let accepted = report.is_some_and(|r| r.has_unsupported()) && args.accept_import_report;
    Ok(Some((native, accepted)))
}

/// The text of an optional CSV file.
pub fn read_text(p: &Option<PathBuf>, what: &'static str) -> Result<Option<String>, CliError> {
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

/// The job the options describe (configuration, mapping, existing key, secret).
pub fn start_job(args: &Args, config: &Config) -> Result<Job, CliError> {
    if !config.verify {
        eprintln!("dicom-deid: WARNING: the self-check is off (benchmarking only); outputs are not re-read for leaks");
    }
    let mapping = read_text(&args.mapping, "mapping CSV")?;
    let existing = read_text(&args.existing_key, "key CSV")?;
    let secret = load_secret(&args.secret_file, true)?;
    write_public_key(&args.secret_file, &secret)?;
    Job::new(config, &secret, mapping.as_deref(), existing.as_deref()).context(JobSnafu)
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
    let threads = args.threads();
    let run_time = crate::clock::run_time(args.run_time.as_deref())?;
    let bytes = write_zip(
        job,
        engine,
        inputs,
        threads,
        &outputs.zip,
        args.quiet,
        &run_time,
    )?;
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
fn write_reports(job: &Job, outputs: &Outputs) -> Result<(), CliError> {
    write_file(&outputs.key, job.key_csv().as_bytes())?;
    write_file(&outputs.log, job.log_csv().as_bytes())
}

/// The summary and the throughput, on stderr.
fn report_done(job: &Job, outputs: &Outputs, bytes_total: u64, secs: f64) {
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
                sha256: None,
            },
        ),
    }
}

/// Rewrites the planned files in parallel batches and writes the zip in sorted source order
/// (then the job's closing entries: notes, manifest, run statement), through a `.zip.partial` file renamed at the end. Returns
/// the bytes of the inputs written.
fn write_zip(
    job: &mut Job,
    engine: &Engine,
    inputs: &Inputs,
    threads: usize,
    out: &Path,
    quiet: bool,
    run_time: &str,
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
    for (path, bytes) in job.closing_entries(run_time).context(StatementSnafu)? {
        sink.add(&path, &bytes).context(SinkSnafu)?;
    }
    sink.finish().context(SinkSnafu)?;
    fs::rename(&tmp, out).context(WriteSnafu { path: out })?;
    Ok(bytes_total)
}

/// Writes a whole file.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut f = fs::File::create(path).context(CreateSnafu { path })?;
    f.write_all(bytes).context(WriteSnafu { path })
}
