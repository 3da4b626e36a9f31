//! The inputs of a run: files, folders (walked recursively) and zips, listed by the path shown
//! in the log, read whole or (for the scan) by their first bytes.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use dicom_deid::archive::input::{looks_like_zip, MemberInfo, ZipInput};
use dicom_deid::error::Rejection;
use dicom_deid::scan::{self, ScanRecord};
use snafu::ensure;

use crate::error::{CliError, MissingInputSnafu};
use crate::pool::parallel_map;

/// Lists the inputs given on the command line (each must exist), sorted by shown path, without
/// repeats. A folder or zip is shown by its own name, its files below it.
pub fn collect(paths: &[PathBuf]) -> Result<Inputs, CliError> {
    let mut inputs = Inputs {
        items: Vec::new(),
        zips: Vec::new(),
        unreadable: Vec::new(),
    };
    for inp in paths {
        ensure!(inp.exists(), MissingInputSnafu { path: inp });
        let name = inp
            .canonicalize()
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| inp.display().to_string());
        add_path(&mut inputs, inp, name);
    }
    inputs.items.sort_by(|a, b| a.0.cmp(&b.0));
    inputs.items.dedup_by(|a, b| a.0 == b.0);
    Ok(inputs)
}

/// Scans `items` (headers only) on `threads` threads, in their order. Only the first
/// SCAN_FIRST (else SCAN_PREFIX) bytes of a file are read when they hold all its headers.
pub fn scan_all(inputs: &Inputs, items: &[&(String, Source)], threads: usize) -> Vec<ScanRecord> {
    parallel_map(items, threads, |(path, src)| {
        if let Source::File(p) = src {
            for n in [scan::SCAN_FIRST, scan::SCAN_PREFIX] {
                if let Some(rec) =
                    read_prefix(p, n).and_then(|(b, size)| scan::scan_prefix(path, &b, size))
                {
                    return rec;
                }
            }
        }
        match inputs.read(src) {
            Ok(b) => scan::scan(path, &b),
            Err(r) => ScanRecord {
                path: path.clone(),
                size: 0,
                result: Err(r),
            },
        }
    })
}

/// Where one input's bytes come from.
pub enum Source {
    File(PathBuf),
    Member(usize, MemberInfo),
}

/// The inputs of a run: every file (zip members included) by its shown path, sorted, and those
/// that could not even be listed.
pub struct Inputs {
    pub items: Vec<(String, Source)>,
    zips: Vec<Mutex<ZipInput>>,
    pub unreadable: Vec<(String, u64, Rejection)>,
}

impl Inputs {
    /// The size of an input without reading it (0 when unknown).
    pub fn size(&self, src: &Source) -> u64 {
        match src {
            Source::File(p) => fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Source::Member(_, m) => m.size,
        }
    }

    pub fn read(&self, src: &Source) -> Result<Vec<u8>, Rejection> {
        self.read_into(src, Vec::new())
    }

    /// Reads an input into `buf` (reused from an earlier file: fresh buffers for every file cost
    /// more in page faults than the copy from the page cache).
    pub fn read_into(&self, src: &Source, mut buf: Vec<u8>) -> Result<Vec<u8>, Rejection> {
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
                            detail: e.to_string().into(),
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
