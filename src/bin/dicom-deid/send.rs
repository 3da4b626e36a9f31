//! Delivery by STOW-RS: `dicom-deid send ZIP --stow-url URL …`, and a run with `--stow-url`
//! once its zip is written. Only the zip's instances are sent (never the key, the log, the
//! manifest or the run statement; held and excluded files are not in the zip), and only the
//! storable ones ([`dicom_deid::deliver::storable`]); the ledger (`<zip>.sent.csv`) says what
//! the destination holds already, so a second send sends nothing and a resumed one the rest;
//! the send log (`<zip>.send-log.csv`) gives every instance's outcome.
//!
//! Nothing is sent from a zip that does not hold against its signed run statement, and only
//! what its manifest vouches for ([`dicom_deid::deliver::vouched`]): [`vouch`] checks the zip
//! as `verify` does (streamed: a fixed buffer whatever its size) before any request, C-STORE's
//! too; every instance read to be sent is hashed again and must be the one listed.

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use dicom_deid::deliver::is_instance_entry;
use dicom_deid::deliver::ledger::{self, destination_label, Ledger, LedgerRow, LedgerStatus};
use dicom_deid::deliver::send_log::{self, SendOutcome, SendRow};
use dicom_deid::deliver::storable::{storable, NotStorable};
use dicom_deid::deliver::stow::{batches, body, BatchLimits};
use dicom_deid::deliver::vouched::{vouch_zip, Vouched};
use dicom_deid::limits::MAX_FILE_BYTES;
use dicom_deid::statement::signing::hex;
use snafu::ResultExt;

use crate::args::{CStoreArgs, StowArgs};
use crate::error::{
    CliError, CreateSnafu, LedgerSnafu, NotAllStoredSnafu, ReadSnafu, SendEntrySnafu,
    SendEntryTooLargeSnafu, SendRefusedSnafu, SendUnvouchedSnafu, SendZipSnafu, StowRequestSnafu,
    VerifyReadSnafu, WriteSnafu,
};
use crate::secret::read_public_key;
use crate::stow_http::{Client, Headers};

/// Send a de-identified zip's instances to a DICOMweb archive (STOW-RS).
#[derive(Parser, Debug)]
#[command(name = "dicom-deid send")]
#[command(group(clap::ArgGroup::new("destination").required(true).multiple(true).args(["stow_url", "cstore"])))]
pub struct SendArgs {
    /// The zip written by a run.
    pub zip: PathBuf,
    /// Where and how.
    #[command(flatten)]
    pub stow: StowArgs,
    /// Or by C-STORE (`cstore/`).
    #[command(flatten)]
    pub cstore: CStoreArgs,
    /// The project's public key (64 hex digits, as in dicom-deid.secret.pub): the run
    /// statement must be signed by it; without it the statement's own key is used (as
    /// `verify` does).
    #[arg(long, value_name = "FILE")]
    pub public_key: Option<PathBuf>,
}

/// The zip checked against its signed run statement, as `verify` checks it (`public_key`: the
/// project's key when known): the instances it may send, or the zip refused as a whole with
/// `verify`'s lines, before anything is sent.
pub(crate) fn vouch(path: &Path, public_key: Option<[u8; 32]>) -> Result<Vouched, CliError> {
    let f = fs::File::open(path).context(ReadSnafu { what: "zip", path })?;
    vouch_zip(std::io::BufReader::new(f), public_key)
        .context(VerifyReadSnafu { path })?
        .map_err(|refusal| SendRefusedSnafu { path, refusal }.build())
}

/// The bytes of entry `index` and their SHA-256, when the manifest vouches for them (else
/// the send stops: the zip changed after its check).
pub(crate) fn vouched_bytes(
    zip: &mut zip::ZipArchive<fs::File>,
    path: &Path,
    index: usize,
    vouched: &Vouched,
) -> Result<(String, Vec<u8>, [u8; 32]), CliError> {
    let (name, bytes) = entry_bytes(zip, path, index)?;
    let sum = vouched
        .admit(&name, &bytes)
        .context(SendUnvouchedSnafu { path })?;
    Ok((name, bytes, sum))
}

/// One instance entry of the zip.
pub(crate) struct Item {
    pub(crate) index: usize,
    name: String,
    size: u64,
    ids: Result<String, NotStorable>,
    sha256: String,
}

/// `path` with `suffix` added to its name.
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(path.as_os_str());
    s.push(suffix);
    PathBuf::from(s)
}

