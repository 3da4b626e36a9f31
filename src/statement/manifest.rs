//! `manifest-sha256.txt`: the SHA-256 of every entry of the zip that the statement covers, in the
//! layout of a BagIt payload manifest (RFC 8493 §2.1.3): one line per file, the checksum in
//! lower-case hex, two spaces, the file's path with `%`, CR and LF percent-encoded. The paths are
//! the zip's own (relative to its root: the payload is not moved under `data/`), so after
//! unzipping, `sha256sum -c manifest-sha256.txt` checks them too.

use snafu::Snafu;

use crate::statement::signing::{hex, unhex};

/// A manifest line that cannot be read.
#[derive(Debug, Snafu, PartialEq, Eq)]
#[snafu(display("manifest-sha256.txt line {line}: {what}"))]
pub struct ManifestError {
    /// 1-based line number
    pub line: usize,
    /// what is wrong with it
    pub what: &'static str,
}

/// A path as RFC 8493 writes it in a manifest.
fn encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A path of a manifest line, decoded.
fn decode_path(path: &str) -> String {
    path.replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%25", "%")
}

/// The manifest's text for `(path, sha256)` pairs, in their order.
pub fn write(entries: &[(String, [u8; 32])]) -> String {
    let mut s = String::with_capacity(entries.len() * 100);
    for (path, sum) in entries {
        s.push_str(&hex(sum));
        s.push_str("  ");
        s.push_str(&encode_path(path));
        s.push('\n');
    }
    s
}

/// The `(path, sha256)` pairs of a manifest's text.
pub fn parse(text: &str) -> Result<Vec<(String, [u8; 32])>, ManifestError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let Some((sum, path)) = line.split_once([' ', '\t']) else {
            return ManifestSnafu {
                line: line_no,
                what: "no path after the checksum",
            }
            .fail();
        };
        let sum = unhex::<32>(sum).ok_or(ManifestError {
            line: line_no,
            what: "the checksum is not 64 hex digits",
        })?;
        let path = path.trim_start_matches([' ', '\t']);
        if path.is_empty() {
            return ManifestSnafu {
                line: line_no,
                what: "empty path",
            }
            .fail();
        }
        out.push((decode_path(path), sum));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_are_checksum_two_spaces_path_and_read_back() {
        let entries = vec![
            ("A/B/1.dcm".to_string(), [0xab; 32]),
            ("odd 50%\nname".to_string(), [1; 32]),
        ];
        let text = write(&entries);
        assert!(text.starts_with(&format!("{}  A/B/1.dcm\n", "ab".repeat(32))));
        assert!(text.contains("  odd 50%25%0Aname\n"));
        assert_eq!(parse(&text), Ok(entries));
        assert_eq!(parse("abcd  x\n").map_err(|e| e.line), Err(1));
        assert_eq!(
            parse(&format!("{}\n", "00".repeat(32))).map_err(|e| e.line),
            Err(1)
        );
    }
}
