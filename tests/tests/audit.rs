//! The audit (`--audit DIR`, a dry run over the headers): on the real files of `tests/data` its
//! predicted outcome of every file is the run's, file by file; its summary holds no identifying
//! value of the inputs (the independent PHI checker); it writes its three files and nothing
//! else; and on a synthetic batch built with pydicom to have a known number of unique patients,
//! its k-anonymity figures are those.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::harness::*;

/// Runs `--audit` into `<dir>/audit` with `args`; returns the summary (JSON) and the detail.
fn audit(dir: &Path, args: &[&str], inputs: &[PathBuf]) -> (serde_json::Value, Csv) {
    let out = dir.join("audit");
    let mut full: Vec<std::ffi::OsString> = vec!["--audit".into(), out.clone().into(), "-q".into()];
    full.extend(args.iter().map(Into::into));
    full.extend(inputs.iter().map(|p| p.clone().into_os_string()));
    let o = cli(full);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "audit-detail.csv",
            "audit-summary.html",
            "audit-summary.json"
        ]
    );
    let summary = serde_json::from_slice(&fs::read(out.join("audit-summary.json")).unwrap());
    (summary.unwrap(), read_csv(&out.join("audit-detail.csv")))
}

/// The summary's attribute rows under `key` (`attributes`, `nested_attributes`): keyword →
/// (action, rule).
fn rows(summary: &serde_json::Value, key: &str) -> BTreeMap<String, (String, String)> {
    summary[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let text = |k: &str| a[k].as_str().unwrap().to_string();
            (text("keyword"), (text("action"), text("rule")))
        })
        .collect()
}

/// dcmdump's text (independent of the engine) of the one file a run wrote.
fn dump_of_the_written(run: &Run) -> String {
    let written = run.with_outcome("written");
    assert_eq!(written.len(), 1, "{:?}", run.log.rows);
    let file = run.save_entry(&written[0]["output_path"], "out.dcm");
    let dump = std::process::Command::new("dcmdump")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    String::from_utf8_lossy(&dump.stdout).into_owned()
}

#[test]
fn the_audit_predicts_every_outcome_of_the_run_and_its_summary_has_no_phi() {
    for args in [
        &["--preset", "research", "--unreviewed", "keep"][..],
        &[
            "--preset",
            "research",
            "--mapping",
            "tests/data/mapping.csv",
            "--unreviewed",
            "keep",
        ],
        &["--preset", "basic", "--unreviewed", "hold"],
    ] {
        let run = run("audit-run", args, &corpus());
        let secret_file = run.dir.join("secret");
        let secret = ["--secret-file", secret_file.to_str().unwrap()];
        let before = fs::read_dir(run.dir.path()).unwrap().count();
        let (summary, detail) = audit(run.dir.path(), &[args, &secret[..]].concat(), &corpus());
        // Nothing but the audit's folder was added.
        assert_eq!(fs::read_dir(run.dir.path()).unwrap().count(), before + 1);
        let predicted: BTreeMap<&str, &str> = detail
            .rows
            .iter()
            .map(|r| (r["source_path"].as_str(), r["outcome"].as_str()))
            .collect();
        let actual: BTreeMap<&str, &str> = run
            .log
            .rows
            .iter()
            .map(|r| (r["source_path"].as_str(), r["outcome"].as_str()))
            .collect();
        // Under `hold`, the images the gate flags are written or held as the run's text
        // detector finds (it reads pixels): the audit lists them as pending; every other
        // file's outcome is the run's.
        let hold = args.contains(&"hold");
        let pending: Vec<&str> = detail
            .rows
            .iter()
            .filter(|r| r["pixel_review_pending"] == "yes")
            .map(|r| r["source_path"].as_str())
            .collect();
        assert_eq!(
            summary["pixel_review_pending"].as_u64(),
            Some(pending.len() as u64)
        );
        let mut differ = 0;
        for (path, outcome) in &predicted {
            if hold && pending.contains(path) {
                assert!(["written", "held"].contains(&actual[path]), "{path}");
                differ += usize::from(actual[path] != *outcome);
                continue;
            }
            assert_eq!(Some(outcome), actual.get(path), "{args:?} {path}");
        }
        assert_eq!(predicted.len(), actual.len());
        if hold {
            assert!(differ > 0, "some flagged image is held by the detector");
        } else {
            for (outcome, n) in summary["outcomes"].as_object().unwrap() {
                let logged = run.with_outcome(outcome).len() as u64;
                assert_eq!(n.as_u64(), Some(logged), "{args:?} {outcome}");
            }
        }
        assert!(summary["attributes"].as_array().unwrap().len() > 100);
        // No identifying value of any input in the summary; the detail holds them (PHI).
        let mut ids = phi::Identifiers::default();
        for p in files_under(&data()) {
            if let Ok(i) = phi::identifiers(&fs::read(&p).unwrap()) {
                ids.merge(&i);
            }
        }
        for name in ["audit-summary.json", "audit-summary.html"] {
            let text = fs::read_to_string(run.dir.join("audit").join(name)).unwrap();
            // The summary names attributes by keyword; a Siemens CSA header (a private OB value)
            // holds the same words (`UsedPatientWeight`, `EchoLinePosition`): the checker's
            // private-value findings are left out here, names, IDs, dates and UIDs are not.
            let found: Vec<_> = ids
                .check_text(name, &text)
                .into_iter()
                .filter(|f| f.kind != phi::Kind::Private)
                .collect();
            assert!(found.is_empty(), "{args:?} {name}: {found:?}");
        }
        let detail_text = fs::read_to_string(run.dir.join("audit/audit-detail.csv")).unwrap();
        assert!(!ids.check_text("detail", &detail_text).is_empty());
    }
}

