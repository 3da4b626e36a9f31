//! The CTP-compatible functions give CTP's values: every row the independent oracle
//! (`tests/support/ctp_oracle.py`, hashlib and datetime, written from CTP's definitions) computes
//! for a few hundred generated UIDs, IDs, names, ages and dates (DICOM and ISO forms, with and
//! without time parts, multi-valued, partial) is recomputed by the Rust functions and compared.

use std::process::Command;

use dicom_deid::recipe::ctp::functions as ctp;
use serde_json::Value;

fn oracle_rows() -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/ctp_oracle.py");
    let out = Command::new("python3")
        .arg(script)
        .output()
        .expect("python3 runs the oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("oracle prints UTF-8");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON row a line"))
        .collect()
}

fn opt_int(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn s(v: &Value) -> &str {
    v.as_str().expect("a text argument")
}

/// The Rust value for one oracle row; `None` where CTP writes an empty value.
fn compute(row: &Value) -> Option<String> {
    let a = row["args"].as_array().expect("args");
    match row["fn"].as_str().expect("fn") {
        "hash" => Some(ctp::hash(s(&a[0]), opt_int(&a[1]))),
        "hashuid" => Some(ctp::hash_uid(s(&a[0]), s(&a[1]))),
        "hashname" => Some(ctp::hash_name(
            s(&a[0]),
            opt_int(&a[1]).unwrap_or(4),
            opt_int(&a[2]),
        )),
        "hashptid" => Some(ctp::hash_ptid(s(&a[0]), s(&a[1]), opt_int(&a[2]))),
        "incrementdate" => ctp::increment_date_value(s(&a[0]), opt_int(&a[1]).expect("days"))
            .ok()
            .flatten(),
        "hashdate" => ctp::hash_date(s(&a[0]), s(&a[1])).ok().flatten(),
        "round" => ctp::round_age(s(&a[0]), opt_int(&a[1]).expect("width") as i32).ok(),
        "initials" => Some(ctp::caesar(
            &ctp::initials(s(&a[0])),
            opt_int(&a[1]).expect("offset"),
        )),
        other => panic!("unknown oracle function {other}"),
    }
}

#[test]
fn ctp_functions_equal_the_oracle_on_every_generated_input() {
    let rows = oracle_rows();
    assert!(
        rows.len() >= 300,
        "the oracle gives a few hundred rows, got {}",
        rows.len()
    );
    let mut failures = Vec::new();
    for row in &rows {
        let expected = row["out"].as_str().map(str::to_string);
        let got = compute(row);
        if got != expected {
            failures.push(format!("{row} -> {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    // the generated inputs cover every function and both outcomes of the date functions
    for f in [
        "hash",
        "hashuid",
        "hashname",
        "hashptid",
        "incrementdate",
        "hashdate",
        "round",
        "initials",
    ] {
        assert!(rows.iter().any(|r| r["fn"] == f), "no row for {f}");
    }
    let empty_dates = rows
        .iter()
        .filter(|r| r["fn"] == "incrementdate" && r["out"].is_null())
        .count();
    let moved_dates = rows
        .iter()
        .filter(|r| r["fn"] == "incrementdate" && r["out"].is_string())
        .count();
    assert!(
        empty_dates > 0 && moved_dates > 50,
        "dates: {moved_dates} moved, {empty_dates} empty"
    );
}

#[test]
fn hashuid_is_the_root_then_the_digest_cut_to_64_characters() {
    let root = "1.3.6.1.4.1.14519.5.2.1.9999.9999";
    let uid = ctp::hash_uid(root, "1.2.3");
    let digest = ctp::md5_decimal("1.2.3");
    assert_eq!(uid.len(), 64.min(root.len() + 1 + digest.len()));
    assert_eq!(
        uid,
        format!("{root}.{digest}")
            .chars()
            .take(64)
            .collect::<String>()
    );
    // a root without its period gets one; a UID is never longer than PS3.5 allows
    assert_eq!(ctp::hash_uid("9999", "1.2.3"), format!("9999.{digest}"));
}
