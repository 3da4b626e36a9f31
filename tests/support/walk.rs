//! The one directory walker of the tests (also of `examples/phi_check.rs` and the
//! counting-allocator test): every file under a folder.

use std::io;
use std::path::{Path, PathBuf};

/// Every file under `dir`, recursively, in path order (folders followed).
pub fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<Vec<PathBuf>>>()?;
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        if p.is_dir() {
            out.extend(files_under(&p)?);
        } else {
            out.push(p);
        }
    }
    Ok(out)
}