/// Ten patients (two files each) made with pydicom, with sex and age such that three are
/// unique: one by sex, one by age, one by the two together.
const SYNTHETIC: &str = r#"
import sys, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out = sys.argv[1]
people = [("F", "061Y")] * 3 + [("M", "062Y")] * 2 + [("M", "064Y"), ("O", "060Y"), ("F", "030Y"), ("U", "090Y"), ("F", "063Y")]
for i, (sex, age) in enumerate(people):
    study = generate_uid()
    for j in range(2):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.PatientName = f"Synthetic^Person{i:02d}"
        ds.PatientID = f"SYN{i:04d}"
        ds.PatientSex = sex
        ds.PatientAge = age
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = study + ".1"
        ds.StudyDate = "20240102"
        ds.Modality = "OT"
        ds.SeriesNumber = 1
        ds.InstanceNumber = j + 1
        ds.Manufacturer = "ACME"
        ds.save_as(f"{out}/p{i:02d}_{j}.dcm", enforce_file_format=True)
"#;

/// A folder `batch` made by a pydicom `script` (given the folder), and the test secret beside it:
/// (the temporary folder, the batch, the secret file).
fn pydicom_batch(label: &str, script: &str) -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new(label);
    let batch = dir.join("batch");
    fs::create_dir_all(&batch).unwrap();
    python(script, [batch.as_os_str()]);
    let secret = dir.join("secret");
    fs::write(&secret, SECRET).unwrap();
    (dir, batch, secret)
}

