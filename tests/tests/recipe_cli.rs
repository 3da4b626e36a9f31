//! Imported recipes run by the command-line program on the corpus (`tests/data`): CTP's
//! `DICOM-PS3.15-Basic` and `TCIA-Basic` profiles, CTP's `DicomServiceAnonymizer` script and
//! pydicom deid's `deid.dicom` (`tests/recipes/`, PROVENANCE.md there). Outputs are written, the
//! independent PHI checker (`tests/support/phi.rs`) finds nothing in them, CTP's functions give
//! CTP's values in the files (UIDs, dates; `@hashdate` of the PatientID), and a recipe whose import report has unsupported
//! rows is refused until the report is accepted.

use std::path::PathBuf;

use crate::support::harness::*;
use crate::support::SECRET;
use dicom_deid::recipe::ctp::functions as ctp;
use dicom_dictionary_std::tags;

fn recipe(rel: &str) -> String {
    root()
        .join("tests/recipes")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

const BASIC_ROOT: &str = "1.3.6.1.4.1.14519.5.2.1.9999.9999";

#[test]
fn ctp_basic_profile_runs_on_the_corpus_with_ctp_uids() {
    let r = recipe("ctp/DICOM-PS3.15-Basic.script");
    let args = [
        "--recipe",
        &r,
        "--param",
        "RUN_DATE=20261206",
        "--param",
        "RUN_TIME=120000",
    ];
    let run = run("ctp-basic", &args, &[data()]);
    assert!(run.stderr.contains("dictionary attack"), "{}", run.stderr);
    let written = run.written();
    assert!(written.len() >= 30, "{} written", written.len());
    assert_checker_clean(&run);
    let mut checked = 0;
    for w in &written {
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        let Some(uid) = text(&input.dataset, tags::SOP_INSTANCE_UID) else {
            continue;
        };
        let got = text(&output.dataset, tags::SOP_INSTANCE_UID).expect("a SOP Instance UID");
        assert_eq!(
            got,
            ctp::hash_uid(BASIC_ROOT, uid.trim_end_matches(['\0', ' '])),
            "{}",
            w.source
        );
        // @date() is the run's date given as a parameter
        if text(&input.dataset, tags::STUDY_DATE).is_some_and(|d| !d.trim().is_empty()) {
            assert_eq!(
                text(&output.dataset, tags::STUDY_DATE).as_deref(),
                Some("20261206")
            );
        }
        checked += 1;
    }
    assert!(checked >= 30);
}

#[test]
fn tcia_basic_profile_shifts_dates_by_its_parameter_and_takes_ids_from_the_mapping() {
    let r = recipe("ctp/TCIA-Basic.script");
    let mapping = data().join("mapping.csv");
    let args = [
        "--recipe",
        &r,
        "--preset",
        "research",
        "--mapping",
        mapping.to_str().unwrap(),
        "--param",
        "DATEINC=-1700",
        "--param",
        "BODYPART=CHEST",
        "--param",
        "UIDROOT=1.2.826.0.1.3680043.10.999",
    ];
    let run = run("ctp-tcia", &args, &[data()]);
    let written = run.written();
    assert!(written.len() >= 10, "{} written", written.len());
    assert_checker_clean(&run);
    let ids: Vec<String> = run
        .key
        .rows
        .iter()
        .map(|r| r["research_id"].clone())
        .collect();
    let mut dates = 0;
    for w in &written {
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        let pid = text(&output.dataset, tags::PATIENT_ID).expect("PatientID");
        assert!(
            ids.contains(&pid),
            "{}: PatientID {pid} not a research ID",
            w.source
        );
        if let Some(d) = text(&input.dataset, tags::STUDY_DATE).filter(|d| d.trim().len() == 8) {
            let want = ctp::increment_date(d.trim(), -1700).expect("a date");
            assert_eq!(
                text(&output.dataset, tags::STUDY_DATE),
                Some(want),
                "{}",
                w.source
            );
            dates += 1;
        }
    }
    assert!(dates >= 5, "{dates} study dates checked");
}

fn refused(args: &[&str]) -> String {
    let dir = TempDir::new("import-refused");
    let zip = dir.join("out.zip");
    let secret = dir.join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let mut full: Vec<String> = vec!["--out".into(), zip.to_string_lossy().into_owned()];
    full.extend([
        "--secret-file".into(),
        secret.to_string_lossy().into_owned(),
    ]);
    full.extend(args.iter().map(|s| s.to_string()));
    full.push(data().to_string_lossy().into_owned());
    let out = cli(&full);
    assert_eq!(out.status.code(), Some(1), "refused with exit status 1");
    assert!(!zip.exists(), "nothing written");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_ctp_script_with_unsupported_rows_runs_only_when_its_report_is_accepted() {
    let r = recipe("ctp/TCIA-BasicAdditions.script");
    let err = refused(&["--recipe", &r, "--param", "DATEINC=-30"]);
    assert!(
        err.contains("--accept-import-report") && err.contains("@select"),
        "{err}"
    );
    let args = [
        "--recipe",
        &r,
        "--param",
        "DATEINC=-30",
        "--accept-import-report",
    ];
    let run = run("ctp-additions", &args, &[data()]);
    assert!(run.written().len() >= 10);
    assert_checker_clean(&run);
}

#[test]
fn ctp_service_anonymizer_moves_dates_by_ctp_hashdate_of_the_patient_id() {
    // its 28 @hashdate(this,PatientID) rows are imported: the script runs without accepting
    // its report, and each date is moved by the offset CTP derives from the original PatientID
    let r = recipe("ctp/DicomServiceAnonymizer.script");
    let run = run("ctp-service", &["--recipe", &r], &[data()]);
    assert!(run.stderr.contains("dictionary attack"), "{}", run.stderr);
    let written = run.written();
    assert!(written.len() >= 20, "{} written", written.len());
    assert_checker_clean(&run);
    let mut checked = 0;
    for w in &written {
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        let pid = text(&input.dataset, tags::PATIENT_ID).unwrap_or_default();
        for tag in [
            tags::STUDY_DATE,
            tags::CONTENT_DATE,
            tags::PATIENT_BIRTH_DATE,
        ] {
            let Some(date) = text(&input.dataset, tag) else {
                continue;
            };
            let want = ctp::hash_date(&date, &pid).ok().flatten();
            assert_eq!(text(&output.dataset, tag), want, "{} {tag}", w.source);
            // CTP's offset is never zero: every date moved
            assert_ne!(want.as_deref(), Some(date.as_str()));
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} dates checked");
}

#[test]
fn deid_recipe_runs_when_its_report_is_accepted_and_holds_what_its_filters_flag() {
    let r = recipe("deid/deid.dicom");
    let err = refused(&["--recipe", &r]);
    assert!(err.contains("var:entity_id"), "{err}");
    let inputs: Vec<PathBuf> = vec![data()];
    let run = run("deid", &["--recipe", &r, "--accept-import-report"], &inputs);
    let written = run.written();
    assert!(written.len() >= 10, "{} written", written.len());
    assert_checker_clean(&run);
    // the blacklist "Any Scanned Document or Secondary Save" and the others hold files
    assert!(!run.with_outcome("held").is_empty(), "{:?}", run.log.rows);
    for w in &written {
        let out = dicom(&w.output, "output");
        // REPLACE-priority ADD IssuerOfPatientID STARR comes before REMOVE endswith:ID
        if let Some(v) = text(&out.dataset, tags::ISSUER_OF_PATIENT_ID) {
            assert_eq!(v.trim(), "STARR", "{}", w.source);
        }
    }
}
