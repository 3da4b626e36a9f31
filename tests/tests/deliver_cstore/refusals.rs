//! C-STORE into an Orthanc configured to refuse part of the zip (options of Debian's Orthanc
//! 1.10: `AcceptedTransferSyntaxes`, the `*TransferSyntaxAccepted` groups,
//! `UnknownSopClassAccepted`, and a Lua `ReceivedInstanceFilter` that fails some instances): the
//! refused instances fail with their reason in the send log, are never sent (a refused
//! presentation context) or sent once (a failure status), the rest are stored, element-equal to
//! the zip's, and the program exits 1. Orthanc's stored set is asserted exactly each time.
use super::{compare, corpus_run, send, send_log, text, Comparison};
use crate::support::harness::{data, root, run, Run, TempDir};
use crate::support::orthanc::{Orthanc, AE_TITLE};
use serde_json::json;
use std::collections::BTreeMap;
use std::process::{Command, Output};

const EXPLICIT: &str = "1.2.840.10008.1.2.1";
const IMPLICIT: &str = "1.2.840.10008.1.2";
const RLE: &str = "1.2.840.10008.1.2.5";
const JPEG_LS: [&str; 2] = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"];
/// A SOP class UID minted here (a UUID under `2.25`): no archive knows it.
const UNKNOWN_CLASS: &str = "2.25.310238126357460385611385069413093418661";
const BASIC_TEXT_SR: &str = "1.2.840.10008.5.1.4.1.1.88.11";

fn spec(orthanc: &Orthanc) -> String {
    format!("{AE_TITLE}@127.0.0.1:{}", orthanc.dicom_port)
}

/// The C-STORE requests the send's summary counts (`… in N C-STORE requests …`).
fn requests(out: &Output) -> usize {
    let said = String::from_utf8_lossy(&out.stdout);
    said.split(" C-STORE requests")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in the summary: {said}"))
}

/// Asserts a send that the archive partly refused: exit 1; Orthanc holds exactly the storable
/// instances not in `refused` (SOP Instance UID → the send log's reason), each element-equal to
/// the zip's; the refused ones failed with that reason; `sent` C-STORE requests in all.
fn assert_partly_refused(
    run: &Run,
    orthanc: &Orthanc,
    out: &Output,
    refused: &BTreeMap<String, String>,
    sent: usize,
) -> Comparison {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    let c = compare(run, orthanc, "cstore-refused-cmp");
    let expected: Vec<String> = c
        .storable
        .iter()
        .filter(|uid| !refused.contains_key(*uid))
        .cloned()
        .collect();
    assert_eq!(c.stored, expected, "Orthanc holds exactly the others");
    assert!(c.differences.is_empty(), "{:#?}", c.differences);
    assert_eq!(c.equal_datasets, expected.len());
    let log = send_log(&run.zip);
    for row in &log.rows {
        let uid = &row["sop_instance_uid"];
        match refused.get(uid) {
            Some(reason) => {
                assert_eq!(row["outcome"], "failed", "{row:?}");
                assert_eq!(&row["reason"], reason, "{row:?}");
            }
            None if c.storable.contains(uid) => assert_eq!(row["outcome"], "stored", "{row:?}"),
            None => assert_eq!(row["outcome"], "not_storable", "{row:?}"),
        }
    }
    assert_eq!(requests(out), sent, "{}", text(out));
    assert!(
        text(out).contains(&format!(
            "{} of {} storable instances were not stored",
            refused.len(),
            c.storable.len()
        )),
        "{}",
        text(out)
    );
    c
}

/// The storable instances whose transfer syntax `refused_ts` holds, with the reason a refused
/// transfer syntax gets.
fn refused_by_syntax(
    c: &Comparison,
    refused_ts: impl Fn(&str) -> bool,
) -> BTreeMap<String, String> {
    c.transfer_syntaxes
        .iter()
        .filter(|(_, ts)| refused_ts(ts))
        .map(|(uid, ts)| {
            let why = format!("transfer syntax {ts} refused by the archive (not transcoded)");
            (uid.clone(), why)
        })
        .collect()
}

#[test]
fn an_archive_taking_only_explicit_vr_gets_implicit_vr_re_encoded_and_refuses_the_rest() {
    let run = corpus_run("cstore-explicit-only");
    let orthanc = Orthanc::start_with(
        "cstore-explicit-only",
        json!({ "AcceptedTransferSyntaxes": [EXPLICIT] }),
    );
    assert_eq!(orthanc.accepted_transfer_syntaxes(), vec![EXPLICIT]);
    let out = send(&run.zip, &spec(&orthanc), &[]);
    // what the zip holds, from the oracle
    let zip = compare(&run, &orthanc, "cstore-explicit-only-zip");
    let refused = refused_by_syntax(&zip, |ts| ts != EXPLICIT && ts != IMPLICIT);
    let implicit: Vec<String> = zip
        .transfer_syntaxes
        .iter()
        .filter(|(_, ts)| *ts == IMPLICIT)
        .map(|(uid, _)| uid.clone())
        .collect();
    assert!(!implicit.is_empty() && !refused.is_empty());
    let stored = zip.storable.len() - refused.len();
    let c = assert_partly_refused(&run, &orthanc, &out, &refused, stored);
    assert_eq!(
        c.reencoded, implicit,
        "the Implicit VR instances were stored re-encoded as Explicit VR, the same elements"
    );
}

