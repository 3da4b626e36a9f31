//! A whole de-identification job, the same for the CLI and the browser: scan every file,
//! plan once, rewrite each file (pure, any order, any worker), then emit the key, the log and
//! the zip's extra entries (manifest, notes). The shells only move bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use snafu::{ResultExt, Snafu};

use crate::codes::Code;
use crate::config::Config;
use crate::context::{Context, ContextError};
use crate::deid::{self, NewIdentity, Output, Rewritten};
use crate::error::Rejection;
use crate::plan::{self, Plan, PlanError};
use crate::pseudonyms::key::{parse_key, write_key, KeyError, KeyRow};
use crate::pseudonyms::mapping::{Mapping, MappingError};
use crate::report::{self, LogRow, ManifestRow, Outcome, Summary};
use crate::scan::{self, ScanRecord};
use crate::statement::{self, signing, StatementError};
use crate::verify;

/// Why a job cannot start.
#[derive(Debug, Snafu)]
pub enum JobError {
    /// Configuration.
    #[snafu(display("{source}"))]
    Context {
        /// cause
        source: ContextError,
    },
    /// Mapping CSV.
    #[snafu(display("{source}"))]
    MappingCsv {
        /// cause
        source: MappingError,
    },
    /// Key CSV.
    #[snafu(display("{source}"))]
    KeyCsv {
        /// cause
        source: KeyError,
    },
    /// Secret.
    #[snafu(display("the project secret is empty"))]
    EmptySecret,
    /// A serialised engine that cannot be read.
    #[snafu(display("engine specification cannot be read: {source}"))]
    Spec {
        /// cause
        source: serde_json::Error,
    },
    /// The engine cannot be serialised for the workers.
    #[snafu(display("engine specification cannot be written: {source}"))]
    SpecOut {
        /// cause
        source: serde_json::Error,
    },
    /// The mapping CSV gives surgery dates (its patients' dates are to be shifted), but the
    /// options do not shift dates: they would be replaced by dummies (or kept unmodified) while
    /// the key recorded a shift. Refused before anything is written.
    #[snafu(display(
        "the mapping CSV gives a surgery date (line {line}{more}), so those patients' dates are to be shifted, \
         but the options {what}: use --preset research (or keep-list), or set \
         retain_long_modified_dates = true in the configuration ([profile] section)"
    ))]
    MappingDatesNotShifted {
        /// line of the first mapping row with a surgery date
        line: usize,
        /// ", and N more rows" or empty
        more: String,
        /// what the options do with dates instead
        what: &'static str,
    },
    /// The plan cannot be made (e.g. random research IDs do not fit in `id_digits`).
    #[snafu(display("{source}"))]
    Plan {
        /// cause
        source: PlanError,
    },
}

impl JobError {
    /// A stable short code for shells and the page, one of [`crate::codes::ALL`].
    pub fn code(&self) -> Code {
        match self {
            JobError::Context { .. } => Code::BadOptions,
            JobError::MappingCsv { .. } => Code::BadMapping,
            JobError::KeyCsv { .. } => Code::BadKey,
            JobError::EmptySecret => Code::EmptySecret,
            JobError::Spec { .. } | JobError::SpecOut { .. } => Code::BadSpec,
            JobError::MappingDatesNotShifted { .. } => Code::MappingDatesNotShifted,
            JobError::Plan {
                source: PlanError::IdSpaceTooSmall { .. },
            } => Code::IdSpaceTooSmall,
        }
    }
}

/// The result of rewriting one file, as the shells pass it around (serialisable for workers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileOutcome {
    /// Source path.
    pub source_path: String,
    /// Input size.
    pub bytes_in: u64,
    /// Written: its manifest row and size; or the rejection.
    pub result: Result<(ManifestRow, u64), Rejection>,
    /// What was done to the pixels of a written file (the log's reason for it).
    #[serde(default)]
    pub pixels: Option<crate::pixels::clean::PixelNote>,
    /// SHA-256 (hex) of the bytes written for this file, as the run statement's manifest lists
    /// it; computed by the worker that made them.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// The immutable part of a job after planning: what every worker needs.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Per-job context.
    pub ctx: Context,
    /// The plan (shared with the job that made it: one copy of its per-file entries).
    pub plan: std::sync::Arc<Plan>,
}

