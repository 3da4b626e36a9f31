//! The lines of a deid recipe: comments (`#` at the start or after white space) removed,
//! blank lines dropped, numbered for the report.

/// A line of a section, without its comment.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) number: usize,
    pub(super) text: String,
}

/// The non-blank lines, comments (`#` at the start or after white space) removed.
pub(super) fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let mut cut = raw.len();
        let mut prev_space = true;
        for (k, c) in raw.char_indices() {
            if c == '#' && prev_space {
                cut = k;
                break;
            }
            prev_space = c.is_whitespace();
        }
        let t = raw[..cut].trim();
        if !t.is_empty() {
            out.push(Line {
                number: i + 1,
                text: t.to_string(),
            });
        }
    }
    out
}
