//! A zip's instances sent by C-STORE: the storable ones the ledger does not list as stored at
//! this destination with the same bytes, in the zip's order. The ledger (`<zip>.sent.csv`) is
//! appended to after each instance, so a send cut half-way resumes with the rest; the send log
//! (`<zip>.send-log.csv`) has one row per instance of the zip, sent or not.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use dicom_deid::deliver::ledger::{self, Ledger, LedgerRow, LedgerStatus};
use dicom_deid::deliver::send_log::{self, SendOutcome, SendRow};
use dicom_deid::deliver::{is_instance_entry, storable::storable};
use dicom_deid::limits::MAX_FILE_BYTES;
use snafu::ResultExt;

use super::address::Target;
use super::dimse::StatusKind;
use super::instance::{header, Header};
use super::{send, Counters, Outcome};
use crate::error::{
    CliError, CreateSnafu, LedgerSnafu, PartReadSnafu, PartZipSnafu, ReadSnafu, WriteSnafu,
};

/// What one send did, for the summary line.
#[derive(Debug, Default)]
pub struct Summary {
    /// The send log's rows, one per instance of the zip.
    pub rows: Vec<SendRow>,
    /// Associations, requests and bytes.
    pub counters: Counters,
    /// Why the destination could not be used, if it could not.
    pub unusable: Option<String>,
    /// Seconds spent sending.
    pub seconds: f64,
}