pub(crate) fn open_zip(path: &Path) -> Result<zip::ZipArchive<fs::File>, CliError> {
    let f = fs::File::open(path).context(ReadSnafu { what: "zip", path })?;
    zip::ZipArchive::new(f).context(SendZipSnafu { path })
}

/// The bytes of entry `index` (at most [`MAX_FILE_BYTES`]).
fn entry_bytes(
    zip: &mut zip::ZipArchive<fs::File>,
    path: &Path,
    index: usize,
) -> Result<(String, Vec<u8>), CliError> {
    let e = zip.by_index(index).context(SendZipSnafu { path })?;
    let name = e.name().to_string();
    let size = e.size();
    if size > MAX_FILE_BYTES {
        return SendEntryTooLargeSnafu { path, name, size }.fail();
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    e.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .context(SendEntrySnafu { path, name: &name })?;
    Ok((name, bytes))
}

/// Every instance entry: its name, size, SOP Instance UID (or why it is not storable), SHA-256
/// (the one the manifest lists: else the send stops before any request).
pub(crate) fn inventory(
    zip: &mut zip::ZipArchive<fs::File>,
    path: &Path,
    vouched: &Vouched,
) -> Result<Vec<Item>, CliError> {
    let mut items = Vec::new();
    for index in 0..zip.len() {
        let name = zip
            .name_for_index(index)
            .map(str::to_string)
            .unwrap_or_default();
        if !is_instance_entry(&name) {
            continue;
        }
        let (name, bytes, sum) = vouched_bytes(zip, path, index, vouched)?;
        items.push(Item {
            index,
            name,
            size: bytes.len() as u64,
            ids: storable(&bytes).map(|ids| ids.sop_instance_uid),
            sha256: hex(&sum),
        });
    }
    Ok(items)
}

/// The ledger file for appending (its header written when it is new or empty).
pub(crate) fn open_ledger(path: &Path) -> Result<(Ledger, fs::File), CliError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(CliError::Read {
                what: "ledger",
                path: path.into(),
                source,
            })
        }
    };
    let parsed = Ledger::parse(&text).context(LedgerSnafu { path })?;
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .context(CreateSnafu { path })?;
    // A last line cut short by a killed send (which the parse ignored) is cut off: ended
    // with a newline instead, it would be a bad row in the middle that no later send reads.
    let whole = text.rfind('\n').map_or(0, |i| i + 1);
    if whole < text.len() {
        f.set_len(whole as u64).context(WriteSnafu { path })?;
    }
    if whole == 0 {
        f.write_all(ledger::HEADER.as_bytes())
            .context(WriteSnafu { path })?;
    }
    Ok((parsed, f))
}

/// What one send did.
pub struct SendReport {
    pub(crate) rows: Vec<SendRow>,
    pub(crate) log: PathBuf,
}

/// Sends the zip's storable instances that the ledger does not list as stored (of those
/// `vouched` admits); writes the ledger as it goes and the send log at the end. Fails when a
/// storable instance is not stored.
pub fn send_zip(
    zip_path: &Path,
    vouched: &Vouched,
    stow: &StowArgs,
    quiet: bool,
) -> Result<(), CliError> {
    let url = stow.stow_url.as_deref().unwrap_or_default();
    let destination = destination_label(url);
    let ledger_path = stow
        .ledger
        .clone()
        .unwrap_or_else(|| beside(zip_path, ".sent.csv"));
    let log_path = stow
        .send_log
        .clone()
        .unwrap_or_else(|| beside(zip_path, ".send-log.csv"));
    let limits = BatchLimits {
        max_bytes: stow.stow_max_bytes,
        max_count: stow.stow_max_count,
    };
    let started = Instant::now();
    let mut zip = open_zip(zip_path)?;
    let items = inventory(&mut zip, zip_path, vouched)?;
    let (ledger, mut ledger_file) = open_ledger(&ledger_path)?;
    let mut rows: Vec<SendRow> = items
        .iter()
        .map(|it| first_row(it, &ledger, &destination))
        .collect();
    let todo: Vec<usize> = (0..items.len())
        .filter(|&i| rows[i].outcome == SendOutcome::Failed)
        .collect();
    let sizes: Vec<u64> = todo.iter().map(|&i| items[i].size).collect();
    let mut client = Client::new(url, Headers::load(stow)?);
    let (mut sent, mut bytes) = (0usize, 0u64);
    for (first, count) in batches(&sizes, limits).context(StowRequestSnafu)? {
        let batch = &todo[first..first + count];
        if let Some(why) = &client.stopped {
            for &i in batch {
                rows[i].reason = format!("not sent: the send stopped after {why}");
            }
            continue;
        }
        let mut parts = Vec::with_capacity(batch.len());
        for &i in batch {
            parts.push(vouched_bytes(&mut zip, zip_path, items[i].index, vouched)?.1);
        }
        let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let (content_type, request) = body(&slices).context(StowRequestSnafu)?;
        let uids: Vec<&str> = batch
            .iter()
            .map(|&i| rows[i].sop_instance_uid.as_str())
            .collect();
        let results = client.store(&request, &content_type, &uids)?;
        let mut lines = String::new();
        for (&i, (outcome, reason)) in batch.iter().zip(results) {
            rows[i].outcome = outcome;
            rows[i].reason = reason;
            lines += &ledger::row_line(&ledger_row(&items[i], &rows[i]));
        }
        ledger_file
            .write_all(lines.as_bytes())
            .and_then(|()| ledger_file.sync_data())
            .context(WriteSnafu { path: &ledger_path })?;
        sent += batch.len();
        bytes += parts.iter().map(|p| p.len() as u64).sum::<u64>();
    }
    let report = SendReport {
        rows,
        log: log_path,
    };
    write_log(&report)?;
    if !quiet {
        print_summary(&report, &destination, sent, bytes, client.requests, started);
    }
    check_all_stored(&report)
}