#[test]
fn k_anonymity_on_a_synthetic_batch_with_three_unique_patients() {
    let (dir, batch, secret) = pydicom_batch("audit-risk", SYNTHETIC);
    let args = [
        "--preset",
        "research",
        "--secret-file",
        secret.to_str().unwrap(),
    ];
    let (s, detail) = audit(dir.path(), &args, &[batch.clone()]);
    assert_eq!(detail.rows.len(), 20);
    assert_eq!(s["patients"], 10);
    let risk = &s["risk"];
    assert_eq!(risk["patients"], 10, "{risk}");
    assert_eq!(risk["unique_patients"], 3, "{risk}");
    assert_eq!(risk["k"], 1);
    assert_eq!(risk["classes"], 5);
    assert_eq!(risk["unique_by"]["PatientSex"], 1, "{risk}");
    assert_eq!(risk["unique_by"]["PatientAge"], 1, "{risk}");
    assert_eq!(risk["unique_by"]["(combination)"], 1, "{risk}");
    // Under the basic profile sex and age are emptied: of the quasi-identifiers only the
    // device's maker and model (outside Table E.1-1) stay, the same for all: nobody is unique.
    let args = [
        "--preset",
        "basic",
        "--secret-file",
        secret.to_str().unwrap(),
    ];
    fs::remove_dir_all(dir.join("audit")).unwrap();
    let (s, _) = audit(dir.path(), &args, &[batch]);
    assert_eq!(
        s["risk"]["quasi_identifiers"],
        serde_json::json!(["Manufacturer", "ManufacturerModelName"])
    );
    assert_eq!(s["risk"]["unique_patients"], 0);
    assert_eq!(s["risk"]["k"], 10);
}

/// The risk figures follow a recipe: an attribute a rule keeps in some file is a quasi-identifier
/// even where the options remove it, and one every file's rule removes is not.
#[test]
fn the_risk_figures_take_the_quasi_identifiers_a_recipe_keeps_or_removes() {
    let (dir, batch, secret) = pydicom_batch("audit-risk-recipe", SYNTHETIC);
    let recipe = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    // Basic empties age; a rule keeps it for women only: it is kept in some files.
    let keeps = recipe(
        "keeps-age.toml",
        "[[rules]]\nselect = \"PatientAge\"\nwhen = { equals = { attr = \"PatientSex\", value = \"F\" } }\naction = \"keep\"\n",
    );
    let secret = secret.to_str().unwrap();
    let args = [
        "--preset",
        "basic",
        "--secret-file",
        secret,
        "--recipe",
        &keeps,
    ];
    let (s, _) = audit(dir.path(), &args, &[batch.clone()]);
    assert_eq!(
        s["risk"]["quasi_identifiers"],
        serde_json::json!(["PatientAge", "Manufacturer", "ManufacturerModelName"])
    );
    assert!(
        s["risk"]["unique_patients"].as_u64().unwrap() > 0,
        "{}",
        s["risk"]
    );
    // Research keeps sex and age; rules remove both in every file: neither counts.
    let removes = recipe(
        "removes-sex-age.toml",
        "[[rules]]\nselect = \"PatientSex\"\naction = \"remove\"\n[[rules]]\nselect = \"PatientAge\"\naction = \"empty\"\n",
    );
    let args = [
        "--preset",
        "research",
        "--secret-file",
        secret,
        "--recipe",
        &removes,
    ];
    fs::remove_dir_all(dir.join("audit")).unwrap();
    let (s, _) = audit(dir.path(), &args, &[batch]);
    let qis = s["risk"]["quasi_identifiers"].as_array().unwrap().clone();
    assert!(
        !qis.iter().any(|q| q == "PatientSex" || q == "PatientAge"),
        "{qis:?}"
    );
    assert_eq!(s["risk"]["unique_patients"], 0);
    assert_eq!(s["risk"]["k"], 10);
}

/// One file made with pydicom with identifiers inside sequences: an accession number and a
/// requested procedure ID in the Request Attributes Sequence (removed with it), and a patient
/// name, an operator's name and a code value in an item of the Anatomic Region Sequence (not
/// in Table E.1-1: kept, its items walked).
const NESTED: &str = r#"
import sys, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.PatientName = "Nested^Person"
ds.PatientID = "NEST0001"
ds.StudyInstanceUID = generate_uid()
ds.SeriesInstanceUID = generate_uid()
ds.Modality = "OT"
req = Dataset()
req.AccessionNumber = "ACCNEST42"
req.RequestedProcedureID = "RPNEST42"
ds.RequestAttributesSequence = Sequence([req])
region = Dataset()
region.CodeValue = "T-D1100"
region.PatientName = "Nested^Person"
region.OperatorsName = "Operator^Nested"
ds.AnatomicRegionSequence = Sequence([region])
ds.save_as(sys.argv[1] + "/nested.dcm", enforce_file_format=True)
"#;

