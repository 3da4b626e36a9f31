//! Delivery into an archive, the pure part shared by the CLI and the page (no I/O, no clock):
//! which outputs an archive can store ([`storable`]), STOW-RS requests in bounded batches
//! ([`stow`]) and their responses read per instance ([`stow_response`]), what to do after a
//! failed attempt ([`retry`]), the record of what was stored ([`ledger`]), the send log of
//! one send ([`send_log`]) and the ETag an S3 store gives an upload ([`s3_etag`]); and before
//! any of it, what a zip may deliver at all: only the instances its signed run statement and
//! manifest vouch for ([`vouched`]). The shells do the network and the files: the CLI's
//! `send.rs`, the page's workers.

pub mod ledger;
pub mod retry;
pub mod s3_etag;
pub mod send_log;
pub mod storable;
pub mod stow;
pub mod stow_response;
pub mod vouched;

/// Whether a zip entry is a de-identified instance (the DICOM files the run wrote, under
/// `<ID>/<ID>_<N>/<series>/`), as opposed to `manifest.csv`, notes and the run statement's
/// entries, which are never sent. Held and excluded files are never in the zip.
pub fn is_instance_entry(name: &str) -> bool {
    name.ends_with(".dcm") && name.contains('/')
}

/// One CSV line (RFC 4180 quoting, `\n` ended) of the ledger and the send log.
fn csv_line(fields: &[&str]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; an error would leave the line empty.
    let _ = w.write_record(fields);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::is_instance_entry;

    #[test]
    fn only_dicom_entries_are_instances() {
        assert!(is_instance_entry("SUBJ001/SUBJ001_1/2_CT/3.dcm"));
        for name in [
            "manifest.csv",
            "SUBJ001/notes.txt",
            "run-statement.html",
            "manifest-sha256.txt",
            "run-statement.json",
            "run-statement.sig",
        ] {
            assert!(!is_instance_entry(name), "{name}");
        }
    }
}