/// The serialised form of an [`Engine`] (sent to workers; the secret travels separately).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineSpec {
    /// Configuration.
    pub config: Config,
    /// Plan.
    pub plan: Plan,
}

impl Engine {
    /// Serialises the engine (without its secret) for a worker.
    pub fn to_json(&self) -> Result<String, JobError> {
        serde_json::to_string(&EngineSpec {
            config: self.ctx.config.clone(),
            plan: (*self.plan).clone(),
        })
        .context(SpecOutSnafu)
    }

    /// Rebuilds an engine from [`Engine::to_json`] and the secret.
    pub fn from_json(json: &str, secret: &[u8]) -> Result<Engine, JobError> {
        let spec: EngineSpec = serde_json::from_str(json).context(SpecSnafu)?;
        let ctx = Context::new(&spec.config, secret).context(ContextSnafu)?;
        Ok(Engine {
            ctx,
            plan: std::sync::Arc::new(spec.plan),
        })
    }

    /// Rewrites one file: bytes in, bytes out (or a rejection), plus the outcome record.
    pub fn process(&self, path: &str, bytes: &[u8]) -> (Option<Vec<u8>>, FileOutcome) {
        let (out, outcome) = self.process_parts(path, bytes);
        (out.map(|o| o.to_vec()), outcome)
    }

    /// Like [`Engine::process`], with the output in two parts (the rewritten header and the
    /// input's pixel tail) so that a sink can write them without joining them first.
    pub fn process_parts<'a>(
        &self,
        path: &str,
        bytes: &'a [u8],
    ) -> (Option<Output<'a>>, FileOutcome) {
        let bytes_in = bytes.len() as u64;
        let checked = deid::rewrite_planned(&self.ctx, &self.plan, path, bytes)
            .and_then(|r| verify::self_check(&self.ctx, &r.evidence, &r.file.head).map(|()| r));
        match checked {
            Ok(r) => {
                let series = r.out_path.rsplit('/').nth(1).unwrap_or("").to_string();
                let row = ManifestRow {
                    path: r.out_path.clone(),
                    modality: r.modality.clone(),
                    sop_class_uid: r.sop_class.clone(),
                    series,
                    study_instance_uid: r.study_instance_uid.clone(),
                    series_instance_uid: r.series_instance_uid.clone(),
                    sop_instance_uid: r.sop_instance_uid.clone(),
                };
                let n = r.file.len() as u64;
                let sha256 = Some(signing::hex(&statement::sha256_of(&[
                    &r.file.head,
                    r.file.tail,
                ])));
                (
                    Some(r.file),
                    FileOutcome {
                        source_path: path.to_string(),
                        bytes_in,
                        result: Ok((row, n)),
                        pixels: r.pixels,
                        sha256,
                    },
                )
            }
            Err(e) => (
                None,
                FileOutcome {
                    source_path: path.to_string(),
                    bytes_in,
                    result: Err(e),
                    pixels: None,
                    sha256: None,
                },
            ),
        }
    }
}

/// Rewrites one file with a given identity, then self-checks it: what an [`Engine`] does to a
/// planned file, for callers that bring their own identity (the profile and hostile-input tests).
pub fn rewrite<'a>(
    ctx: &Context,
    identity: &NewIdentity,
    bytes: &'a [u8],
) -> Result<Rewritten<'a>, Rejection> {
    let r = deid::rewrite_with_batch(ctx, identity, &Default::default(), bytes)?;
    verify::self_check(ctx, &r.evidence, &r.file.head)?;
    Ok(r)
}

/// A job: collects scans, plans, collects outcomes, writes the reports.
#[derive(Debug)]
pub struct Job {
    ctx: Context,
    mapping: Option<Mapping>,
    key: Vec<KeyRow>,
    scans: Vec<ScanRecord>,
    outcomes: Vec<FileOutcome>,
    plan: Option<std::sync::Arc<Plan>>,
}

