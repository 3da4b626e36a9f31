//! A job beyond one machine: the plan made once from every header ([`PlanFile`]), applied in
//! shards split by patient ([`Shard`]), and the shards' reports merged back into the single
//! run's ([`merge_reports`]). Pure: the shells read and write the files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use snafu::{ensure, OptionExt, ResultExt, Snafu};

use crate::config::Config;
use crate::plan::Plan;
use crate::report::{LogRow, Outcome, Summary, LOG_COLUMNS};
use crate::scan::ScanRecord;
use crate::uid::Keyed;

/// The format name written in every plan file.
pub const PLAN_FORMAT: &str = "dicom-deid plan 1";

/// Why a plan, a shard or the parts of a merge cannot be used.
#[derive(Debug, Snafu)]
pub enum ShardError {
    /// Not a plan file of this format.
    #[snafu(display("not a dicom-deid plan: {source}"))]
    PlanJson {
        /// cause
        source: serde_json::Error,
    },
    /// A plan written by another format or engine version.
    #[snafu(display(
        "the plan was made by {found}, this is {expected}: make the plan again with this version"
    ))]
    PlanVersion {
        /// what the plan says
        found: String,
        /// this program
        expected: String,
    },
    /// The secret is not the one the plan was made with.
    #[snafu(display(
        "the plan was made with another project secret (fingerprint {planned}, this secret \
         gives {given}): use the coordinator's secret file"
    ))]
    OtherSecret {
        /// fingerprint in the plan
        planned: String,
        /// fingerprint of the given secret
        given: String,
    },
    /// The options differ from the plan's.
    #[snafu(display(
        "the plan was made with other options (they differ in: {fields}): give the shard the \
         same --preset, --config, pixel rules and flags as the plan"
    ))]
    OtherOptions {
        /// the configuration fields that differ
        fields: String,
    },
    /// `--shard` is not `K/N` with 1 ≤ K ≤ N.
    #[snafu(display("--shard {given:?} is not K/N with 1 <= K <= N"))]
    BadShard {
        /// as given
        given: String,
    },
    /// A part's key or log cannot be read.
    #[snafu(display("{what} cannot be read: {source}"))]
    PartCsv {
        /// which kind of file
        what: &'static str,
        /// cause
        source: csv::Error,
    },
    /// A part's key or log lacks a column.
    #[snafu(display("{what} lacks the column {column:?}"))]
    PartColumn {
        /// which kind of file
        what: &'static str,
        /// which column
        column: &'static str,
    },
    /// A part's log names an outcome that no run writes.
    #[snafu(display("a part's log has the unknown outcome {outcome:?}"))]
    PartOutcome {
        /// as written
        outcome: String,
    },
}

/// Everything the shards need, decided once by the coordinator: the plan (PHI, like the key),
/// the options, the sizes of the scanned files and a fingerprint of the secret (never the
/// secret itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// [`PLAN_FORMAT`] and the engine version.
    pub format: String,
    /// Keyed hash of a fixed label: tells a shard whether it holds the same secret.
    pub secret_fingerprint: String,
    /// SHA-256 (hex) of the recipe's text, when the options have a recipe (the text itself is
    /// in `config.recipe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe_sha256: Option<String>,
    /// The options.
    pub config: Config,
    /// Size of every scanned file (the log's `bytes_in` of files not written).
    pub sizes: BTreeMap<String, u64>,
    /// The decisions.
    pub plan: Plan,
}

fn format_name() -> String {
    format!("{PLAN_FORMAT} (engine {})", env!("CARGO_PKG_VERSION"))
}

