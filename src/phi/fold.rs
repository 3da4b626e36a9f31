//! Text folded for matching identifiers: the same person written `Müller`, `MÜLLER`, `Muller`,
//! `Mu\u{308}ller` (decomposed), `ＭＵＬＬＥＲ` (full width) or, in a Latin-1 file, with its UTF-8
//! bytes (`MÃ¼ller`) is one text once folded. Terms and texts are folded alike, so that the
//! scrubber and the self-check find the same things; each folded byte remembers the character
//! of the original text it came from, so that a match blanks the original characters.
//!
//! Folding, per character: Unicode compatibility decomposition (NFKD: full and half width
//! forms, ligatures, compatibility ideographs), combining marks dropped (accents, and the kana
//! voicing marks), lower case (Unicode's full mapping; `ß` as `ss`), hiragana as katakana.
//! Hangul syllables are kept whole (their decomposition into jamo adds nothing to a match).

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// A text folded for matching, with the original character of each folded byte.
#[derive(Debug, Clone)]
pub struct Norm {
    /// The folded text (UTF-8).
    pub bytes: Vec<u8>,
    /// For each folded byte, the index of the original character it came from; `None` when the
    /// text was ASCII (byte `i` is character `i`).
    origin: Option<Vec<u32>>,
    /// Per original character: it folded to nothing (a combining mark), and goes with the
    /// character before it.
    silent: Vec<bool>,
}

impl Norm {
    /// The folded form of `text`.
    pub fn new(text: &str) -> Norm {
        if text.is_ascii() {
            return Norm {
                bytes: text.as_bytes().to_ascii_lowercase(),
                origin: None,
                silent: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        let mut silent = Vec::new();
        for (i, c) in text.chars().enumerate() {
            let before = out.len();
            fold_char(c, &mut out);
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            origin.resize(origin.len() + (out.len() - before), i);
            silent.push(out.len() == before);
        }
        Norm {
            bytes: out.into_bytes(),
            origin: Some(origin),
            silent,
        }
    }

    /// The original character that folded byte `i` came from.
    pub fn char_of(&self, i: usize) -> usize {
        match &self.origin {
            None => i,
            Some(o) => o.get(i).map_or(usize::MAX, |&c| c as usize),
        }
    }

    /// Marks (in `chars`, one flag per original character) the characters that folded bytes
    /// `range` came from, with the combining marks that follow the last of them.
    pub fn mark(&self, range: std::ops::Range<usize>, chars: &mut [bool]) {
        let mut last = None;
        for i in range {
            let c = self.char_of(i);
            if let Some(m) = chars.get_mut(c) {
                *m = true;
                last = Some(c);
            }
        }
        let Some(mut c) = last else { return };
        while self.silent.get(c + 1).copied().unwrap_or(false) {
            c += 1;
            if let Some(m) = chars.get_mut(c) {
                *m = true;
            }
        }
    }
}

/// The folded form of a term (as [`Norm::new`] folds a text).
pub fn fold(term: &str) -> String {
    if term.is_ascii() {
        return term.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Appends the folded form of one character.
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
        out.push(c);
        return;
    }
    decompose_compatible(c, |d| {
        if is_combining_mark(d) {
            return;
        }
        for l in d.to_lowercase() {
            match l {
                'ß' => out.push_str("ss"),
                'ς' => out.push('σ'),
                // Hiragana as katakana (the same syllables, U+3041–U+3096 → U+30A1–U+30F6).
                '\u{3041}'..='\u{3096}' => {
                    out.push(char::from_u32(u32::from(l) + 0x60).unwrap_or(l));
                }
                _ => out.push(l),
            }
        }
    });
}

/// The text of a value whose characters are all below U+0100 (as a Latin-1 or default
/// character set decodes it) read again as UTF-8, when its bytes are UTF-8 with some non-ASCII
/// character (a UTF-8 writer in a Latin-1 file: `MÃ¼ller`): the text, and for each of its
/// characters the range of original characters it came from.
pub fn utf8_view(text: &str) -> Option<(String, Vec<std::ops::Range<usize>>)> {
    if text.is_ascii() || text.chars().any(|c| u32::from(c) > 0xFF) {
        return None;
    }
    let bytes: Vec<u8> = text.chars().map(|c| u32::from(c) as u8).collect();
    let s = std::str::from_utf8(&bytes).ok()?;
    let ranges = s.char_indices().map(|(i, c)| i..i + c.len_utf8()).collect();
    Some((s.to_string(), ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_name_fold_alike() {
        let want = fold("Müller");
        assert_eq!(want, "muller");
        for s in [
            "MÜLLER",
            "Muller",
            "Mu\u{308}ller",
            "ＭＵＬＬＥＲ",
            "müller",
        ] {
            assert_eq!(fold(s), want, "{s}");
        }
        assert_eq!(fold("STRAßE"), fold("strasse"));
        assert_eq!(fold("ÉLODIE"), "elodie");
        assert_eq!(fold("ΣΩΚΡΑΤΗΣ"), fold("σωκρατης"));
        // Katakana in half and full width, and hiragana, fold to one text.
        assert_eq!(fold("ﾔﾏﾀﾞ"), fold("ヤマダ"));
        assert_eq!(fold("やまだ"), fold("ヤマダ"));
        assert_eq!(fold("홍길동"), "홍길동");
    }

    #[test]
    fn folded_bytes_point_back_to_their_characters() {
        let n = Norm::new("Dr Mü\u{308}x");
        // "dr mux": the mark after ü (character 5) folds to nothing and goes with it.
        assert_eq!(n.bytes, b"dr mux");
        let mut marks = vec![false; 7];
        n.mark(3..5, &mut marks);
        assert_eq!(marks, [false, false, false, true, true, true, false]);
    }

    #[test]
    fn utf8_bytes_read_as_latin1_are_read_again() {
        let (s, r) = utf8_view("M\u{c3}\u{bc}ller").expect("a UTF-8 view");
        assert_eq!(s, "Müller");
        assert_eq!(r[1], 1..3);
        assert!(
            utf8_view("Müller").is_none(),
            "Latin-1 text that is not UTF-8"
        );
        assert!(utf8_view("plain").is_none());
    }
}