impl Job {
    /// Starts a job. `mapping_csv` and `key_csv` are the texts of the optional CSVs.
    pub fn new(
        config: &Config,
        secret: &[u8],
        mapping_csv: Option<&str>,
        key_csv: Option<&str>,
    ) -> Result<Job, JobError> {
        if secret.iter().all(|b| b.is_ascii_whitespace()) {
            return EmptySecretSnafu.fail();
        }
        let ctx = Context::new(config, secret).context(ContextSnafu)?;
        let mapping = match mapping_csv {
            Some(t) => Some(Mapping::parse(t).context(MappingCsvSnafu)?),
            None => None,
        };
        if let Some(m) = &mapping {
            Job::check_mapping_conflict(config, m)?;
        }
        let key = match key_csv {
            Some(t) => parse_key(t).context(KeyCsvSnafu)?,
            None => Vec::new(),
        };
        Ok(Job {
            ctx,
            mapping,
            key,
            scans: Vec::new(),
            outcomes: Vec::new(),
            plan: None,
        })
    }

    /// Refuses a mapping whose rows give surgery dates (a date shift per patient) under options
    /// that do not shift dates (Retain Longitudinal Temporal Information with Modified Dates
    /// off): the shift the mapping asks for would silently not happen. Called by [`Job::new`].
    pub fn check_mapping_conflict(config: &Config, mapping: &Mapping) -> Result<(), JobError> {
        if config.profile.retain_long_modified_dates {
            return Ok(());
        }
        let mut with_dates = mapping.rows.iter().filter(|r| r.surgery_date.is_some());
        let Some(first) = with_dates.next() else {
            return Ok(());
        };
        let more = match with_dates.count() {
            0 => String::new(),
            1 => ", and 1 more row".to_string(),
            n => format!(", and {n} more rows"),
        };
        let what = if config.profile.retain_long_full_dates {
            "keep every date unmodified (retain_long_full_dates)"
        } else {
            "replace every date with a dummy (retain_long_modified_dates is off)"
        };
        MappingDatesNotShiftedSnafu {
            line: first.line,
            more,
            what,
        }
        .fail()
    }

    /// Scans one file (headers only) and remembers the result.
    pub fn scan(&mut self, path: &str, bytes: &[u8]) -> &ScanRecord {
        self.add_scan(scan::scan(path, bytes));
        let i = self.scans.len() - 1;
        &self.scans[i]
    }

    /// Records a scan made elsewhere (a worker).
    pub fn add_scan(&mut self, rec: ScanRecord) {
        self.plan = None;
        self.scans.push(rec);
    }

    /// Records a file that could not even be read (I/O error, bad zip member).
    pub fn add_unreadable(&mut self, path: &str, size: u64, reason: Rejection) {
        self.add_scan(ScanRecord {
            path: path.to_string(),
            size,
            result: Err(reason),
        });
    }

    /// The job's context (options, profile, secret).
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Scans so far.
    pub fn scans(&self) -> &[ScanRecord] {
        &self.scans
    }

    /// Plans the job (after all scans) and returns the engine for the workers. Fails, before
    /// anything is written, when the plan cannot be made (random IDs that do not fit).
    pub fn plan(&mut self) -> Result<Engine, JobError> {
        self.plan = None;
        let p = plan::build::make_plan(
            &self.scans,
            &self.ctx.config,
            self.mapping.as_ref(),
            &self.key,
            &self.ctx.keyed,
        )
        .context(PlanSnafu)?;
        let p = std::sync::Arc::new(p);
        self.plan = Some(p.clone());
        Ok(Engine {
            ctx: self.ctx.clone(),
            plan: p,
        })
    }