/// The fingerprint of a secret: a keyed hash of a fixed label (64 hex digits).
pub fn fingerprint(keyed: &Keyed) -> String {
    keyed
        .mac("plan-fingerprint", b"dicom-deid")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PlanFile {
    /// The plan file of a planned job.
    pub fn new(config: &Config, keyed: &Keyed, plan: &Plan, scans: &[ScanRecord]) -> PlanFile {
        PlanFile {
            format: format_name(),
            secret_fingerprint: fingerprint(keyed),
            recipe_sha256: config
                .recipe
                .as_deref()
                .map(|t| crate::recipe::compile::sha256_hex(t.as_bytes())),
            config: config.clone(),
            sizes: scans.iter().map(|s| (s.path.clone(), s.size)).collect(),
            plan: plan.clone(),
        }
    }

    /// As JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a plan file and checks it was made by this version, with this secret and these
    /// options.
    pub fn from_json(text: &str, config: &Config, keyed: &Keyed) -> Result<PlanFile, ShardError> {
        let head: serde_json::Value = serde_json::from_str(text).context(PlanJsonSnafu)?;
        let found = head.get("format").and_then(|f| f.as_str()).unwrap_or("?");
        ensure!(
            found == format_name(),
            PlanVersionSnafu {
                found,
                expected: format_name()
            }
        );
        let pf: PlanFile = serde_json::from_value(head).context(PlanJsonSnafu)?;
        let given = fingerprint(keyed);
        ensure!(
            pf.secret_fingerprint == given,
            OtherSecretSnafu {
                planned: pf.secret_fingerprint.clone(),
                given
            }
        );
        let fields = differing_fields(&pf.config, config);
        ensure!(
            fields.is_empty(),
            OtherOptionsSnafu {
                fields: fields.join(", ")
            }
        );
        Ok(pf)
    }
}

/// The top-level fields (and `profile.<option>`) in which two configurations differ.
fn differing_fields(a: &Config, b: &Config) -> Vec<String> {
    let (a, b) = match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return vec!["(unreadable)".into()],
    };
    let mut out = Vec::new();
    diff_objects("", &a, &b, &mut out);
    out
}

fn diff_objects(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    let (Some(ao), Some(bo)) = (a.as_object(), b.as_object()) else {
        if a != b {
            out.push(prefix.trim_end_matches('.').to_string());
        }
        return;
    };
    let mut keys: Vec<&String> = ao.keys().chain(bo.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        match (ao.get(k), bo.get(k)) {
            (Some(x), Some(y)) if prefix.is_empty() && x.is_object() => {
                diff_objects(&format!("{k}."), x, y, out)
            }
            (x, y) if x != y => out.push(format!("{prefix}{k}")),
            _ => {}
        }
    }
}

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 1.
    pub index: u32,
    /// N.
    pub count: u32,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        let parsed = s
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => BadShardSnafu { given: s }.fail(),
        }
    }
}

/// FNV-1a of a path: the shard of a file that belongs to no patient.
fn path_hash(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Which shard (0-based) does what: a patient's files all go to one shard, patients spread so
/// that the shards get about as many files (largest first, each to the least loaded shard);
/// a file of no patient (rejected while planning, or not in the plan) by a hash of its path.
#[derive(Debug, Clone)]
pub struct Assignment {
    count: u32,
    subject_shard: Vec<u32>,
}

impl Assignment {
    /// Spreads the plan's patients over `count` shards.
    pub fn new(plan: &Plan, count: u32) -> Assignment {
        let count = count.max(1);
        let mut files = vec![0u64; plan.subjects.len()];
        for fp in plan.files.values().flatten() {
            if let Some(n) = files.get_mut(fp.subject) {
                *n += 1;
            }
        }
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&s| (std::cmp::Reverse(files[s]), s));
        let mut load = vec![0u64; count as usize];
        let mut subject_shard = vec![0u32; files.len()];
        for s in order {
            let (k, _) = load
                .iter()
                .enumerate()
                .min_by_key(|(k, l)| (**l, *k))
                .unwrap_or((0, &0));
            load[k] += files[s];
            subject_shard[s] = k as u32;
        }
        Assignment {
            count,
            subject_shard,
        }
    }

    /// The shard (0-based) of a source path.
    pub fn shard_of(&self, plan: &Plan, path: &str) -> u32 {
        match plan.files.get(path) {
            Some(Ok(fp)) => self.subject_shard.get(fp.subject).copied().unwrap_or(0),
            _ => (path_hash(path) % u64::from(self.count)) as u32,
        }
    }
}

