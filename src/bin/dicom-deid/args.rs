//! The command line: its options (clap derive) and the mode they select.

use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};
use dicom_deid::pixels::rules::Unreviewed;

/// De-identify DICOM files (PS3.15 Annex E) into a zip, with a separate key and log.
#[derive(Parser, Debug)]
#[command(name = "dicom-deid", version, about)]
#[command(group(
    clap::ArgGroup::new("deliver")
        .args(["stow_url"])
        .conflicts_with_all(["plan", "plan_out", "audit", "explain"])
))]
pub struct Args {
    /// Files, folders (walked recursively) or .zip files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The de-identified zip to write.
    #[arg(long, value_name = "FILE.zip", required_unless_present_any = ["plan_out", "audit", "explain"])]
    pub out: Option<PathBuf>,
    /// Plan only: scan the headers and write every batch-wide decision to this file (PHI, like
    /// the key). Nothing is de-identified; shards then apply the plan (--plan, --shard).
    #[arg(long, value_name = "PLAN.json", conflicts_with_all = ["plan", "merge"])]
    pub plan_out: Option<PathBuf>,
    /// Audit only (a dry run, headers only): write audit-summary.json and .html (no PHI) and
    /// audit-detail.csv (PHI) into this folder; nothing else is written.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["plan", "plan_out", "merge"])]
    pub audit: Option<PathBuf>,
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
    // Not a ValueEnum: the engine checks the name (it also takes aliases such as
    // `ps3.15-basic`), and an unknown one is an unusable argument (status 1, like a config
    // file's), not a syntax error (status 2).
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
    #[arg(long, value_name = "POLICY")]
    pub unreviewed: Option<UnreviewedArg>,
    /// Do not use the shipped default pixel rules (data/pixel_rules.toml).
    #[arg(long)]
    pub no_default_pixel_rules: bool,
    /// Skip the self-check of each output (benchmarking only).
    #[arg(long)]
    pub no_verify: bool,
    /// The run's date and time for the run statement (RFC 3339, e.g. 2026-12-06T10:00:00Z);
    /// default: SOURCE_DATE_EPOCH if set, else now. The same time reproduces the same zip.
    #[arg(long, value_name = "TIME")]
    pub run_time: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// A recipe (this project's TOML or JSON, a CTP DicomAnonymizer script in XML or
    /// .properties form, or a pydicom deid recipe; recognised from the content): rules applied
    /// before the profile.
    #[arg(long, value_name = "FILE")]
    pub recipe: Option<PathBuf>,
    /// Run an imported recipe (CTP script, deid recipe) whose import report lists rows that are
    /// not supported (the profile decides those elements).
    #[arg(long, requires = "recipe")]
    pub accept_import_report: bool,
    /// A value of one of the recipe's parameters; repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "recipe")]
    pub params: Vec<String>,
    /// Print which rule (or profile row) decides this attribute in each input file, and stop.
    #[arg(long, value_name = "TAG", conflicts_with_all = ["plan", "plan_out", "merge"])]
    pub explain: Option<String>,
    /// Delivery by STOW-RS when the run is complete (the same options as `dicom-deid send`).
    #[command(flatten)]
    pub stow: StowArgs,
}

/// Where and how to send the zip's instances by DICOMweb STOW-RS (the run's options and
/// `dicom-deid send`'s).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct StowArgs {
    /// Send the zip's storable instances to this DICOMweb service by STOW-RS (its root, or its
    /// /studies resource) once the zip is written.
    #[arg(long, value_name = "URL")]
    pub stow_url: Option<String>,
    /// A request header, 'Name: value' (e.g. 'Authorization: Bearer …'); repeatable. Never
    /// written to any file.
    #[arg(long, value_name = "HEADER", requires = "stow_url")]
    pub stow_header: Vec<String>,
    /// A file of request headers, one 'Name: value' a line; read again when the archive
    /// answers 401 (a token refreshed by another program is taken).
    #[arg(long, value_name = "FILE", requires = "stow_url")]
    pub stow_header_file: Option<PathBuf>,
    /// Largest request body in bytes (an instance above it goes alone).
    #[arg(long, value_name = "N", default_value_t = dicom_deid::deliver::stow::DEFAULT_MAX_BYTES)]
    pub stow_max_bytes: u64,
    /// Largest number of instances in one request.
    #[arg(long, value_name = "N", default_value_t = dicom_deid::deliver::stow::DEFAULT_MAX_COUNT)]
    pub stow_max_count: usize,
    /// The ledger of stored instances (default <zip>.sent.csv): what it lists as stored at
    /// this destination is not sent again.
    #[arg(long, value_name = "FILE", requires = "stow_url")]
    pub ledger: Option<PathBuf>,
    /// The send log, one row per instance of the zip with its outcome (default
    /// <zip>.send-log.csv).
    #[arg(long, value_name = "FILE", requires = "stow_url")]
    pub send_log: Option<PathBuf>,
}

