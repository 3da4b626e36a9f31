//! The native command-line shell: walks files, folders and zips, feeds their bytes to the
//! engine, and writes the zip, the key and the log.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use dicom_deid::archive::input::{looks_like_zip, MemberInfo, ZipInput};
use dicom_deid::archive::output::{crc32_of, ZipSink};
use dicom_deid::{Config, Job, Rejection};

/// De-identify DICOM files (PS3.15 Annex E) into a zip, with a separate key and log.
#[derive(Parser, Debug)]
#[command(name = "dicom-deid", version, about)]
struct Args {
    /// Files, folders (walked recursively) or .zip files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The de-identified zip to write.
    #[arg(long, value_name = "FILE.zip")]
    out: PathBuf,
    /// The key CSV (PHI: research ID ↔ MRN, accession, dates). Default: <out>-key.csv.
    #[arg(long, value_name = "FILE.csv")]
    key: Option<PathBuf>,
    /// The audit log CSV (PHI: source paths). Default: <out>-log.csv.
    #[arg(long, value_name = "FILE.csv")]
    log: Option<PathBuf>,
    /// Configuration file (JSON or TOML); see README.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Preset: basic, research, keep-list (a config file's `preset` wins).
    #[arg(long, default_value = "basic")]
    preset: String,
    /// Project secret file; created with a random secret if missing, and reused.
    #[arg(long, value_name = "FILE", default_value = "dicom-deid.secret")]
    secret_file: PathBuf,
    /// Mapping CSV: MRN, Accession, New_Patient_ID, Surgery_Date, [Anchor_Date], [Notes].
    #[arg(long, value_name = "FILE.csv")]
    mapping: Option<PathBuf>,
    /// A key CSV from an earlier batch: its patients keep their IDs, shifts and study numbers.
    #[arg(long, value_name = "FILE.csv")]
    existing_key: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Pixel rules (TOML or JSON; see README): regions to black out, images to keep or exclude.
    /// Repeatable; consulted in order, before the shipped default rules.
    #[arg(long, value_name = "FILE")]
    pixel_rules: Vec<PathBuf>,
    /// Images that may show text in their pixels and that no pixel rule covers: hold (not
    /// written; the default), keep (written as they are, logged as an accepted risk) or exclude.
    #[arg(long, value_name = "POLICY", value_parser = ["hold", "keep", "exclude"])]
    unreviewed: Option<String>,
    /// Do not use the shipped default pixel rules (data/pixel_rules.toml).
    #[arg(long)]
    no_default_pixel_rules: bool,
    /// Skip the self-check of each output (benchmarking only).
    #[arg(long)]
    no_verify: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Where one input's bytes come from.
enum Source {
    File(PathBuf),
    Member(usize, MemberInfo),
}

struct Inputs {
    items: Vec<(String, Source)>,
    zips: Vec<Mutex<ZipInput>>,
    unreadable: Vec<(String, u64, Rejection)>,
}

impl Inputs {
    fn read(&self, src: &Source) -> Result<Vec<u8>, Rejection> {
        self.read_into(src, Vec::new())
    }