impl PlanFile {
    /// The plan of one shard: its files only (subjects and studies stay, so that indices hold).
    pub fn shard_plan(&self, shard: Shard) -> Plan {
        let a = Assignment::new(&self.plan, shard.count);
        let k = shard.index - 1;
        let mut plan = self.plan.clone();
        plan.files
            .retain(|path, _| a.shard_of(&self.plan, path) == k);
        plan
    }
}

/// The key, the log and the zip order of the single run, from the parts' keys and logs.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The key CSV.
    pub key_csv: String,
    /// The log CSV with its summary line.
    pub log_csv: String,
    /// Paths of the written files in the zip, in the single run's order (by source path).
    pub written: Vec<String>,
    /// The merged log's rows (for the run statement's counts).
    pub rows: Vec<LogRow>,
}

/// Header and records of CSV texts with the same columns (a final `# summary:` line skipped).
fn read_records(
    texts: &[&str],
    what: &'static str,
) -> Result<(csv::StringRecord, Vec<csv::StringRecord>), ShardError> {
    let mut header = csv::StringRecord::new();
    let mut records = Vec::new();
    for t in texts {
        let body = match t.rfind("\n# summary: ") {
            Some(i) => &t[..i + 1],
            None => t,
        };
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(body.as_bytes());
        header = r.headers().context(PartCsvSnafu { what })?.clone();
        for rec in r.records() {
            records.push(rec.context(PartCsvSnafu { what })?);
        }
    }
    Ok((header, records))
}

fn column(
    header: &csv::StringRecord,
    what: &'static str,
    name: &'static str,
) -> Result<usize, ShardError> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or(ShardError::PartColumn { what, column: name })
}

