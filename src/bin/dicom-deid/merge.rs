//! `--merge`: the single run's zip, key and log from the parts of a sharded run. The zip's
//! stored entries are copied as they are (no recompression), in the single run's order.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufWriter, Read};
use std::path::PathBuf;

use dicom_deid::archive::output::ZipSink;
use dicom_deid::distribute::{merge_manifests, merge_reports};
use dicom_deid::pseudonyms::key::write_key;
use dicom_deid::report::log_csv;
use dicom_deid::statement;
use snafu::{ensure, OptionExt, ResultExt};

use crate::args::Args;
use crate::common::{write_file, Outputs};
use crate::error::{
    CliError, CreateSnafu, MissingEntrySnafu, NotAPartSnafu, PartCompressedSnafu, PartReadSnafu,
    PartZipSnafu, PartsMissingSnafu, ReadSnafu, ShardSnafu, SinkSnafu, UnexpectedEntrySnafu,
    WriteSnafu,
};
use crate::merged_statement::{self, is_statement_entry};

/// The parts given: zips, and the texts of keys and logs.
#[derive(Default)]
struct Parts {
    zips: Vec<PathBuf>,
    keys: Vec<String>,
    logs: Vec<String>,
}

/// Sorts the inputs into zips, keys and logs (by their header line).
fn classify(paths: &[PathBuf]) -> Result<Parts, CliError> {
    let key_header = write_key(&[]);
    let log_header = log_csv(&[]);
    let mut parts = Parts::default();
    for p in paths {
        if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            parts.zips.push(p.clone());
            continue;
        }
        let text = fs::read_to_string(p).context(ReadSnafu {
            what: "part",
            path: p,
        })?;
        if text.starts_with(key_header.as_str()) {
            parts.keys.push(text);
        } else if text.starts_with(log_header.as_str()) {
            parts.logs.push(text);
        } else {
            return NotAPartSnafu { path: p }.fail();
        }
    }
    let (zips, keys, logs) = (parts.zips.len(), parts.keys.len(), parts.logs.len());
    ensure!(
        zips > 0 && keys == zips && logs == zips,
        PartsMissingSnafu { zips, keys, logs }
    );
    Ok(parts)
}

/// The parts' zips, opened, with where each entry is.
struct Archives {
    zips: Vec<(PathBuf, zip::ZipArchive<fs::File>)>,
    /// Entries by name (every part has its own `manifest.csv`: those are apart).
    entries: BTreeMap<String, (usize, usize)>,
    manifests: Vec<(usize, usize)>,
    /// Every part's `run-statement.json` (its other statement entries are left: remade).
    statements: Vec<(usize, usize)>,
}

impl Archives {
    fn open(paths: &[PathBuf]) -> Result<Archives, CliError> {
        let mut a = Archives {
            zips: Vec::new(),
            entries: BTreeMap::new(),
            manifests: Vec::new(),
            statements: Vec::new(),
        };
        for (z, p) in paths.iter().enumerate() {
            let f = fs::File::open(p).context(ReadSnafu {
                what: "part",
                path: p,
            })?;
            let zip = zip::ZipArchive::new(f).context(PartZipSnafu { path: p })?;
            for i in 0..zip.len() {
                match zip.name_for_index(i) {
                    Some("manifest.csv") => a.manifests.push((z, i)),
                    Some(statement::STATEMENT_NAME) => a.statements.push((z, i)),
                    Some(name) if is_statement_entry(name) => {}
                    Some(name) => {
                        a.entries.insert(name.to_string(), (z, i));
                    }
                    None => {}
                }
            }
            a.zips.push((p.clone(), zip));
        }
        Ok(a)
    }

    /// The stored bytes and CRC-32 of an entry (as written by the shard: never recompressed).
    fn stored(&mut self, name: &str) -> Result<Option<(Vec<u8>, u32)>, CliError> {
        let Some(&(z, i)) = self.entries.get(name) else {
            return Ok(None);
        };
        self.stored_at(z, i, name).map(Some)
    }