    /// Takes a plan made elsewhere (one shard of a plan made once for the whole batch,
    /// [`crate::shard`]) instead of planning the scans; scans recorded before only give the sizes
    /// of files the plan does not write.
    pub fn adopt_plan(&mut self, plan: Plan) -> Engine {
        let plan = std::sync::Arc::new(plan);
        self.plan = Some(plan.clone());
        Engine {
            ctx: self.ctx.clone(),
            plan,
        }
    }

    /// The plan, once made.
    pub fn current_plan(&self) -> Option<&Plan> {
        self.plan.as_deref()
    }

    /// Records the outcome of one file.
    pub fn record(&mut self, outcome: FileOutcome) {
        self.outcomes.push(outcome);
    }

    /// The audit (a dry run, `--audit`): plans the job (its scans added) as the run would and
    /// makes the audit's files from the plan and `headers` (the audit's read of each DICOM file,
    /// [`crate::audit::header::read`], by source path). Errors are the plan's.
    pub fn audit(
        &mut self,
        headers: &BTreeMap<String, crate::audit::HeaderResult>,
    ) -> Result<crate::audit::files::AuditFiles, JobError> {
        let engine = self.plan()?;
        let rows = self.log_rows();
        let to_write = self.paths_to_process();
        Ok(crate::audit::audit_files(&crate::audit::Input {
            ctx: self.context(),
            plan: &engine.plan,
            rows: &rows,
            to_write: &to_write,
            scans: self.scans(),
            headers,
        }))
    }

    /// Source paths that will be written, in the order the zip gets them (sorted).
    pub fn paths_to_process(&self) -> Vec<String> {
        let mut v: Vec<String> = match &self.plan {
            Some(p) => p
                .files
                .iter()
                .filter(|(_, r)| r.is_ok())
                .map(|(k, _)| k.clone())
                .collect(),
            None => Vec::new(),
        };
        v.sort();
        v
    }

    /// Log rows: outcomes, plus files that were never processed because the plan excluded them.
    /// One row per path, sorted by path (an outcome replaces the plan's row for its path; of
    /// several outcomes or scans of one path, the last). The plan's rows (already in path order)
    /// are merged with the outcomes sorted by path; sizes come from the scans through a list of
    /// their indices sorted by path: no map of every path and no sort of the rows.
    pub fn log_rows(&self) -> Vec<LogRow> {
        // Without a plan, the rows are the scans' rejections (of several scans of one path,
        // the last rejected); with one, the scans only give sizes (the last scan of a path).
        let planned = self.plan.is_some();
        let scans = last_by_path(&self.scans, |s| planned || s.result.is_err(), |s| &s.path);
        let outs = last_by_path(&self.outcomes, |_| true, |o| &o.source_path);
        let base: Box<dyn Iterator<Item = (&str, u64, &Rejection)>> = match &self.plan {
            Some(p) => {
                let mut cursor = scans.iter().map(|&i| &self.scans[i]).peekable();
                Box::new(p.files.iter().filter_map(move |(path, r)| {
                    let rej = r.as_ref().err()?;
                    while cursor.next_if(|s| s.path < *path).is_some() {}
                    let size = cursor
                        .peek()
                        .filter(|s| s.path == *path)
                        .map_or(0, |s| s.size);
                    Some((path.as_str(), size, rej))
                }))
            }
            None => Box::new(scans.iter().filter_map(|&i| {
                let s = &self.scans[i];
                let rej = s.result.as_ref().err()?;
                Some((s.path.as_str(), s.size, rej))
            })),
        };
        let base_len = self.plan.as_ref().map_or(scans.len(), |p| p.files.len());
        let mut rows: Vec<LogRow> = Vec::with_capacity(base_len + outs.len());
        let mut base = base.peekable();
        for &i in &outs {
            let o = &self.outcomes[i];
            while let Some((path, size, rej)) = base.next_if(|b| b.0 <= o.source_path.as_str()) {
                if path != o.source_path {
                    rows.push(rejection_row(path, size, rej));
                }
            }
            rows.push(outcome_row(o));
        }
        rows.extend(base.map(|(path, size, rej)| rejection_row(path, size, rej)));
        rows
    }