fn write_records(header: &csv::StringRecord, records: &[csv::StringRecord]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in records {
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Merges the shards' keys (rows by research ID, then new accession) and logs (rows by source
/// path, one per file, with the summary of all), as the single run writes them.
pub fn merge_reports(keys: &[&str], logs: &[&str]) -> Result<Merged, ShardError> {
    let (kh, mut krows) = read_records(keys, "a part's key")?;
    let (rid, acc) = (
        column(&kh, "a part's key", "research_id")?,
        column(&kh, "a part's key", "new_accession")?,
    );
    krows.sort_by(|a, b| (a.get(rid), a.get(acc)).cmp(&(b.get(rid), b.get(acc))));
    let (lh, lrows) = read_records(logs, "a part's log")?;
    let col = |c| column(&lh, "a part's log", c);
    let idx: Vec<usize> = LOG_COLUMNS.into_iter().map(col).collect::<Result<_, _>>()?;
    let mut by_source: BTreeMap<String, csv::StringRecord> = BTreeMap::new();
    for r in lrows {
        by_source.insert(r.get(idx[0]).unwrap_or("").to_string(), r);
    }
    let field = |r: &csv::StringRecord, i: usize| r.get(idx[i]).unwrap_or("").to_string();
    let rows: Vec<LogRow> = by_source
        .values()
        .map(|r| {
            let outcome = field(r, 1);
            Ok(LogRow {
                source_path: field(r, 0),
                outcome: Outcome::from_name(&outcome).context(PartOutcomeSnafu { outcome })?,
                output_path: field(r, 2),
                reason_code: field(r, 3),
                reason: field(r, 4),
                bytes_in: field(r, 5).parse().unwrap_or(0),
                bytes_out: field(r, 6).parse().unwrap_or(0),
            })
        })
        .collect::<Result<_, ShardError>>()?;
    let records: Vec<csv::StringRecord> = by_source.into_values().collect();
    let mut log_csv = write_records(&lh, &records);
    log_csv.push_str(&format!("# summary: {}\n", Summary::of(&rows).line()));
    let written = rows
        .iter()
        .filter(|r| r.outcome == Outcome::Written)
        .map(|r| r.output_path.clone())
        .collect();
    Ok(Merged {
        key_csv: write_records(&kh, &krows),
        log_csv,
        written,
        rows,
    })
}

/// Merges the shards' `manifest.csv` files (rows by path, as the single run writes them).
pub fn merge_manifests(manifests: &[&str]) -> Result<String, ShardError> {
    let what = "a part's manifest";
    let (h, mut rows) = read_records(manifests, what)?;
    let path = column(&h, what, "path")?;
    rows.sort_by(|a, b| a.get(path).cmp(&b.get(path)));
    Ok(write_records(&h, &rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{FilePlan, Subject};

    #[test]
    fn merged_logs_read_their_outcomes_and_refuse_unknown_ones() {
        let key = crate::pseudonyms::key::write_key(&[]);
        let row = |outcome: &str| {
            let mut log = crate::report::log_csv(&[]);
            log.push_str(&format!("a.dcm,{outcome},out/a.dcm,,,10,12\n"));
            log
        };
        let merged = merge_reports(&[&key], &[&row("written")]).expect("merges");
        assert_eq!(merged.written, vec!["out/a.dcm".to_string()]);
        assert!(merged.log_csv.contains("written 1"), "{}", merged.log_csv);
        let held = merge_reports(&[&key], &[&row("held")]).expect("merges");
        assert!(held.written.is_empty());
        let err = merge_reports(&[&key], &[&row("Written")]).expect_err("unknown outcome");
        assert!(matches!(err, ShardError::PartOutcome { .. }), "{err}");
    }

    #[test]
    fn shard_k_of_n_is_parsed_and_checked() {
        assert_eq!(Shard::parse("2/3").ok(), Some(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    /// A plan of patients with the given numbers of files.
    fn plan_of(files_per_patient: &[usize]) -> Plan {
        let mut plan = Plan::default();
        for (s, n) in files_per_patient.iter().enumerate() {
            plan.subjects.push(Subject {
                research_id: format!("S{s}"),
                mrn: None,
                shift_days: 0,
                surgery_date: None,
                anchor_date: None,
                notes: None,
            });
            for f in 0..*n {
                let fp = FilePlan {
                    subject: s,
                    study: 0,
                    out_path: format!("S{s}/{f}.dcm"),
                    duplicate_of: None,
                };
                plan.files.insert(format!("in/{s}/{f}"), Ok(Box::new(fp)));
            }
        }
        plan
    }

    #[test]
    fn patients_stay_together_and_shards_get_about_as_many_files() {
        let plan = plan_of(&[10, 1, 1, 1, 4, 4, 2, 7]);
        let a = Assignment::new(&plan, 3);
        let mut load = [0usize; 3];
        for (path, fp) in &plan.files {
            let k = a.shard_of(&plan, path) as usize;
            load[k] += 1;
            let first = format!("in/{}/0", fp.as_ref().map(|f| f.subject).unwrap_or(0));
            assert_eq!(a.shard_of(&plan, &first) as usize, k, "{path}");
        }
        // 30 files: the largest patient alone, the others spread (10, 10, 10).
        assert_eq!(load, [10, 10, 10]);
        // An unknown path goes to one shard, always the same.
        let k = a.shard_of(&plan, "late/file.dcm");
        assert!(k < 3);
        assert_eq!(
            Assignment::new(&plan, 3).shard_of(&plan, "late/file.dcm"),
            k
        );
    }

    #[test]
    fn options_that_differ_are_named() {
        let a = Config::default();
        let mut b = a.clone();
        b.verify = !b.verify;
        b.profile.retain_device_identity = !b.profile.retain_device_identity;
        assert_eq!(
            differing_fields(&a, &b),
            ["profile.retain_device_identity", "verify"]
        );
        assert!(differing_fields(&a, &a.clone()).is_empty());
    }
}
