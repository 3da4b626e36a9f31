//! Unit tests of the planner on synthetic scan records.

use super::build::make_plan;
use super::*;
use crate::config::Config;
use crate::config::IdScheme;
use crate::pseudonyms::mapping::Mapping;
use crate::scan::ScanRecord;
use crate::uid::Keyed;
use std::collections::BTreeSet;

/// `n` synthetic patients, one file each.
fn patients(n: usize) -> Vec<ScanRecord> {
    (0..n)
        .map(|i| ScanRecord {
            path: format!("in/{i}.dcm"),
            size: 100,
            result: Ok(Box::new(Header {
                patient_id: Some(format!("MRN{i:03}")),
                study_uid: Some(format!("1.2.3.{i}")),
                sop_uid: Some(format!("1.2.3.{i}.1")),
                ..Default::default()
            })),
        })
        .collect()
}

fn random(digits: u32) -> Config {
    Config {
        id_scheme: IdScheme::Random,
        id_digits: digits,
        ..Config::default()
    }
}

#[test]
fn random_ids_that_cannot_fit_are_an_error_at_once() {
    let keyed = Keyed::new(b"secret");
    let started = std::time::Instant::now();
    let err = make_plan(&patients(40), &random(1), None, &[], &keyed).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(
        err,
        PlanError::IdSpaceTooSmall {
            patients: 40,
            digits: 1,
            capacity: 9,
            taken: 0,
            needed: 2
        }
    );
    assert!(
        err.to_string().contains("set id_digits to at least 2"),
        "{err}"
    );
    // IDs of the existing key count against the space: 8 taken + 2 new > 9.
    let key: Vec<KeyRow> = (1..=8)
        .map(|n| KeyRow {
            research_id: format!("SUBJ{n}"),
            mrn: format!("OLD{n}"),
            ..Default::default()
        })
        .collect();
    let err = make_plan(&patients(2), &random(1), None, &key, &keyed).unwrap_err();
    assert!(
        matches!(err, PlanError::IdSpaceTooSmall { taken: 8, .. }),
        "{err}"
    );
    // 1 new patient fits next to them: it gets the ninth number.
    let plan = make_plan(&patients(1), &random(1), None, &key, &keyed).expect("fits");
    assert_eq!(plan.subjects[0].research_id, "SUBJ9");
}

#[test]
fn random_ids_fill_a_small_space_with_distinct_ids() {
    let keyed = Keyed::new(b"secret");
    let plan = make_plan(&patients(9), &random(1), None, &[], &keyed).expect("fits");
    let ids: BTreeSet<&str> = plan
        .subjects
        .iter()
        .map(|s| s.research_id.as_str())
        .collect();
    let want: BTreeSet<String> = (1..=9).map(|n| format!("SUBJ{n}")).collect();
    assert_eq!(ids, want.iter().map(String::as_str).collect());
    // Deterministic: the same input and secret give the same IDs.
    let again = make_plan(&patients(9), &random(1), None, &[], &keyed).expect("fits");
    assert_eq!(plan, again);
    // Many patients in a large space: distinct, of the right form.
    let plan = make_plan(&patients(500), &random(4), None, &[], &keyed).expect("fits");
    let ids: BTreeSet<&str> = plan
        .subjects
        .iter()
        .map(|s| s.research_id.as_str())
        .collect();
    assert_eq!(ids.len(), 500);
    assert!(ids.iter().all(|id| id.len() == 8 && id != &"SUBJ0000"));
}

#[test]
fn accession_fits_and_stays_distinct() {
    assert_eq!(accession_for("SUBJ0001", 2), "SUBJ0001_2");
    assert_eq!(accession_for("ABCDEFGHIJKLMNOP", 1), "ABCDEFGHIJKLMN_1");
    assert_eq!(accession_for("ABCDEFGHIJKLMNOP", 12), "ABCDEFGHIJKLM_12");
    assert_ne!(
        accession_for("ABCDEFGHIJKLMNO", 1),
        accession_for("ABCDEFGHIJKLMNO", 2)
    );
}