    /// Reads an input into `buf` (reused from an earlier file: fresh buffers for every file cost
    /// more in page faults than the copy from the page cache).
    fn read_into(&self, src: &Source, mut buf: Vec<u8>) -> Result<Vec<u8>, Rejection> {
        use std::io::Read;
        match src {
            Source::File(p) => {
                buf.clear();
                fs::File::open(p)
                    .and_then(|mut f| {
                        let size = f.metadata().map(|m| m.len() as usize).unwrap_or(0);
                        buf.reserve(size.saturating_add(1));
                        f.read_to_end(&mut buf)
                    })
                    .map(|_| buf)
                    .map_err(|e| Rejection::Unparseable {
                        detail: format!("cannot read file: {e}"),
                    })
            }
            Source::Member(z, m) => {
                let mut zip = self.zips[*z].lock().map_err(|_| Rejection::Unparseable {
                    detail: "zip reader poisoned".into(),
                })?;
                zip.read(m).map_err(|e| Rejection::Unparseable {
                    detail: e.to_string(),
                })
            }
        }
    }
}

fn add_path(inputs: &mut Inputs, fs_path: &Path, shown: String) {
    if fs_path.is_dir() {
        let mut entries: Vec<PathBuf> = match fs::read_dir(fs_path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                inputs.unreadable.push((
                    shown,
                    0,
                    Rejection::Unparseable {
                        detail: format!("cannot read folder: {e}"),
                    },
                ));
                return;
            }
        };
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            add_path(inputs, &p, format!("{shown}/{name}"));
        }
        return;
    }
    let is_zip_name = fs_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip_name {
        match fs::read(fs_path) {
            Ok(bytes) if looks_like_zip(&bytes) => match ZipInput::open(bytes) {
                Ok(mut z) => {
                    let members = z.members();
                    let zi = inputs.zips.len();
                    inputs.zips.push(Mutex::new(z));
                    for m in members {
                        inputs
                            .items
                            .push((format!("{shown}/{}", m.name), Source::Member(zi, m)));
                    }
                    return;
                }
                Err(e) => {
                    inputs.unreadable.push((
                        shown,
                        0,
                        Rejection::NotDicom {
                            detail: e.to_string(),
                        },
                    ));
                    return;
                }
            },
            _ => {}
        }
    }
    inputs
        .items
        .push((shown, Source::File(fs_path.to_path_buf())));
}

fn load_secret(path: &Path) -> Result<Vec<u8>, String> {
    match fs::read_to_string(path) {
        Ok(s) => {
            let s = s.trim().to_string();
            if s.is_empty() {
                return Err(format!("secret file {} is empty", path.display()));
            }
            Ok(s.into_bytes())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b).map_err(|e| format!("cannot generate a secret: {e}"))?;
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            create_secret_file(path, format!("{hex}\n").as_bytes())
                .map_err(|e| format!("cannot create secret file {}: {e}", path.display()))?;
            eprintln!("created a new project secret in {} (keep it: the same secret gives the same IDs and UIDs)", path.display());
            Ok(hex.into_bytes())
        }
        Err(e) => Err(format!("cannot read secret file {}: {e}", path.display())),
    }
}

/// Creates the secret file readable by its owner only from the start (mode 0600 on unix, set
/// when the file is created, never a chmod after the secret is written), and never over an
/// existing file.
fn create_secret_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn with_suffix(out: &Path, suffix: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    out.with_file_name(format!("{stem}{suffix}"))
}

