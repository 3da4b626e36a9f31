//! `dicom-deid verify ZIP [--public-key FILE]`: checks a received zip against its run statement
//! (every entry's SHA-256, the manifest's, the signature; [`dicom_deid::statement::check`]).
//! Exit status 0 only when everything holds; else 1, naming every file that differs.

use std::fs;
use std::path::PathBuf;

use clap::Parser;
use dicom_deid::statement::received::check_zip;
use snafu::ResultExt;

use crate::error::{CliError, ReadSnafu, VerifyReadSnafu};
use crate::secret::read_public_key;

/// Check a de-identified zip against its signed run statement.
#[derive(Parser, Debug)]
#[command(name = "dicom-deid verify")]
pub struct VerifyArgs {
    /// The zip to check.
    pub zip: PathBuf,
    /// The project's public key (64 hex digits, as in dicom-deid.secret.pub), received apart
    /// from the zip; without it only the statement's own key is used.
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

/// Runs `verify`; `Ok(false)` when something does not hold (reported on stdout).
pub fn run(args: &VerifyArgs) -> Result<bool, CliError> {
    let key = args
        .public_key
        .as_deref()
        .map(read_public_key)
        .transpose()?;
    let f = fs::File::open(&args.zip).context(ReadSnafu {
        what: "zip",
        path: &args.zip,
    })?;
    let verdict =
        check_zip(std::io::BufReader::new(f), key).context(VerifyReadSnafu { path: &args.zip })?;
    match verdict {
        Ok(v) => {
            println!(
                "{}: OK: {} files and the statement of {} hold, signed by key {}",
                args.zip.display(),
                v.entries,
                v.run_time,
                v.key_fingerprint
            );
            if !v.key_given {
                println!(
                    "(no --public-key given: compare that key's fingerprint with the project's)"
                );
            }
            Ok(true)
        }
        Err(problems) => {
            for p in &problems {
                println!("{}: {p}", args.zip.display());
            }
            println!(
                "{}: FAILED ({} problems)",
                args.zip.display(),
                problems.len()
            );
            Ok(false)
        }
    }
}
