//! Encodings of files from real archives that dicom-rs 0.10 cannot read as they are
//! (`tests/real-archive`, made from a corpus file by `scripts/make_real_fixtures.py`): a private
//! sequence and standard (also nested) sequences sent as UN with undefined length (PS3.5 6.2.2,
//! CP-246), a file whose every standard attribute arrives as UN, and a bare big-endian data set.
//! Each is written; its output is re-read by dicom-rs, dcmtk and pydicom, has no element left
//! as UN but those the input had as private UN, and the independent PHI checker
//! (tests/support/phi.rs) finds none of the source file's identifiers in it.

use std::fs;
use std::process::Command;

use crate::support::harness;
use dicom_core::VR;
use dicom_dictionary_std::tags;
use harness::*;

const FILES: [&str; 4] = [
    "all_un.dcm",
    "bare_big_endian.dcm",
    "un_private_sequence.dcm",
    "un_standard_sequence.dcm",
];

#[test]
fn real_encodings_are_written_reread_and_clean() {
    let dir = root().join("tests/real-archive");
    let inputs: Vec<_> = FILES.iter().map(|f| dir.join(f)).collect();
    for p in &inputs {
        assert!(
            p.exists(),
            "{}: run scripts/make_real_fixtures.py",
            p.display()
        );
    }
    let run = run(
        "real-files",
        &["--preset", "basic"],
        std::slice::from_ref(&dir),
    );
    for f in FILES {
        let row = run
            .log_row(&format!("real-archive/{f}"))
            .unwrap_or_else(|| panic!("{f}: no log row"));
        assert_eq!(row["outcome"], "written", "{f}: {row:?}");
    }
    let written = run.written();
    assert_eq!(written.len(), FILES.len());

    // The independent checker cannot parse these inputs (that is the point): the identifiers
    // are those of the file they were made from, which they all hold (the variants add copies
    // of the same values in private and UN sequences), plus each variant's own SOP Instance UID.
    let source = fs::read(data().join("dicom3tools/0051.dcm")).unwrap();
    let ids = harness::phi::identifiers(&source).expect("source parses");
    let out_dir = TempDir::new("real-files-out");
    for (i, w) in written.iter().enumerate() {
        // dicom-rs
        let p = dicom(&w.output, &w.out_path);
        assert_eq!(
            text(&p.dataset, tags::PATIENT_IDENTITY_REMOVED).as_deref(),
            Some("YES")
        );
        let mut un = Vec::new();
        walk(&p.dataset, &mut |path, tag, vr, _| {
            if vr == VR::UN && tag.group() % 2 == 0 {
                un.push(format!("{path} {tag}"));
            }
        });
        assert!(
            un.is_empty(),
            "{}: standard elements left as UN: {un:?}",
            w.source
        );
        // the PHI checker
        let findings = ids
            .check(&w.output)
            .unwrap_or_else(|e| panic!("{}: {e}", w.source));
        assert!(findings.is_empty(), "{}: {findings:?}", w.source);
        // The variants' SOP Instance UIDs: the source's + ".9<n>".
        let own_uid = b"1.3.12.2.1107.5.2.43.67060.2018121813193538934142630.9";
        assert!(memfind(&w.input, own_uid).is_some(), "{}", w.source);
        assert!(
            memfind(&w.output, own_uid).is_none(),
            "{}: the input's SOP Instance UID is in the output",
            w.source
        );
        fs::write(out_dir.join(&format!("{i}.dcm")), &w.output).unwrap();
    }
    // dcmtk
    for (i, w) in written.iter().enumerate() {
        let o = Command::new("dcmdump")
            .arg("-q")
            .arg(out_dir.join(&format!("{i}.dcm")))
            .output()
            .expect("dcmdump (dcmtk) is installed: run scripts/setup.sh");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && !err.contains("E:") && !err.contains("W:"),
            "dcmdump on {}: {err}",
            w.source
        );
    }
    // pydicom: every element, the pixel data, and no standard element as UN.
    let script = r#"
import os, sys, pydicom
bad = []
for name in sorted(os.listdir(sys.argv[1])):
    try:
        ds = pydicom.dcmread(os.path.join(sys.argv[1], name))
        ds.walk(lambda d, e: e.value)
        assert len(ds.PixelData) == ds.Rows * ds.Columns * 2
        un = []
        ds.walk(lambda d, e: un.append(str(e.tag)) if e.VR == 'UN' and e.tag.group % 2 == 0 else None)
        assert not un, un
    except Exception as e:
        bad.append(name + ': ' + repr(e))
print('\n'.join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
"#;
    python(script, [out_dir.path()]);
}

/// The pixel data of every variant is the source file's (the big-endian one swapped back by
/// dicom-rs into the same values).
#[test]
fn pixels_of_every_variant_are_the_source_files() {
    let src =
        dicom_deid::read::parse_whole(&fs::read(data().join("dicom3tools/0051.dcm")).unwrap())
            .expect("source parses")
            .0;
    let want = src
        .element(tags::PIXEL_DATA)
        .unwrap()
        .to_multi_int::<u16>()
        .unwrap();
    for f in FILES {
        let bytes = fs::read(root().join("tests/real-archive").join(f)).unwrap();
        let (obj, _) = dicom_deid::read::parse_whole(&bytes).unwrap_or_else(|e| panic!("{f}: {e}"));
        let got = obj
            .element(tags::PIXEL_DATA)
            .unwrap()
            .to_multi_int::<u16>()
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(got == want, "{f}: pixel values differ");
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
