//! The dciodvfy oracle (dicom3tools' IOD verifier, installed by scripts/setup.sh): the error
//! lines of a file with the values they quote taken out, and the errors an output gains over
//! its input (`tests/tests/iod.rs`, `tests/tests/recipe_iod.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use super::harness::TempDir;

/// Whether dciodvfy can be run; panics in CI when it cannot.
pub fn dciodvfy_present() -> bool {
    let ok = Command::new("dciodvfy").arg("-help").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "dciodvfy (Debian package dicom3tools) is missing in CI: scripts/setup.sh installs it"
        );
        eprintln!(
            "SKIPPED: dciodvfy not found (install Debian's dicom3tools, or run \
             scripts/setup.sh)"
        );
    }
    ok
}

/// One dciodvfy error line with the values it quotes taken out.
pub fn normalise(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    // `= <value>` (and whatever follows up to the next ` - `) is the value.
    while let Some(i) = rest.find("= <") {
        out.push_str(&rest[..i]);
        out.push_str("= <>");
        let after = &rest[i + 3..];
        rest = match after.find('>') {
            Some(j) => &after[j + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    // UIDs quoted bare or in angle brackets (e.g. "same value as StudyInstanceUID <2.25.…>",
    // "ReferencedSOPInstanceUID 0"); short numbers elsewhere ("number of Items 0") stay.
    let mut prev_uid_name = false;
    out.split(' ')
        .map(|w| {
            let core = w.trim_matches(['<', '>']);
            let numeric = !core.is_empty() && core.chars().all(|c| c.is_ascii_digit() || c == '.');
            let uid = numeric && (core.len() >= 5 || prev_uid_name);
            prev_uid_name = w.ends_with("UID");
            if uid {
                "<uid>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The normalised error lines of dciodvfy on `path`.
pub fn errors(path: &Path) -> BTreeSet<String> {
    let out = Command::new("dciodvfy")
        .arg(path)
        .output()
        .expect("dciodvfy runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter(|l| l.starts_with("Error - "))
        .map(normalise)
        .collect()
}

/// Errors of `output` that `input` does not have.
pub fn gained(dir: &TempDir, input: &[u8], output: &[u8]) -> BTreeSet<String> {
    let (i, o) = (dir.join("in.dcm"), dir.join("out.dcm"));
    fs::write(&i, input).unwrap();
    fs::write(&o, output).unwrap();
    let before = errors(&i);
    errors(&o).difference(&before).cloned().collect()
}

/// Fails with every output (by name) and the errors it gained over its input, if any.
pub fn assert_no_gained_errors(found: &BTreeMap<String, BTreeSet<String>>) {
    let report: Vec<String> = found
        .iter()
        .map(|(f, errs)| {
            let lines: Vec<&str> = errs.iter().map(String::as_str).collect();
            format!("{f}:\n    {}", lines.join("\n    "))
        })
        .collect();
    assert!(
        report.is_empty(),
        "outputs with dciodvfy errors their inputs do not have:\n{}",
        report.join("\n")
    );
}