    /// The log CSV with its summary line as a final comment row.
    pub fn log_csv(&self) -> String {
        let rows = self.log_rows();
        let summary = Summary::of(&rows).line();
        // The rows are in path order already: written as they are, without a copy.
        let mut s = report::sorted_log_csv(rows);
        s.push_str(&format!("# summary: {summary}\n"));
        s
    }

    /// The summary.
    pub fn summary(&self) -> Summary {
        Summary::of(&self.log_rows())
    }

    /// The key CSV (PHI).
    pub fn key_csv(&self) -> String {
        let Some(p) = &self.plan else {
            return write_key(&[]);
        };
        let mut per_study: BTreeMap<usize, u64> = BTreeMap::new();
        for o in &self.outcomes {
            if o.result.is_ok() {
                if let Some(Ok(fp)) = p.files.get(&o.source_path) {
                    *per_study.entry(fp.study).or_default() += 1;
                }
            }
        }
        let mut rows = plan::key_rows(p, &per_study);
        rows.retain(|r| r.n_files > 0);
        write_key(&rows)
    }

    /// Entries added at the end of the zip: `notes.txt` per patient with notes, and
    /// `manifest.csv` (PHI-free).
    pub fn final_entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        if let Some(p) = &self.plan {
            let written: std::collections::BTreeSet<usize> = self
                .outcomes
                .iter()
                .filter(|o| o.result.is_ok())
                .filter_map(|o| match p.files.get(&o.source_path) {
                    Some(Ok(fp)) => Some(fp.subject),
                    _ => None,
                })
                .collect();
            let mut notes: Vec<(String, Vec<u8>)> = p
                .subjects
                .iter()
                .enumerate()
                .filter(|(i, s)| s.notes.is_some() && written.contains(i))
                .map(|(_, s)| {
                    (
                        format!("{}/notes.txt", plan::safe_component(&s.research_id)),
                        format!("{}\n", s.notes.as_deref().unwrap_or("")).into_bytes(),
                    )
                })
                .collect();
            notes.sort();
            out.extend(notes);
        }
        let rows: Vec<ManifestRow> = self
            .outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|(m, _)| m.clone()))
            .collect();
        out.push((
            "manifest.csv".to_string(),
            report::manifest_csv(&rows).into_bytes(),
        ));
        out
    }
}

impl Job {
    /// Every entry the zip ends with, after the de-identified files: [`Job::final_entries`]
    /// (notes, `manifest.csv`), then the run statement's four entries ([`crate::statement`]),
    /// whose manifest lists the SHA-256 of every file written and of the entries before it.
    /// `run_time` is the run's date and time given by the shell (RFC 3339).
    pub fn closing_entries(
        &self,
        run_time: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StatementError> {
        let run_time = statement::run_time(run_time)?;
        let mut covered: Vec<(String, [u8; 32])> = Vec::with_capacity(self.outcomes.len() + 8);
        // In the zip's order: by source path (the order outcomes come in may differ).
        let mut written: Vec<(&str, &str, [u8; 32])> = self
            .outcomes
            .iter()
            .filter_map(|o| {
                let (m, _) = o.result.as_ref().ok()?;
                let sum = o.sha256.as_deref().and_then(signing::unhex::<32>)?;
                Some((o.source_path.as_str(), m.path.as_str(), sum))
            })
            .collect();
        written.sort_unstable();
        written.dedup_by(|a, b| a.0 == b.0);
        covered.extend(written.into_iter().map(|(_, p, s)| (p.to_string(), s)));
        let mut entries = self.final_entries();
        for (name, bytes) in &entries {
            covered.push((name.clone(), statement::sha256(bytes)));
        }
        let rows = self.log_rows();
        let facts = statement::Facts {
            config: &self.ctx.config,
            keyed: &self.ctx.keyed,
            rows: &rows,
            run_time: &run_time,
        };
        entries.extend(statement::closing_entries(&facts, covered)?);
        Ok(entries)
    }
}

/// Indices of the `items` to keep, sorted by path, the last of several items of one path only.
fn last_by_path<T>(
    items: &[T],
    keep: impl Fn(&T) -> bool,
    path: impl Fn(&T) -> &String,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).filter(|&i| keep(&items[i])).collect();
    order.sort_unstable_by(|&a, &b| path(&items[a]).cmp(path(&items[b])).then(b.cmp(&a)));
    order.dedup_by(|later, kept| path(&items[*later]) == path(&items[*kept]));
    order
}