/// A file beside the zip: `<zip><suffix>`.
pub fn beside(zip: &Path, suffix: &str) -> PathBuf {
    let mut s = zip.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The ledger's destination for a C-STORE target (`dicom:AET@HOST:PORT`: the AE title is
/// part of where the instances went).
pub fn destination(target: &Target) -> String {
    format!("dicom:{target}")
}

/// An instance to send: its zip entry, identity, bytes' SHA-256 and header.
struct Candidate {
    row: usize,
    name: String,
    sha256: String,
    header: Header,
}

/// Reads the zip's instance entries: send-log rows for those not sent (not storable, already
/// stored) and the candidates to send.
fn survey(
    zip: &mut zip::ZipArchive<File>,
    path: &Path,
    ledger: &Ledger,
    dest: &str,
) -> Result<(Vec<SendRow>, Vec<Candidate>), CliError> {
    let mut rows = Vec::new();
    let mut todo = Vec::new();
    for i in 0..zip.len() {
        let name = zip
            .by_index_raw(i)
            .context(PartZipSnafu { path })?
            .name()
            .to_string();
        if !is_instance_entry(&name) {
            continue;
        }
        let bytes = read_entry(zip, path, &name)?;
        let mut row = SendRow {
            path: name.clone(),
            sop_instance_uid: String::new(),
            outcome: SendOutcome::Failed,
            reason: String::new(),
            destination: dest.to_string(),
        };
        let ids = match storable(&bytes) {
            Ok(ids) => ids,
            Err(why) => {
                row.outcome = SendOutcome::NotStorable;
                row.reason = why.to_string();
                rows.push(row);
                continue;
            }
        };
        row.sop_instance_uid = ids.sop_instance_uid.clone();
        let sha256 = ledger::sha256_hex(&bytes);
        if ledger.is_stored(&ids.sop_instance_uid, &sha256, dest) {
            row.outcome = SendOutcome::AlreadyStored;
            rows.push(row);
            continue;
        }
        match header(&bytes) {
            Ok(header) => todo.push(Candidate {
                row: rows.len(),
                name,
                sha256,
                header,
            }),
            Err(why) => row.reason = format!("not sent: {why}"),
        }
        rows.push(row);
    }
    Ok((rows, todo))
}

/// One entry's bytes (the engine's own bound on one file).
fn read_entry(
    zip: &mut zip::ZipArchive<File>,
    path: &Path,
    name: &str,
) -> Result<Vec<u8>, CliError> {
    let e = zip.by_name(name).context(PartZipSnafu { path })?;
    let size = e.size().min(MAX_FILE_BYTES);
    let mut bytes = Vec::with_capacity(size as usize);
    e.take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .context(PartReadSnafu { path })?;
    Ok(bytes)
}

/// The ledger beside the zip (empty when there is none yet).
fn read_ledger(path: &Path) -> Result<Ledger, CliError> {
    match fs::read_to_string(path) {
        Ok(text) => Ledger::parse(&text).context(LedgerSnafu { path }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ledger::default()),
        Err(source) => Err(CliError::Read {
            what: "ledger",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The ledger opened for appending (its header written when it is new).
fn open_ledger(path: &Path) -> Result<File, CliError> {
    let new = !path.exists();
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .context(CreateSnafu { path })?;
    if new {
        f.write_all(ledger::HEADER.as_bytes())
            .context(WriteSnafu { path })?;
    }
    Ok(f)
}

fn ledger_status(kind: StatusKind) -> LedgerStatus {
    match kind {
        StatusKind::Success => LedgerStatus::Stored,
        StatusKind::Warning => LedgerStatus::Warning,
        StatusKind::Failure => LedgerStatus::Failed,
    }
}

fn send_outcome(kind: StatusKind) -> SendOutcome {
    match kind {
        StatusKind::Success => SendOutcome::Stored,
        StatusKind::Warning => SendOutcome::Warning,
        StatusKind::Failure => SendOutcome::Failed,
    }
}

/// Sends the zip's instances that are still to send; writes the ledger and the send log.
pub fn send_zip(zip_path: &Path, target: &Target) -> Result<Summary, CliError> {
    let ledger_path = beside(zip_path, ".sent.csv");
    let log_path = beside(zip_path, ".send-log.csv");
    let dest = destination(target);
    let file = File::open(zip_path).context(ReadSnafu {
        what: "zip",
        path: zip_path,
    })?;
    let mut zip = zip::ZipArchive::new(file).context(PartZipSnafu { path: zip_path })?;
    let ledger = read_ledger(&ledger_path)?;
    let (mut rows, todo) = survey(&mut zip, zip_path, &ledger, &dest)?;
    let mut ledger_file = open_ledger(&ledger_path)?;
    let headers: Vec<Header> = todo.iter().map(|c| c.header.clone()).collect();
    let started = Instant::now();
    let mut write_error = None;
    let (counters, unusable) = send(
        target,
        &headers,
        &mut |i| read_entry(&mut zip, zip_path, &todo[i].name).map_err(|e| e.to_string()),
        &mut |i, outcome: &Outcome| {
            let c = &todo[i];
            let row = &mut rows[c.row];
            row.outcome = send_outcome(outcome.kind);
            row.reason = outcome.reason.clone();
            let line = ledger::row_line(&LedgerRow {
                sop_instance_uid: row.sop_instance_uid.clone(),
                sha256: c.sha256.clone(),
                destination: dest.clone(),
                status: ledger_status(outcome.kind),
                detail: outcome.reason.clone(),
            });
            if let Err(e) = ledger_file.write_all(line.as_bytes()) {
                write_error.get_or_insert(e);
            }
        },
    );
    let seconds = started.elapsed().as_secs_f64();
    if let Some(source) = write_error {
        return Err(CliError::Write {
            path: ledger_path,
            source,
        });
    }
    let mut log = String::from(send_log::HEADER);
    for r in &rows {
        log.push_str(&send_log::row_line(r));
    }
    log.push_str(&send_log::summary_line(&rows));
    fs::write(&log_path, log).context(WriteSnafu { path: &log_path })?;
    Ok(Summary {
        rows,
        counters,
        unusable: unusable.map(|u| u.0),
        seconds,
    })
}

/// Sends a zip by C-STORE and says how it went: the summary on stdout (unless `quiet`), an
/// error when the destination could not be used or a storable instance was not stored.
pub fn deliver(
    zip: &Path,
    cstore: &str,
    calling: Option<&str>,
    quiet: bool,
) -> Result<(), CliError> {
    let target = Target::parse(
        cstore,
        calling.unwrap_or(super::address::DEFAULT_CALLING_AET),
    )
    .map_err(|e| CliError::CStoreTarget {
        detail: e.to_string(),
    })?;
    let summary = send_zip(zip, &target)?;
    let log = beside(zip, ".send-log.csv");
    if !quiet {
        print_summary(&summary, &target);
    }
    if let Some(detail) = summary.unusable {
        return Err(CliError::CStoreUnusable { detail, log });
    }
    let storable = summary
        .rows
        .iter()
        .filter(|r| r.outcome != SendOutcome::NotStorable)
        .count();
    let failed = summary
        .rows
        .iter()
        .filter(|r| r.outcome == SendOutcome::Failed)
        .count();
    if failed > 0 {
        return Err(CliError::NotAllStored {
            failed,
            storable,
            log,
        });
    }
    Ok(())
}

fn print_summary(s: &Summary, target: &Target) {
    let secs = s.seconds.max(1e-9);
    let sent = s
        .rows
        .iter()
        .filter(|r| matches!(r.outcome, SendOutcome::Stored | SendOutcome::Warning))
        .count();
    let c = s.counters;
    println!(
        "sent {sent} instances ({:.1} MB) to {target} in {} C-STORE requests over {} associations, \
         {secs:.2} s ({:.1} instances/s, {:.1} MB/s); {}",
        c.bytes as f64 / 1e6,
        c.requests,
        c.associations,
        sent as f64 / secs,
        c.bytes as f64 / 1e6 / secs,
        send_log::summary_line(&s.rows)
            .trim_start_matches("# summary: ")
            .trim_end(),
    );
}
