//! Runs the PHI checker (phi.rs) over a whole de-identified zip: finds the input of every
//! entry — through the run's log CSV when given, else by identical Pixel Data bytes — and
//! checks the entry, its name, `manifest.csv` and any other text entry. Used by
//! `examples/phi_check.rs` (which declares `walk` beside it) and the integration tests. Inputs are
//! held in memory.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

#[path = "phi.rs"]
pub mod phi;

use super::walk::files_under;

/// What a check of a zip found.
#[derive(Debug, Default)]
pub struct Report {
    /// DICOM entries checked.
    pub outputs: usize,
    /// Of those, matched to their input through the log.
    pub by_log: usize,
    /// Matched by identical Pixel Data bytes.
    pub by_pixels: usize,
    /// Checked against the identifiers of every input (no one-to-one match).
    pub against_all: usize,
    /// Text entries (manifest, notes) and entry names checked against every input.
    pub texts: usize,
    /// (zip entry, finding).
    pub findings: Vec<(String, phi::Finding)>,
}

/// Reads inputs as the CLI names them: `<file name>` for a file, `<folder name>/<relative path>`
/// for files of a folder, `<zip path>/<member>` for members of a zip.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, String> {
    fn add(out: &mut Vec<(String, Vec<u8>)>, p: &Path, shown: String) -> Result<(), String> {
        let bytes = fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) && bytes.starts_with(b"PK")
        {
            for (name, b) in zip_entries(&bytes)? {
                out.push((format!("{shown}/{name}"), b));
            }
        } else {
            out.push((shown, bytes));
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let canon = p
            .canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()))?;
        let name = canon
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !canon.is_dir() {
            add(&mut out, &canon, name)?;
            continue;
        }
        let files = files_under(&canon).map_err(|e| format!("{}: {e}", canon.display()))?;
        for f in files {
            let rel: Vec<String> = f
                .strip_prefix(&canon)
                .map_err(|e| format!("{}: {e}", f.display()))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            add(&mut out, &f, format!("{name}/{}", rel.join("/")))?;
        }
    }
    Ok(out)
}

/// The file entries of a zip (name, bytes), in order.
pub fn zip_entries(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut z =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| format!("zip: {e}"))?;
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
        if f.is_dir() {
            continue;
        }
        let mut b = Vec::new();
        f.read_to_end(&mut b)
            .map_err(|e| format!("zip entry {}: {e}", f.name()))?;
        out.push((f.name().to_string(), b));
    }
    Ok(out)
}

/// `written` rows of a log CSV: output path → source path.
fn log_map(log: &Path) -> Result<HashMap<String, String>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let h = rdr.headers().map_err(|e| e.to_string())?.clone();
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .ok_or(format!("log lacks the column {n}"))
    };
    let (src, outcome, out) = (col("source_path")?, col("outcome")?, col("output_path")?);
    let mut m = HashMap::new();
    for r in rdr.records() {
        let r = r.map_err(|e| e.to_string())?;
        if r.get(outcome) == Some("written") {
            m.insert(
                r.get(out).unwrap_or("").to_string(),
                r.get(src).unwrap_or("").to_string(),
            );
        }
    }
    Ok(m)
}

fn pixel_key(bytes: &[u8]) -> Option<Vec<u8>> {
    let raw = phi::RawFile::new(bytes).ok()?;
    raw.pixel_data()
        .filter(|p| p.len() >= 64)
        .map(<[u8]>::to_vec)
}

/// Checks every entry of a de-identified zip against its inputs.
pub fn check_zip(
    inputs: &[(String, Vec<u8>)],
    zip: &[u8],
    log: Option<&Path>,
) -> Result<Report, String> {
    let mut ids: BTreeMap<&str, phi::Identifiers> = BTreeMap::new();
    for (name, bytes) in inputs {
        if let Ok(i) = phi::identifiers(bytes) {
            ids.insert(name, i);
        }
    }
    let mut all = phi::Identifiers::default();
    for i in ids.values() {
        all.merge(i);
    }
    let by_log = log.map(log_map).transpose()?;
    let mut by_pixels: HashMap<Vec<u8>, Vec<&str>> = HashMap::new();
    if by_log.is_none() {
        for (name, bytes) in inputs {
            if let (true, Some(k)) = (ids.contains_key(name.as_str()), pixel_key(bytes)) {
                by_pixels.entry(k).or_default().push(name);
            }
        }
    }
    let mut r = Report::default();
    for (entry, bytes) in zip_entries(zip)? {
        r.texts += 1;
        for f in all.check_text("zip entry name", &entry) {
            r.findings.push((entry.clone(), f));
        }
        if !entry.ends_with(".dcm") {
            for f in all.check_text(&entry, &String::from_utf8_lossy(&bytes)) {
                r.findings.push((entry.clone(), f));
            }
            continue;
        }
        r.outputs += 1;
        let mut matched = phi::Identifiers::default();
        let mut any = false;
        if let Some(m) = &by_log {
            if let Some(src) = m.get(&entry) {
                let i = ids.get(src.as_str()).ok_or(format!(
                    "{entry}: its input {src} was not given or is not DICOM"
                ))?;
                matched.merge(i);
                any = true;
                r.by_log += 1;
            }
        } else if let Some(srcs) = pixel_key(&bytes).and_then(|k| by_pixels.get(&k)) {
            for s in srcs {
                matched.merge(&ids[s]);
            }
            any = true;
            r.by_pixels += 1;
        }
        if !any {
            matched = all.clone();
            r.against_all += 1;
        }
        match matched.check(&bytes) {
            Ok(found) => r
                .findings
                .extend(found.into_iter().map(|f| (entry.clone(), f))),
            Err(e) => return Err(format!("{entry}: {e}")),
        }
    }
    Ok(r)
}
