//! The presets are recipes (`data/presets/*.toml`): a run with `--preset X` and a run with
//! `--recipe data/presets/X.toml` (no preset) on the corpus give the same DICOM entries, the
//! same manifest, key CSV and log. Only the run statement may differ, and only where it says
//! which recipe ran: its options hold the recipe's text (and the preset underneath it, `basic`,
//! the default), it records the recipe's SHA-256 (a `--preset` run records none: its options
//! are the whole configuration, and a preset has no rules), and its HTML page, manifest hash
//! and signature follow. Also: a recipe's settings between its base and a `--config` file, the
//! keep-list's StudyID replaced, `dicom-deid recipe show`.

use std::collections::BTreeMap;
use std::fs;

use crate::support::harness::*;
use dicom_deid::recipe::compile::sha256_hex;
use dicom_dictionary_std::tags;

/// The entries of the run statement (and of the manifest hashing it), which name the recipe.
const STATEMENT: [&str; 4] = [
    "run-statement.html",
    "manifest-sha256.txt",
    "run-statement.json",
    "run-statement.sig",
];

fn preset_file(name: &str) -> String {
    root()
        .join("data/presets")
        .join(format!("{name}.toml"))
        .to_string_lossy()
        .into_owned()
}

fn statement(run: &Run) -> serde_json::Value {
    serde_json::from_slice(run.entry("run-statement.json").expect("a run statement"))
        .expect("the statement is JSON")
}

/// The statement without what names the recipe (its options' `preset` and `recipe`, its SHA-256,
/// the manifest's hash, the signature).
fn statement_without_recipe(run: &Run) -> serde_json::Value {
    let mut s = statement(run);
    let o = s.as_object_mut().expect("an object");
    for k in ["recipe_sha256", "signature", "manifest"] {
        o.remove(k);
    }
    let options = o
        .get_mut("options")
        .and_then(|v| v.as_object_mut())
        .expect("options");
    options.remove("preset");
    options.remove("recipe");
    s
}

fn without_statement(run: &Run) -> BTreeMap<&str, &[u8]> {
    run.entries
        .iter()
        .filter(|(n, _)| !STATEMENT.contains(&n.as_str()))
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect()
}

#[test]
fn each_preset_run_equals_a_run_of_its_recipe() {
    for name in ["basic", "research", "keep-list"] {
        let file = preset_file(name);
        let by_preset = run(&format!("preset-{name}"), &["--preset", name], &corpus());
        let by_recipe = run(&format!("recipe-{name}"), &["--recipe", &file], &corpus());
        let (a, b) = (without_statement(&by_preset), without_statement(&by_recipe));
        assert!(a.len() >= 25, "{name}: {} entries", a.len());
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{name}"
        );
        for (entry, bytes) in &a {
            assert!(b[entry] == *bytes, "{name}: {entry} differs");
        }
        assert_eq!(by_preset.key.text, by_recipe.key.text, "{name}: key CSV");
        assert_eq!(by_preset.log.text, by_recipe.log.text, "{name}: log CSV");
        // the statement: the same but for the recipe it names
        let text = fs::read(&file).expect("the preset's recipe");
        let (s_preset, s_recipe) = (statement(&by_preset), statement(&by_recipe));
        assert_eq!(s_preset["recipe_sha256"], serde_json::Value::Null);
        assert_eq!(s_recipe["recipe_sha256"], sha256_hex(&text).as_str());
        assert_eq!(s_preset["options"]["preset"], name);
        assert_eq!(s_recipe["options"]["preset"], "basic");
        assert_eq!(
            statement_without_recipe(&by_preset),
            statement_without_recipe(&by_recipe),
            "{name}"
        );
    }
}

