//! Text for the static HTML pages the engine writes (the run statement's and the audit's):
//! the one escaping of a value put between tags or in a double-quoted attribute.

/// `s` escaped for HTML text and double-quoted attribute values (`&`, `<`, `>`, `"`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_characters_are_escaped_once_and_other_text_is_kept() {
        assert_eq!(
            escape(r#"<a href="x">R&D</a> 한국"#),
            "&lt;a href=&quot;x&quot;&gt;R&amp;D&lt;/a&gt; 한국"
        );
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }
}
