//! C-STORE from the CLI into a real archive (Debian's Orthanc, its DICOM port, AE title
//! `DEIDTEST`): the instances Orthanc holds are the zip's storable instances, element by
//! element (pydicom, `deliver_cstore/same_instances.py`); a second send sends nothing; a resent
//! instance after a dropped association; a wrong called AE title and a closed port are
//! reported per instance and by the exit status. An archive configured to refuse transfer
//! syntaxes, a SOP class or some instances: `deliver_cstore/refusals.rs`.
//!
//! Orthanc keeps the data set of a C-STORE as its DICOM toolkit (DCMTK) re-writes it: its own
//! file meta group, and sequences and items of undefined length given explicit lengths. So the
//! data sets are compared element by element (values, VRs, sequences), the transfer syntax and
//! SOP identity of the meta group too, and the byte-identical ones are counted; the bytes sent
//! are the zip's (the send counts them), STOW-RS and the REST API keep them as they are
//! (`tests/tests/orthanc_oracle.rs`).
mod refusals;

use crate::support::dropping_proxy::DroppingProxy;
use crate::support::harness::{cli, data, parse_csv, python, read_csv, run, Csv, Run, TempDir};
use crate::support::orthanc::{free_port, Orthanc, AE_TITLE};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

/// `dicom-deid send ZIP --cstore SPEC [extra]`.
fn send(zip: &Path, spec: &str, extra: &[&str]) -> Output {
    let mut args: Vec<std::ffi::OsString> =
        vec!["send".into(), zip.into(), "--cstore".into(), spec.into()];
    args.extend(extra.iter().map(Into::into));
    cli(args)
}