/// The keep-list keeps StudyID, an identifier sites fill with the accession number: it becomes
/// the study's new accession, whether the keep-list comes from the preset or its recipe.
#[test]
fn the_keep_list_recipe_replaces_study_id_with_the_new_accession() {
    let run = run(
        "keep-list-study-id",
        &["--recipe", &preset_file("keep-list")],
        &corpus(),
    );
    let mut replaced = 0;
    for w in run.written() {
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        let Some(original) = text(&input.dataset, tags::STUDY_ID).filter(|s| !s.trim().is_empty())
        else {
            continue;
        };
        let got = text(&output.dataset, tags::STUDY_ID).unwrap_or_default();
        let accession = text(&output.dataset, tags::ACCESSION_NUMBER).unwrap_or_default();
        assert_eq!(got, accession, "{}", w.source);
        assert!(got.starts_with("SUBJ"), "{}: {got}", w.source);
        assert_ne!(got.trim(), original.trim(), "{}", w.source);
        replaced += 1;
    }
    assert!(replaced >= 10, "{replaced} StudyIDs replaced");
}

/// A recipe's settings sit between its base preset and a `--config` file: the base's options
/// where neither says otherwise, the recipe's over them, the configuration's over both.
#[test]
fn a_recipe_s_settings_sit_between_its_base_and_the_configuration() {
    let dir = TempDir::new("recipe-settings");
    let recipe = dir.join("site.toml");
    fs::write(
        &recipe,
        "name = \"site\"\nbase = \"research\"\n[settings]\nid_prefix = \"MR\"\nid_digits = 3\n",
    )
    .expect("write the recipe");
    let config = dir.join("config.toml");
    fs::write(&config, "id_digits = 6\n").expect("write the config");
    let recipe = recipe.to_string_lossy().into_owned();
    let config = config.to_string_lossy().into_owned();
    let run = run_in(dir, &["--recipe", &recipe, "--config", &config], &corpus());
    let ids: Vec<&str> = run
        .key
        .rows
        .iter()
        .map(|r| r["research_id"].as_str())
        .collect();
    assert!(!ids.is_empty());
    // the recipe's prefix, the configuration's digits
    assert!(
        ids.iter().all(|id| id.len() == 8 && id.starts_with("MR")),
        "{ids:?}"
    );
    let s = statement(&run);
    assert_eq!(s["options"]["preset"], "research");
    // the base's PatientName mode (research: <ID>_<CT date>) and its shifted dates
    assert_eq!(s["options"]["patient_name"], "research_id_ct_date");
    assert_eq!(s["options"]["profile"]["retain_long_modified_dates"], true);
    let w = run.written();
    let named = w
        .iter()
        .filter_map(|w| text(&dicom(&w.output, "output").dataset, tags::PATIENT_NAME))
        .find(|n| n.contains('_'))
        .expect("a PatientName <ID>_<CT date>");
    assert!(named.starts_with("MR"), "{named}");
}

/// A recipe cannot switch off the run's safeguards through its settings.
#[test]
fn a_recipe_s_settings_cannot_switch_off_the_self_check() {
    let dir = TempDir::new("recipe-verify");
    let recipe = dir.join("off.toml");
    fs::write(&recipe, "[settings]\nverify = false\n").expect("write the recipe");
    let out = cli([
        "--out".into(),
        dir.join("o.zip").into_os_string(),
        "--secret-file".into(),
        dir.join("s").into_os_string(),
        "--recipe".into(),
        recipe.into_os_string(),
        data().into_os_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot set \"verify\""), "{stderr}");
    assert!(!dir.join("o.zip").exists());
}

#[test]
fn recipe_show_prints_the_preset_s_recipe() {
    for (name, file) in [
        ("basic", "basic"),
        ("keep-list", "keep-list"),
        ("research-shifted-dates", "research"),
    ] {
        let out = cli(["recipe", "show", name]);
        assert!(out.status.success(), "{name}");
        assert_eq!(
            out.stdout,
            fs::read(preset_file(file)).expect("the preset's file"),
            "{name}"
        );
    }
    let out = cli(["recipe", "list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(list.starts_with("basic\tPS3.15 Basic"), "{list}");
    let out = cli(["recipe", "show", "nonsense"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown preset"));
}
