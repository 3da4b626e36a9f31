//! Delivery sends only what the zip's signed run statement and manifest vouch for, on the real
//! files of `tests/data` and a real archive (Orthanc on loopback): a zip changed after its run
//! (one byte of a DICOM entry, a DICOM entry added, the statement edited) or signed by another
//! key than the project's is refused as a whole by `dicom-deid send`, by STOW-RS and by
//! C-STORE alike: exit status 1, the entry named with `verify`'s words, no request reaches the
//! archive (the fault proxy's counters, the DICOM proxy's connections), Orthanc holds nothing
//! and no ledger or send log is written. The zip as written still delivers.
use std::path::Path;
use std::process::Output;

use crate::support::dropping_proxy::DroppingProxy;
use crate::support::fault_proxy::FaultProxy;
use crate::support::harness::{cli, corpus, read_csv, run, write_zip, Run};
use crate::support::orthanc::{Orthanc, AE_TITLE};

fn send(zip: &Path, destination: &[&str], extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["send".into(), zip.display().to_string()];
    args.extend(destination.iter().chain(extra).map(|s| s.to_string()));
    cli(args)
}

/// The zip of `run` with its entries changed by `change`, written as `name` in its folder.
fn changed(
    run: &Run,
    name: &str,
    change: impl FnOnce(&mut Vec<(String, Vec<u8>)>),
) -> std::path::PathBuf {
    let mut entries = run.entries.clone();
    change(&mut entries);
    let path = run.dir.join(name);
    write_zip(&path, &entries);
    path
}

fn position(entries: &[(String, Vec<u8>)], name: &str) -> usize {
    entries
        .iter()
        .position(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in the zip"))
}

#[test]
fn a_zip_changed_after_its_run_is_refused_whole_and_nothing_reaches_the_archive() {
    let r = run(
        "vouched",
        &["--run-time", "2026-12-06T10:00:00Z"],
        &corpus(),
    );
    let written = r.with_outcome("written");
    assert!(written.len() > 20);
    let dicom = written[3]["output_path"].clone();
    // A real instance of the corpus (the original, identifying file) slipped in beside it.
    let original = r.written()[0].input.clone();
    let added = format!("{}/added.dcm", dicom.rsplit_once('/').expect("a folder").0);

    let byte = changed(&r, "byte.zip", |e| {
        let i = position(e, &dicom);
        let mid = e[i].1.len() / 2;
        e[i].1[mid] ^= 1;
    });
    let extra = changed(&r, "added.zip", |e| e.insert(1, (added.clone(), original)));
    let edited = changed(&r, "edited.zip", |e| {
        let s = position(e, "run-statement.json");
        let text = String::from_utf8(e[s].1.clone()).expect("the statement is text");
        let more = text.replacen("\"written\": ", "\"written\": 1", 1);
        assert_ne!(more, text);
        e[s].1 = more.into_bytes();
    });
    let other_key = r.dir.join("other.pub");
    std::fs::write(&other_key, format!("{}\n", "11".repeat(32))).expect("write a key");
    let other = other_key.display().to_string();
    let cases: [(&Path, &[&str], String); 4] = [
        (&byte, &[], format!("{dicom}: differs")),
        (&extra, &[], format!("{added}: added (not in the manifest)")),
        (
            &edited,
            &[],
            "run-statement.json: the signature".to_string(),
        ),
        (
            &r.zip,
            &["--public-key", &other],
            "not by the given public key".to_string(),
        ),
    ];

    let orthanc = Orthanc::start("vouched");
    let proxy = FaultProxy::start(&orthanc.url(), "");
    let dimse = DroppingProxy::start(orthanc.dicom_port, usize::MAX);
    let stow = format!("{}/dicom-web", proxy.url());
    let cstore = format!("{AE_TITLE}@127.0.0.1:{}", dimse.port);
    for (zip, extra_args, expected) in &cases {
        for destination in [["--stow-url", &stow], ["--cstore", &cstore]] {
            let out = send(zip, &destination, extra_args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{destination:?}: {err}");
            assert!(
                err.contains(expected.as_str()) && err.contains("nothing of it is sent"),
                "{} {destination:?}: {err}",
                zip.display()
            );
        }
        for suffix in [".sent.csv", ".send-log.csv"] {
            let mut f = zip.as_os_str().to_owned();
            f.push(suffix);
            assert!(!Path::new(&f).exists(), "{f:?} written for a refused zip");
        }
    }
    assert_eq!(proxy.stats()["requests"], 0, "no STOW-RS request was made");
    assert_eq!(dimse.connections(), 0, "no association was opened");
    assert_eq!(orthanc.stored_count(), 0, "Orthanc holds nothing");

    // The zip as written, with the project's key, delivers by both.
    let public = r.dir.join("secret.pub").display().to_string();
    for destination in [["--stow-url", &stow], ["--cstore", &cstore]] {
        let out = send(&r.zip, &destination, &["--public-key", &public]);
        assert!(
            out.status.success(),
            "{destination:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut log = r.zip.as_os_str().to_owned();
    log.push(".send-log.csv");
    let log = read_csv(Path::new(&log));
    let storable = log
        .rows
        .iter()
        .filter(|row| row["outcome"] != "not_storable")
        .count();
    assert!(storable > 20, "{}", log.text);
    assert_eq!(orthanc.stored_count(), storable);
    assert!(proxy.stats()["requests"].as_u64().unwrap_or(0) > 0);
    assert!(dimse.connections() > 0);
}