fn beside(zip: &Path, suffix: &str) -> PathBuf {
    let mut s = zip.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn send_log(zip: &Path) -> Csv {
    read_csv(&beside(zip, ".send-log.csv"))
}

fn outcomes(log: &Csv, outcome: &str) -> usize {
    log.rows.iter().filter(|r| r["outcome"] == outcome).count()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// What the pydicom oracle says of the zip's instances and the files Orthanc gives back.
struct Comparison {
    storable: Vec<String>,
    stored: Vec<String>,
    equal_datasets: usize,
    identical_bytes: usize,
    differences: Vec<String>,
    /// Stored in Explicit VR Little Endian, in Implicit VR Little Endian in the zip.
    reencoded: Vec<String>,
    /// The zip's storable instances: transfer syntax and SOP class by SOP Instance UID.
    transfer_syntaxes: BTreeMap<String, String>,
    sop_classes: BTreeMap<String, String>,
}

fn compare(run: &Run, orthanc: &Orthanc, label: &str) -> Comparison {
    let dir = TempDir::new(label);
    let (zip_dir, stored_dir) = (dir.join("zip"), dir.join("stored"));
    std::fs::create_dir_all(&zip_dir).expect("mkdir");
    std::fs::create_dir_all(&stored_dir).expect("mkdir");
    for (name, bytes) in run.entries.iter().filter(|(n, _)| n.ends_with(".dcm")) {
        std::fs::write(zip_dir.join(&name.replace('/', "_")), bytes).expect("write");
    }
    for (i, bytes) in orthanc.stored_files().iter().enumerate() {
        std::fs::write(stored_dir.join(format!("{i:04}.dcm")), bytes).expect("write");
    }
    let script = std::fs::read_to_string(
        crate::support::harness::root().join("tests/tests/deliver_cstore/same_instances.py"),
    )
    .expect("the oracle script");
    let out = python(&script, [&zip_dir, &stored_dir]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the oracle's JSON");
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .expect("a list")
            .iter()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect()
    };
    let map = |k: &str| -> BTreeMap<String, String> {
        v[k].as_object()
            .expect("an object")
            .iter()
            .map(|(uid, s)| (uid.clone(), s.as_str().unwrap_or_default().to_string()))
            .collect()
    };
    Comparison {
        reencoded: list("reencoded"),
        transfer_syntaxes: map("transfer_syntaxes"),
        sop_classes: map("sop_classes"),
        storable: list("storable"),
        stored: list("stored"),
        equal_datasets: v["equal_datasets"].as_u64().unwrap_or(0) as usize,
        identical_bytes: v["identical_bytes"].as_u64().unwrap_or(0) as usize,
        differences: list("differences"),
    }
}

fn corpus_run(label: &str) -> Run {
    run(label, &[], &[data()])
}

#[test]
fn orthanc_holds_the_zips_storable_instances_and_a_second_send_sends_nothing() {
    let run = corpus_run("cstore-equal");
    let orthanc = Orthanc::start("cstore-equal");
    let spec = format!("{AE_TITLE}@127.0.0.1:{}", orthanc.dicom_port);
    let started = Instant::now();
    let first = send(&run.zip, &spec, &[]);
    let secs = started.elapsed().as_secs_f64();
    assert!(
        first.status.success(),
        "{}\n{}",
        text(&first),
        orthanc.log()
    );
    let c = compare(&run, &orthanc, "cstore-equal-cmp");
    assert!(!c.storable.is_empty());
    assert_eq!(
        c.stored, c.storable,
        "Orthanc holds exactly the storable instances"
    );
    assert!(c.differences.is_empty(), "{:#?}", c.differences);
    assert!(
        c.reencoded.is_empty(),
        "Orthanc takes Implicit VR: sent as is"
    );
    assert_eq!(c.equal_datasets, c.storable.len());
    let log = send_log(&run.zip);
    let instances = run
        .entries
        .iter()
        .filter(|(n, _)| n.ends_with(".dcm"))
        .count();
    assert_eq!(log.rows.len(), instances, "one send-log row per instance");
    assert_eq!(outcomes(&log, "stored"), c.storable.len());
    assert_eq!(
        outcomes(&log, "not_storable"),
        instances - c.storable.len(),
        "the others are reported, not sent"
    );
    let bytes: usize = run
        .entries
        .iter()
        .filter(|(n, _)| n.ends_with(".dcm"))
        .map(|(_, b)| b.len())
        .sum();
    eprintln!(
        "C-STORE into Orthanc on loopback: {} instances in {secs:.2} s ({:.1} instances/s, \
         {:.2} MB/s of zip entries); data sets byte-identical as kept: {} of {}",
        c.stored.len(),
        c.stored.len() as f64 / secs,
        bytes as f64 / 1e6 / secs,
        c.identical_bytes,
        c.stored.len()
    );
    let received = orthanc.stored_count();
    let second = send(&run.zip, &spec, &[]);
    assert!(second.status.success(), "{}", text(&second));
    let log = send_log(&run.zip);
    assert_eq!(outcomes(&log, "already_stored"), c.storable.len());
    assert_eq!(outcomes(&log, "stored"), 0);
    assert!(
        text(&second).contains("0 C-STORE requests"),
        "the second send sends nothing: {}",
        text(&second)
    );
    assert_eq!(
        orthanc.stored_count(),
        received,
        "Orthanc received nothing new"
    );
    // the ledger names the destination with its AE title, and holds no other column
    let ledger = read_csv(&beside(&run.zip, ".sent.csv"));
    assert_eq!(ledger.rows.len(), c.storable.len());
    assert!(ledger
        .rows
        .iter()
        .all(|r| r["destination"] == format!("dicom:{spec}")));
}

#[test]
fn a_dropped_association_is_opened_again_and_the_instance_sent_again() {
    let run = corpus_run("cstore-drop");
    let orthanc = Orthanc::start("cstore-drop");
    // cut the first connection in the middle of the instances
    let proxy = DroppingProxy::start(orthanc.dicom_port, 300_000);
    let spec = format!("{AE_TITLE}@127.0.0.1:{}", proxy.port);
    let out = send(&run.zip, &spec, &[]);
    assert!(out.status.success(), "{}\n{}", text(&out), orthanc.log());
    assert!(proxy.connections() >= 2, "a second association was opened");
    let c = compare(&run, &orthanc, "cstore-drop-cmp");
    assert_eq!(c.stored, c.storable);
    assert!(c.differences.is_empty(), "{:#?}", c.differences);
    let log = send_log(&run.zip);
    assert_eq!(outcomes(&log, "stored"), c.storable.len());
    assert_eq!(outcomes(&log, "failed"), 0);
}

#[test]
fn a_wrong_called_ae_title_is_refused_and_reported_per_instance() {
    let run = corpus_run("cstore-aet");
    let orthanc = Orthanc::start("cstore-aet");
    let spec = format!("NOTTHEPACS@127.0.0.1:{}", orthanc.dicom_port);
    let out = send(&run.zip, &spec, &["--calling-aet", "DEID-TESTS"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("called AE title not recognized"), "{said}");
    let log = send_log(&run.zip);
    assert!(outcomes(&log, "failed") > 0);
    assert_eq!(outcomes(&log, "stored"), 0);
    for r in log.rows.iter().filter(|r| r["outcome"] == "failed") {
        assert!(
            r["reason"].contains("called AE title not recognized"),
            "{r:?}"
        );
    }
    assert!(orthanc.instance_ids().is_empty());
    // nothing was stored, so the ledger lists each instance as failed: sent next time
    let ledger = read_csv(&beside(&run.zip, ".sent.csv"));
    assert!(ledger.rows.iter().all(|r| r["status"] == "failed"));
}

#[test]
fn a_closed_port_fails_with_a_clear_error_and_exit_status() {
    let run = corpus_run("cstore-closed");
    let port = free_port();
    let spec = format!("{AE_TITLE}@127.0.0.1:{port}");
    let started = Instant::now();
    let out = send(&run.zip, &spec, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(started.elapsed().as_secs() < 20, "bounded retries");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot associate with {spec}")),
        "{err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    let log =
        parse_csv(&std::fs::read_to_string(beside(&run.zip, ".send-log.csv")).expect("send log"));
    assert_eq!(outcomes(&log, "stored"), 0);
    assert!(outcomes(&log, "failed") > 0);
}

#[test]
fn an_address_that_is_not_aet_at_host_port_is_refused_before_sending() {
    let run = corpus_run("cstore-spec");
    let out = send(&run.zip, "127.0.0.1:104", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("AET@HOST:PORT"), "{}", text(&out));
    assert!(
        !beside(&run.zip, ".send-log.csv").exists(),
        "nothing was sent"
    );
}

#[test]
fn a_run_with_cstore_sends_its_zip_when_complete() {
    let orthanc = Orthanc::start("cstore-run");
    let spec = format!("{AE_TITLE}@127.0.0.1:{}", orthanc.dicom_port);
    // the harness's run passes -q; the send's summary is not printed, its files are written
    let run = run(
        "cstore-run",
        &["--cstore", &spec, "--calling-aet", "DEID-RUN"],
        &[data()],
    );
    let c = compare(&run, &orthanc, "cstore-run-cmp");
    assert!(!c.storable.is_empty());
    assert_eq!(c.stored, c.storable);
    assert!(c.differences.is_empty(), "{:#?}", c.differences);
    let log = send_log(&run.zip);
    assert_eq!(outcomes(&log, "stored"), c.storable.len());
}