/// The row of an instance before sending: not storable, already stored, or to send (`Failed`
/// until a response says otherwise).
pub(crate) fn first_row(it: &Item, ledger: &Ledger, destination: &str) -> SendRow {
    let (uid, outcome, reason) = match &it.ids {
        Err(why) => (String::new(), SendOutcome::NotStorable, why.to_string()),
        Ok(uid) if ledger.is_stored(uid, &it.sha256, destination) => {
            (uid.clone(), SendOutcome::AlreadyStored, String::new())
        }
        Ok(uid) => (uid.clone(), SendOutcome::Failed, "not sent".to_string()),
    };
    SendRow {
        path: it.name.clone(),
        sop_instance_uid: uid,
        outcome,
        reason,
        destination: destination.to_string(),
    }
}

pub(crate) fn ledger_row(it: &Item, row: &SendRow) -> LedgerRow {
    LedgerRow {
        sop_instance_uid: row.sop_instance_uid.clone(),
        sha256: it.sha256.clone(),
        destination: row.destination.clone(),
        status: match row.outcome {
            SendOutcome::Stored | SendOutcome::AlreadyStored => LedgerStatus::Stored,
            SendOutcome::Warning => LedgerStatus::Warning,
            SendOutcome::Failed | SendOutcome::NotStorable => LedgerStatus::Failed,
        },
        detail: row.reason.clone(),
    }
}

pub(crate) fn write_log(report: &SendReport) -> Result<(), CliError> {
    let mut text = send_log::HEADER.to_string();
    for r in &report.rows {
        text += &send_log::row_line(r);
    }
    text += &send_log::summary_line(&report.rows);
    fs::write(&report.log, text).context(WriteSnafu { path: &report.log })
}

fn print_summary(
    report: &SendReport,
    destination: &str,
    sent: usize,
    bytes: u64,
    requests: u64,
    started: Instant,
) {
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let summary = send_log::summary_line(&report.rows);
    println!(
        "sent {sent} instances ({:.1} MB) to {destination} in {requests} HTTP requests, {secs:.2} s ({:.1} instances/s, {:.1} MB/s); {}",
        bytes as f64 / 1e6,
        sent as f64 / secs,
        bytes as f64 / 1e6 / secs,
        summary.trim_start_matches("# summary: ").trim_end(),
    );
}

pub(crate) fn check_all_stored(report: &SendReport) -> Result<(), CliError> {
    let storable = report
        .rows
        .iter()
        .filter(|r| r.outcome != SendOutcome::NotStorable)
        .count();
    let failed = report
        .rows
        .iter()
        .filter(|r| r.outcome == SendOutcome::Failed)
        .count();
    if failed > 0 {
        return NotAllStoredSnafu {
            failed,
            storable,
            log: &report.log,
        }
        .fail();
    }
    Ok(())
}

/// `dicom-deid send`: the zip checked (with `--public-key` when given), then sent by STOW-RS
/// when `--stow-url` is given; the instances it may send, for C-STORE.
pub fn run(args: &SendArgs) -> Result<Vouched, CliError> {
    let key = args
        .public_key
        .as_deref()
        .map(read_public_key)
        .transpose()?;
    let vouched = vouch(&args.zip, key)?;
    if args.stow.stow_url.is_some() {
        send_zip(&args.zip, &vouched, &args.stow, false)?;
    }
    Ok(vouched)
}
