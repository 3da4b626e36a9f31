//! Multi-frame images that only *may* show burned-in text (a derived multi-frame secondary
//! capture with Burned In Annotation NO, the gate's "possible" class), through the CLI, on the
//! loops of `tests/data/pixels-loops` (scripts/make_pixel_fixtures.py --loops): ten frames of a
//! rotating rendering whose name and MRN show in frames 4–6 only, changing from frame to frame,
//! as native, RLE and JPEG baseline; and the same loop without text. Tesseract (the independent
//! OCR oracle) reads every frame of every input and output: no output may show the text in any
//! frame — the images are held, or cleaned in every frame by a rule — and the loop without text
//! is still written.

use std::path::PathBuf;

use crate::support::encoded_pixels::{pixel_diff, NEEDLES};
use crate::support::harness::*;
use crate::support::ocr;
const WITH_TEXT: [&str; 3] = [
    "loop_text_native.dcm",
    "loop_text_rle.dcm",
    "loop_text_jpeg.dcm",
];
const WITHOUT: &str = "loop_clean_rle.dcm";
/// The frames (1-based) whose pixels show the text.
const TEXT_FRAMES: [usize; 3] = [4, 5, 6];

fn loops() -> PathBuf {
    data().join("pixels-loops")
}

fn row<'a>(run: &'a Run, name: &str) -> &'a std::collections::BTreeMap<String, String> {
    run.row(&format!("pixels-loops/{name}"))
}

/// The written output of `name`, saved in the run's folder.
fn output_of(run: &Run, name: &str) -> PathBuf {
    run.save_entry(&row(run, name)["output_path"], &format!("out-{name}"))
}

/// Which frames (1-based) of each file OCR reads a needle in; every frame is read.
fn frames_with_text(files: &[PathBuf]) -> Vec<Vec<usize>> {
    ocr::frames_showing(files, NEEDLES)
}

/// OCR reads the name and MRN in the middle frames of the inputs only: the first and the last
/// frame show nothing (judging them alone would pass these loops).
#[test]
fn the_loops_show_text_in_their_middle_frames_only() {
    let mut inputs: Vec<PathBuf> = WITH_TEXT.iter().map(|n| loops().join(n)).collect();
    inputs.push(loops().join(WITHOUT));
    let found = frames_with_text(&inputs);
    for (name, frames) in WITH_TEXT.iter().zip(&found) {
        assert_eq!(
            frames, &TEXT_FRAMES,
            "{name}: OCR finds text in frames {frames:?}"
        );
    }
    assert!(
        found[3].is_empty(),
        "{WITHOUT}: OCR finds text in {:?}",
        found[3]
    );
}

#[test]
fn loops_with_text_in_a_few_frames_are_held_and_a_loop_without_text_is_written() {
    let run = run("pixel-loops-held", &["--hold-unreviewed"], &[loops()]);
    for name in WITH_TEXT {
        let r = row(&run, name);
        assert_eq!(
            (r["outcome"].as_str(), r["reason_code"].as_str()),
            ("held", "pixel_review_needed"),
            "{name}: {r:?}"
        );
        assert!(
            r["reason"].contains("text detected in frame 4 of 10"),
            "{name}: {}",
            r["reason"]
        );
    }
    let r = row(&run, WITHOUT);
    assert_eq!(
        (r["outcome"].as_str(), r["reason_code"].as_str()),
        ("written", "no_text_detected"),
        "{r:?}"
    );
    assert!(
        r["reason"].contains("in any of 10 frames"),
        "{}",
        r["reason"]
    );
    // Nothing written shows the text in any frame.
    let written: Vec<PathBuf> = run
        .with_outcome("written")
        .iter()
        .map(|r| {
            let name = format!("written-{}", r["output_path"].replace('/', "_"));
            run.save_entry(&r["output_path"], &name)
        })
        .collect();
    assert_eq!(written.len(), 1);
    for (p, frames) in written.iter().zip(frames_with_text(&written)) {
        assert!(
            frames.is_empty(),
            "{}: OCR reads text in frames {frames:?}",
            p.display()
        );
    }
}

#[test]
fn a_rule_cleans_every_frame_of_the_loops() {
    let rules = loops().join("rules.toml");
    let run = run(
        "pixel-loops-clean",
        &[
            "--hold-unreviewed",
            "--pixel-rules",
            rules.to_str().unwrap(),
        ],
        &[loops()],
    );
    let outputs: Vec<PathBuf> = WITH_TEXT
        .iter()
        .map(|name| {
            let r = row(&run, name);
            assert_eq!(
                (r["outcome"].as_str(), r["reason_code"].as_str()),
                ("written", "pixels_cleaned"),
                "{name}: {r:?}"
            );
            output_of(&run, name)
        })
        .collect();
    // The rule does not match the loop without text: the detector still passes it.
    assert_eq!(row(&run, WITHOUT)["reason_code"], "no_text_detected");
    for (name, frames) in WITH_TEXT.iter().zip(frames_with_text(&outputs)) {
        assert!(
            frames.is_empty(),
            "{name}: OCR still reads text in frames {frames:?}"
        );
    }
    // Every frame is kept; the region is black in every frame, the rest is the input's (lossy
    // JPEG: decoders differ by a little).
    for (name, out) in WITH_TEXT.iter().zip(&outputs) {
        let d = pixel_diff(&loops().join(name), out, [0, 0, 256, 40]);
        assert_eq!(d["frames"], serde_json::json!([10, 10]), "{name}: {d}");
        let tolerance = if name.contains("jpeg") { 12 } else { 0 };
        assert!(
            d["max_abs_diff_outside"].as_i64().unwrap() <= tolerance,
            "{name}: {d}"
        );
        assert_eq!(d["inside_values"], serde_json::json!([[0]]), "{name}: {d}");
    }
}
