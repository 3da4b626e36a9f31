//! Independent OCR oracle for the burned-in text tests (PS3.15 E.3.1 pixel cleaning).
//!
//! Runs `python3 tests/support/ocr.py` (pydicom decodes the pixels, tesseract reads them; none
//! of this crate's code is involved) and returns, per file, everything tesseract recognised,
//! uppercased and whitespace-collapsed.
//!
//! The oracle is required: when tesseract (or python3/pydicom) is missing, [`ocr_text`] panics
//! so the tests fail instead of passing vacuously. `scripts/setup.sh` installs it all.
use std::path::{Path, PathBuf};
use std::process::Command;

/// The text OCR reads in the pixels of each file (all frames), uppercased, in the order given.
///
/// Panics when the oracle cannot run (tesseract missing: exit status 2) or fails.
pub fn ocr_text(files: &[&Path]) -> Vec<String> {
    run(files)
        .iter()
        .map(|v| {
            v["text"]
                .as_str()
                .unwrap_or_else(|| panic!("OCR oracle: no text in {v}"))
                .to_uppercase()
        })
        .collect()
}

/// The text OCR reads in each frame of each file (every frame is read), uppercased: one list
/// of frames per file, in the order given.
///
/// Panics when the oracle cannot run or fails.
pub fn ocr_frames(files: &[&Path]) -> Vec<Vec<String>> {
    run(files)
        .iter()
        .map(|v| {
            let frames = v["frame_texts"]
                .as_array()
                .unwrap_or_else(|| panic!("OCR oracle: no frame_texts in {v}"));
            assert_eq!(
                Some(frames.len() as u64),
                v["frames"].as_u64(),
                "OCR oracle: one text per frame in {v}"
            );
            frames
                .iter()
                .map(|t| t.as_str().unwrap_or_default().to_uppercase())
                .collect()
        })
        .collect()
}

/// Which frames (1-based) of each file OCR reads one of the needles in (every frame is read),
/// in the order given.
pub fn frames_showing(files: &[PathBuf], needles: &[&str]) -> Vec<Vec<usize>> {
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    ocr_frames(&refs)
        .iter()
        .map(|frames| {
            frames
                .iter()
                .enumerate()
                .filter(|(_, t)| !mentions_any(t, needles).is_empty())
                .map(|(k, _)| k + 1)
                .collect()
        })
        .collect()
}

/// Runs `tests/support/ocr.py` on the files: its JSON line for each, in order.
fn run(files: &[&Path]) -> Vec<serde_json::Value> {
    if files.is_empty() {
        return Vec::new();
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg("tests/support/ocr.py")
        .args(files)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("OCR oracle: cannot run python3 tests/support/ocr.py: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(2) => panic!(
            "OCR oracle unavailable: tesseract is not installed (run scripts/setup.sh or \
             apt-get install tesseract-ocr tesseract-ocr-eng); the burned-in text tests need it\n{stderr}"
        ),
        _ => panic!(
            "OCR oracle failed ({}) on {files:?}:\n{stderr}",
            out.status
        ),
    }
    let stdout = String::from_utf8(out.stdout).expect("OCR oracle: output is not UTF-8");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("OCR oracle: bad JSON line {l:?}: {e}"))
        })
        .collect();
    assert_eq!(
        lines.len(),
        files.len(),
        "OCR oracle: {} results for {} files\n{stdout}\n{stderr}",
        lines.len(),
        files.len()
    );
    lines
}

/// The needles (uppercased) that occur in `text`, in the order given. Tolerant of OCR spacing:
/// a needle also matches when both it and the text are compared with all whitespace removed
/// (so "DOE JOHN" matches "DOEJOHN" and "MRN 12345678" matches "MRN12345678").
pub fn mentions_any(text: &str, needles: &[&str]) -> Vec<String> {
    let squash = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    let text = text.to_uppercase();
    let text_squashed = squash(&text);
    needles
        .iter()
        .map(|n| n.to_uppercase())
        .filter(|n| {
            let ns = squash(n);
            !ns.is_empty() && (text.contains(n.as_str()) || text_squashed.contains(&ns))
        })
        .collect()
}
