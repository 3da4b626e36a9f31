//! Recipes on real files: the hand-written recipe `tests/recipes/mr-siemens.toml` (conditions,
//! creator-addressed private rules, parameters, its own UID root, a path into a sequence) run
//! by the CLI on the corpus's Siemens MR (`dicom3tools/0051.dcm`), RT Structure Set
//! (`fixtures/rtstruct_on_brain_series.dcm`) and an SR (`dicomscope/reportsi.dcm`), every rule's
//! effect read back with dicom-rs; the self-check and the refusals still holding whatever a
//! recipe says; `--explain`; the recipe's hash in the plan; the keep-list's StudyID.

use std::fs;
use std::path::PathBuf;

use crate::support::harness::*;
use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;

const ROOT: &str = "1.2.826.0.1.3680043.10.999";
const MR: &str = "dicom3tools/0051.dcm";
const RTSTRUCT: &str = "fixtures/rtstruct_on_brain_series.dcm";
const SR: &str = "dicomscope/reportsi.dcm";

fn recipe_path() -> PathBuf {
    root().join("tests/recipes/mr-siemens.toml")
}

fn input(rel: &str) -> PathBuf {
    data().join(rel)
}

/// The written output of the input whose file name ends with `name`, parsed.
fn output_of(run: &Run, name: &str) -> (InMemDicomObject, InMemDicomObject) {
    let w = run
        .written()
        .into_iter()
        .find(|w| w.source.ends_with(name))
        .unwrap_or_else(|| panic!("{name} not written: {:?}", run.log.rows));
    (
        dicom(&w.input, "input").dataset,
        dicom(&w.output, "output").dataset,
    )
}