fn run(args: Args) -> Result<(), String> {
    let config = match &args.config {
        Some(p) => {
            let text = fs::read_to_string(p)
                .map_err(|e| format!("cannot read config {}: {e}", p.display()))?;
            // --preset is the starting point unless the file names one: merged as a value
            // after parsing (never spliced into the text).
            Config::parse_with_preset(&text, &args.preset)
                .map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => Config::preset(&args.preset).map_err(|e| e.to_string())?,
    };
    let mut config = config;
    if args.no_verify {
        config.verify = false;
    }
    let mut user_rules = Vec::new();
    for p in &args.pixel_rules {
        let text = fs::read_to_string(p)
            .map_err(|e| format!("cannot read pixel rules {}: {e}", p.display()))?;
        let set = dicom_deid::pixels::rules::RuleSet::parse(&text)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        user_rules.extend(set.rules);
    }
    user_rules.append(&mut config.pixel_rules);
    config.pixel_rules = user_rules;
    if let Some(u) = &args.unreviewed {
        config.unreviewed_pixels = match u.as_str() {
            "keep" => dicom_deid::pixels::clean::Unreviewed::Keep,
            "exclude" => dicom_deid::pixels::clean::Unreviewed::Exclude,
            _ => dicom_deid::pixels::clean::Unreviewed::Hold,
        };
    }
    if args.no_default_pixel_rules {
        config.default_pixel_rules = false;
    }
    if !config.verify {
        eprintln!("dicom-deid: WARNING: the self-check is off (benchmarking only); outputs are not re-read for leaks");
    }
    let read_text = |p: &Option<PathBuf>, what: &str| -> Result<Option<String>, String> {
        match p {
            None => Ok(None),
            Some(p) => fs::read(p)
                .map(|b| Some(String::from_utf8_lossy(&b).into_owned()))
                .map_err(|e| format!("cannot read {what} {}: {e}", p.display())),
        }
    };
    let mapping = read_text(&args.mapping, "mapping CSV")?;
    let existing = read_text(&args.existing_key, "key CSV")?;
    let secret = load_secret(&args.secret_file)?;
    let mut job = Job::new(&config, &secret, mapping.as_deref(), existing.as_deref())
        .map_err(|e| e.to_string())?;

    let key_path = args
        .key
        .clone()
        .unwrap_or_else(|| with_suffix(&args.out, "-key.csv"));
    let log_path = args
        .log
        .clone()
        .unwrap_or_else(|| with_suffix(&args.out, "-log.csv"));
    for p in [&key_path, &log_path] {
        if p == &args.out {
            return Err("--out, --key and --log must be different files".into());
        }
    }

    let mut inputs = Inputs {
        items: Vec::new(),
        zips: Vec::new(),
        unreadable: Vec::new(),
    };
    for inp in &args.inputs {
        if !inp.exists() {
            return Err(format!("input {} does not exist", inp.display()));
        }
        let name = inp
            .canonicalize()
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| inp.display().to_string());
        add_path(&mut inputs, inp, name);
    }
    inputs.items.sort_by(|a, b| a.0.cmp(&b.0));
    inputs.items.dedup_by(|a, b| a.0 == b.0);
    for (p, size, r) in inputs.unreadable.drain(..) {
        job.add_unreadable(&p, size, r);
    }
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);

    // Scan (headers only), in parallel.
    let started = std::time::Instant::now();
    // Only the first SCAN_FIRST (else SCAN_PREFIX) bytes of a file are read when they hold all
    // its headers.
    let scans = parallel_map(&inputs.items, threads, |(path, src)| {
        if let Source::File(p) = src {
            for n in [dicom_deid::scan::SCAN_FIRST, dicom_deid::scan::SCAN_PREFIX] {
                if let Some(rec) = read_prefix(p, n)
                    .and_then(|(b, size)| dicom_deid::scan::scan_prefix(path, &b, size))
                {
                    return rec;
                }
            }
        }
        match inputs.read(src) {
            Ok(b) => dicom_deid::scan::scan(path, &b),
            Err(r) => dicom_deid::scan::ScanRecord {
                path: path.clone(),
                size: 0,
                result: Err(r),
            },
        }
    });
    for s in scans {
        job.add_scan(s);
    }
    let engine = job.plan().map_err(|e| e.to_string())?;

    // Rewrite in parallel batches, writing in sorted source order.
    let todo: Vec<&(String, Source)> = {
        let want: std::collections::BTreeSet<String> = job.paths_to_process().into_iter().collect();
        inputs
            .items
            .iter()
            .filter(|(p, _)| want.contains(p))
            .collect()
    };
    let tmp = args.out.with_extension("zip.partial");
    let file =
        fs::File::create(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    // Small writes (zip headers, rewritten DICOM headers) are buffered; pixel data, larger than
    // the buffer, goes from the input buffer to the file in one write.
    let mut sink = ZipSink::new(BufWriter::with_capacity(64 << 10, file));
    let total = todo.len();
    let mut done = 0usize;
    let mut bytes_total = 0u64;
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    // Workers read and rewrite; this thread writes the zip in order meanwhile.
    let rewrite = |(path, src): &&(String, Source)| {
        let buf = spare
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default();
        match inputs.read_into(src, buf) {
            Ok(b) => {
                let (out, outcome) = engine.process_parts(path, &b);
                // The tail is always the end of the input: keep its length, return the
                // buffer with the header and the CRC of both (computed here, in parallel).
                let out = out.map(|o| {
                    let crc = crc32_of(&[&o.head, o.tail]);
                    (o.head, o.tail.len(), crc)
                });
                (Some(b), out, outcome)
            }
            Err(r) => (
                None,
                None,
                dicom_deid::FileOutcome {
                    source_path: path.clone(),
                    bytes_in: 0,
                    result: Err(r),
                    pixels: None,
                },
            ),
        }
    };
    ordered_map(
        &todo,
        threads,
        threads * 4,
        rewrite,
        |(input, out, outcome)| {
            if let (Some(input), Some((head, tail_len, crc)), Ok((m, _))) =
                (&input, &out, &outcome.result)
            {
                let tail = &input[input.len().saturating_sub(*tail_len)..];
                sink.add_parts_crc(&m.path, *crc, &[head, tail])
                    .map_err(|e| e.to_string())?;
                bytes_total += outcome.bytes_in;
            }
            if let (Some(b), Ok(mut v)) = (input, spare.lock()) {
                v.push(b);
            }
            job.record(outcome);
            done += 1;
            if !args.quiet && (done % 64 == 0 || done == total) {
                eprint!("\rde-identified {done}/{total} files");
            }
            Ok(())
        },
    )?;
    for (path, bytes) in job.final_entries() {
        sink.add(&path, &bytes).map_err(|e| e.to_string())?;
    }
    sink.finish().map_err(|e| e.to_string())?;
    fs::rename(&tmp, &args.out).map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    write_file(&key_path, job.key_csv().as_bytes())?;
    write_file(&log_path, job.log_csv().as_bytes())?;
    let secs = started.elapsed().as_secs_f64();
    if !args.quiet {
        eprintln!();
        eprintln!("{}", job.summary().line());
        eprintln!(
            "{:.1} MB in {:.2} s ({:.0} MB/s); zip: {}; key: {}; log: {}",
            bytes_total as f64 / 1e6,
            secs,
            bytes_total as f64 / 1e6 / secs.max(1e-9),
            args.out.display(),
            key_path.display(),
            log_path.display()
        );
    }
    Ok(())
}

