//! `phi_check [--log RUN-log.csv] <input-dir-or-files...> <output.zip>`: runs the repository's
//! independent PHI checker (tests/support/phi.rs) over a de-identified zip. Each DICOM entry is
//! matched to its input through the run's log CSV when `--log` is given, else by identical
//! Pixel Data bytes (entries without a match are checked against every input); entry names,
//! `manifest.csv` and notes are checked against every input. Prints each finding (tag path and
//! kind, never the value) and exits 1 when there is any, 0 when the zip is clean, 2 on errors.
//!
//! `cargo run --release --example phi_check -- --log out-log.csv tests/data out.zip`

#[path = "../tests/support/phi_check.rs"]
mod phi_check;
#[path = "../tests/support/walk.rs"]
mod walk;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut log = None;
    if let Some(i) = args.iter().position(|a| a == "--log") {
        if i + 1 >= args.len() {
            eprintln!("phi_check: --log needs a file");
            return ExitCode::from(2);
        }
        log = Some(PathBuf::from(args.remove(i + 1)));
        args.remove(i);
    }
    if args.len() < 2 || args.iter().any(|a| a.starts_with("--")) {
        eprintln!("usage: phi_check [--log RUN-log.csv] <input-dir-or-files...> <output.zip>");
        return ExitCode::from(2);
    }
    let zip = PathBuf::from(args.pop().unwrap_or_default());
    let inputs: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
    let result = phi_check::read_inputs(&inputs).and_then(|inp| {
        let z = std::fs::read(&zip).map_err(|e| format!("{}: {e}", zip.display()))?;
        phi_check::check_zip(&inp, &z, log.as_deref()).map(|r| (inp.len(), r))
    });
    match result {
        Err(e) => {
            eprintln!("phi_check: {e}");
            ExitCode::from(2)
        }
        Ok((n_inputs, r)) => {
            for (entry, f) in &r.findings {
                println!("{entry}: {f}");
            }
            eprintln!(
                "{} inputs; {} DICOM entries checked ({} matched by log, {} by pixel data, {} against all inputs); {} names/texts; {} findings",
                n_inputs, r.outputs, r.by_log, r.by_pixels, r.against_all, r.texts, r.findings.len()
            );
            if r.findings.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
