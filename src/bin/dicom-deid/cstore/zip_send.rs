//! A zip's instances sent by C-STORE, with the STOW-RS send's zip inventory, ledger and send
//! log (`send.rs`): the storable instances the ledger does not list as stored at this
//! destination with the same bytes, in the zip's order. The ledger (`<zip>.sent.csv`) is
//! appended to after each instance, so a send cut half-way resumes with the rest; the send log
//! (`<zip>.send-log.csv`) has one row per instance of the zip, sent or not. Only instances the
//! zip's manifest vouches for are sent (checked by the caller, each read hashed again).

use std::io::Write;
use std::path::Path;

use dicom_deid::deliver::ledger;
use dicom_deid::deliver::send_log::{self, SendOutcome};
use dicom_deid::deliver::vouched::Vouched;
use snafu::ResultExt;

use super::address::{Target, DEFAULT_CALLING_AET};
use super::dimse::StatusKind;
use super::instance::{header, Header};
use super::{send, Counters};
use crate::error::{CliError, WriteSnafu};
use crate::send::{
    beside, check_all_stored, first_row, inventory, ledger_row, open_ledger, open_zip,
    vouched_bytes, write_log, SendReport,
};

/// The ledger's destination for a C-STORE target (`dicom:AET@HOST:PORT`: the AE title is
/// part of where the instances went).
pub fn destination(target: &Target) -> String {
    format!("dicom:{target}")
}

fn send_outcome(kind: StatusKind) -> SendOutcome {
    match kind {
        StatusKind::Success => SendOutcome::Stored,
        StatusKind::Warning => SendOutcome::Warning,
        StatusKind::Failure => SendOutcome::Failed,
    }
}

/// Sends the zip's instances still to send (of those `vouched` admits) to `AET@HOST:PORT`
/// (`spec`); writes the ledger as it goes and the send log at the end; prints the summary
/// unless `quiet`. Fails when the destination cannot be used or a storable instance is not
/// stored.
pub fn send_zip(
    zip_path: &Path,
    vouched: &Vouched,
    spec: &str,
    calling: Option<&str>,
    quiet: bool,
) -> Result<(), CliError> {
    let target = Target::parse(spec, calling.unwrap_or(DEFAULT_CALLING_AET)).map_err(|e| {
        CliError::CStoreTarget {
            detail: e.to_string(),
        }
    })?;
    let dest = destination(&target);
    let ledger_path = beside(zip_path, ".sent.csv");
    let mut zip = open_zip(zip_path)?;
    let items = inventory(&mut zip, zip_path, vouched)?;
    let (ledger, mut ledger_file) = open_ledger(&ledger_path)?;
    let mut rows: Vec<_> = items
        .iter()
        .map(|it| first_row(it, &ledger, &dest))
        .collect();
    // the instances to send, with their file meta groups
    let (mut todo, mut headers) = (Vec::new(), Vec::<Header>::new());
    for (i, row) in rows.iter_mut().enumerate() {
        if row.outcome != SendOutcome::Failed {
            continue;
        }
        match header(&vouched_bytes(&mut zip, zip_path, items[i].index, vouched)?.1) {
            Ok(h) => {
                todo.push(i);
                headers.push(h);
            }
            Err(why) => row.reason = format!("not sent: {why}"),
        }
    }
    let started = std::time::Instant::now();
    let mut write_error = None;
    let (counters, unusable) = send(
        &target,
        &headers,
        &mut |k| {
            vouched_bytes(&mut zip, zip_path, items[todo[k]].index, vouched)
                .map(|(_, bytes, _)| bytes)
                .map_err(|e| e.to_string())
        },
        &mut |k, outcome| {
            let i = todo[k];
            rows[i].outcome = send_outcome(outcome.kind);
            rows[i].reason = outcome.reason.clone();
            let line = ledger::row_line(&ledger_row(&items[i], &rows[i]));
            if let Err(e) = ledger_file.write_all(line.as_bytes()) {
                write_error.get_or_insert(e);
            }
        },
    );
    if let Some(e) = write_error {
        return Err(e).context(WriteSnafu { path: &ledger_path });
    }
    let report = SendReport {
        rows,
        log: beside(zip_path, ".send-log.csv"),
    };
    write_log(&report)?;
    if !quiet {
        print_summary(&report, &target, counters, started.elapsed().as_secs_f64());
    }
    if let Some(why) = unusable {
        return Err(CliError::CStoreUnusable {
            detail: why.0,
            log: report.log,
        });
    }
    check_all_stored(&report)
}

fn print_summary(report: &SendReport, target: &Target, c: Counters, secs: f64) {
    let secs = secs.max(1e-9);
    let sent = report
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, SendOutcome::Stored | SendOutcome::Warning))
        .count();
    println!(
        "sent {sent} instances ({:.1} MB) to {target} in {} C-STORE requests over {} \
         associations, {secs:.2} s ({:.1} instances/s, {:.1} MB/s); {}",
        c.bytes as f64 / 1e6,
        c.requests,
        c.associations,
        sent as f64 / secs,
        c.bytes as f64 / 1e6 / secs,
        send_log::summary_line(&report.rows)
            .trim_start_matches("# summary: ")
            .trim_end(),
    );
}
