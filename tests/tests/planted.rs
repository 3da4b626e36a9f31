//! Planted identities: one patient's own name, IDs, dates, institution and issuers, each
//! planted in one more place or spelling per file of a real structured report (dicomscope's
//! `reportsi.dcm`), run under the basic and research presets through the Job API. Each file
//! must be written (cleaned, not rejected), its planted attribute still there, and the output
//! must hold nothing of the patient: by the independent checker (`support/phi.rs`) and by a
//! search of the raw bytes in folded form (case, accents, width; UTF-8 and UTF-16), IDs by
//! their digits and dates in their written notations. Under research, a study date written in
//! text comes out shifted with the study.

use crate::support::job_run::{data_bytes, run_with, Input};
use crate::support::phi;
#[allow(dead_code)]
use dicom_core::value::{DataSetSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_deid::config::Config;
use dicom_deid::report::Outcome;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::mem::InMemDicomObject;
use dicom_object::OpenFileOptions;
use unicode_normalization::UnicodeNormalization as _;

const NAME: &str = "Müller-Lüdenscheidt^Jörg";
const MRN: &str = "99218877";
const BIRTH: &str = "19520317";
const STUDY_DATE: &str = "20240105";
const ACCESSION: &str = "ACC20240017";
const INSTITUTION: &str = "Elsewhere General Hospital";
const ISSUER: &str = "NORTHWIND-HIS";
const OTHER_ISSUER: &str = "SOUTHPORT-LAB";
/// A word of every planted value that is no identifier: the planted element is still there.
const MARK: &str = "PLANTMARK";

/// Where and how one identity is planted.
enum Plant {
    /// A top-level attribute (kept by the profile) with this VR and text.
    Top(Tag, VR, &'static str),
    /// A TEXT content item appended to the report's content tree.
    Text(&'static str),
    /// A concept name code whose Code Meaning is this text.
    CodeMeaning(&'static str),
    /// A standard text attribute sent as OB (its bytes in Latin-1).
    AsBytes(Tag, &'static str),
    /// A safe private OW element (Philips Imaging DD 001, 2001,xx7D) holding UTF-16 text.
    PrivateUtf16(&'static str),
}

/// The cases: (label, plant). Values carry [`MARK`] so that the planted element is found.
fn cases() -> Vec<(&'static str, Plant)> {
    use Plant::*;
    vec![
        // Kept attributes.
        (
            "kept-protocol",
            Top(
                Tag(0x0018, 0x9423),
                VR::LO,
                "PLANTMARK Jörg Müller-Lüdenscheidt",
            ),
        ),
        (
            "kept-label",
            Top(tags::CONTENT_LABEL, VR::CS, "PLANTMARK_LUDENSCHEIDT"),
        ),
        (
            "kept-description",
            Top(tags::CONTENT_DESCRIPTION, VR::LO, "PLANTMARK MRN 99218877"),
        ),
        (
            "kept-code-meaning",
            CodeMeaning("PLANTMARK Elsewhere General Hospital"),
        ),
        (
            "kept-institution-upper",
            Top(
                tags::CONTENT_DESCRIPTION,
                VR::LO,
                "PLANTMARK ELSEWHERE GENERAL HOSPITAL",
            ),
        ),
        // Dates in other notations (the birth date, and the study date).
        ("date-dmy-slash", Text("PLANTMARK born 17/03/1952")),
        ("date-mdy-slash", Text("PLANTMARK born 03/17/1952")),
        ("date-iso", Text("PLANTMARK born 1952-03-17.")),
        ("date-dmy-dot", Text("PLANTMARK born 17.03.1952")),
        ("date-day-month", Text("PLANTMARK born 17 March 1952")),
        ("date-month-day", Text("PLANTMARK born March 17, 1952")),
        ("date-abbrev", Text("PLANTMARK born 17-Mar-1952")),
        ("date-korean", Text("PLANTMARK 생년월일 1952년 3월 17일")),
        ("study-date-dmy", Text("PLANTMARK scanned 05/01/2024")),
        (
            "study-date-month",
            Text("PLANTMARK scanned January 5, 2024"),
        ),
        // IDs in other notations.
        ("id-zeros", Text("PLANTMARK MRN 0099218877")),
        ("id-dashes", Text("PLANTMARK MRN 9921-8877")),
        ("id-spaces", Text("PLANTMARK MRN 99 218 877")),
        ("id-prefix", Text("PLANTMARK MRN99218877")),
        ("accession-digits", Text("PLANTMARK acc 20240017")),
        // Names in other spellings.
        ("name-upper", Text("PLANTMARK MÜLLER-LÜDENSCHEIDT JÖRG")),
        ("name-no-accents", Text("PLANTMARK Muller-Ludenscheidt")),
        ("name-nfd", Text("PLANTMARK Mu\u{308}ller")),
        ("name-part", Text("PLANTMARK seen by Lüdenscheidt")),
        (
            "name-utf8-in-latin1",
            Text("PLANTMARK J\u{c3}\u{b6}rg M\u{c3}\u{bc}ller"),
        ),
        // Binary carriers and issuers.
        (
            "text-as-ob",
            AsBytes(tags::CONTENT_DESCRIPTION, "PLANTMARK Jörg Müller"),
        ),
        ("private-utf16", PrivateUtf16("Müller-Lüdenscheidt^Jörg")),
        ("issuer-in-text", Text("PLANTMARK issued by NORTHWIND-HIS")),
        (
            "nested-issuer-in-text",
            Text("PLANTMARK also SOUTHPORT-LAB"),
        ),
    ]
}

fn text(tag: Tag, vr: VR, s: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(s))
}

fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        tag,
        VR::SQ,
        Value::from(DataSetSequence::new(items, Length::UNDEFINED)),
    )
}

fn code(value: &str, meaning: &str) -> InMemDicomObject {
    InMemDicomObject::from_element_iter([
        text(tags::CODE_VALUE, VR::SH, value),
        text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, "99TEST"),
        text(tags::CODE_MEANING, VR::LO, meaning),
    ])
}

type File = dicom_object::FileDicomObject<InMemDicomObject>;

/// The report with the patient's identity and one plant, as file bytes.
fn build(n: usize, plant: &Plant) -> Vec<u8> {
    let base = data_bytes("dicomscope/reportsi.dcm");
    let mut o = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(base.as_slice())
        .expect("the report parses");
    let uid = format!("1.2.826.0.1.3680043.9.7777.28.{n}");
    o.put(text(tags::SOP_INSTANCE_UID, VR::UI, &uid));
    o.meta_mut().media_storage_sop_instance_uid = uid;
    // Latin-1, unless the plant needs more (the decomposed name, the Korean date: UTF-8).
    let latin1 = match plant {
        Plant::Top(_, _, v) | Plant::Text(v) | Plant::CodeMeaning(v) => {
            v.chars().all(|c| (c as u32) < 0x100)
        }
        _ => true,
    };
    let charset = if latin1 { "ISO_IR 100" } else { "ISO_IR 192" };
    o.put(text(tags::SPECIFIC_CHARACTER_SET, VR::CS, charset));
    o.put(text(tags::PATIENT_NAME, VR::PN, NAME));
    o.put(text(tags::PATIENT_ID, VR::LO, MRN));
    o.put(text(tags::PATIENT_BIRTH_DATE, VR::DA, BIRTH));
    o.put(text(tags::STUDY_DATE, VR::DA, STUDY_DATE));
    o.put(text(tags::CONTENT_DATE, VR::DA, STUDY_DATE));
    o.put(text(tags::ACCESSION_NUMBER, VR::SH, ACCESSION));
    o.put(text(tags::INSTITUTION_NAME, VR::LO, INSTITUTION));
    o.put(text(tags::ISSUER_OF_PATIENT_ID, VR::LO, ISSUER));
    let other = InMemDicomObject::from_element_iter([
        text(tags::PATIENT_ID, VR::LO, "X7781234"),
        text(tags::ISSUER_OF_PATIENT_ID, VR::LO, OTHER_ISSUER),
    ]);
    o.put(seq(tags::OTHER_PATIENT_I_DS_SEQUENCE, vec![other]));
    apply(&mut o, plant);
    bytes(&o)
}

fn bytes(o: &File) -> Vec<u8> {
    let mut out = Vec::new();
    o.write_all(&mut out)
        .expect("the planted report is written");
    out
}

/// Puts the plant into a file.
fn apply(o: &mut File, plant: &Plant) {
    match plant {
        Plant::Top(tag, vr, v) => {
            o.put(text(*tag, *vr, v));
        }
        Plant::Text(v) | Plant::CodeMeaning(v) => {
            let item = match plant {
                Plant::Text(_) => InMemDicomObject::from_element_iter([
                    text(tags::RELATIONSHIP_TYPE, VR::CS, "CONTAINS"),
                    text(tags::VALUE_TYPE, VR::CS, "TEXT"),
                    seq(
                        tags::CONCEPT_NAME_CODE_SEQUENCE,
                        vec![code("121106", "Comment")],
                    ),
                    text(tags::TEXT_VALUE, VR::UT, v),
                ]),
                _ => InMemDicomObject::from_element_iter([
                    text(tags::RELATIONSHIP_TYPE, VR::CS, "CONTAINS"),
                    text(tags::VALUE_TYPE, VR::CS, "TEXT"),
                    seq(tags::CONCEPT_NAME_CODE_SEQUENCE, vec![code("P-001", v)]),
                    text(tags::TEXT_VALUE, VR::UT, "finding"),
                ]),
            };
            let mut items = match o.get(tags::CONTENT_SEQUENCE).map(|e| e.value()) {
                Some(Value::Sequence(s)) => s.items().to_vec(),
                _ => Vec::new(),
            };
            items.push(item);
            o.put(seq(tags::CONTENT_SEQUENCE, items));
        }
        Plant::AsBytes(tag, v) => {
            let bytes: Vec<u8> = v.chars().map(|c| c as u32 as u8).collect();
            o.put(DataElement::new(*tag, VR::OB, PrimitiveValue::from(bytes)));
        }
        Plant::PrivateUtf16(v) => {
            let words: Vec<u16> = v.encode_utf16().collect();
            o.put(text(Tag(0x2001, 0x0010), VR::LO, "Philips Imaging DD 001"));
            o.put(DataElement::new(
                Tag(0x2001, 0x107D),
                VR::OW,
                PrimitiveValue::U16(words.into_iter().collect()),
            ));
        }
    }
}

/// Folded for comparison (NFKD, marks dropped, lower case), done here on its own.
fn folded(s: &str) -> String {
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The output's bytes as text: UTF-8 (Latin-1 where not UTF-8), and UTF-16 at both offsets,
/// each folded.
fn byte_views(b: &[u8]) -> Vec<String> {
    let latin1: String = b.iter().map(|&c| c as char).collect();
    let utf16 = |off: usize| {
        let u: Vec<u16> = b[off..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&u)
    };
    vec![
        folded(&String::from_utf8_lossy(b)),
        folded(&latin1),
        folded(&utf16(0)),
        folded(&utf16(1)),
    ]
}

/// What of the patient a folded view of the output holds.
fn leaks(view: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in [
        "muller",
        "ludenscheidt",
        "jorg",
        "elsewhere general",
        "northwind",
        "southport",
    ] {
        if view.contains(word) {
            out.push(word.to_string());
        }
    }
    // Digits with single separators joined, leading zeros dropped.
    let joined: String = {
        let c: Vec<char> = view.chars().collect();
        c.iter()
            .enumerate()
            .filter(|&(i, ch)| {
                !(" -./".contains(*ch)
                    && i > 0
                    && i + 1 < c.len()
                    && c[i - 1].is_ascii_digit()
                    && c[i + 1].is_ascii_digit())
            })
            .map(|(_, ch)| *ch)
            .collect()
    };
    for run in joined.split(|c: char| !c.is_ascii_digit()) {
        let core = run.trim_start_matches('0');
        if ["99218877", "20240017", "19520317"].contains(&core) {
            out.push(format!("digits {core}"));
        }
    }
    for form in [
        "17 march 1952",
        "march 17, 1952",
        "17-mar-1952",
        "1952년 3월 17일",
    ] {
        if view.contains(form) {
            out.push(form.to_string());
        }
    }
    out
}

/// Runs every case under one preset; returns the outputs by label.
fn run_cases(config: &Config) -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    let cases = cases();
    let inputs: Vec<(String, Vec<u8>)> = cases
        .iter()
        .enumerate()
        .map(|(n, (label, plant))| (format!("{label}.dcm"), build(n, plant)))
        .collect();
    let run = run_with(
        config,
        inputs
            .iter()
            .map(|(p, b)| Input::File(p.clone(), b.clone()))
            .collect(),
    );
    let mut out = Vec::new();
    for ((label, _), (path, input)) in cases.iter().zip(inputs) {
        let row = run.row(&path);
        assert_eq!(row.outcome, Outcome::Written, "{label}: {row:?}");
        let written = run.written.get(&path).cloned().expect("written bytes");
        out.push((*label, input, written));
    }
    out
}

fn assert_clean(preset: &str, config: &Config) {
    let mut failures = Vec::new();
    for (label, input, output) in run_cases(config) {
        let findings = phi::check(&input, &output).expect("the checker reads both");
        if !findings.is_empty() {
            failures.push(format!("{label}: checker: {findings:?}"));
        }
        let found: Vec<String> = byte_views(&output).iter().flat_map(|v| leaks(v)).collect();
        if !found.is_empty() {
            failures.push(format!("{label}: raw bytes: {found:?}"));
        }
        let planted_element_kept = label == "private-utf16"
            || byte_views(&output)
                .iter()
                .any(|v| v.contains(&MARK.to_lowercase()));
        if !planted_element_kept {
            failures.push(format!(
                "{label}: the planted element is gone (the test saw nothing)"
            ));
        }
    }
    assert!(failures.is_empty(), "{preset}:\n{}", failures.join("\n"));
}

#[test]
fn planted_identities_are_cleaned_under_basic() {
    assert_clean("basic", &Config::default());
}

#[test]
fn planted_identities_are_cleaned_under_research() {
    let mut config = Config::preset("research").expect("preset");
    config.profile.retain_safe_private = true;
    assert_clean("research", &config);
}

/// Both oracles can fail: each plant put back into its cleaned output is found by the
/// independent checker, and by the raw search where it covers the plant's form.
#[test]
fn the_oracles_find_each_plant_put_back_into_its_output() {
    let cases = cases();
    for (label, input, output) in run_cases(&Config::default()) {
        // The decomposed name: a value put into a file read by dicom-rs 0.10 is written with
        // the character set the file was read with, and the checker then reads the input's
        // name from bytes of another set; its cleaning is checked by the tests above.
        if label == "name-nfd" {
            continue;
        }
        let (_, plant) = cases.iter().find(|(l, _)| *l == label).expect("case");
        let mut o = OpenFileOptions::new()
            .read_preamble(ReadPreamble::Always)
            .from_reader(output.as_slice())
            .expect("the output parses");
        if let Plant::Top(_, _, v) | Plant::Text(v) | Plant::CodeMeaning(v) = plant {
            if v.chars().any(|c| (c as u32) >= 0x100) {
                o.put(text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192"));
            }
        }
        apply(&mut o, plant);
        let tampered = bytes(&o);
        let findings = phi::check(&input, &tampered).expect("the checker reads both");
        assert!(
            !findings.is_empty(),
            "{label}: the checker does not see the plant"
        );
        let planted = match plant {
            Plant::Top(_, _, v) | Plant::Text(v) | Plant::CodeMeaning(v) | Plant::AsBytes(_, v) => {
                folded(v)
            }
            Plant::PrivateUtf16(v) => folded(v),
        };
        if !leaks(&planted).is_empty() {
            let found: Vec<String> = byte_views(&tampered)
                .iter()
                .flat_map(|v| leaks(v))
                .collect();
            assert!(
                !found.is_empty(),
                "{label}: the raw search does not see the plant"
            );
        }
    }
}

/// Under research, a study date written in text is shifted with the study (as DA values are),
/// written in its own notation; the birth date is blanked.
#[test]
fn dates_in_text_are_shifted_with_the_study_under_research() {
    let config = Config::preset("research").expect("preset");
    let outputs = run_cases(&config);
    let (_, _, out) = outputs
        .iter()
        .find(|(l, _, _)| *l == "study-date-dmy")
        .expect("case");
    let parsed = phi::parse(out).expect("output parses");
    let study = parsed
        .dataset
        .get(tags::STUDY_DATE)
        .and_then(|e| e.to_str().ok())
        .map(|s| s.trim().to_string())
        .expect("study date");
    assert_ne!(study, STUDY_DATE, "research shifts dates");
    let want = format!("{}/{}/{}", &study[6..8], &study[4..6], &study[0..4]);
    let mut texts = Vec::new();
    phi::visit(&parsed.dataset, &mut |_, t, _, v| {
        if t == tags::TEXT_VALUE {
            texts.push(v.to_str().to_string());
        }
    });
    assert!(
        texts.iter().any(|t| t.contains(&format!("scanned {want}"))),
        "the study date in text is not {want}: {texts:?}"
    );
    let (_, _, birth) = outputs
        .iter()
        .find(|(l, _, _)| *l == "date-dmy-slash")
        .expect("case");
    let b = String::from_utf8_lossy(birth);
    assert!(b.contains("born XXXXXXXXXX"), "the birth date is blanked");
}

/// Equipment attributes: a Manufacturer equal to the patient's surname is kept there (a whole
/// value); the same word in a protocol name is cleaned.
#[test]
fn a_manufacturer_named_like_the_patient_is_kept_and_nowhere_else() {
    let built = build(
        500,
        &Plant::Top(Tag(0x0018, 0x9423), VR::LO, "PLANTMARK Philips head"),
    );
    let mut o = OpenFileOptions::new()
        .read_preamble(ReadPreamble::Always)
        .from_reader(built.as_slice())
        .expect("parses");
    o.put(text(tags::PATIENT_NAME, VR::PN, "Philips^Anna"));
    o.put(text(tags::MANUFACTURER, VR::LO, "Philips"));
    let input = bytes(&o);
    let run = run_with(&Config::default(), vec![Input::File("m.dcm".into(), input)]);
    assert_eq!(
        run.row("m.dcm").outcome,
        Outcome::Written,
        "{:?}",
        run.row("m.dcm")
    );
    let out = phi::parse(&run.written["m.dcm"]).expect("parses");
    let get = |t: Tag| {
        out.dataset
            .get(t)
            .and_then(|e| e.to_str().ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(get(tags::MANUFACTURER), "Philips");
    assert_eq!(get(Tag(0x0018, 0x9423)), "PLANTMARK XXXXXXX head");
}

/// The planted files are kept in `tests/planted-data` for the page's end-to-end test
/// (`tests/e2e/planted.test.mjs`): they are exactly what this test builds (`PLANTED_WRITE=1`
/// writes them again).
#[test]
fn the_committed_planted_files_are_the_built_ones() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/planted-data");
    let write = std::env::var_os("PLANTED_WRITE").is_some();
    for (n, (label, plant)) in cases().iter().enumerate() {
        let want = build(n, plant);
        let path = dir.join(format!("{label}.dcm"));
        if write {
            std::fs::create_dir_all(&dir).expect("tests/planted-data");
            std::fs::write(&path, &want).expect("written");
        }
        let got = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            got == want,
            "{label}: tests/planted-data differs from the built file"
        );
    }
}

/// A sequence item that declares its own Specific Character Set (UTF-8 in a Latin-1 file, and
/// Latin-1 in a UTF-8 file; `scripts/make_item_charset_fixtures.py`): the patient's name in the
/// item's text is found and cleaned, the item's other words keep their letters (`Grün`), under
/// basic and research.
#[test]
fn a_name_in_an_item_with_its_own_character_set_is_cleaned() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/planted-data");
    for config in [
        Config::default(),
        Config::preset("research").expect("preset"),
    ] {
        let files: Vec<(String, Vec<u8>)> = [
            "item-charset-utf8-in-latin1.dcm",
            "item-charset-latin1-in-utf8.dcm",
        ]
        .iter()
        .map(|f| {
            let b = std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            (f.to_string(), b)
        })
        .collect();
        let run = run_with(
            &config,
            files
                .iter()
                .map(|(p, b)| Input::File(p.clone(), b.clone()))
                .collect(),
        );
        for (path, input) in &files {
            let row = run.row(path);
            assert_eq!(row.outcome.as_str(), "written", "{path}: {row:?}");
            let out = &run.written[path];
            let findings = phi::check(input, out).expect("the checker reads both");
            assert!(findings.is_empty(), "{path}: {findings:?}");
            let found: Vec<String> = byte_views(out).iter().flat_map(|v| leaks(v)).collect();
            assert!(found.is_empty(), "{path}: {found:?}");
            let parsed = phi::parse(out).expect("output parses");
            let mut texts = Vec::new();
            phi::visit(&parsed.dataset, &mut |_, t, _, v| {
                if t == tags::TEXT_VALUE {
                    texts.push(v.to_str().to_string());
                }
            });
            assert!(
                texts
                    .iter()
                    .any(|t| t.contains("PLANTMARK seen by Dr Grün with")),
                "{path}: the item's text lost its other words: {texts:?}"
            );
        }
    }
}
