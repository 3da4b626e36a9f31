//! Runs the engine in process, the way the shells do (scan → plan → process → zip sink): a
//! whole job on files and zips held in memory, recording what happened to each source path, or
//! one file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dicom_deid::archive::input::{looks_like_zip, ZipInput};
use dicom_deid::archive::output::{SharedBuffer, ZipSink};
use dicom_deid::config::Config;
use dicom_deid::error::Rejection;
use dicom_deid::job::{FileOutcome, Job};
use dicom_deid::report::{LogRow, Outcome};

/// The tests' project secret, as the engine takes it.
pub const SECRET: &[u8] = super::SECRET.as_bytes();

/// One input of a run: a file, or a zip whose members become files (as the CLI does).
pub enum Input {
    /// A file: source path and bytes.
    File(String, Vec<u8>),
    /// A zip: source path and bytes.
    Zip(String, Vec<u8>),
}

/// What a run produced.
pub struct Run {
    /// The log rows, one per source path.
    pub rows: BTreeMap<String, LogRow>,
    /// Written files: source path → bytes of the de-identified output.
    pub written: BTreeMap<String, Vec<u8>>,
    /// The output zip.
    pub zip: Vec<u8>,
}

impl Run {
    /// The log row of a source path (panics with the whole log when absent).
    pub fn row(&self, path: &str) -> &LogRow {
        match self.rows.get(path) {
            Some(r) => r,
            None => panic!(
                "no log row for {path}; log has {:?}",
                self.rows.keys().collect::<Vec<_>>()
            ),
        }
    }
}

/// Path of a file under tests/data.
pub fn data_path(rel: &str) -> PathBuf {
    super::harness::data().join(rel)
}

/// Bytes of a file under tests/data.
pub fn data_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(data_path(rel)).unwrap_or_else(|e| panic!("cannot read tests/data/{rel}: {e}"))
}

/// One file through a job of its own: scanned as `scanned`, planned, then `processed` (the same
/// bytes, or a variant of them) rewritten; the output (none when not written) and the outcome.
pub fn process_one(
    config: &Config,
    path: &str,
    scanned: &[u8],
    processed: &[u8],
) -> (Option<Vec<u8>>, FileOutcome) {
    let mut job = match Job::new(config, SECRET, None, None) {
        Ok(j) => j,
        Err(e) => panic!("job does not start: {e}"),
    };
    job.scan(path, scanned);
    let engine = job.plan().unwrap_or_else(|e| panic!("{path}: plan: {e}"));
    engine.process(path, processed)
}

/// Expands inputs to (path, bytes) items, recording unreadable zips and members in the job.
pub fn expand(job: &mut Job, inputs: Vec<Input>) -> Vec<(String, Vec<u8>)> {
    let mut items = Vec::new();
    for input in inputs {
        match input {
            Input::File(p, b) => items.push((p, b)),
            Input::Zip(name, b) => {
                let size = b.len() as u64;
                if !looks_like_zip(&b) {
                    job.add_unreadable(
                        &name,
                        size,
                        Rejection::NotDicom {
                            detail: "not a zip".into(),
                        },
                    );
                    continue;
                }
                match ZipInput::open(b) {
                    Ok(mut z) => {
                        for m in z.members() {
                            let path = format!("{name}/{}", m.name);
                            match z.read(&m) {
                                Ok(bytes) => items.push((path, bytes)),
                                Err(e) => job.add_unreadable(
                                    &path,
                                    m.size,
                                    Rejection::Unparseable {
                                        detail: e.to_string(),
                                    },
                                ),
                            }
                        }
                    }
                    Err(e) => job.add_unreadable(
                        &name,
                        size,
                        Rejection::NotDicom {
                            detail: e.to_string().into(),
                        },
                    ),
                }
            }
        }
    }
    items
}

