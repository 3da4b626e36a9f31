//! The dciodvfy oracle. dicom3tools' IOD verifier (installed by scripts/setup.sh) is
//! run on every input and output of the corpus (`tests/data`, as `tests/tests/corpus.rs` runs it) and
//! of `tests/iod-data` (IOD situations de-identification can break, made from a corpus file by
//! `scripts/make_iod_fixtures.py`), under the basic and research presets: an output must not
//! have a dciodvfy error its input does not have. Errors are compared after normalising the
//! values they quote (`= <…>`, UIDs), so the same error on the same attribute compares equal
//! whatever the (replaced) value. A check that the comparison does see an error a broken output
//! gains keeps the oracle honest.
//!
//! Without dciodvfy the test says so and passes, unless `CI` is set (then it fails).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use crate::support::dciodvfy::{assert_no_gained_errors, dciodvfy_present, gained, normalise};
use crate::support::harness::*;
use dicom_core::{PrimitiveValue, Tag};
use dicom_dictionary_std::tags;
use dicom_object::{open_file, FileDicomObject, InMemDicomObject};

#[test]
fn normalise_takes_values_out_and_keeps_the_rest() {
    assert_eq!(
        normalise("Error - Value invalid for this VR - (0x0008,0x0020) DA Study Date  DA [1] = <1999.05.24> - Character invalid"),
        "Error - Value invalid for this VR - (0x0008,0x0020) DA Study Date  DA [1] = <> - Character invalid"
    );
    assert_eq!(
        normalise("Error - x but have IMAGE ReferencedSOPInstanceUID 0"),
        normalise("Error - x but have IMAGE ReferencedSOPInstanceUID 2.25.1234567")
    );
    let items = "Error - Bad Sequence number of Items 0 (1-n Required by Module definition)";
    assert_eq!(normalise(items), items);
}

fn iod_data() -> PathBuf {
    root().join("tests/iod-data")
}

/// Runs a preset on the corpus and tests/iod-data; returns (pairs checked, new errors by file).
fn check_preset(preset: &str) -> (usize, BTreeMap<String, BTreeSet<String>>) {
    let mut inputs = corpus();
    inputs.push(iod_data());
    let run = run(&format!("iod-{preset}"), &["--preset", preset], &inputs);
    let tmp = TempDir::new("iod-files");
    let mut found = BTreeMap::new();
    let written = run.written();
    for w in &written {
        let new = gained(&tmp, &w.input, &w.output);
        if !new.is_empty() {
            found.insert(format!("{preset}: {} → {}", w.source, w.out_path), new);
        }
    }
    (written.len(), found)
}

#[test]
fn outputs_gain_no_dciodvfy_error() {
    if !dciodvfy_present() {
        return;
    }
    let start = Instant::now();
    let mut pairs = 0;
    let mut all = BTreeMap::new();
    for preset in ["basic", "research"] {
        let (n, found) = check_preset(preset);
        pairs += n;
        all.extend(found);
    }
    eprintln!(
        "tests/tests/iod.rs: {pairs} input/output pairs through dciodvfy in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    assert!(pairs >= 60, "only {pairs} pairs checked");
    assert_no_gained_errors(&all);
}

fn open(name: &str) -> FileDicomObject<InMemDicomObject> {
    open_file(iod_data().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn to_bytes(obj: &FileDicomObject<InMemDicomObject>) -> Vec<u8> {
    let mut b = Vec::new();
    obj.write_all(&mut b).unwrap();
    b
}

/// The comparison sees what a de-identifier could break: the input fixture with its Overlay
/// Data removed (the rest of the Overlay Plane module left) and its Referenced Study Sequence
/// emptied gains exactly these errors; values changed alone gain none.
#[test]
fn the_oracle_sees_errors_an_output_gains() {
    if !dciodvfy_present() {
        return;
    }
    let tmp = TempDir::new("iod-oracle");
    let input = to_bytes(&open("ref_study_overlay.dcm"));
    let mut broken = open("ref_study_overlay.dcm");
    broken.remove_element(Tag(0x6000, 0x3000));
    broken.put(dicom_core::DataElement::new(
        tags::REFERENCED_STUDY_SEQUENCE,
        dicom_core::VR::SQ,
        dicom_core::value::DataSetSequence::new(
            Vec::<InMemDicomObject>::new(),
            dicom_core::Length::UNDEFINED,
        ),
    ));
    let new = gained(&tmp, &input, &to_bytes(&broken));
    assert!(
        new.iter()
            .any(|e| e.contains("Type 1 Required Element=<OverlayData> Module=<OverlayPlane>")),
        "{new:?}"
    );
    assert!(
        new.iter()
            .any(|e| e.contains("Element=<ReferencedStudySequence> Module=<GeneralStudy>")),
        "{new:?}"
    );
    let mut renamed = open("ref_study_overlay.dcm");
    renamed.put(dicom_core::DataElement::new(
        tags::PATIENT_NAME,
        dicom_core::VR::PN,
        PrimitiveValue::from("OTHER^NAME"),
    ));
    assert_eq!(gained(&tmp, &input, &to_bytes(&renamed)), BTreeSet::new());
}

/// What the fixtures' outputs hold: the Type 3 Referenced Study Sequence removed (not left
/// empty), the overlay and curve groups gone as a whole, the animal patient's Responsible
/// Person and Organization present and empty, the role gone.
#[test]
fn iod_fixtures_are_resolved_by_type() {
    let run = run("iod-fixtures", &["--preset", "basic"], &[iod_data()]);
    let by_source: BTreeMap<String, Written> = run
        .written()
        .into_iter()
        .map(|w| (w.source.clone(), w))
        .collect();
    assert_eq!(by_source.len(), 2, "{:?}", by_source.keys());
    let out = |s: &str| dicom(&by_source[s].output, s).dataset;
    let overlay = out("iod-data/ref_study_overlay.dcm");
    assert!(overlay.get(tags::REFERENCED_STUDY_SEQUENCE).is_none());
    let groups: Vec<Tag> = overlay
        .iter()
        .map(|e| e.header().tag)
        .filter(|t| (0x5000..=0x60FF).contains(&t.group()))
        .collect();
    assert_eq!(groups, Vec::<Tag>::new(), "overlay/curve elements left");
    let vet = out("iod-data/veterinary.dcm");
    let org = vet
        .get(tags::RESPONSIBLE_ORGANIZATION)
        .expect("Responsible Organization (2C for an animal) kept");
    assert!(org.to_str().map(|s| s.trim().is_empty()).unwrap_or(false));
    let person = vet
        .get(tags::RESPONSIBLE_PERSON)
        .expect("Responsible Person (2C) kept");
    assert!(person
        .to_str()
        .map(|s| s.trim().is_empty())
        .unwrap_or(false));
    assert!(vet.get(tags::RESPONSIBLE_PERSON_ROLE).is_none());
    assert!(vet.get(tags::PATIENT_SPECIES_DESCRIPTION).is_some());
}