/// `--unreviewed`: what becomes of images that may show text and that no pixel rule covers.
// The variants have no doc comments: clap would show them as a long help of their own.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnreviewedArg {
    // Not written (the default).
    Hold,
    // Written as they are, logged as an accepted risk.
    Keep,
    // Not written, logged as excluded.
    Exclude,
}

impl From<UnreviewedArg> for Unreviewed {
    fn from(u: UnreviewedArg) -> Unreviewed {
        match u {
            UnreviewedArg::Hold => Unreviewed::Hold,
            UnreviewedArg::Keep => Unreviewed::Keep,
            UnreviewedArg::Exclude => Unreviewed::Exclude,
        }
    }
}

/// What the program does, from the flags (clap refuses the combinations that conflict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode<'a> {
    /// Scan, plan and rewrite every input into the zip, key and log (the default).
    Run,
    /// `--plan-out PLAN.json`: scan and plan only, and write the plan.
    PlanOut(&'a Path),
    /// `--plan PLAN.json [--shard K/N]`: apply a plan (one shard of it; `1/1` when not given).
    /// The shard is parsed by the mode, so a malformed one is an unusable argument (status 1).
    Apply { plan: &'a Path, shard: &'a str },
    /// `--merge`: the single run's outputs from the parts of a sharded run.
    Merge,
    /// `--audit DIR`: the dry run's summary and detail.
    Audit(&'a Path),
    /// `--explain TAG`: print who decides the attribute in each input, write nothing.
    Explain(&'a str),
}

impl Args {
    /// The mode the flags select.
    pub fn mode(&self) -> Mode<'_> {
        if let Some(t) = &self.explain {
            Mode::Explain(t)
        } else if self.merge {
            Mode::Merge
        } else if let Some(dir) = &self.audit {
            Mode::Audit(dir)
        } else if let Some(plan) = &self.plan {
            Mode::Apply {
                plan,
                shard: self.shard.as_deref().unwrap_or("1/1"),
            }
        } else if let Some(out) = &self.plan_out {
            Mode::PlanOut(out)
        } else {
            Mode::Run
        }
    }

    /// Worker threads: `--threads`, else every core (at least one).
    pub fn threads(&self) -> usize {
        self.threads
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(argv: &[&str]) -> String {
        let args = Args::try_parse_from(argv).expect("valid arguments");
        format!("{:?}", args.mode())
    }

    #[test]
    fn flags_select_one_mode() {
        assert_eq!(mode_of(&["d", "--out", "o.zip", "in"]), "Run");
        assert_eq!(
            mode_of(&["d", "--plan-out", "p.json", "in"]),
            "PlanOut(\"p.json\")"
        );
        assert_eq!(
            mode_of(&["d", "--plan", "p.json", "--out", "o.zip", "in"]),
            "Apply { plan: \"p.json\", shard: \"1/1\" }"
        );
        assert_eq!(
            mode_of(&["d", "--merge", "--out", "o.zip", "a.zip"]),
            "Merge"
        );
        for bad in [
            &["d", "--plan-out", "p", "--plan", "q", "in"][..],
            &["d", "--merge", "--plan", "q", "--out", "o", "in"],
            &["d", "--shard", "1/2", "--out", "o", "in"],
            &["d", "--out", "o", "--unreviewed", "maybe", "in"],
        ] {
            assert!(Args::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unreviewed_names_are_the_policies() {
        let args = Args::try_parse_from(["d", "--out", "o", "--unreviewed", "keep", "in"]);
        assert_eq!(args.expect("valid").unreviewed, Some(UnreviewedArg::Keep));
    }
}