/// Runs a job over the inputs with the given configuration.
pub fn run_with(config: &Config, inputs: Vec<Input>) -> Run {
    let mut job = match Job::new(config, SECRET, None, None) {
        Ok(j) => j,
        Err(e) => panic!("job does not start: {e}"),
    };
    let items = expand(&mut job, inputs);
    let mut by_path: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (p, b)) in items.iter().enumerate() {
        assert!(
            by_path.insert(p.clone(), i).is_none(),
            "two inputs share the source path {p}"
        );
        job.scan(p, b);
    }
    let engine = job.plan().expect("plan");
    let buffer = SharedBuffer::default();
    let mut sink = ZipSink::new(buffer.clone());
    let mut written = BTreeMap::new();
    for path in job.paths_to_process() {
        let Some(&i) = by_path.get(&path) else {
            panic!("planned path {path} was never scanned")
        };
        let (bytes, outcome) = engine.process(&path, &items[i].1);
        if let (Some(b), Ok((m, _))) = (&bytes, &outcome.result) {
            if let Err(e) = sink.add(&m.path, b) {
                panic!("zip sink: {e}");
            }
            written.insert(path.clone(), b.clone());
        }
        job.record(outcome);
    }
    for (p, b) in job.final_entries() {
        if let Err(e) = sink.add(&p, &b) {
            panic!("zip sink: {e}");
        }
    }
    if let Err(e) = sink.finish() {
        panic!("zip sink: {e}");
    }
    let rows = job
        .log_rows()
        .into_iter()
        .map(|r| (r.source_path.clone(), r))
        .collect();
    Run {
        rows,
        written,
        zip: buffer.take(),
    }
}

/// Runs a job with the basic preset.
pub fn run(inputs: Vec<Input>) -> Run {
    run_with(&Config::default(), inputs)
}

/// Good files that go along with every broken one (distinct SOP Instance UIDs).
pub const COMPANIONS: [&str; 2] = [
    "dicomscope/reportsi.dcm",
    "derived/DICOMDIR_SET/IMAGES/BRAIN002",
];

/// Runs one broken file among good companions and checks the contract: a clear rejection in
/// the log, nothing written for it (not in the zip either), the companions written, no panic.
/// Returns the log row of the broken file.
pub fn expect_rejected(case: &str, bytes: Vec<u8>) -> LogRow {
    let broken = format!("broken/{case}");
    let mut inputs: Vec<Input> = COMPANIONS
        .iter()
        .map(|c| Input::File(format!("good/{c}"), data_bytes(c)))
        .collect();
    inputs.push(Input::File(broken.clone(), bytes));
    let run = match std::panic::catch_unwind(move || run(inputs)) {
        Ok(r) => r,
        Err(_) => panic!("case {case}: the job panicked"),
    };
    let row = run.row(&broken).clone();
    assert_ne!(
        row.outcome,
        Outcome::Written,
        "case {case}: a broken file was written ({row:?})"
    );
    assert!(
        !row.reason.trim().is_empty() && !row.reason_code.is_empty(),
        "case {case}: rejection without a reason ({row:?})"
    );
    assert!(
        row.output_path.is_empty() && row.bytes_out == 0,
        "case {case}: rejected row names an output ({row:?})"
    );
    assert!(
        !run.written.contains_key(&broken),
        "case {case}: output bytes produced for the broken file"
    );
    for c in COMPANIONS {
        let r = run.row(&format!("good/{c}"));
        assert_eq!(
            r.outcome,
            Outcome::Written,
            "case {case}: companion {c} not written ({r:?})"
        );
    }
    // The zip holds exactly the companions plus the final entries (manifest).
    let names = zip_names(&run.zip);
    let dcm = names
        .iter()
        .filter(|n| *n != "manifest.csv" && !n.ends_with("notes.txt"))
        .count();
    assert_eq!(dcm, COMPANIONS.len(), "case {case}: zip entries {names:?}");
    row
}

/// Names of the entries of a zip, in order.
pub fn zip_names(zip: &[u8]) -> Vec<String> {
    let mut a = match zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())) {
        Ok(a) => a,
        Err(e) => panic!("output zip does not open: {e}"),
    };
    (0..a.len())
        .filter_map(|i| a.by_index_raw(i).ok().map(|f| f.name().to_string()))
        .collect()
}
