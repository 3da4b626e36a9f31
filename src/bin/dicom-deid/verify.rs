//! `dicom-deid verify ZIP [--public-key FILE]`: checks a received zip against its run statement
//! (every entry's SHA-256, the manifest's, the signature; [`dicom_deid::statement::check`]).
//! Exit status 0 only when everything holds; else 1, naming every file that differs.

use std::fs;
use std::io::Read;
use std::path::PathBuf;

use clap::Parser;
use dicom_deid::statement::check::{check, Received};
use dicom_deid::statement::signing::unhex;
use dicom_deid::statement::{MANIFEST_NAME, SIGNATURE_NAME, STATEMENT_NAME};
use sha2::{Digest, Sha256};
use snafu::ResultExt;

use crate::error::{BadPublicKeySnafu, CliError, PartReadSnafu, PartZipSnafu, ReadSnafu};

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

/// The largest statement, manifest or signature read (a manifest line is about 100 bytes).
const MAX_TEXT_ENTRY: u64 = 512 << 20;

/// Every entry's name and SHA-256 (read in chunks), and the three texts of the statement.
struct Read3 {
    entries: Vec<(String, [u8; 32])>,
    texts: [Option<Vec<u8>>; 3],
}

fn read_zip(path: &PathBuf) -> Result<Read3, CliError> {
    let f = fs::File::open(path).context(ReadSnafu { what: "zip", path })?;
    let mut zip = zip::ZipArchive::new(f).context(PartZipSnafu { path })?;
    let names = [STATEMENT_NAME, MANIFEST_NAME, SIGNATURE_NAME];
    let mut out = Read3 {
        entries: Vec::with_capacity(zip.len()),
        texts: [None, None, None],
    };
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).context(PartZipSnafu { path })?;
        let name = e.name().to_string();
        let slot = names.iter().position(|n| *n == name);
        let mut text = Vec::new();
        let mut h = Sha256::new();
        loop {
            let n = e.read(&mut buf).context(PartReadSnafu { path })?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            if slot.is_some() && (text.len() as u64) < MAX_TEXT_ENTRY {
                text.extend_from_slice(&buf[..n]);
            }
        }
        if let Some(s) = slot {
            out.texts[s] = Some(text);
        }
        out.entries.push((name, h.finalize().into()));
    }
    Ok(out)
}

/// Runs `verify`; `Ok(false)` when something does not hold (reported on stdout).
pub fn run(args: &VerifyArgs) -> Result<bool, CliError> {
    let key = match &args.public_key {
        Some(p) => {
            let text = fs::read_to_string(p).context(ReadSnafu {
                what: "public key",
                path: p,
            })?;
            Some(
                unhex::<32>(text.lines().next().unwrap_or(""))
                    .ok_or_else(|| BadPublicKeySnafu { path: p }.build())?,
            )
        }
        None => None,
    };
    let zip = read_zip(&args.zip)?;
    let [statement, manifest, signature] = &zip.texts;
    let received = Received {
        entries: &zip.entries,
        statement: statement.as_deref(),
        manifest: manifest.as_deref(),
        signature: signature.as_deref(),
    };
    match check(&received, key) {
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