    /// The stored bytes and CRC-32 of entry `i` of part `z`.
    fn stored_at(&mut self, z: usize, i: usize, name: &str) -> Result<(Vec<u8>, u32), CliError> {
        let (path, zip) = &mut self.zips[z];
        let path = path.as_path();
        let mut e = zip.by_index_raw(i).context(PartZipSnafu { path })?;
        ensure!(
            e.compression() == zip::CompressionMethod::Stored,
            PartCompressedSnafu { path, name }
        );
        let crc = e.crc32();
        let mut data = Vec::with_capacity(e.size() as usize);
        e.read_to_end(&mut data).context(PartReadSnafu { path })?;
        Ok((data, crc))
    }
}

/// Merges the parts into the single run's zip, key and log.
pub fn run(args: &Args) -> Result<(), CliError> {
    let outputs = Outputs::of(args)?;
    let parts = classify(&args.inputs)?;
    let keys: Vec<&str> = parts.keys.iter().map(String::as_str).collect();
    let logs: Vec<&str> = parts.logs.iter().map(String::as_str).collect();
    let merged = merge_reports(&keys, &logs).context(ShardSnafu)?;
    let mut archives = Archives::open(&parts.zips)?;
    let mut statements = Vec::new();
    for (z, i) in archives.statements.clone() {
        statements.push(archives.stored_at(z, i, statement::STATEMENT_NAME)?.0);
    }
    let (config, keyed) = merged_statement::agreed(args, &statements)?;
    // Every entry copied, with its SHA-256, for the merged statement's manifest.
    let mut covered: Vec<(String, [u8; 32])> = Vec::with_capacity(merged.written.len() + 8);
    let tmp = outputs.zip.with_extension("zip.partial");
    let file = fs::File::create(&tmp).context(CreateSnafu { path: &tmp })?;
    let mut sink = ZipSink::new(BufWriter::with_capacity(64 << 10, file));
    for name in &merged.written {
        let (data, crc) = archives.stored(name)?.context(MissingEntrySnafu { name })?;
        sink.add_parts_crc(name, crc, &[&data]).context(SinkSnafu)?;
        covered.push((name.clone(), statement::sha256(&data)));
    }
    // Then the notes of the patients (sorted), then the merged manifest.
    let written: BTreeSet<&str> = merged.written.iter().map(String::as_str).collect();
    let mut manifests = Vec::new();
    for (z, i) in archives.manifests.clone() {
        let (data, _) = archives.stored_at(z, i, "manifest.csv")?;
        manifests.push(String::from_utf8_lossy(&data).into_owned());
    }
    let others: Vec<(String, usize)> = archives
        .entries
        .iter()
        .filter(|(n, _)| !written.contains(n.as_str()))
        .map(|(n, (z, _))| (n.clone(), *z))
        .collect();
    for (name, z) in others {
        let Some((data, crc)) = archives.stored(&name)? else {
            continue;
        };
        if name.ends_with("/notes.txt") {
            sink.add_parts_crc(&name, crc, &[&data])
                .context(SinkSnafu)?;
            covered.push((name, statement::sha256(&data)));
        } else {
            let path = archives.zips[z].0.clone();
            return UnexpectedEntrySnafu { path, name }.fail();
        }
    }
    let manifests: Vec<&str> = manifests.iter().map(String::as_str).collect();
    let manifest = merge_manifests(&manifests).context(ShardSnafu)?;
    sink.add("manifest.csv", manifest.as_bytes())
        .context(SinkSnafu)?;
    covered.push((
        "manifest.csv".into(),
        statement::sha256(manifest.as_bytes()),
    ));
    let closing = merged_statement::closing_entries(args, &config, &keyed, &merged.rows, covered)?;
    for (name, bytes) in closing {
        sink.add(&name, &bytes).context(SinkSnafu)?;
    }
    sink.finish().context(SinkSnafu)?;
    fs::rename(&tmp, &outputs.zip).context(WriteSnafu { path: &outputs.zip })?;
    write_file(&outputs.key, merged.key_csv.as_bytes())?;
    write_file(&outputs.log, merged.log_csv.as_bytes())?;
    if !args.quiet {
        eprintln!(
            "merged {} parts: {} files; zip: {}; key: {}; log: {}",
            parts.zips.len(),
            merged.written.len(),
            outputs.zip.display(),
            outputs.key.display(),
            outputs.log.display()
        );
    }
    Ok(())
}