fn bytes_of(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<u8>> {
    match obj.get(tag)?.value() {
        Value::Primitive(p) => Some(p.to_bytes().to_vec()),
        _ => None,
    }
}

fn recipe_run(label: &str, extra: &[&str], inputs: &[PathBuf]) -> Run {
    let recipe = recipe_path();
    let mut args = vec![
        "--recipe",
        recipe.to_str().unwrap(),
        "--param",
        "SITE=Test Site",
    ];
    let root_param = format!("UIDROOT={ROOT}");
    args.extend(["--param", root_param.as_str()]);
    args.extend(extra);
    run(label, &args, inputs)
}

#[test]
fn hand_written_recipe_applies_rule_by_rule() {
    let run = recipe_run(
        "recipe-rules",
        &[],
        &[input(MR), input(RTSTRUCT), input(SR)],
    );
    let (inp, out) = output_of(&run, "0051.dcm");
    // CSA image header: kept (Manufacturer matches ^SIEMENS), bytes unchanged; the series
    // header of the same creator has no rule and goes with the profile.
    let csa = Tag(0x0029, 0x1010);
    assert_eq!(bytes_of(&out, csa), bytes_of(&inp, csa));
    assert!(bytes_of(&out, csa).is_some_and(|b| b.len() > 1000));
    assert!(out.get(Tag(0x0029, 0x1020)).is_none());
    assert_eq!(
        text(&out, Tag(0x0029, 0x0010)).as_deref(),
        Some("SIEMENS CSA HEADER")
    );
    // (0029,"SIEMENS CSA HEADER",08) replaced.
    assert_eq!(text(&out, Tag(0x0029, 0x1008)).as_deref(), Some("CSA"));
    // The whole SIEMENS MR HEADER block in (0051) kept as it was.
    let block: Vec<Tag> = inp
        .iter()
        .map(|e| e.tag())
        .filter(|t| t.group() == 0x0051 && t.element() >= 0x1000)
        .collect();
    assert_eq!(block.len(), 12);
    for t in block {
        assert_eq!(texts(&out, t), texts(&inp, t), "{t}");
    }
    // Conditions: MR with a CSA header → the site; the address is not blank → withheld.
    assert_eq!(
        text(&out, tags::INSTITUTION_NAME).as_deref(),
        Some("Test Site")
    );
    assert_eq!(
        text(&out, tags::INSTITUTION_ADDRESS).as_deref(),
        Some("WITHHELD")
    );
    // Weight 81.6 > 50: rounded to 5; age 049Y in bins of 10 (the profile's would be 045Y).
    assert_eq!(
        text(&inp, tags::PATIENT_WEIGHT).as_deref(),
        Some("81.646636986")
    );
    assert_eq!(text(&out, tags::PATIENT_WEIGHT).as_deref(), Some("80"));
    assert_eq!(text(&out, tags::PATIENT_AGE).as_deref(), Some("040Y"));
    // Acquisition date: DATEINC's default, -10 days from the original 20181218.
    assert_eq!(
        text(&out, tags::ACQUISITION_DATE).as_deref(),
        Some("20181208")
    );
    // Keyed hash to 8 digits and keyed pseudonym (hex, SH length).
    let serial = text(&out, tags::DEVICE_SERIAL_NUMBER).unwrap();
    assert!(serial.len() == 8 && serial.bytes().all(|b| b.is_ascii_digit()));
    assert_ne!(serial, "67060");
    let station = text(&out, tags::STATION_NAME).unwrap();
    assert!(station.len() == 16 && station.bytes().all(|b| b.is_ascii_hexdigit()));
    // Lookup in the recipe's table.
    assert_eq!(text(&out, tags::PROTOCOL_NAME).as_deref(), Some("ASL 2D"));
    // startswith:PerformedProcedureStep removes those four, not the comments attribute.
    for t in [0x0244, 0x0245, 0x0253, 0x0254] {
        assert!(inp.get(Tag(0x0040, t)).is_some());
        assert!(out.get(Tag(0x0040, t)).is_none(), "(0040,{t:04X})");
    }
    // The sequence kept by a rule; a path rule empties the class inside it, the profile
    // replaces the referenced instance UIDs under the recipe's root.
    let seq = out.get(tags::REFERENCED_IMAGE_SEQUENCE).expect("kept");
    let items = seq.items().expect("a sequence");
    assert_eq!(items.len(), 3);
    for item in items {
        assert_eq!(text(item, tags::REFERENCED_SOP_CLASS_UID), None);
        let uid = text(item, tags::REFERENCED_SOP_INSTANCE_UID).unwrap();
        assert!(
            uid.starts_with(&format!("{ROOT}.")) && uid.len() <= 64,
            "{uid}"
        );
    }
    // Every new UID under the recipe's root, within 64 characters.
    for t in [
        tags::STUDY_INSTANCE_UID,
        tags::SERIES_INSTANCE_UID,
        tags::SOP_INSTANCE_UID,
    ] {
        let uid = text(&out, t).unwrap();
        assert!(
            uid.starts_with(&format!("{ROOT}.")) && uid.len() <= 64,
            "{uid}"
        );
    }
    // The accepted-risk rule: PatientID verbatim, and the log says which rule kept what.
    assert_eq!(text(&out, tags::PATIENT_ID).as_deref(), Some("crlab"));
    let row = run.log_row("0051.dcm").or_else(|| {
        run.log
            .rows
            .iter()
            .find(|r| r["source_path"].ends_with("0051.dcm"))
    });
    assert!(row.unwrap()["reason"].contains("keep the MRN kept PatientID verbatim"));
    // OperatorsName emptied; SeriesDescription kept (its rule is for CT only).
    assert!(out.get(tags::OPERATORS_NAME).is_some());
    assert_eq!(text(&out, tags::OPERATORS_NAME), None);
    assert_eq!(
        text(&out, tags::SERIES_DESCRIPTION).as_deref(),
        Some("pasl_2d")
    );
    // The profile still decides the rest: the patient's name is the research name.
    assert!(text(&out, tags::PATIENT_NAME).unwrap().starts_with("SUBJ"));

    // The RT Structure Set: the MR-only conditions do not hold; no CSA header.
    let (rs_in, rs_out) = output_of(&run, "rtstruct_on_brain_series.dcm");
    assert_ne!(
        text(&rs_out, tags::INSTITUTION_NAME).as_deref(),
        Some("Test Site")
    );
    assert_eq!(
        text(&rs_out, tags::PATIENT_ID),
        text(&rs_in, tags::PATIENT_ID)
    );
    // The SR: excluded by the recipe's filter, with its reason in the log.
    let sr = run
        .log
        .rows
        .iter()
        .find(|r| r["source_path"].ends_with("reportsi.dcm"))
        .unwrap();
    assert_eq!(sr["outcome"], "excluded");
    assert!(sr["reason"].contains("structured reports are out of scope"));
}

#[test]
fn a_file_filter_holds_what_it_matches() {
    let dir = TempDir::new("recipe-hold");
    let recipe = dir.join("hold.toml");
    fs::write(
        &recipe,
        "[[filters]]\nwhen = { all = [ { equals = { attr = \"Modality\", value = \"RTSTRUCT\" } }, \
         { not = { blank = \"StructureSetLabel\" } } ] }\nthen = \"hold\"\nreason = \"labelled structure set\"\n",
    )
    .unwrap();
    let run = run_in(
        dir,
        &["--recipe", recipe.to_str().unwrap()],
        &[input(MR), input(RTSTRUCT)],
    );
    let held = run.with_outcome("held");
    assert_eq!(held.len(), 1);
    assert!(held[0]["source_path"].ends_with("rtstruct_on_brain_series.dcm"));
    assert!(held[0]["reason"].contains("labelled structure set"));
    assert_eq!(run.with_outcome("written").len(), 1);
}

fn cli_fails(args: &[&str]) -> String {
    let o = cli(args.iter().copied());
    assert_eq!(o.status.code(), Some(1), "{args:?}");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn keeping_an_identifier_needs_accept_risk() {
    let dir = TempDir::new("recipe-refused");
    let recipe = dir.join("keep-name.toml");
    fs::write(
        &recipe,
        "[[rules]]\nselect = \"PatientName\"\naction = \"keep\"\n",
    )
    .unwrap();
    let out = dir.join("o.zip");
    let secret = dir.join("s");
    let err = cli_fails(&[
        "--out",
        out.to_str().unwrap(),
        "--secret-file",
        secret.to_str().unwrap(),
        "--recipe",
        recipe.to_str().unwrap(),
        input(MR).to_str().unwrap(),
    ]);
    assert!(
        err.contains("accept_risk") && err.contains("PatientName"),
        "{err}"
    );
    assert!(!out.exists());
    // A broad selector that keeps every person name: the name is kept, but cleaned of the
    // file's identifiers as every kept value, and the file passes the self-check.
    fs::write(
        &recipe,
        "[[rules]]\nselect = \"vr:PN\"\naction = \"keep\"\n",
    )
    .unwrap();
    let run = run_in(dir, &["--recipe", recipe.to_str().unwrap()], &[input(MR)]);
    let (inp, out) = output_of(&run, "0051.dcm");
    let name = text(&inp, tags::PATIENT_NAME).unwrap();
    assert_eq!(name, "ASLDTIMONOtest");
    let kept = text(&out, tags::PATIENT_NAME).unwrap_or_default();
    assert!(
        !kept.to_lowercase().contains(&name.to_lowercase()),
        "{kept}"
    );
    assert!(
        !kept.is_empty() && kept.bytes().all(|b| b == b'X'),
        "{kept}"
    );
    assert!(
        !kept.starts_with("SUBJ"),
        "the rule, not the profile, decided: {kept}"
    );
}

#[test]
fn accepted_risk_exempts_only_that_attribute_from_the_self_check() {
    let dir = TempDir::new("recipe-risk");
    let recipe = dir.join("risk.toml");
    // The name kept verbatim at accepted risk, and written again into StudyDescription: the
    // self-check skips PatientName only, so it finds the name there and rejects the file.
    fs::write(
        &recipe,
        "[params.NAME]\ndescription = \"a name\"\n\
         [[rules]]\nselect = \"PatientName\"\naction = \"keep\"\naccept_risk = true\n\
         [[rules]]\nselect = \"StudyDescription\"\naction = { replace = \"scan of {NAME}\" }\n",
    )
    .unwrap();
    let r = recipe.to_str().unwrap().to_string();
    let run = run(
        "recipe-risk-leak",
        &["--recipe", &r, "--param", "NAME=ASLDTIMONOtest"],
        &[input(MR)],
    );
    let rejected = run.with_outcome("rejected");
    assert_eq!(rejected.len(), 1, "{:?}", run.log.rows);
    assert_eq!(rejected[0]["reason_code"], "self_check");
    // Without the leak the same name is written verbatim, the log naming the rule.
    let run = run_in(
        dir,
        &["--recipe", &r, "--param", "NAME=someone else"],
        &[input(MR)],
    );
    let (_, out) = output_of(&run, "0051.dcm");
    assert_eq!(
        text(&out, tags::PATIENT_NAME).as_deref(),
        Some("ASLDTIMONOtest")
    );
    assert!(run.written()[0].source.ends_with("0051.dcm"));
    assert!(run.log.rows[0]["reason"].contains("rule 1 kept PatientName verbatim"));
}

#[test]
fn parameters_and_the_uid_root_are_checked_before_anything_is_written() {
    let dir = TempDir::new("recipe-params");
    let out = dir.join("o.zip");
    let secret = dir.join("s");
    let recipe = recipe_path();
    let base = [
        "--out",
        out.to_str().unwrap(),
        "--secret-file",
        secret.to_str().unwrap(),
        "--recipe",
        recipe.to_str().unwrap(),
    ];
    let mr = input(MR);
    let with = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend(extra);
        a.push(mr.to_str().unwrap());
        cli_fails(&a)
    };
    let e = with(&["--param", &format!("UIDROOT={ROOT}")]);
    assert!(
        e.contains("parameter SITE") && e.contains("--param SITE="),
        "{e}"
    );
    let e = with(&["--param", "UIDROOT=1.02.3", "--param", "SITE=x"]);
    assert!(e.contains("leading zero"), "{e}");
    let long = format!("UIDROOT={}", "1.2".repeat(20));
    let e = with(&["--param", &long, "--param", "SITE=x"]);
    assert!(e.contains("longer than"), "{e}");
    let e = with(&[
        "--param",
        "UIDROOT=1.2",
        "--param",
        "SITE=x",
        "--param",
        "NOPE=1",
    ]);
    assert!(e.contains("no parameter NOPE"), "{e}");
    assert!(!out.exists());
}

#[test]
fn explain_names_the_rule_or_the_profile_row() {
    let recipe = recipe_path();
    let root_param = format!("UIDROOT={ROOT}");
    let explain = |what: &str| {
        let o = cli([
            "--explain",
            what,
            "--recipe",
            recipe.to_str().unwrap(),
            "--param",
            "SITE=x",
            "--param",
            &root_param,
            input(MR).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let s = explain("InstitutionName");
    assert!(s.contains("0051.dcm: InstitutionName: site"), "{s}");
    let s = explain("(0029,\"SIEMENS CSA HEADER\",10)");
    assert!(s.contains("CSA image header"), "{s}");
    let s = explain("StudyDate");
    assert!(
        s.contains("no rule; the profile: Table E.1-1 row (0008,0020)"),
        "{s}"
    );
}

#[test]
fn the_plan_and_the_run_statement_record_the_recipe_hash() {
    use sha2::Digest as _;
    let dir = TempDir::new("recipe-plan");
    let plan = dir.join("plan.json");
    let recipe = recipe_path();
    let o = cli([
        "--plan-out",
        plan.to_str().unwrap(),
        "--secret-file",
        dir.join("s").to_str().unwrap(),
        "--recipe",
        recipe.to_str().unwrap(),
        "--param",
        "SITE=x",
        "--param",
        &format!("UIDROOT={ROOT}"),
        input(MR).to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&plan).unwrap()).unwrap();
    let want: String = sha2::Sha256::digest(fs::read(&recipe).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(json["recipe_sha256"], want);
    assert_eq!(json["config"]["params"]["SITE"], "x");
    // The run's statement names the same recipe.
    let uid_root = format!("UIDROOT={ROOT}");
    let done = run(
        "recipe-statement",
        &[
            "--recipe",
            recipe.to_str().unwrap(),
            "--param",
            "SITE=x",
            "--param",
            &uid_root,
        ],
        &[input(MR)],
    );
    let statement = done
        .entries
        .iter()
        .find(|(n, _)| n == "run-statement.json")
        .expect("a run statement in the zip");
    let statement: serde_json::Value = serde_json::from_slice(&statement.1).unwrap();
    assert_eq!(statement["recipe_sha256"], want);
}

#[test]
fn keep_list_replaces_the_study_id_as_the_accession() {
    let run = run(
        "recipe-studyid",
        &["--preset", "keep-list"],
        &[input(RTSTRUCT)],
    );
    let (inp, out) = output_of(&run, "rtstruct_on_brain_series.dcm");
    assert_eq!(text(&inp, tags::STUDY_ID).as_deref(), Some("sep30"));
    let study_id = text(&out, tags::STUDY_ID).unwrap();
    assert_eq!(study_id, run.key.rows[0]["new_accession"]);
    assert!(
        study_id.starts_with("SUBJ") && study_id.ends_with("_1"),
        "{study_id}"
    );
}

/// The output's dcmdump line for `tag` (`(gggg,eeee)`), if the output has it.
fn dumped(file: &std::path::Path, tag: &str) -> Option<String> {
    let o = std::process::Command::new("dcmdump")
        .arg(file)
        .output()
        .expect("dcmdump runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.starts_with(tag))
        .map(str::to_string)
}

#[test]
fn explain_says_what_the_run_does_with_a_removal_the_iod_forbids() {
    let dir = TempDir::new("recipe-explain-iod");
    let recipe = root().join("tests/recipes/removes-required.toml");
    let r = recipe.to_str().unwrap();
    let explain = |what: &str| {
        let o = cli([
            "--explain",
            what,
            "--recipe",
            r,
            input(MR).to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let run = run_in(dir, &["--recipe", r], &[input(MR)]);
    let out = run.save_entry(
        &run.written().first().expect("the MR is written").out_path,
        "out.dcm",
    );

    // Type 2: the rule's removal is an emptying; the output has Echo Time, empty.
    let s = explain("EchoTime");
    assert!(
        s.contains("drop echo time") && s.contains("→ emptied: Type 2 in this IOD"),
        "{s}"
    );
    let line = dumped(&out, "(0018,0081)").expect("Echo Time is in the output");
    assert!(line.contains("(no value available)"), "{line}");

    // Type 1: the profile decides; the output keeps the modality.
    let s = explain("Modality");
    assert!(
        s.contains("drop modality") && s.contains("→ left to the profile: Type 1 in this IOD"),
        "{s}"
    );
    let line = dumped(&out, "(0008,0060)").expect("Modality is in the output");
    assert!(line.contains("[MR]"), "{line}");

    // Not required: removed as the rule writes, and gone from the output.
    let s = explain("StudyDescription");
    assert!(
        s.contains("drop study description") && !s.contains('→'),
        "{s}"
    );
    assert_eq!(dumped(&out, "(0008,1030)"), None);

    // The log's row of the file says which attributes the IOD changed a rule's action on, and
    // why, in --explain's words; not the rule whose removal stood as written.
    let row = &run.log.rows[0];
    let reason = &row["reason"];
    assert_eq!(row["reason_code"], "pixels_passed", "{row:?}");
    for (attribute, why) in [
        ("EchoTime", "→ emptied: Type 2 in this IOD"),
        ("Modality", "→ left to the profile: Type 1 in this IOD"),
    ] {
        let said = explain(attribute);
        // `<file>: <attribute>: <rule> (select …) decides: …`
        let rule = said
            .split(&format!("{attribute}: "))
            .nth(1)
            .and_then(|s| s.split(" (select").next())
            .expect("a rule decides");
        let note = format!("{attribute}: {rule} decides \"remove\" {why}");
        assert!(reason.contains(&note), "{note} / {reason}");
    }
    assert!(!reason.contains("StudyDescription"), "{reason}");
}