#[test]
fn attributes_inside_sequences_are_counted_with_the_action_the_run_takes() {
    let (dir, batch, secret) = pydicom_batch("audit-nested", NESTED);
    let args = [
        "--preset",
        "basic",
        "--secret-file",
        secret.to_str().unwrap(),
    ];
    let (s, _) = audit(dir.path(), &args, &[batch.clone()]);
    for a in s["nested_attributes"].as_array().unwrap() {
        assert_eq!(a["files"], 1, "{a}");
    }
    let nested = rows(&s, "nested_attributes");
    let removed_with_request = (
        "removed".to_string(),
        "inside (0040,0275) RequestAttributesSequence, which is removed".to_string(),
    );
    assert_eq!(nested["AccessionNumber"], removed_with_request);
    assert_eq!(nested["RequestedProcedureID"], removed_with_request);
    assert_eq!(nested["PatientName"].0, "emptied", "{nested:?}");
    assert!(nested["PatientName"].1.contains("PatientName"));
    assert_eq!(nested["CodeValue"].0, "kept");
    assert!(["removed", "emptied", "replaced"].contains(&nested["OperatorsName"].0.as_str()));
    // The top level lists the sequences themselves, not what is inside them.
    let top: Vec<&str> = s["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["keyword"].as_str().unwrap())
        .collect();
    assert!(top.contains(&"RequestAttributesSequence") && !top.contains(&"CodeValue"));

    // The run does what the audit says, read back by dcmdump (independent of the engine).
    let run = run("audit-nested-run", &["--preset", "basic"], &[batch]);
    let dump = dump_of_the_written(&run);
    assert!(!dump.contains("RequestAttributesSequence"), "{dump}");
    assert!(!dump.contains("ACCNEST42") && !dump.contains("RPNEST42"));
    assert!(!dump.contains("Operator^Nested") && !dump.contains("Nested^Person"));
    assert!(dump.contains("AnatomicRegionSequence") && dump.contains("T-D1100"));
}

#[test]
fn with_a_recipe_the_attribute_rows_name_the_deciding_rule_in_the_words_of_explain() {
    let dir = TempDir::new("audit-recipe");
    let recipe = root().join("tests/recipes/removes-required.toml");
    let r = recipe.to_str().unwrap();
    let mr = data().join("dicom3tools/0051.dcm");
    let secret = dir.join("secret");
    fs::write(&secret, SECRET).unwrap();
    let secret = ["--secret-file", secret.to_str().unwrap()];
    let (s, _) = audit(
        dir.path(),
        &[&secret[..], &["--recipe", r]].concat(),
        &[mr.clone()],
    );
    let rows = rows(&s, "attributes");
    let explain = |what: &str| {
        let o = cli(["--explain", what, "--recipe", r, mr.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).trim_end().to_string()
    };
    // Each rule's row: the action the run applies, the rule in the words --explain gives.
    for (keyword, action, rule) in [
        ("EchoTime", "emptied", "drop echo time"),
        ("Modality", "kept", "drop modality"),
        ("StudyDescription", "removed", "drop study description"),
    ] {
        let (a, words) = &rows[keyword];
        assert_eq!(a, action, "{keyword}: {words}");
        assert!(
            words.starts_with("recipe: ") && words.contains(rule),
            "{words}"
        );
        let said = explain(keyword);
        assert!(
            said.ends_with(words.trim_start_matches("recipe: ")),
            "{said} / {words}"
        );
    }
    assert!(rows["EchoTime"].1.contains("Type 2 in this IOD"));
    assert!(rows["Modality"].1.contains("Type 1 in this IOD"));
    // An attribute no rule decides: the profile's row, as without a recipe on the recipe's
    // base preset.
    let (a, words) = &rows["StudyDate"];
    assert!(
        words.starts_with("Table E.1-1 row StudyDate"),
        "{a} {words}"
    );
    let (plain, _) = audit(
        &dir.join("plain"),
        &[&secret[..], &["--preset", "research"]].concat(),
        &[mr],
    );
    let plain_row = plain["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["keyword"] == "StudyDate")
        .cloned()
        .unwrap();
    assert_eq!(
        (plain_row["action"].as_str(), plain_row["rule"].as_str()),
        (Some(a.as_str()), Some(words.as_str()))
    );
}

/// Rules into the sequences of the pydicom file [`NESTED`]: the Request Attributes Sequence
/// kept (the profile removes it), the accession number in its items replaced, the code value
/// in the Anatomic Region Sequence replaced; the rest is the profile's.
const NESTED_RECIPE: &str = r#"
name = "rules inside sequences (audit test)"
base = "basic"

[[rules]]
name = "keep the request"
select = "RequestAttributesSequence"
action = "keep"

[[rules]]
name = "requested accession"
select = "RequestAttributesSequence/AccessionNumber"
action = { replace = "ACCRULE1" }

[[rules]]
name = "region code"
select = "AnatomicRegionSequence/CodeValue"
action = { replace = "T-RULE1" }
"#;

#[test]
fn with_a_recipe_attributes_inside_sequences_are_audited_with_the_rule_the_run_applies() {
    let (dir, batch, secret) = pydicom_batch("audit-nested-recipe", NESTED);
    let recipe = dir.join("nested.toml");
    fs::write(&recipe, NESTED_RECIPE).unwrap();
    let args = [
        "--recipe",
        recipe.to_str().unwrap(),
        "--secret-file",
        secret.to_str().unwrap(),
    ];
    let (s, _) = audit(dir.path(), &args, &[batch.clone()]);
    let nested = rows(&s, "nested_attributes");
    let ruled = |keyword: &str, action: &str, rule: &str| {
        let (a, words) = &nested[keyword];
        assert_eq!(a, action, "{keyword}: {words}");
        assert!(
            words.starts_with(&format!("recipe: {rule} (select ")),
            "{keyword}: {words}"
        );
    };
    ruled("AccessionNumber", "replaced", "requested accession");
    ruled("CodeValue", "replaced", "region code");
    // Inside the kept sequence, an attribute no rule decides: the profile's row.
    let (a, words) = &nested["RequestedProcedureID"];
    assert_eq!(a, "removed", "{words}");
    assert!(words.starts_with("Table E.1-1 row RequestedProcedureID"));
    assert_eq!(nested["PatientName"].0, "emptied", "{nested:?}");
    let top = s["attributes"].as_array().unwrap();
    let request = top
        .iter()
        .find(|a| a["keyword"] == "RequestAttributesSequence")
        .unwrap();
    assert_eq!(request["action"], "kept", "{request}");

    // The run does what the audit says, read back by dcmdump.
    let run = run(
        "audit-nested-recipe-run",
        &["--recipe", recipe.to_str().unwrap()],
        &[batch],
    );
    let dump = dump_of_the_written(&run);
    let line = |keyword: &str| {
        dump.lines()
            .filter(|l| l.trim_end().ends_with(&format!(" {keyword}")))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    assert!(dump.contains("RequestAttributesSequence"), "{dump}");
    assert!(
        line("AccessionNumber")
            .iter()
            .any(|l| l.contains("[ACCRULE1]")),
        "{dump}"
    );
    assert!(
        line("CodeValue").iter().any(|l| l.contains("[T-RULE1]")),
        "{dump}"
    );
    assert!(
        !dump.contains("ACCNEST42") && !dump.contains("RPNEST42"),
        "{dump}"
    );
    assert!(line("RequestedProcedureID").is_empty(), "{dump}");
    assert!(
        !dump.contains("Nested^Person") && !dump.contains("T-D1100"),
        "{dump}"
    );
}
