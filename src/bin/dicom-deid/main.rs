//! `dicom-deid`: the command-line program (native only; on wasm32 the engine is used through
//! the bindings in `src/web.rs`, and this binary is an empty stub so the crate builds).
//!
//! `main` parses the options (`args.rs`) and dispatches on their mode to one module each:
//! `run.rs`, `plan.rs` (`--plan-out`), `explain.rs` (`--explain`), `shards.rs` (`--plan`, `--shard`), `merge.rs`; these
//! share `common.rs` (configuration, job, outputs, scanning, rewriting, writing files).
//! `--audit DIR` is `audit.rs`; `dicom-deid verify ZIP` is `verify.rs`; `dicom-deid send ZIP`
//! and a run or merge with `--stow-url` are `send.rs` (over `stow_http.rs`); with `--cstore`,
//! `cstore/` (C-STORE over dicom-ul, with `send.rs`'s zip check, inventory, ledger and send
//! log). Either sends only what the zip's signed statement and manifest vouch for.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod audit;
#[cfg(not(target_arch = "wasm32"))]
mod clock;
#[cfg(not(target_arch = "wasm32"))]
mod common;
#[cfg(not(target_arch = "wasm32"))]
mod cstore;
#[cfg(not(target_arch = "wasm32"))]
mod error;
#[cfg(not(target_arch = "wasm32"))]
mod explain;
#[cfg(not(target_arch = "wasm32"))]
mod inputs;
#[cfg(not(target_arch = "wasm32"))]
mod merge;
#[cfg(not(target_arch = "wasm32"))]
mod merged_statement;
#[cfg(not(target_arch = "wasm32"))]
mod plan;
#[cfg(not(target_arch = "wasm32"))]
mod pool;
#[cfg(not(target_arch = "wasm32"))]
mod run;
#[cfg(not(target_arch = "wasm32"))]
mod secret;
#[cfg(not(target_arch = "wasm32"))]
mod send;
#[cfg(not(target_arch = "wasm32"))]
mod shards;
#[cfg(not(target_arch = "wasm32"))]
mod stow_http;
#[cfg(not(target_arch = "wasm32"))]
mod verify;

#[cfg(not(target_arch = "wasm32"))]
use args::{Args, Mode};

/// Runs the mode the options select.
#[cfg(not(target_arch = "wasm32"))]
fn dispatch(args: &Args) -> Result<(), error::CliError> {
    match args.mode() {
        Mode::Run => run::run(args).and_then(|()| deliver(args)),
        Mode::PlanOut(out) => plan::plan_out(args, out),
        Mode::Apply { plan, shard } => shards::apply(args, plan, shard),
        Mode::Merge => merge::run(args).and_then(|()| deliver(args)),
        Mode::Audit(dir) => audit::audit(args, dir),
        Mode::Explain(tag) => explain::explain(args, tag),
    }
}

/// `--stow-url`, `--cstore`: the zip just written is checked against its signed statement
/// (by the project's key, from the secret), then sent (by STOW-RS, then by C-STORE).
#[cfg(not(target_arch = "wasm32"))]
fn deliver(args: &Args) -> Result<(), error::CliError> {
    let Some(zip) = &args.out else {
        return Ok(());
    };
    if args.stow.stow_url.is_none() && args.cstore.cstore.is_none() {
        return Ok(());
    }
    let key = secret::project_public_key(&args.secret_file)?;
    let vouched = send::vouch(zip, Some(key))?;
    if args.stow.stow_url.is_some() {
        send::send_zip(zip, &vouched, &args.stow, args.quiet)?;
    }
    match &args.cstore.cstore {
        Some(spec) => cstore::zip_send::send_zip(
            zip,
            &vouched,
            spec,
            args.cstore.calling_aet.as_deref(),
            args.quiet,
        ),
        _ => Ok(()),
    }
}

/// `dicom-deid send ZIP`: the zip checked, then sent by STOW-RS (`send.rs`), then by C-STORE
/// (`cstore/`).
#[cfg(not(target_arch = "wasm32"))]
fn send_command(args: &send::SendArgs) -> Result<(), error::CliError> {
    let vouched = send::run(args)?;
    match &args.cstore.cstore {
        Some(spec) => cstore::zip_send::send_zip(
            &args.zip,
            &vouched,
            spec,
            args.cstore.calling_aet.as_deref(),
            false,
        ),
        None => Ok(()),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    // dicom-rs reports the end of every data set as an error internally; with RUST_BACKTRACE=1
    // in the environment, snafu would capture a backtrace for each (4% of the run time).
    // Errors are shown by their message only: library backtraces are never used. Set before
    // any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    // `dicom-deid verify ZIP`: a subcommand of its own arguments (the runs take input paths
    // as positional arguments, so it is recognised before they are parsed).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == "verify") {
        let args = verify::VerifyArgs::parse_from(argv.into_iter().skip(1));
        return match verify::run(&args) {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::from(1),
            Err(e) => {
                eprintln!("dicom-deid verify: {e}");
                std::process::ExitCode::from(1)
            }
        };
    }
    if argv.get(1).is_some_and(|a| a == "send") {
        let args = send::SendArgs::parse_from(argv.into_iter().skip(1));
        return match send_command(&args) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("dicom-deid send: {e}");
                std::process::ExitCode::from(1)
            }
        };
    }
    let args = Args::parse();
    match dispatch(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dicom-deid: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