/// The first `n` bytes of a file and its size (None on any I/O error: the caller reads it
/// whole).
fn read_prefix(path: &Path, n: usize) -> Option<(Vec<u8>, u64)> {
    use std::io::Read;
    let f = fs::File::open(path).ok()?;
    let size = f.metadata().ok()?.len();
    let mut buf = Vec::with_capacity(n.min(size as usize));
    f.take(n as u64).read_to_end(&mut buf).ok()?;
    Some((buf, size))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut f =
        fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Maps `f` over `items` on `threads` worker threads and hands the results to `consume` on this
/// thread in the items' order, as they come (at most `window` results ahead of the one being
/// consumed, so memory stays bounded). With one thread, everything runs here, in order. Stops at
/// the first error of `consume`.
fn ordered_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    window: usize,
    f: impl Fn(&T) -> R + Sync,
    mut consume: impl FnMut(R) -> Result<(), String>,
) -> Result<(), String> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Condvar;
    if threads <= 1 || items.len() <= 1 {
        return items.iter().try_for_each(|t| consume(f(t)));
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Number of results consumed so far; workers wait while they would run `window` ahead.
    let consumed = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = std::sync::mpsc::channel::<(usize, R)>();
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()) {
            let tx = tx.clone();
            let (next, stop, consumed, f) = (&next, &stop, &consumed, &f);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let Ok(mut n) = consumed.0.lock() else { break };
                while i >= *n + window && !stop.load(Ordering::Relaxed) {
                    let Ok(g) = consumed.1.wait(n) else { return };
                    n = g;
                }
                drop(n);
                if stop.load(Ordering::Relaxed) || tx.send((i, f(&items[i]))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut ready: BTreeMap<usize, R> = BTreeMap::new();
        let mut at = 0usize;
        let mut result = Ok(());
        for (i, r) in rx.iter() {
            ready.insert(i, r);
            while let Some(r) = ready.remove(&at) {
                if let Err(e) = consume(r) {
                    result = Err(e);
                    break;
                }
                at += 1;
            }
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            if let Ok(mut n) = consumed.0.lock() {
                *n = at;
            }
            consumed.1.notify_all();
            if result.is_err() {
                break;
            }
        }
        result
    })
}

/// Maps `f` over `items` on `threads` threads, keeping the order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    // Nothing here fails: every result is kept.
    let _ = ordered_map(items, threads, items.len().max(1), f, |r| {
        out.push(r);
        Ok(())
    });
    out
}

pub fn main() -> ExitCode {
    // dicom-rs reports the end of every data set as an error internally; with RUST_BACKTRACE=1
    // in the environment, snafu would capture a backtrace for each (4% of the run time).
    // Errors are shown by their message only: library backtraces are never used. Set before
    // any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dicom-deid: {e}");
            ExitCode::from(1)
        }
    }
}