#[test]
fn an_archive_refusing_jpeg_ls_and_rle_fails_those_instances_not_transcoded() {
    let run = corpus_run("cstore-no-rle");
    let orthanc = Orthanc::start_with(
        "cstore-no-rle",
        json!({ "JpegLosslessTransferSyntaxAccepted": false, "RleTransferSyntaxAccepted": false }),
    );
    let accepted = orthanc.accepted_transfer_syntaxes();
    assert!(accepted
        .iter()
        .all(|ts| ts != RLE && !JPEG_LS.contains(&ts.as_str())));
    assert!(
        accepted.iter().any(|ts| ts == IMPLICIT),
        "the rest still taken"
    );
    let out = send(&run.zip, &spec(&orthanc), &[]);
    let zip = compare(&run, &orthanc, "cstore-no-rle-zip");
    let refused = refused_by_syntax(&zip, |ts| !accepted.iter().any(|a| a == ts));
    let syntaxes: Vec<&String> = refused
        .keys()
        .map(|uid| &zip.transfer_syntaxes[uid])
        .collect();
    assert!(syntaxes.iter().any(|ts| *ts == RLE), "{syntaxes:?}");
    assert!(
        syntaxes.iter().any(|ts| JPEG_LS.contains(&ts.as_str())),
        "{syntaxes:?}"
    );
    assert!(
        syntaxes
            .iter()
            .all(|ts| *ts == RLE || JPEG_LS.contains(&ts.as_str())),
        "only those refused: {syntaxes:?}"
    );
    let stored = zip.storable.len() - refused.len();
    let c = assert_partly_refused(&run, &orthanc, &out, &refused, stored);
    assert!(c.reencoded.is_empty());
}

/// A copy of an MR of the corpus with its SOP Class UID (and the meta group's) changed by dcmtk's
/// `dcmodify` to a class no archive knows.
fn unknown_class_input(dir: &TempDir) -> std::path::PathBuf {
    let folder = dir.join("unknown-class");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let file = folder.join("mr.dcm");
    std::fs::copy(data().join("dicom3tools/0051.dcm"), &file).expect("copy");
    let out = Command::new("dcmodify")
        .args(["-nb", "-m"])
        .arg(format!("(0008,0016)={UNKNOWN_CLASS}"))
        .arg(&file)
        .output()
        .expect("dcmodify (dcmtk, installed by scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    folder
}

#[test]
fn an_archive_refusing_a_sop_class_fails_its_instances_and_stores_the_rest() {
    let dir = TempDir::new("cstore-class-input");
    let unknown = unknown_class_input(&dir);
    let corpus = run("cstore-class", &[], &[data(), unknown.clone()]);
    let orthanc = Orthanc::start_with("cstore-class", json!({ "UnknownSopClassAccepted": false }));
    let out = send(&corpus.zip, &spec(&orthanc), &[]);
    let zip = compare(&corpus, &orthanc, "cstore-class-zip");
    let reason = |uid: &str| {
        format!(
            "SOP class {UNKNOWN_CLASS} refused by the archive (in {} and in Explicit and \
             Implicit VR Little Endian)",
            zip.transfer_syntaxes[uid]
        )
    };
    let refused: BTreeMap<String, String> = zip
        .sop_classes
        .iter()
        .filter(|(_, class)| *class == UNKNOWN_CLASS)
        .map(|(uid, _)| (uid.clone(), reason(uid)))
        .collect();
    assert_eq!(refused.len(), 1, "the one instance of that class");
    let stored = zip.storable.len() - 1;
    assert_partly_refused(&corpus, &orthanc, &out, &refused, stored);

    // a zip of that class alone: the archive accepts none of the contexts, the instance is
    // refused by its class (the destination is not "unusable"), nothing is sent
    let alone = run("cstore-class-alone", &[], &[unknown]);
    let held = orthanc.instance_ids();
    let out = send(&alone.zip, &spec(&orthanc), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(requests(&out), 0);
    assert!(
        text(&out).contains("1 of 1 storable instances were not stored"),
        "{}",
        text(&out)
    );
    let log = send_log(&alone.zip);
    assert_eq!(log.rows.len(), 1);
    assert_eq!(log.rows[0]["outcome"], "failed");
    let uid = refused.keys().next().expect("the refused instance");
    assert_eq!(&log.rows[0]["sop_instance_uid"], uid);
    assert_eq!(log.rows[0]["reason"], reason(uid));
    assert_eq!(orthanc.instance_ids(), held, "nothing new stored");
}

#[test]
fn a_failure_status_is_recorded_per_instance_and_the_instance_sent_once() {
    let run = corpus_run("cstore-status");
    let filter = root().join("tests/tests/deliver_cstore/refuse_sr.lua");
    let orthanc = Orthanc::start_with("cstore-status", json!({ "LuaScripts": [filter] }));
    let out = send(&run.zip, &spec(&orthanc), &[]);
    let zip = compare(&run, &orthanc, "cstore-status-zip");
    // Orthanc answers a store its filter fails with A700 (out of resources), no comment
    let refused: BTreeMap<String, String> = zip
        .sop_classes
        .iter()
        .filter(|(_, class)| *class == BASIC_TEXT_SR)
        .map(|(uid, _)| {
            (
                uid.clone(),
                "status A700H: refused: out of resources".to_string(),
            )
        })
        .collect();
    assert!(!refused.is_empty());
    let all = zip.storable.len();
    assert_partly_refused(&run, &orthanc, &out, &refused, all);
    // the next send sends the failed instances again (the ledger lists them as failed), and
    // only them
    let again = send(&run.zip, &spec(&orthanc), &[]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert_eq!(requests(&again), refused.len(), "{}", text(&again));
    let log = send_log(&run.zip);
    let mut failed: Vec<&String> = log
        .rows
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .map(|r| &r["sop_instance_uid"])
        .collect();
    failed.sort();
    assert_eq!(failed, refused.keys().collect::<Vec<_>>());
}
