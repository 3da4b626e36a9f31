//! The search of identifying terms in text: whole tokens in the folded text ([`super::fold`]:
//! case, accents, width), a SIMD `memmem` per term or one automaton for a batch's terms; and
//! the scrubber that blanks them (and rewrites dates written in text, when dates are shifted).
//! Terms of CJK scripts are found inside words (those scripts have no spaces between words).

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use dicom_core::VR;

use super::fold::{fold, utf8_view, Norm};
use crate::charset::Charset;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Whether a character is of a script written without spaces between words: Han, Hangul,
/// kana (full and half width), Bopomofo. A term of these characters is found anywhere in a
/// text; a word of other scripts ends at such a character.
pub fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x11FF | 0x3040..=0x30FF | 0x3100..=0x312F | 0x3130..=0x318F | 0x31A0..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x20000..=0x3134F)
}

/// The UTF-8 character that starts at `i`, if any.
fn char_at(text: &[u8], i: usize) -> Option<char> {
    let end = text.len().min(i + 4);
    (i + 1..=end).find_map(|j| std::str::from_utf8(text.get(i..j)?).ok()?.chars().next())
}

/// The UTF-8 character that ends just before `i`, if any.
fn char_before(text: &[u8], i: usize) -> Option<char> {
    (i.saturating_sub(4)..i)
        .rev()
        .find_map(|j| std::str::from_utf8(text.get(j..i)?).ok()?.chars().next())
}

