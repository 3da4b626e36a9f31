//! Delivery by DICOMweb STOW-RS from the CLI into a real archive (Debian's Orthanc on loopback,
//! `tests/support/orthanc.rs`), directly and through the fault-injecting proxy
//! (`tests/support/fault_proxy.mjs`): the set of files Orthanc holds equals the zip's storable
//! instances byte for byte; the instances no archive can store are reported and never sent; a
//! second send sends nothing; a send cut half-way and resumed sends only the rest; per-instance
//! failures in a response are reported; credentials are written nowhere; a send killed while
//! it waits for the archive, sent again, sends only what its ledger does not list. What was sent is
//! counted by the proxy (Orthanc stores a second copy of an instance as nothing new).
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dicom_core::Tag;
use dicom_deid::deliver::ledger::Ledger;
use dicom_deid::deliver::stow::body;
use dicom_deid::deliver::stow_response::{parse, InstanceStatus};

use crate::support::fault_proxy::FaultProxy;
use crate::support::harness::{
    cli, corpus, files_under, phi, read_csv, run, run_in, text, Csv, Run, TempDir, RUN_EPOCH,
};
use crate::support::orthanc::Orthanc;

/// A credential that must appear in no file.
const TOKEN: &str = "test-token-7d1f0c9a-never-written";
/// A header-file credential that must appear in no file.
const SESSION: &str = "portal-session-5e2a81";

/// The zip's instances an archive can store (their four identifiers read with the
/// independent parser of the tests): (bytes sorted, their SOP Instance UIDs), and how many
/// instances it cannot.
fn storable_instances(run: &Run) -> (Vec<Vec<u8>>, BTreeSet<String>, usize) {
    let (mut files, mut uids, mut not) = (Vec::new(), BTreeSet::new(), 0);
    for (name, bytes) in run.entries.iter().filter(|(n, _)| n.ends_with(".dcm")) {
        let ids: Option<Vec<String>> = phi::parse(bytes).ok().and_then(|p| {
            [(8, 0x16), (8, 0x18), (0x20, 0x0d), (0x20, 0x0e)]
                .iter()
                .map(|&(g, e)| text(&p.dataset, Tag(g, e)))
                .collect()
        });
        match ids {
            Some(ids) => {
                assert!(uids.insert(ids[1].clone()), "{name}: a UID twice");
                files.push(bytes.clone());
            }
            None => not += 1,
        }
    }
    files.sort();
    (files, uids, not)
}

fn beside(zip: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", zip.display()))
}

/// The send log's rows with this outcome.
fn outcome<'a>(log: &'a Csv, outcome: &str) -> Vec<&'a std::collections::BTreeMap<String, String>> {
    log.rows
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .collect()
}

fn send(zip: &Path, url: &str, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["send".into(), zip.display().to_string()];
    args.extend(["--stow-url".into(), format!("{url}/dicom-web")]);
    args.extend(extra.iter().map(|s| s.to_string()));
    cli(args)
}

fn count(stats: &serde_json::Value, path: &str) -> u64 {
    stats.pointer(path).and_then(|v| v.as_u64()).unwrap_or(0)
}

