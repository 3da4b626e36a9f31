//! The run statement in every zip, on the real files of `tests/data`: `dicom-deid verify` holds
//! on the zip as written and fails, naming the file, when one byte of one entry is changed, an
//! entry is removed or added, the statement is edited or the key is another; the manifest
//! covers every entry; the statement holds no identifying value of the inputs (the independent
//! PHI checker); the same run time gives the same zip, another changes only the statement.

use std::fs;
use std::path::Path;

use crate::support::harness::*;

/// `dicom-deid verify` on a zip: exit status and stdout.
fn verify(zip: &Path, public_key: Option<&Path>) -> (bool, String) {
    let mut args = vec!["verify".into(), zip.as_os_str().to_owned()];
    if let Some(k) = public_key {
        args.push("--public-key".into());
        args.push(k.as_os_str().to_owned());
    }
    let out = cli(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn corpus_run(label: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--run-time", "2026-12-06T10:00:00Z"];
    args.extend_from_slice(extra);
    run(label, &args, &corpus())
}

#[test]
fn verify_holds_on_the_zip_and_names_each_changed_removed_or_added_file() {
    let r = corpus_run("statement-verify", &[]);
    let public = r.dir.join("secret.pub");
    assert!(
        public.exists(),
        "the public key is written beside the secret"
    );
    let (ok, out) = verify(&r.zip, Some(&public));
    assert!(ok, "{out}");
    let names: Vec<&str> = r.entries.iter().map(|(n, _)| n.as_str()).collect();
    let tail = &names[names.len() - 4..];
    assert_eq!(
        tail,
        [
            "run-statement.html",
            "manifest-sha256.txt",
            "run-statement.json",
            "run-statement.sig"
        ]
    );
    // The manifest lists every other entry, each with its SHA-256.
    let manifest = String::from_utf8(r.entry("manifest-sha256.txt").unwrap().to_vec()).unwrap();
    let listed: Vec<(&str, &str)> = manifest
        .lines()
        .map(|l| l.split_once("  ").unwrap())
        .collect();
    assert_eq!(listed.len(), r.entries.len() - 3);
    for ((sum, name), (entry, bytes)) in listed.iter().zip(&r.entries) {
        assert_eq!(name, entry);
        assert_eq!(*sum, dicom_deid::statement::signing::sha256_hex(bytes));
    }
    assert!(r.with_outcome("written").len() > 20);

    let dicom = r.with_outcome("written")[3]["output_path"].clone();
    let bad = r.dir.join("bad.zip");
    let try_zip = |entries: Vec<(String, Vec<u8>)>, key: Option<&Path>| {
        write_zip(&bad, &entries);
        verify(&bad, key)
    };
    // One byte of one DICOM entry.
    let mut e = r.entries.clone();
    let i = e.iter().position(|(n, _)| *n == dicom).unwrap();
    let mid = e[i].1.len() / 2;
    e[i].1[mid] ^= 1;
    let (ok, out) = try_zip(e, Some(&public));
    assert!(!ok && out.contains(&format!("{dicom}: differs")), "{out}");
    assert_eq!(out.matches("differs").count(), 1, "{out}");
    // An entry removed.
    let e: Vec<_> = r
        .entries
        .iter()
        .filter(|(n, _)| *n != dicom)
        .cloned()
        .collect();
    let (ok, out) = try_zip(e, Some(&public));
    assert!(!ok && out.contains(&format!("{dicom}: missing")), "{out}");
    // An entry added.
    let mut e = r.entries.clone();
    e.insert(1, ("extra/added.dcm".to_string(), b"DICM".to_vec()));
    let (ok, out) = try_zip(e, Some(&public));
    assert!(!ok && out.contains("extra/added.dcm: added"), "{out}");
    // The statement edited (its counts), the signature left.
    let mut e = r.entries.clone();
    let s = e
        .iter()
        .position(|(n, _)| n == "run-statement.json")
        .unwrap();
    let text = String::from_utf8(e[s].1.clone()).unwrap();
    let edited = text.replacen("\"written\": ", "\"written\": 1", 1);
    assert_ne!(edited, text);
    e[s].1 = edited.into_bytes();
    let (ok, out) = try_zip(e, Some(&public));
    assert!(
        !ok && out.contains("run-statement.json: the signature"),
        "{out}"
    );
    // The readable statement changed: covered by the manifest.
    let mut e = r.entries.clone();
    let h = e
        .iter()
        .position(|(n, _)| n == "run-statement.html")
        .unwrap();
    e[h].1.extend_from_slice(b"<p>all good</p>");
    let (ok, out) = try_zip(e, Some(&public));
    assert!(!ok && out.contains("run-statement.html: differs"), "{out}");
    // Another project's key.
    let other = r.dir.join("other.pub");
    fs::write(&other, format!("{}\n", "11".repeat(32))).unwrap();
    let (ok, out) = try_zip(r.entries.clone(), Some(&other));
    assert!(!ok && out.contains("not by the given public key"), "{out}");
    // The statement removed.
    let e: Vec<_> = r
        .entries
        .iter()
        .filter(|(n, _)| n != "run-statement.json")
        .cloned()
        .collect();
    let (ok, out) = try_zip(e, None);
    assert!(!ok && out.contains("run-statement.json: missing"), "{out}");
}

#[test]
fn the_statement_holds_no_identifying_value_of_the_inputs() {
    let r = corpus_run("statement-phi", &["--preset", "research"]);
    let mut ids = phi::Identifiers::default();
    for p in files_under(&data()) {
        if let Ok(i) = phi::identifiers(&fs::read(&p).unwrap()) {
            ids.merge(&i);
        }
    }
    assert!(ids.count(phi::Kind::Name) > 10 && ids.count(phi::Kind::Uid) > 100);
    for name in [
        "run-statement.json",
        "run-statement.html",
        "manifest-sha256.txt",
    ] {
        let text = String::from_utf8(r.entry(name).unwrap().to_vec()).unwrap();
        let found = ids.check_text(name, &text);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
    // The checker does find an input's identifier put into the statement's text.
    let w = &r.written()[0];
    let input = dicom(&w.input, "input");
    let uid = sop_uid(&input);
    let json = String::from_utf8(r.entry("run-statement.json").unwrap().to_vec()).unwrap();
    let planted = json.replacen("\"basic\"", &format!("\"{uid}\""), 1);
    let planted = planted.replacen("\"research\"", &format!("\"{uid}\""), 1);
    assert!(!ids.check_text("planted", &planted).is_empty());
    // Counts by the log's outcome names, equal to the log.
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for outcome in ["written", "rejected", "skipped", "held", "excluded"] {
        assert_eq!(
            v["outcomes"][outcome].as_u64(),
            Some(r.with_outcome(outcome).len() as u64),
            "{outcome}"
        );
    }
    assert_eq!(v["run_time"], "2026-12-06T10:00:00Z");
    assert_eq!(v["options"]["preset"], "research");
    assert_eq!(v["self_check"]["files_failed"], 0);
}

#[test]
fn the_same_run_time_gives_the_same_zip_and_another_changes_only_the_statement() {
    let a = corpus_run("statement-same-a", &[]);
    let b = corpus_run("statement-same-b", &[]);
    assert_eq!(fs::read(&a.zip).unwrap(), fs::read(&b.zip).unwrap());
    let c = run(
        "statement-later",
        &["--run-time", "2026-12-07T08:30:00+09:00"],
        &corpus(),
    );
    assert_eq!(a.entries.len(), c.entries.len());
    for ((n, x), (m, y)) in a.entries.iter().zip(&c.entries) {
        assert_eq!(n, m);
        // The readable statement shows the time, so the manifest covering it differs too.
        let statement = n.starts_with("run-statement") || n == "manifest-sha256.txt";
        assert_eq!(x == y, !statement, "{n}");
    }
    let json = String::from_utf8(c.entry("run-statement.json").unwrap().to_vec()).unwrap();
    assert!(
        json.contains("\"run_time\": \"2026-12-06T23:30:00Z\""),
        "{json}"
    );
    // Without --run-time, SOURCE_DATE_EPOCH gives the time (the tests' fixed clock).
    let d = run("statement-epoch", &[], &corpus());
    let json = String::from_utf8(d.entry("run-statement.json").unwrap().to_vec()).unwrap();
    assert!(
        json.contains("\"run_time\": \"2026-12-06T10:00:00Z\""),
        "{json}"
    );
}
