//! The search of identifying terms in text: whole tokens, ASCII case-insensitive, one
//! folded copy per text and a SIMD `memmem` per term; and the scrubber that blanks them.

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Positions of `term` in `text` as a whole token (ASCII case-insensitive, bounded by
/// non-alphanumeric characters or the ends).
pub fn find_token(text: &[u8], term: &[u8]) -> Option<usize> {
    find_token_from(text, term, 0)
}

fn find_token_from(text: &[u8], term: &[u8], from: usize) -> Option<usize> {
    let (&first, &last) = (term.first()?, term.last()?);
    if term.len() > text.len() || from > text.len() - term.len() {
        return None;
    }
    // Candidates are the positions of the first byte in either case (memchr, SIMD).
    let end = text.len() - term.len() + 1;
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        &text[from..end],
    )
    .map(|i| i + from)
    .find(|&i| is_token_at(text, term, i, first, last))
}

/// Whether `term` is at `i` in `text` as a whole token (ASCII case-insensitive).
fn is_token_at(text: &[u8], term: &[u8], i: usize, first: u8, last: u8) -> bool {
    let j = i + term.len();
    text[i..j].eq_ignore_ascii_case(term)
        && (i == 0 || !is_word_byte(text[i - 1]) || !is_word_byte(first))
        && (j == text.len() || !is_word_byte(text[j]) || !is_word_byte(last))
}

/// A text searched for many terms: folded to ASCII lower case once, then each term is found by
/// `memmem` (SIMD) and checked for token boundaries. Same answers as [`find_token`].
pub struct Folded(Vec<u8>);

impl Folded {
    /// The text, folded to ASCII lower case.
    pub fn new(text: &[u8]) -> Folded {
        Folded(text.to_ascii_lowercase())
    }

    /// Blanks (with spaces) every whole-token occurrence of each text.
    pub fn mask<'t>(&mut self, texts: impl Iterator<Item = &'t str>) {
        for t in texts {
            let lower = t.as_bytes().to_ascii_lowercase();
            let (Some(&first), Some(&last)) = (lower.first(), lower.last()) else {
                continue;
            };
            let hits: Vec<usize> = memchr::memmem::find_iter(&self.0, &lower)
                .filter(|&i| is_token_at(&self.0, &lower, i, first, last))
                .collect();
            for i in hits {
                self.0[i..i + lower.len()].fill(b' ');
            }
        }
    }

    /// Whether `term` occurs in the text as a whole token.
    pub fn has_token(&self, term: &[u8]) -> bool {
        let (Some(&first), Some(&last)) = (term.first(), term.last()) else {
            return false;
        };
        let lower = term.to_ascii_lowercase();
        memchr::memmem::find_iter(&self.0, &lower)
            .any(|i| is_token_at(&self.0, &lower, i, first, last))
    }
}

/// Blanks every whole-token occurrence of each term with `X`s (same length, so VR length
/// limits still hold).
pub fn scrub(text: &str, terms: &[String]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for term in terms {
        let tb = term.as_bytes();
        let mut from = 0;
        while let Some(i) = find_token_from(&bytes, tb, from) {
            for b in &mut bytes[i..i + tb.len()] {
                *b = b'X';
            }
            from = i + tb.len();
        }
    }
    // Only ASCII bytes were replaced at token boundaries, so this stays valid UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| "X".repeat(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(find_token(b"CT HEAD SMITH", b"smith"), Some(8));
        assert_eq!(find_token(b"SMITHSON", b"smith"), None);
        assert_eq!(find_token(b"ID 12345-A", b"12345"), Some(3));
        assert_eq!(find_token(b"123456", b"12345"), None);
        assert_eq!(
            scrub("Dr Smith reviewed", &["Smith".into()]),
            "Dr XXXXX reviewed"
        );
    }

    /// The plain definition: every position, case-insensitive, token boundaries.
    fn reference(text: &[u8], term: &[u8], from: usize) -> Option<usize> {
        if term.is_empty() {
            return None;
        }
        (from..(text.len() + 1).saturating_sub(term.len())).find(|&i| {
            let j = i + term.len();
            text[i..j].eq_ignore_ascii_case(term)
                && (i == 0 || !is_word_byte(text[i - 1]) || !is_word_byte(term[0]))
                && (j == text.len()
                    || !is_word_byte(text[j])
                    || !is_word_byte(term[term.len() - 1]))
        })
    }

    #[test]
    fn fast_searches_agree_with_the_definition() {
        // A small alphabet (letters in both cases, digits, separators, a non-ASCII byte) makes
        // matches, near misses and boundary cases frequent.
        let alphabet = b"aAbB1 ^.-\xe9";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut found = 0;
        for _ in 0..20_000 {
            let text: Vec<u8> = (0..next(40))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let term: Vec<u8> = (0..next(4))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let from = next(8);
            let want = reference(&text, &term, from);
            assert_eq!(
                find_token_from(&text, &term, from),
                want,
                "{text:?} {term:?} {from}"
            );
            let any = reference(&text, &term, 0).is_some();
            assert_eq!(
                Folded::new(&text).has_token(&term),
                any,
                "{text:?} {term:?}"
            );
            found += usize::from(any);
        }
        assert!(
            found > 2_000,
            "only {found} matches: the test exercises too little"
        );
    }
}
