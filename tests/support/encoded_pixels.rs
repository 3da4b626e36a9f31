//! Burned-in names in encoded pixel data (JPEG-LS, JPEG 2000) made at test time by independent
//! encoders from the committed fixtures of `tests/data/pixels`, then run through the CLI: the
//! detector finds the name in a possible carrier, a pixel rule cleans every frame, OCR reads no
//! name in any frame of any output, and every pixel outside the rule's region equals the source's
//! (lossless) or is within the codec's error (lossy). Also what the codec tests share: running
//! the encoders and reference decoders, comparing decoded frames, damaging codestreams.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::harness::*;
use super::ocr;

/// What the fixtures burn in: the name and the MRN.
pub const NEEDLES: &[&str] = &["DOE", "JOHN", "12345678"];
/// RLE Lossless, the syntax a cleaned lossless image is written in.
pub const RLE: &str = "1.2.840.10008.1.2.5";
/// Explicit VR Little Endian, the syntax a cleaned lossy image is written in.
pub const EXPLICIT: &str = "1.2.840.10008.1.2.1";

/// Runs `program args input output`, `output` in `dir`.
pub fn convert(dir: &TempDir, program: &str, args: &[&str], input: &Path, output: &str) -> PathBuf {
    let out = dir.join(output);
    let r = Command::new(program)
        .args(args)
        .arg(input)
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs ({e}): scripts/setup.sh installs it"));
    assert!(
        r.status.success(),
        "{program} {args:?} {input:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// A file as the engine parses it, with its transfer syntax.
fn parsed(bytes: &[u8]) -> (dicom_deid::read::Object, String) {
    let (obj, _) = dicom_deid::read::parse(bytes, false).expect("parses");
    let ts = obj
        .meta()
        .transfer_syntax()
        .trim_end_matches('\0')
        .to_string();
    (obj, ts)
}

/// The engine's transfer syntax and decoded frames of a file (canonical layout).
pub fn decoded(path: &Path) -> (String, dicom_deid::pixels::frames::Decoded) {
    let (obj, ts) = parsed(&std::fs::read(path).unwrap());
    let d = dicom_deid::pixels::frames::decode(&obj, &ts)
        .unwrap_or_else(|e| panic!("{path:?} ({ts}): {e}"));
    (ts, d)
}

/// One encoded test image: its file name, the native image its output is compared with (the
/// source it was encoded from, or an independent decoder's output), the rule's region, the
/// largest difference allowed outside it (0: exact) and the transfer syntax the cleaned output
/// must have.
pub struct Case {
    pub name: String,
    pub source: PathBuf,
    pub region: [u32; 4],
    pub tolerance: i64,
    pub out_syntax: &'static str,
}

/// The committed three-frame US loop (`us_multiframe_rle.dcm`), decompressed by dcmtk into
/// `dir` as `loop.dcm`.
pub fn us_loop(dir: &TempDir) -> PathBuf {
    let rle = data().join("pixels/us_multiframe_rle.dcm");
    convert(dir, "dcmdrle", &[], &rle, "loop.dcm")
}

/// The native sources with a burned-in name and their rule's region: the US loop (three frames,
/// decompressed), US RGB, the 12-bit secondary capture, and the CT reformat (16-bit signed, a
/// possible carrier the detector must flag).
pub fn sources(dir: &TempDir) -> Vec<(&'static str, PathBuf, [u32; 4])> {
    let px = data().join("pixels");
    vec![
        ("loop", us_loop(dir), [0, 0, 640, 60]),
        ("rgb", px.join("us_rgb.dcm"), [0, 0, 640, 60]),
        ("sc16", px.join("sc_mono16.dcm"), [0, 0, 512, 60]),
        ("ct", px.join("ct_reformat_text.dcm"), [0, 452, 512, 60]),
    ]
}

/// How one encoder makes the cases of its codec from [`sources`]: a lossless encoding of each
/// (cleaned to RLE, compared exactly) and, where it makes one, a lossy one (cleaned to Explicit
/// VR Little Endian, compared within the codec's largest error).
pub struct Codec {
    /// The encoder (dcmtk's or GDCM's).
    pub program: &'static str,
    /// Names the lossless files `<source>-<suffix>.dcm`.
    pub suffix: &'static str,
    /// The lossless encoding's arguments for a source (by its name).
    pub lossless: fn(&str) -> &'static [&'static str],
    /// The lossy encoding of a source, if any: file suffix, arguments, largest error.
    pub lossy: fn(&str) -> Option<(&'static str, &'static [&'static str], i64)>,
}

/// The sources encoded with `codec`, in `dir`.
pub fn cases(dir: &TempDir, codec: &Codec) -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, src, region) in sources(dir) {
        let lossless = format!("{name}-{}.dcm", codec.suffix);
        convert(dir, codec.program, (codec.lossless)(name), &src, &lossless);
        cases.push(Case {
            name: lossless,
            source: src.clone(),
            region,
            tolerance: 0,
            out_syntax: RLE,
        });
        if let Some((suffix, args, tolerance)) = (codec.lossy)(name) {
            let lossy = format!("{name}-{suffix}.dcm");
            convert(dir, codec.program, args, &src, &lossy);
            cases.push(Case {
                name: lossy,
                source: src,
                region,
                tolerance,
                out_syntax: EXPLICIT,
            });
        }
    }
    cases
}

/// The names burned in the cases of `codec` are detected (held without rules), then cleaned
/// by the fixtures' rules and gone by OCR in every frame ([`detected_and_held`],
/// [`cleaned_by_rules`]).
pub fn names_detected_cleaned_and_gone_by_ocr(label: &str, codec: &Codec) {
    let dir = TempDir::new(&format!("{label}-detect"));
    let encoded = cases(&dir, codec);
    detected_and_held(dir, &encoded);
    let dir = TempDir::new(&format!("{label}-clean"));
    let encoded = cases(&dir, codec);
    cleaned_by_rules(dir, &encoded);
}

/// `src` encoded by `encode` and decoded by the reference decoder `reference`, in `dir` as
/// `<label>.dcm` and `<label>-raw.dcm`: the engine's transfer syntax starts with `syntax` and
/// each of its frames equals the reference's (after `adjust`). Returns the engine's frames.
pub fn decodes_like_reference(
    dir: &TempDir,
    label: &str,
    src: &Path,
    (encoder, args): (&str, &[&str]),
    (decoder, decoder_args): (&str, &[&str]),
    syntax: &str,
    adjust: &dyn Fn(&[u8]) -> Vec<u8>,
) -> dicom_deid::pixels::frames::Decoded {
    let enc = convert(dir, encoder, args, src, &format!("{label}.dcm"));
    let raw = convert(
        dir,
        decoder,
        decoder_args,
        &enc,
        &format!("{label}-raw.dcm"),
    );
    let (ts, ours) = decoded(&enc);
    assert!(ts.starts_with(syntax), "{label}: {ts}");
    let (_, theirs) = decoded(&raw);
    assert_eq!(ours.frames.len(), theirs.frames.len(), "{label}");
    for (k, (a, b)) in ours.frames.iter().zip(&theirs.frames).enumerate() {
        assert!(
            *a == adjust(b),
            "{label}: frame {} differs from {decoder}",
            k + 1
        );
    }
    ours
}

/// pydicom's comparison of source and output over a region (tests/support/pixel_diff.py): the
/// frame counts, the largest difference outside the region, the values inside.
pub fn pixel_diff(input: &Path, output: &Path, [x, y, w, h]: [u32; 4]) -> serde_json::Value {
    let script = root().join("tests/support/pixel_diff.py");
    let region = format!("{x},{y},{w},{h}");
    let run_script = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')";
    let out = python(
        run_script,
        [
            script.as_os_str(),
            input.as_os_str(),
            output.as_os_str(),
            region.as_ref(),
        ],
    );
    serde_json::from_slice(&out.stdout).expect("pixel oracle prints JSON")
}

/// Without rules, the CT reformat (a possible carrier) is held because the detector reads text
/// in its pixels; the carriers are held as unreviewed.
pub fn detected_and_held(dir: TempDir, cases: &[Case]) {
    let files: Vec<PathBuf> = cases.iter().map(|c| dir.join(&c.name)).collect();
    let run = run_in(
        dir,
        &["--hold-unreviewed", "--no-default-pixel-rules"],
        &files,
    );
    for c in cases {
        let r = run.row(&c.name);
        assert_eq!(r["outcome"], "held", "{}: {r:?}", c.name);
        if c.name.starts_with("ct") {
            assert!(r["reason"].contains("text detected in frame 1"), "{r:?}");
        }
    }
}

/// With the fixtures' rules every case is cleaned: OCR reads no name in any frame, the region
/// is one value (black), the rest equals the source within the tolerance, dcmtk reads the
/// output's pixels.
pub fn cleaned_by_rules(dir: TempDir, cases: &[Case]) {
    let rules = data().join("pixels/rules.toml");
    let files: Vec<PathBuf> = cases.iter().map(|c| dir.join(&c.name)).collect();
    let run = run_in(
        dir,
        &[
            "--hold-unreviewed",
            "--pixel-rules",
            rules.to_str().unwrap(),
        ],
        &files,
    );
    let mut outputs = Vec::new();
    for c in cases {
        let r = run.row(&c.name);
        assert_eq!(
            (r["outcome"].as_str(), r["reason_code"].as_str()),
            ("written", "pixels_cleaned"),
            "{}: {r:?}",
            c.name
        );
        let p = run.save_entry(&r["output_path"], &format!("out-{}", c.name));
        let (obj, ts) = parsed(&std::fs::read(&p).unwrap());
        assert_eq!(ts, c.out_syntax, "{}", c.name);
        if c.out_syntax == "1.2.840.10008.1.2.1" {
            // a lossy source: written uncompressed, and said to have been lossy-compressed
            let lossy = text(&obj, dicom_dictionary_std::tags::LOSSY_IMAGE_COMPRESSION);
            assert_eq!(lossy.as_deref(), Some("01"), "{}", c.name);
        }
        outputs.push(p);
    }
    for (c, frames) in cases.iter().zip(ocr::frames_showing(&outputs, NEEDLES)) {
        assert!(frames.is_empty(), "{}: frames {frames:?} show text", c.name);
    }
    for (c, out) in cases.iter().zip(&outputs) {
        let d = pixel_diff(&c.source, out, c.region);
        assert_eq!(d["frames"][0], d["frames"][1], "{}: {d}", c.name);
        let diff = d["max_abs_diff_outside"].as_i64().expect("same shape");
        assert!(diff <= c.tolerance, "{}: {d}", c.name);
        assert_eq!(d["inside_distinct"], 1, "{}: {d}", c.name);
        let dump = Command::new("dcmdump")
            .arg("+dc")
            .arg(out)
            .output()
            .unwrap();
        assert!(dump.status.success(), "dcmdump {}", c.name);
        if c.out_syntax.ends_with(".5") {
            // dcmtk's RLE decoder reads the written fragments
            let dir = TempDir::new("dcmdrle");
            convert(&dir, "dcmdrle", &[], out, "raw.dcm");
        }
    }
}

/// The committed US RGB image encoded by `program` with each of `modes` (in a new folder
/// named `label`), then damaged as [`damaged_frames_fail_cleanly`] does.
pub fn damaged_streams_fail_cleanly(
    label: &str,
    program: &str,
    modes: &[&[&str]],
    offsets: usize,
    decode: &dyn Fn(&[u8]) -> bool,
) {
    let dir = TempDir::new(label);
    let src = data().join("pixels/us_rgb.dcm");
    for (k, args) in modes.iter().enumerate() {
        let f = convert(&dir, program, args, &src, &format!("mode{k}.dcm"));
        damaged_frames_fail_cleanly(&f, offsets, decode);
    }
}

/// Damages the one frame of `file` at about `offsets` offsets spread over it and at each of its
/// last 64 bytes: `decode` (true: an image) must not panic, and a cut before the end marker
/// (the last 0xFFD9) must not decode.
pub fn damaged_frames_fail_cleanly(file: &Path, offsets: usize, decode: &dyn Fn(&[u8]) -> bool) {
    let bytes = std::fs::read(file).unwrap();
    let (obj, _) = dicom_deid::read::parse(&bytes, false).unwrap();
    let frame = dicom_deid::pixels::frames::frame_fragments(&obj, 1)
        .unwrap()
        .remove(0);
    assert!(decode(&frame), "{file:?} decodes whole");
    let end = frame.windows(2).rposition(|w| w == [0xFF, 0xD9]).unwrap();
    let spread = (0..frame.len()).step_by(frame.len() / offsets + 1);
    for at in spread.chain(frame.len().saturating_sub(64)..frame.len()) {
        if at < end {
            assert!(!decode(&frame[..at]), "{file:?}: cut at {at}");
        }
        let mut c = frame.clone();
        c[at] ^= 0x5A;
        let _ = decode(&c);
    }
}