/// A file of patient `mrn`, study `study`, SOP Instance UID `sop`.
fn file(path: &str, mrn: &str, study: Option<&str>, sop: &str, size: u64) -> ScanRecord {
    ScanRecord {
        path: path.into(),
        size,
        result: Ok(Box::new(Header {
            patient_id: Some(mrn.into()),
            study_uid: study.map(str::to_string),
            sop_uid: Some(sop.into()),
            series_uid: Some(format!("{}.9", study.unwrap_or("0"))),
            modality: Some("CT".into()),
            ..Default::default()
        })),
    }
}

fn plan_of(scans: &[ScanRecord], key: &[KeyRow]) -> Plan {
    make_plan(scans, &Config::default(), None, key, &Keyed::new(b"secret")).expect("plans")
}

fn file_plan<'p>(plan: &'p Plan, path: &str) -> &'p FilePlan {
    match plan.files.get(path) {
        Some(Ok(fp)) => fp,
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn existing_key_keeps_ids_shifts_and_study_numbers() {
    let key = vec![KeyRow {
        research_id: "SUBJ0042".into(),
        mrn: "0007".into(),
        new_accession: "SUBJ0042_3".into(),
        date_shift_days: -17,
        study_instance_uid: "1.2.7.1".into(),
        ..Default::default()
    }];
    let scans = vec![
        file("a/old.dcm", "7", Some("1.2.7.1"), "1.2.7.1.1", 10),
        file("a/new.dcm", "7", Some("1.2.7.2"), "1.2.7.2.1", 10),
        file("b/other.dcm", "8", Some("1.2.8.1"), "1.2.8.1.1", 10),
    ];
    let plan = plan_of(&scans, &key);
    // MRN "7" is the key's "0007": same research ID and shift.
    let old = file_plan(&plan, "a/old.dcm");
    let subject = &plan.subjects[old.subject];
    assert_eq!(
        (subject.research_id.as_str(), subject.shift_days),
        ("SUBJ0042", -17)
    );
    // The known study keeps its number; the new one follows the key's highest.
    assert_eq!(plan.studies[old.study].new_accession, "SUBJ0042_3");
    let new = file_plan(&plan, "a/new.dcm");
    assert_eq!(plan.studies[new.study].new_accession, "SUBJ0042_4");
    assert_eq!(new.out_path, "SUBJ0042/SUBJ0042_4/S001_CT/00001.dcm");
    // A new patient gets the next sequential ID after the key's.
    let other = file_plan(&plan, "b/other.dcm");
    assert_eq!(plan.subjects[other.subject].research_id, "SUBJ0043");
    // Without the key, the same patient gets a new ID and numbering starts at 1.
    let fresh = plan_of(&scans, &[]);
    let fp = file_plan(&fresh, "a/old.dcm");
    assert_ne!(fresh.subjects[fp.subject].research_id, "SUBJ0042");
    assert!(fresh.studies[fp.study].new_accession.ends_with("_1"));
}

#[test]
fn duplicates_write_the_largest_copy_once() {
    let scans = vec![
        file("a/1.dcm", "7", Some("1.2.7"), "1.2.7.1", 100),
        file("b/1-copy.dcm", "7", Some("1.2.7"), "1.2.7.1", 300),
        file("c/1-again.dcm", "7", Some("1.2.7"), "1.2.7.1", 300),
        file("d/2.dcm", "7", Some("1.2.7"), "1.2.7.2", 100),
    ];
    let plan = plan_of(&scans, &[]);
    // The largest, then the first by path, is written; the others point to it.
    assert_eq!(file_plan(&plan, "b/1-copy.dcm").duplicate_of, None);
    for dup in ["a/1.dcm", "c/1-again.dcm"] {
        assert_eq!(
            file_plan(&plan, dup).duplicate_of.as_deref(),
            Some("b/1-copy.dcm"),
            "{dup}"
        );
    }
    // One study of 2 files; written files get distinct ranks.
    assert_eq!(plan.studies.len(), 1);
    assert_eq!(plan.studies[0].n_files, 2);
    let written: BTreeSet<&str> = ["b/1-copy.dcm", "d/2.dcm"]
        .iter()
        .map(|p| file_plan(&plan, p).out_path.as_str())
        .collect();
    assert_eq!(written.len(), 2);
}

#[test]
fn the_plan_does_not_depend_on_the_order_of_the_scans() {
    let mut scans = patients(12);
    scans.push(file(
        "in/x.dcm",
        "MRN003",
        Some("1.2.3.3"),
        "1.2.3.3.2",
        100,
    ));
    scans.push(file("in/y.dcm", "MRN003", None, "1.2.3.3.3", 100));
    scans.push(file(
        "in/z.dcm",
        "MRN005",
        Some("1.2.3.5"),
        "1.2.3.5.1",
        200,
    ));
    scans.push(ScanRecord {
        path: "in/bad".into(),
        size: 3,
        result: Err(Rejection::NotDicom {
            detail: "short".into(),
        }),
    });
    let plan = plan_of(&scans, &[]);
    for turn in [3, 7, 11] {
        let mut other = scans.clone();
        other.reverse();
        other.rotate_left(turn);
        assert_eq!(plan_of(&other, &[]), plan, "rotation {turn}");
    }
    assert!(matches!(
        plan.files.get("in/bad"),
        Some(Err(Rejection::NotDicom { .. }))
    ));
}

#[test]
fn studies_without_a_uid_get_a_typed_key_and_no_uid_in_the_key_csv() {
    let mut by_acc = file("in/a.dcm", "7", None, "1.2.1", 10);
    let mut none = file("in/b.dcm", "7", None, "1.2.2", 10);
    if let Ok(h) = &mut by_acc.result {
        h.accession = Some("ACC9".into());
    }
    if let Ok(h) = &mut none.result {
        h.accession = None;
    }
    let scans = vec![
        by_acc,
        none,
        file("in/c.dcm", "7", Some("1.2.9"), "1.2.3", 10),
    ];
    let plan = plan_of(&scans, &[]);
    let keys: Vec<&StudyKey> = plan.studies.iter().map(|s| &s.key).collect();
    // Same (missing) CT date: stand-ins are numbered before UIDs, accession before none.
    assert_eq!(
        keys,
        [
            &StudyKey::Accession("ACC9".into()),
            &StudyKey::Unknown,
            &StudyKey::Uid("1.2.9".into())
        ]
    );
    let per_study: BTreeMap<usize, u64> = (0..3).map(|i| (i, 1)).collect();
    let rows = key_rows(&plan, &per_study);
    let uids: Vec<&str> = rows.iter().map(|r| r.study_instance_uid.as_str()).collect();
    assert_eq!(uids, ["", "", "1.2.9"]);
    assert_eq!(rows[0].original_accession, "ACC9");
}

#[test]
fn a_mapping_names_the_subjects_and_rejects_the_unlisted() {
    let mapping = Mapping::parse("MRN,Accession,New_Patient_ID\n7,,STUDY-A\n").expect("csv");
    let scans = vec![
        file("in/a.dcm", "7", Some("1.2.1"), "1.2.1.1", 10),
        file("in/b.dcm", "8", Some("1.2.2"), "1.2.2.1", 10),
    ];
    let keyed = Keyed::new(b"secret");
    let plan = make_plan(&scans, &Config::default(), Some(&mapping), &[], &keyed).expect("plans");
    let a = file_plan(&plan, "in/a.dcm");
    assert_eq!(plan.subjects[a.subject].research_id, "STUDY-A");
    assert_eq!(a.out_path, "STUDY-A/STUDY-A_1/S001_CT/00001.dcm");
    assert_eq!(plan.files.get("in/b.dcm"), Some(&Err(Rejection::NoMapping)));
}