fn outcome_row(o: &FileOutcome) -> LogRow {
    match &o.result {
        Ok((m, n)) => LogRow {
            source_path: o.source_path.clone(),
            outcome: Outcome::Written,
            output_path: m.path.clone(),
            reason_code: o
                .pixels
                .as_ref()
                .map(|p| p.code.as_str().to_string())
                .unwrap_or_default(),
            reason: o
                .pixels
                .as_ref()
                .map(|p| p.text.clone())
                .unwrap_or_default(),
            bytes_in: o.bytes_in,
            bytes_out: *n,
        },
        Err(rej) => rejection_row(&o.source_path, o.bytes_in, rej),
    }
}

fn rejection_row(path: &str, size: u64, rej: &Rejection) -> LogRow {
    LogRow {
        source_path: path.to_string(),
        outcome: rej.outcome(),
        output_path: String::new(),
        reason_code: rej.code().as_str().into(),
        reason: rej.to_string(),
        bytes_in: size,
        bytes_out: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_surgery_dates_need_options_that_shift_dates() {
        let csv = "MRN,Acc,ID,Surgery\n1,,P1,\n2,,P2,2024-01-01\n3,,P3,2024-02-01\n";
        let basic = Config::preset("basic").unwrap_or_default();
        let e = Job::new(&basic, b"s", Some(csv), None).err();
        assert_eq!(
            e.as_ref().map(JobError::code),
            Some(Code::MappingDatesNotShifted)
        );
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("(line 3, and 1 more row)"), "{text}");
        let mut full = basic.clone();
        full.profile.retain_long_full_dates = true;
        let e = Job::new(&full, b"s", Some(csv), None).err();
        assert!(e.is_some_and(|e| e.to_string().contains("keep every date unmodified")));
        for ok in ["research", "keep-list"] {
            let c = Config::preset(ok).unwrap_or_default();
            assert!(Job::new(&c, b"s", Some(csv), None).is_ok(), "{ok}");
        }
        // IDs only: nothing to shift, any options.
        assert!(Job::new(&basic, b"s", Some("MRN,Acc,ID,Surgery\n1,,P1,\n"), None).is_ok());
    }

    /// One row per path, in path order: the last scan or outcome of a path, an outcome in
    /// place of the plan's row, sizes from the last scan of a path.
    #[test]
    fn log_rows_keep_the_last_record_of_each_path() {
        let basic = Config::preset("basic").unwrap_or_default();
        let Ok(mut job) = Job::new(&basic, b"s", None, None) else {
            panic!("job");
        };
        for (path, bytes) in [("c", &b"xx"[..]), ("a", b"x"), ("c", b"xxx"), ("b", b"")] {
            job.scan(path, bytes);
        }
        let rows = |job: &Job| -> Vec<(String, u64, String)> {
            let r = job.log_rows();
            r.into_iter()
                .map(|r| (r.source_path, r.bytes_in, r.reason_code))
                .collect()
        };
        let not = |p: &str, n| (p.to_string(), n, "not_dicom".to_string());
        assert_eq!(rows(&job), [not("a", 1), not("b", 0), not("c", 3)]);
        assert!(job.plan().is_ok());
        assert_eq!(rows(&job), [not("a", 1), not("b", 0), not("c", 3)]);
        for n in [7, 9] {
            job.record(FileOutcome {
                source_path: "b".into(),
                bytes_in: n,
                result: Err(Rejection::NotPlanned),
                pixels: None,
                sha256: None,
            });
        }
        let planned = ("b".to_string(), 9, "not_planned".to_string());
        assert_eq!(rows(&job), [not("a", 1), planned, not("c", 3)]);
    }
}