#[test]
fn a_run_sends_its_storable_instances_through_faults_and_a_second_send_sends_nothing() {
    let orthanc = Orthanc::start("stow-faults");
    let proxy = FaultProxy::start(
        &orthanc.url(),
        "401@1,503@3:retry-after=1,drop@5,lose@7,429@9:retry-after=1,503%8,408@13",
    );
    let dir = TempDir::new("stow-faults");
    let headers = dir.join("headers.txt");
    std::fs::write(
        &headers,
        format!("# the portal's session\nX-Portal-Session: {SESSION}\n"),
    )
    .expect("write the header file");
    let url = format!("{}/dicom-web", proxy.url());
    let auth = format!("Authorization: Bearer {TOKEN}");
    let headers_arg = headers.display().to_string();
    let run = run_in(
        dir,
        &[
            "--stow-url",
            &url,
            "--stow-header",
            &auth,
            "--stow-header-file",
            &headers_arg,
            "--stow-max-count",
            "4",
        ],
        &corpus(),
    );
    let (expected, uids, not_storable) = storable_instances(&run);
    assert!(
        not_storable > 0,
        "tests/data has outputs no archive can store"
    );
    assert!(expected.len() > 20);
    assert_eq!(
        orthanc.stored_files(),
        expected,
        "Orthanc holds the zip's storable instances"
    );

    let log = read_csv(&beside(&run.zip, ".send-log.csv"));
    assert_eq!(
        outcome(&log, "stored").len(),
        expected.len(),
        "{}",
        log.text
    );
    assert_eq!(outcome(&log, "not_storable").len(), not_storable);
    assert!(outcome(&log, "not_storable")
        .iter()
        .all(|r| r["reason"].starts_with("not storable: no ")));
    assert_eq!(log.rows.len(), expected.len() + not_storable);

    let stats = proxy.stats();
    for kind in ["401", "503", "drop", "lose", "429", "408"] {
        assert!(
            count(&stats, &format!("/faults/byKind/{kind}")) >= 1,
            "{kind}: {stats}"
        );
    }
    assert_eq!(count(&stats, "/authorized"), count(&stats, "/requests"));
    let forwarded: BTreeSet<String> = proxy.forwarded_uids().into_iter().collect();
    assert_eq!(forwarded, uids, "only storable instances were sent");

    // Credentials are in no file written (the header file is the user's own).
    for f in files_under(run.dir.path())
        .into_iter()
        .filter(|f| *f != headers)
    {
        let bytes = std::fs::read(&f).expect("read");
        for secret in [TOKEN, SESSION] {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{secret} written to {}", f.display());
        }
    }

    // A second send: nothing is sent.
    let before = count(&stats, "/requests");
    let out = send(&run.zip, &proxy.url(), &["--stow-header", &auth]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(&proxy.stats(), "/requests"),
        before,
        "a second send sent requests"
    );
    let log = read_csv(&beside(&run.zip, ".send-log.csv"));
    assert_eq!(outcome(&log, "already_stored").len(), expected.len());
    assert_eq!(orthanc.stored_files(), expected);
}

/// A resumed send sent (in order, as the proxy counted) each instance not `done` once and
/// none that is: with `done`, all of `uids`.
fn assert_each_rest_sent_once(sent: &[String], done: &BTreeSet<String>, uids: &BTreeSet<String>) {
    let mut all = done.clone();
    for uid in sent {
        assert!(
            all.insert(uid.clone()),
            "{uid} sent again after it was stored"
        );
    }
    assert_eq!(&all, uids, "every instance not stored before was sent");
}

