//! Shared helpers of the integration tests: temporary folders, running the CLI binary, reading
//! its zip, key and log, finding the input bytes behind a log row, and walking DICOM values.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use dicom_core::value::{PrimitiveValue, Value};
use dicom_core::{Tag, VR};
use dicom_object::mem::InMemDicomObject;

pub use super::phi_check::{self, phi};
pub use super::SECRET;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/data`.
pub fn data() -> PathBuf {
    root().join("tests/data")
}

/// The corpus as CLI inputs: every entry of `tests/data` except `fuzz-regressions/` (minimised
/// crash inputs that other tests own), `pixels/` and `pixels-loops/` (synthetic burned-in text
/// that `tests/tests/pixels.rs` and `tests/tests/pixel_loops.rs` own). Encodings the independent checker's dicom-rs cannot read as they
/// are live apart, in `tests/real-archive` (`tests/tests/real_files.rs`). Files are then logged by
/// their path under `tests/data`.
pub fn corpus() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n != "fuzz-regressions" && n != "pixels" && n != "pixels-loops")
        })
        .collect();
    v.sort();
    v
}

/// A temporary folder, removed on drop (kept when `KEEP_TEST_DIRS` is set).
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty folder under the system temp dir with a unique name.
    pub fn new(label: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "dicom-deid-{label}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("KEEP_TEST_DIRS").is_none() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// The run's time given to every CLI run of the tests (`SOURCE_DATE_EPOCH`, 2026-12-06T10:00:00Z),
/// so that two runs write the same run statement and the same zip.
pub const RUN_EPOCH: &str = "1796551200";

/// Runs the CLI with arguments (at the run time [`RUN_EPOCH`]).
pub fn cli<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    Command::new(env!("CARGO_BIN_EXE_dicom-deid"))
        .args(&args)
        .env("SOURCE_DATE_EPOCH", RUN_EPOCH)
        .output()
        .expect("the CLI binary runs")
}

/// One CSV file as header + rows (comment lines starting with `#` skipped).
#[derive(Debug, Clone, Default)]
pub struct Csv {
    /// Column names.
    pub header: Vec<String>,
    /// Rows by column name.
    pub rows: Vec<BTreeMap<String, String>>,
    /// The raw text.
    pub text: String,
}

/// Reads a CSV written by the CLI.
pub fn read_csv(path: &Path) -> Csv {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_csv(&text)
}

/// Parses CSV text.
pub fn parse_csv(text: &str) -> Csv {
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect();
    Csv {
        header,
        rows,
        text: text.to_string(),
    }
}

/// Reads every entry of a zip, in order.
pub fn read_zip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect()
}

/// Writes `entries` as a stored zip at `path` (the engine's own zip layout), e.g. a run's zip
/// changed after the run.
pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut sink = dicom_deid::archive::output::ZipSink::new(fs::File::create(path).unwrap());
    for (name, bytes) in entries {
        sink.add(name, bytes).unwrap();
    }
    sink.finish().unwrap();
}

/// A finished CLI run.
pub struct Run {
    /// Its folder (zip, key, log, secret).
    pub dir: TempDir,
    /// The inputs given.
    pub inputs: Vec<PathBuf>,
    /// The zip.
    pub zip: PathBuf,
    /// Zip entries in order.
    pub entries: Vec<(String, Vec<u8>)>,
    /// The key CSV.
    pub key: Csv,
    /// The log CSV.
    pub log: Csv,
    /// What the CLI printed on stderr.
    pub stderr: String,
}

/// A file the run wrote, with its input.
pub struct Written {
    /// Source path as logged.
    pub source: String,
    /// Path in the zip.
    pub out_path: String,
    /// Input bytes.
    pub input: Vec<u8>,
    /// Output bytes.
    pub output: Vec<u8>,
}