/// Whether a token may begin or end next to this character of the text (or term): an ASCII
/// byte that is not a letter or digit, a CJK character, a non-ASCII character that is not
/// a letter or digit. Other non-ASCII bytes (a letter, or not UTF-8) continue a word.
fn is_edge(b: u8, c: Option<char>) -> bool {
    if b < 0x80 {
        return !is_word_byte(b);
    }
    c.is_some_and(|c| is_cjk(c) || !c.is_alphanumeric())
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

/// Whether `term` is at `i` in `text` as a whole token (ASCII case-insensitive). A term that
/// begins (ends) with a CJK character needs no boundary on that side: those scripts put no
/// spaces between words.
fn is_token_at(text: &[u8], term: &[u8], i: usize, first: u8, last: u8) -> bool {
    let j = i + term.len();
    text[i..j].eq_ignore_ascii_case(term)
        && (i == 0
            || is_edge(first, char_at(term, 0))
            || is_edge(text[i - 1], char_before(text, i)))
        && (j == text.len()
            || is_edge(last, char_before(term, term.len()))
            || is_edge(text[j], char_at(text, j)))
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

/// Terms searched together: every whole-token occurrence of any of them in a text, in one pass
/// of an Aho–Corasick automaton (ASCII case-insensitive, overlapping matches), each checked for
/// token boundaries as [`find_token`] does. Built once for a batch's identifiers, so that a
/// file is not searched once per term of the batch.
#[derive(Debug, Clone, Default)]
pub struct TermSet {
    terms: Vec<String>,
    automaton: Option<AhoCorasick>,
}

impl TermSet {
    /// The set of `terms` (empty ones are never found). If the automaton cannot be built (a
    /// set beyond its limits), each term is searched on its own: the same answers, slower.
    pub fn new(terms: Vec<String>) -> TermSet {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(terms.iter().filter(|t| !t.is_empty()))
            .ok();
        let terms = terms.into_iter().filter(|t| !t.is_empty()).collect();
        TermSet { terms, automaton }
    }

    /// The number of (non-empty) terms; indices of [`TermSet::tokens`] are below it.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether the set has no term.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Term `i` (as given to [`TermSet::new`], empty ones left out).
    pub fn term(&self, i: usize) -> &str {
        self.terms.get(i).map_or("", String::as_str)
    }

    /// Every whole-token occurrence in `text` of any term, overlapping ones included, as
    /// (term index, start).
    pub fn tokens(&self, text: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if self.terms.is_empty() {
            return out;
        }
        let is_token = |t: usize, i: usize| {
            let term = self.terms[t].as_bytes();
            is_token_at(text, term, i, term[0], term[term.len() - 1])
        };
        match &self.automaton {
            Some(ac) => {
                for m in ac.find_overlapping_iter(text) {
                    let (t, i) = (m.pattern().as_usize(), m.start());
                    if is_token(t, i) {
                        out.push((t, i));
                    }
                }
            }
            None => {
                for (t, term) in self.terms.iter().enumerate() {
                    let mut from = 0;
                    while let Some(i) = find_token_from(text, term.as_bytes(), from) {
                        out.push((t, i));
                        from = i + 1;
                    }
                }
            }
        }
        out
    }
}

/// What marks the characters of a text to blank: terms searched one by one, or a file's own
/// terms with its batch's ([`crate::phi::ScrubTerms`]).
pub trait Marker {
    /// Marks (one flag per character of `text`) the characters of an identifier to blank.
    fn mark(&self, text: &str, marked: &mut [bool]);

    /// Dates of the input written in `text` that are rewritten rather than blanked (shifted
    /// with the study): character range and new text. Not marked by [`Marker::mark`].
    fn replacements(&self, _text: &str) -> Vec<(Range<usize>, String)> {
        Vec::new()
    }
}

/// Marks the characters of every whole-token occurrence of each folded term in a folded text.
pub fn mark_terms<'t>(norm: &Norm, terms: impl Iterator<Item = &'t str>, marked: &mut [bool]) {
    for term in terms {
        let tb = term.as_bytes();
        let mut from = 0;
        while let Some(i) = find_token_from(&norm.bytes, tb, from) {
            norm.mark(i..i + tb.len(), marked);
            from = i + tb.len().max(1);
        }
    }
}

impl Marker for [String] {
    fn mark(&self, text: &str, marked: &mut [bool]) {
        let folded: Vec<String> = self.iter().map(|t| fold(t)).collect();
        mark_terms(&Norm::new(text), folded.iter().map(String::as_str), marked);
    }
}

/// Blanks every whole-token occurrence of each term in a UTF-8 text with `X`s, one per
/// character.
pub fn scrub(text: &str, terms: &[String]) -> String {
    scrub_value(&Charset::default(), VR::LT, text, terms)
}

/// Marks what `terms` mark in `text`, and in its UTF-8 reading when its bytes are UTF-8 read
/// as Latin-1 ([`utf8_view`]).
fn mark_all<M: Marker + ?Sized>(text: &str, terms: &M, marked: &mut [bool]) {
    terms.mark(text, marked);
    if let Some((view, ranges)) = utf8_view(text) {
        let mut m = vec![false; ranges.len()];
        terms.mark(&view, &mut m);
        for (r, _) in ranges.iter().zip(&m).filter(|(_, &x)| x) {
            for i in r.clone() {
                if let Some(x) = marked.get_mut(i) {
                    *x = true;
                }
            }
        }
    }
}

/// Longest value of a VR that a rewritten date may make (else the date is blanked).
fn max_chars(vr: VR) -> Option<usize> {
    match vr {
        VR::SH => Some(16),
        VR::LO => Some(64),
        VR::ST => Some(1024),
        VR::LT => Some(10240),
        VR::UT | VR::UC => Some(usize::MAX),
        _ => None,
    }
}

/// Blanks every identifier in one value (as dicom-rs holds it), in its decoded text
/// ([`Charset`]), with one `X` per character, written in the value's own character set; dates
/// the terms rewrite are rewritten where the value is plain text of a free-text VR (else
/// blanked). A value without any returns unchanged (kept text keeps its bytes).
pub fn scrub_value<M: Marker + ?Sized>(cs: &Charset, vr: VR, value: &str, terms: &M) -> String {
    let decoded = cs.decode(vr, value);
    let n = decoded.text.chars().count();
    let mut marked = vec![false; n];
    mark_all(&decoded.text, terms, &mut marked);
    let mut reps = terms.replacements(&decoded.text);
    // A rewrite only where nothing in its range is blanked and the value can hold it.
    reps.retain(|(r, _)| !marked.get(r.clone()).unwrap_or(&[]).contains(&true));
    let fits = decoded.is_plain() && max_chars(vr).is_some();
    if !fits {
        for (r, _) in reps.drain(..) {
            marked
                .get_mut(r)
                .into_iter()
                .flatten()
                .for_each(|x| *x = true);
        }
    }
    if !marked.contains(&true) && reps.is_empty() {
        return value.to_string();
    }
    let blanked = cs.blank(&decoded, &marked);
    if reps.is_empty() {
        return blanked;
    }
    let chars: Vec<char> = blanked.chars().collect();
    let mut out = String::with_capacity(blanked.len() + 8);
    let mut at = 0;
    reps.sort_by_key(|(r, _)| r.start);
    for (r, new) in &reps {
        if r.start < at || r.end > chars.len() {
            continue;
        }
        out.extend(&chars[at..r.start]);
        out.push_str(new);
        at = r.end;
    }
    out.extend(&chars[at..]);
    if out.chars().count() > max_chars(vr).unwrap_or(0) {
        // Too long for the VR once rewritten: blanked instead.
        for (r, _) in reps {
            marked
                .get_mut(r)
                .into_iter()
                .flatten()
                .for_each(|x| *x = true);
        }
        return cs.blank(&decoded, &marked);
    }
    out
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

    #[test]
    fn cjk_terms_are_found_inside_words() {
        let find = |t: &str, w: &str| find_token(t.as_bytes(), w.as_bytes());
        assert!(find("흉부 CT 조영 홍길동 추적", "홍길동").is_some());
        assert!(find("보호자 연락 홍길동씨", "홍길동").is_some());
        assert!(find("患者张三丰再次扫描", "张三丰").is_some());
        assert!(find("家族連絡 ヤマダタロウ", "ヤマダタロウ").is_some());
        // Latin words keep their boundaries, and end at a CJK character.
        assert_eq!(find("ANNUAL REVIEW", "ANN"), None);
        assert!(find("Hong씨 Gildong", "hong").is_some());
        assert_eq!(find("Müller", "Mül"), None);
        assert_eq!(
            scrub("환자 홍길동 재촬영", &["홍길동".into()]),
            "환자 XXX 재촬영"
        );
        assert_eq!(
            scrub("胸部CT 山田太郎様", &["山田太郎".into(), "山田".into()]),
            "胸部CT XXXX様"
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

    /// A small alphabet (letters in both cases, digits, separators, a non-ASCII byte): matches,
    /// near misses and boundary cases are frequent.
    const ALPHABET: &[u8] = b"aAbB1 ^.-\xe9";

    /// A xorshift generator of numbers below `n`.
    fn xorshift(mut state: u64) -> impl FnMut(usize) -> usize {
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        }
    }

    /// A text of up to `max` bytes of [`ALPHABET`].
    fn random_text(next: &mut impl FnMut(usize) -> usize, max: usize) -> Vec<u8> {
        (0..next(max))
            .map(|_| ALPHABET[next(ALPHABET.len())])
            .collect()
    }

    #[test]
    fn a_term_set_finds_what_each_term_finds() {
        // Every whole-token occurrence of every term (overlapping ones included), as the plain
        // definition finds them one term at a time; with the automaton and without.
        let alphabet = ALPHABET;
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut found = 0;
        for _ in 0..5_000 {
            let text = random_text(&mut next, 40);
            let terms: Vec<String> = (0..next(6))
                .map(|_| {
                    let t: Vec<u8> = (0..next(4))
                        .map(|_| alphabet[next(alphabet.len() - 1)])
                        .collect();
                    String::from_utf8_lossy(&t).into_owned()
                })
                .collect();
            let set = TermSet::new(terms.clone());
            let kept: Vec<&String> = terms.iter().filter(|t| !t.is_empty()).collect();
            let mut want = Vec::new();
            for (k, t) in kept.iter().enumerate() {
                let mut from = 0;
                while let Some(i) = reference(&text, t.as_bytes(), from) {
                    want.push((k, i));
                    from = i + 1;
                }
            }
            want.sort_unstable();
            let mut got = set.tokens(&text);
            got.sort_unstable();
            assert_eq!(got, want, "{text:?} {terms:?}");
            let plain = TermSet {
                automaton: None,
                ..set.clone()
            };
            let mut got = plain.tokens(&text);
            got.sort_unstable();
            assert_eq!(got, want, "without the automaton: {text:?} {terms:?}");
            found += want.len();
        }
        assert!(found > 2_000, "only {found} matches: too little exercised");
    }

    #[test]
    fn fast_searches_agree_with_the_definition() {
        // A small alphabet (letters in both cases, digits, separators, a non-ASCII byte) makes
        // matches, near misses and boundary cases frequent.
        let alphabet = ALPHABET;
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let mut found = 0;
        for _ in 0..20_000 {
            let text = random_text(&mut next, 40);
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