#[test]
fn a_send_cut_half_way_resumes_with_only_the_rest() {
    let run = run("stow-resume", &[], &corpus());
    let (expected, uids, _) = storable_instances(&run);
    let orthanc = Orthanc::start("stow-resume");
    // Everything after the third request is refused (403 is never retried).
    let cut = FaultProxy::start(&orthanc.url(), "403>3");
    let out = send(
        &run.zip,
        &cut.url(),
        &["--stow-max-count", "5", "--stow-max-bytes", "100000000"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a send that stored only part fails"
    );
    let first: Vec<String> = cut.forwarded_uids();
    assert_eq!(first.len(), 15);
    let log = read_csv(&beside(&run.zip, ".send-log.csv"));
    assert_eq!(outcome(&log, "stored").len(), 15);
    let failed = outcome(&log, "failed");
    assert_eq!(failed.len(), uids.len() - 15);
    // The first refusal stops the send: the other batches are not tried.
    assert_eq!(count(&cut.stats(), "/requests"), 4);
    let refused = failed.iter().filter(|r| r["reason"] == "HTTP 403").count();
    assert_eq!(refused, 5, "{}", log.text);
    let stopped = "not sent: the send stopped after HTTP 403";
    assert_eq!(
        failed.iter().filter(|r| r["reason"] == stopped).count(),
        failed.len() - 5
    );
    let port = cut.port;
    drop(cut);

    // The same URL (the ledger's destination), now without faults.
    let proxy = FaultProxy::start_on(&orthanc.url(), "", port);
    let out = send(
        &run.zip,
        &proxy.url(),
        &["--stow-max-count", "5", "--stow-max-bytes", "100000000"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: BTreeSet<String> = first.into_iter().collect();
    assert_each_rest_sent_once(&proxy.forwarded_uids(), &done, &uids);
    assert_eq!(orthanc.stored_files(), expected);
    assert_eq!(orthanc.stored_count(), expected.len());
}

/// Polls `ready` every 100 ms for up to a minute.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..600 {
        if ready() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("gave up waiting for {what}");
}

#[test]
fn a_send_killed_while_it_waits_resumes_with_what_its_ledger_does_not_list() {
    let run = run("stow-kill", &[], &corpus());
    let (expected, uids, _) = storable_instances(&run);
    let orthanc = Orthanc::start("stow-kill");
    // The third request onwards reaches Orthanc at once; its response is held for two minutes.
    let slow = FaultProxy::start(&orthanc.url(), "delay>2:ms=120000");
    let limits = ["--stow-max-count", "5", "--stow-max-bytes", "100000000"];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dicom-deid"))
        .arg("send")
        .arg(&run.zip)
        .args(["--stow-url", &format!("{}/dicom-web", slow.url())])
        .args(limits)
        .env("SOURCE_DATE_EPOCH", RUN_EPOCH)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the CLI's send");
    wait_for("the third request to reach Orthanc", || {
        count(&slow.stats(), "/forwarded") >= 3
    });
    child.kill().expect("SIGKILL the send");
    child.wait().expect("reap the send");
    let first = slow.forwarded_uids();
    assert_eq!(first.len(), 15, "three requests of five instances");

    // The ledger lists the two answered requests; the held third is in Orthanc but not listed.
    let ledger_path = beside(&run.zip, ".sent.csv");
    let text = std::fs::read_to_string(&ledger_path).expect("the ledger");
    let ledger = Ledger::parse(&text).expect("the ledger of a killed send parses");
    assert_eq!(ledger.len(), 10, "{text}");
    let destination = format!("{}/dicom-web", slow.url());
    let listed: BTreeSet<String> = uids
        .iter()
        .filter(|u| {
            ledger
                .get(u, &destination)
                .is_some_and(|r| r.status.is_stored())
        })
        .cloned()
        .collect();
    assert_eq!(listed, first[..10].iter().cloned().collect::<BTreeSet<_>>());
    // A kill during the append leaves a row cut short: the row of a held instance, cut in its
    // SHA-256.
    let cut = format!("{},9f86d081884c7d65", first[12]);
    std::fs::write(&ledger_path, format!("{text}{cut}")).expect("cut a row");
    assert_eq!(
        Ledger::parse(&format!("{text}{cut}"))
            .expect("parses")
            .len(),
        10,
        "the cut row is ignored"
    );
    let port = slow.port;
    drop(slow);

    // The same URL, without faults: every instance not listed is sent once, the listed never.
    let proxy = FaultProxy::start_on(&orthanc.url(), "", port);
    let out = send(&run.zip, &proxy.url(), &limits);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rest = proxy.forwarded_uids();
    assert_each_rest_sent_once(&rest, &listed, &uids);
    assert_eq!(orthanc.stored_files(), expected);
    assert_eq!(orthanc.stored_count(), expected.len());

    // The cut row is gone, the ledger parses and lists every instance; a third send sends nothing.
    let text = std::fs::read_to_string(&ledger_path).expect("the ledger");
    assert!(!text.contains(&format!("{cut}\n")), "{text}");
    assert_eq!(Ledger::parse(&text).expect("parses").len(), uids.len());
    let out = send(&run.zip, &proxy.url(), &limits);
    assert!(out.status.success());
    assert_eq!(
        proxy.forwarded_uids().len(),
        rest.len(),
        "a third send sent"
    );
}

#[test]
fn failed_instances_in_a_response_are_reported_and_sent_again_next_time() {
    let run = run("stow-failed", &[], &corpus());
    let (expected, _, _) = storable_instances(&run);
    let orthanc = Orthanc::start("stow-failed");
    // The second request is answered 409 with a Failed SOP Sequence (Failure Reason 0xC000).
    let proxy = FaultProxy::start(&orthanc.url(), "failed@2");
    let out = send(
        &run.zip,
        &proxy.url(),
        &["--stow-max-count", "4", "--stow-max-bytes", "100000000"],
    );
    assert_eq!(out.status.code(), Some(1));
    let log = read_csv(&beside(&run.zip, ".send-log.csv"));
    let failed: BTreeSet<String> = outcome(&log, "failed")
        .iter()
        .map(|r| {
            assert_eq!(r["reason"], "Failure Reason 0xC000");
            r["sop_instance_uid"].clone()
        })
        .collect();
    assert_eq!(failed.len(), 4);
    assert_eq!(orthanc.stored_files().len(), expected.len() - 4);

    let before = proxy.forwarded_uids().len();
    let out = send(
        &run.zip,
        &proxy.url(),
        &["--stow-max-count", "4", "--stow-max-bytes", "100000000"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again: BTreeSet<String> = proxy.forwarded_uids()[before..].iter().cloned().collect();
    assert_eq!(again, failed, "only the failed instances are sent again");
    assert_eq!(orthanc.stored_files(), expected);
}

/// POSTs a body to Orthanc's STOW-RS with curl (a client apart from the CLI's), asking for
/// `accept`; the response body and its content type.
fn curl_stow(orthanc: &Orthanc, dir: &TempDir, parts: &[&[u8]], accept: &str) -> (Vec<u8>, String) {
    let (content_type, bytes) = body(parts).expect("a body");
    let file = dir.join("body");
    std::fs::write(&file, bytes).expect("write the body");
    let out = std::process::Command::new("curl")
        .args(["-sS", "--fail", "-X", "POST", "-H"])
        .arg(format!("Content-Type: {content_type}"))
        .args(["-H", &format!("Accept: {accept}"), "--data-binary"])
        .arg(format!("@{}", file.display()))
        .args(["-w", "\n%{content_type}"])
        .arg(format!("{}/studies", orthanc.dicomweb_url()))
        .output()
        .expect("curl");
    assert!(out.status.success(), "STOW-RS by curl: {}", orthanc.log());
    let mut body = out.stdout;
    let split = body
        .iter()
        .rposition(|b| *b == b'\n')
        .expect("the content type line");
    let ct = String::from_utf8_lossy(&body[split + 1..]).into_owned();
    body.truncate(split);
    (body, ct)
}

#[test]
fn the_response_parser_reads_orthancs_json_and_xml_responses() {
    let run = run("stow-parse", &[], &corpus());
    let (expected, uids, _) = storable_instances(&run);
    let orthanc = Orthanc::start("stow-parse");
    let dir = TempDir::new("stow-parse");
    let uid_of = |b: &[u8]| {
        let p = phi::parse(b).expect("parse");
        text(&p.dataset, Tag(8, 0x18)).expect("a SOP Instance UID")
    };
    for (accept, pair) in [
        ("application/dicom+json", &expected[0..2]),
        ("application/dicom+xml", &expected[2..4]),
    ] {
        let parts: Vec<&[u8]> = pair.iter().map(Vec::as_slice).collect();
        let (response, ct) = curl_stow(&orthanc, &dir, &parts, accept);
        assert!(
            ct.contains(accept.trim_start_matches("application/")),
            "{accept}: {ct}"
        );
        let listed = parse(&response, &ct).unwrap_or_else(|e| panic!("{accept}: {e}"));
        let got: BTreeSet<String> = listed
            .iter()
            .map(|r| {
                assert_eq!(r.status, InstanceStatus::Stored, "{accept}: {r:?}");
                assert!(r.sop_class_uid.is_some());
                r.sop_instance_uid.clone()
            })
            .collect();
        let sent: BTreeSet<String> = pair.iter().map(|b| uid_of(b)).collect();
        assert_eq!(got, sent, "{accept}");
        assert!(got.is_subset(&uids));
    }
}