/// Runs a Python script (`python3 -c`, with pydicom: an oracle outside the engine) with
/// arguments; panics with its stderr unless it exits 0.
pub fn python<I, S>(script: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Runs the CLI on `inputs` with extra `args`, the fixed secret (unless `--secret-file` is
/// given) and `--out/--key/--log` in a new temporary folder; panics unless it exits 0. Images
/// that may show burned-in text are kept (`--unreviewed keep`) unless `args` has `--unreviewed`
/// or `--hold-unreviewed` (the CLI's default, hold).
pub fn run(label: &str, args: &[&str], inputs: &[PathBuf]) -> Run {
    let dir = TempDir::new(label);
    run_in(dir, args, inputs)
}

/// Like [`run`], in a given folder.
pub fn run_in(dir: TempDir, args: &[&str], inputs: &[PathBuf]) -> Run {
    let zip = dir.join("out.zip");
    let (key, log) = (dir.join("key.csv"), dir.join("log.csv"));
    let mut full: Vec<OsString> = vec![
        "--out".into(),
        zip.clone().into(),
        "--key".into(),
        key.clone().into(),
    ];
    full.extend(["--log".into(), log.clone().into(), "-q".into()]);
    if !args.contains(&"--secret-file") {
        let secret = dir.join("secret");
        fs::write(&secret, SECRET).unwrap();
        full.extend(["--secret-file".into(), secret.into()]);
    }
    // The header tests write every image of the corpus, those that may show burned-in text too
    // (as `--unreviewed keep`, an accepted risk): the pixel gate's default (hold) has its own
    // tests (tests/tests/pixels.rs, and `held_by_default` in tests/tests/corpus.rs).
    if !args.contains(&"--unreviewed") && !args.contains(&"--hold-unreviewed") {
        full.extend(["--unreviewed".into(), "keep".into()]);
    }
    full.extend(
        args.iter()
            .filter(|a| **a != "--hold-unreviewed")
            .map(OsString::from),
    );
    full.extend(inputs.iter().map(|p| p.clone().into_os_string()));
    let out = cli(full);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "dicom-deid failed ({}): {stderr}",
        out.status
    );
    Run {
        entries: read_zip(&zip),
        key: read_csv(&key),
        log: read_csv(&log),
        dir,
        inputs: inputs.to_vec(),
        zip,
        stderr,
    }
}

impl Run {
    /// The bytes of a zip entry.
    pub fn entry(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The log row of a source path.
    pub fn log_row(&self, source: &str) -> Option<&BTreeMap<String, String>> {
        self.log.rows.iter().find(|r| r["source_path"] == source)
    }

    /// The log row of a source path; panics when there is none.
    pub fn row(&self, source: &str) -> &BTreeMap<String, String> {
        self.log_row(source)
            .unwrap_or_else(|| panic!("no log row for {source}"))
    }

    /// A zip entry written to the run's folder as `name`, for the tools that read files.
    pub fn save_entry(&self, entry: &str, name: &str) -> PathBuf {
        let bytes = self
            .entry(entry)
            .unwrap_or_else(|| panic!("{entry} not in the zip"));
        let p = self.dir.join(name);
        fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        p
    }

    /// Log rows with this outcome.
    pub fn with_outcome(&self, outcome: &str) -> Vec<&BTreeMap<String, String>> {
        self.log
            .rows
            .iter()
            .filter(|r| r["outcome"] == outcome)
            .collect()
    }

    /// Every written file with its input and output bytes.
    pub fn written(&self) -> Vec<Written> {
        self.with_outcome("written")
            .into_iter()
            .map(|r| Written {
                source: r["source_path"].clone(),
                out_path: r["output_path"].clone(),
                input: input_bytes(&self.inputs, &r["source_path"]),
                output: self
                    .entry(&r["output_path"])
                    .unwrap_or_else(|| {
                        panic!("{} logged as written but not in the zip", r["output_path"])
                    })
                    .to_vec(),
            })
            .collect()
    }
}

/// The bytes behind a logged source path (`<input name>/<relative path>`, zip members as
/// `<zip path>/<member name>`).
pub fn input_bytes(inputs: &[PathBuf], source: &str) -> Vec<u8> {
    for inp in inputs {
        let canon = inp.canonicalize().unwrap();
        let name = canon.file_name().unwrap().to_string_lossy().into_owned();
        let rel = if source == name {
            ""
        } else if let Some(r) = source.strip_prefix(&format!("{name}/")) {
            r
        } else {
            continue;
        };
        let mut p = canon.clone();
        let parts: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        for (i, c) in parts.iter().enumerate() {
            if p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
                let mut z = zip::ZipArchive::new(fs::File::open(&p).unwrap()).unwrap();
                let mut f = z.by_name(&parts[i..].join("/")).unwrap();
                let mut b = Vec::new();
                f.read_to_end(&mut b).unwrap();
                return b;
            }
            p = p.join(c);
        }
        return fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
    panic!("no input for source path {source}")
}

/// Every file under a folder (recursively, sorted); panics with the folder when it cannot be
/// read.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    super::walk::files_under(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// Parses a DICOM file (any framing) with dicom-rs, panicking with the name on failure.
pub fn dicom(bytes: &[u8], what: &str) -> phi::Parsed {
    phi::parse(bytes).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The SOP Instance UID of a file: its data set's, else its meta group's.
pub fn sop_uid(p: &phi::Parsed) -> String {
    text(&p.dataset, Tag(0x0008, 0x0018))
        .or_else(|| {
            p.meta.as_ref().map(|m| {
                m.media_storage_sop_instance_uid()
                    .trim_end_matches(['\0', ' '])
                    .to_string()
            })
        })
        .unwrap_or_default()
}

/// The first string value of a top-level element (trimmed).
pub fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let v = obj.get(tag)?.to_str().ok()?;
    let v = v.trim_matches(['\0', ' ']);
    (!v.is_empty()).then(|| v.to_string())
}

/// All string values of a top-level element.
pub fn texts(obj: &InMemDicomObject, tag: Tag) -> Vec<String> {
    match obj.get(tag).map(|e| e.value()) {
        Some(Value::Primitive(p)) => p
            .to_multi_str()
            .iter()
            .map(|s| s.trim_matches(['\0', ' ']).to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// Visits every primitive element at every depth with its full path (`(GGGG,EEEE)[i]/…`).
pub fn walk(obj: &InMemDicomObject, f: &mut dyn FnMut(&str, Tag, VR, &PrimitiveValue)) {
    phi::visit(obj, &mut |path, tag, vr, v| {
        f(&phi::child(path, tag), tag, vr, v)
    });
}

/// Every (path, values) of elements with one of these tags, at every depth.
pub fn values_of(obj: &InMemDicomObject, wanted: &[Tag]) -> Vec<(String, Tag, Vec<String>)> {
    let mut out = Vec::new();
    walk(obj, &mut |path, tag, _, v| {
        if wanted.contains(&tag) {
            out.push((
                path.to_string(),
                tag,
                v.to_multi_str()
                    .iter()
                    .map(|s| s.trim_matches(['\0', ' ']).to_string())
                    .collect(),
            ));
        }
    });
    out
}

/// Asserts the checker finds nothing in any written file; returns the number of values searched.
pub fn assert_checker_clean(run: &Run) -> usize {
    let mut searched = 0;
    let mut problems = Vec::new();
    for w in run.written() {
        let ids = phi::identifiers(&w.input).unwrap_or_else(|e| panic!("{}: {e}", w.source));
        searched += [
            phi::Kind::Name,
            phi::Kind::Identifier,
            phi::Kind::Date,
            phi::Kind::Uid,
        ]
        .iter()
        .map(|k| ids.count(*k))
        .sum::<usize>();
        match ids.check(&w.output) {
            Ok(f) if f.is_empty() => {}
            Ok(f) => problems.push(format!(
                "{} → {}: {}",
                w.source,
                w.out_path,
                f.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            Err(e) => problems.push(format!("{} → {}: {e}", w.source, w.out_path)),
        }
        for f in ids.check_text("zip entry name", &w.out_path) {
            problems.push(format!("{}: {f}", w.source));
        }
    }
    assert!(
        problems.is_empty(),
        "PHI checker findings:\n{}",
        problems.join("\n")
    );
    searched
}
