//! Dates and IDs as people write them in text, not as DICOM stores them: the birth date
//! `19520317` written `17/03/1952`, `03/17/1952`, `1952-03-17`, `17.03.1952`, `17 March 1952`,
//! `March 17, 1952`, `17-Mar-1952` or `1952년 3월 17일`; the MRN `99218877` written
//! `0099218877`, `9921-8877`, `99 218 877` or `MRN99218877`; the accession `A20240017` as
//! `20240017`. Only dates and IDs of the input are looked for: a date is found when one of its
//! readings is one of the given dates, an ID when its digits (leading zeros and single
//! separators left out) are the digits of one of the given IDs.

use std::collections::HashSet;
use std::ops::Range;

/// A civil date (year, month, day).
pub type Ymd = (i64, u32, u32);

/// Month names in English, full; the first three letters (and `Sept`) are read as well.
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A piece of text: a run of ASCII digits, a run of letters, or one other character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Digits,
    Letters,
    Other(char),
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    /// Character range in the text.
    start: usize,
    end: usize,
}

/// The text's characters cut into [`Tok`]s.
fn tokens(chars: &[char]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let kind = if c.is_ascii_digit() {
            Kind::Digits
        } else if c.is_alphabetic() {
            Kind::Letters
        } else {
            Kind::Other(c)
        };
        let mut j = i + 1;
        if kind != Kind::Other(c) {
            while j < chars.len()
                && (if kind == Kind::Digits {
                    chars[j].is_ascii_digit()
                } else {
                    chars[j].is_alphabetic()
                })
            {
                j += 1;
            }
        }
        out.push(Tok {
            kind,
            start: i,
            end: j,
        });
        i = j;
    }
    out
}

/// How one part of a found date is written, so that a shifted date is written alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Year,
    /// Day or month in digits; `true` when written zero-padded.
    Day(bool),
    Month(bool),
    /// Month by name: full (`March`) or short (`Mar`), all capitals or not.
    MonthName {
        full: bool,
        upper: bool,
    },
    /// `YYYYMMDD` in one run.
    Compact,
}

/// A date of the input found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateHit {
    /// Character range of the whole date in the text.
    pub chars: Range<usize>,
    /// The date it reads as.
    pub date: Ymd,
    parts: Vec<(Range<usize>, Part)>,
}

impl DateHit {
    /// The date written as found, shifted by `days`.
    pub fn shifted(&self, chars: &[char], days: i64) -> String {
        let (y, m, d) = self.date;
        let (y, m, d) =
            crate::dates::civil_from_days(crate::dates::days_from_civil(y, m, d) + days);
        let mut out = String::new();
        let mut at = self.chars.start;
        for (r, part) in &self.parts {
            out.extend(chars.get(at..r.start).unwrap_or_default());
            out.push_str(&match *part {
                Part::Year => format!("{:04}", y.clamp(0, 9999)),
                Part::Day(two) => pad(d, two),
                Part::Month(two) => pad(m, two),
                Part::MonthName { full, upper } => {
                    let name = MONTHS.get(m as usize - 1).copied().unwrap_or("");
                    let name = if full { name } else { &name[..3] };
                    let mut s: String = name.to_string();
                    if upper {
                        s.make_ascii_uppercase();
                    } else if let Some(f) = s.get_mut(..1) {
                        f.make_ascii_uppercase();
                    }
                    s
                }
                Part::Compact => crate::dates::format_da(y, m, d),
            });
            at = r.end;
        }
        out.extend(chars.get(at..self.chars.end).unwrap_or_default());
        out
    }
}

fn pad(n: u32, two: bool) -> String {
    if two {
        format!("{n:02}")
    } else {
        n.to_string()
    }
}

/// The month a word names (`March`, `MAR`, `Sept`), 1-based.
fn month_of(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    let i = MONTHS
        .iter()
        .position(|m| *m == w || (w.len() == 3 && m.starts_with(&w)) || w == "sept")?;
    u32::try_from(i + 1).ok()
}

fn valid(y: i64, m: u32, d: u32) -> bool {
    crate::dates::parse_da(&crate::dates::format_da(y, m, d)).is_some() && (1..=9999).contains(&y)
}

/// Reads the text of tokens as a number.
fn num(chars: &[char], t: &Tok) -> Option<u32> {
    let s: String = chars.get(t.start..t.end)?.iter().collect();
    s.parse().ok()
}

/// The dates of `known` written in `text`, each once, in text order.
pub fn find_dates(text: &str, known: &HashSet<Ymd>) -> Vec<DateHit> {
    if known.is_empty() || !text.bytes().any(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let chars: Vec<char> = text.chars().collect();
    let toks = tokens(&chars);
    let mut out: Vec<DateHit> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let hit = [numeric, named_day_first, named_month_first, korean, compact]
            .iter()
            .find_map(|f| f(&chars, &toks, i, known));
        match hit {
            Some((hit, next)) => {
                out.push(hit);
                i = next;
            }
            None => i += 1,
        }
    }
    out
}

/// A pattern at token `i`: the hit and the index of the token after it.
type Found = Option<(DateHit, usize)>;

fn digits(toks: &[Tok], i: usize, lens: Range<usize>) -> Option<Tok> {
    toks.get(i)
        .filter(|t| t.kind == Kind::Digits && lens.contains(&(t.end - t.start)))
        .copied()
}

fn other(toks: &[Tok], i: usize) -> Option<char> {
    match toks.get(i)?.kind {
        Kind::Other(c) => Some(c),
        _ => None,
    }
}

/// `Y-M-D`, `D/M/Y`, `M/D/Y` with one of `/ . -` (the same twice).
fn numeric(chars: &[char], toks: &[Tok], i: usize, known: &HashSet<Ymd>) -> Found {
    let (a, b, c) = (
        digits(toks, i, 1..5)?,
        digits(toks, i + 2, 1..3)?,
        digits(toks, i + 4, 1..5)?,
    );
    let s = other(toks, i + 1).filter(|s| matches!(s, '/' | '.' | '-'))?;
    if other(toks, i + 3) != Some(s) {
        return None;
    }
    let len = |t: &Tok| t.end - t.start;
    let (na, nb, nc) = (num(chars, &a)?, num(chars, &b)?, num(chars, &c)?);
    // Zero-padded when either day or month is written with a leading zero.
    let padded = [&a, &b, &c]
        .iter()
        .any(|t| len(t) == 2 && chars.get(t.start) == Some(&'0'));
    let two = |_: &Tok| padded;
    let readings: Vec<(Ymd, [Part; 3])> = if len(&a) == 4 && len(&c) <= 2 {
        vec![(
            (i64::from(na), nb, nc),
            [Part::Year, Part::Month(two(&b)), Part::Day(two(&c))],
        )]
    } else if len(&c) == 4 && len(&a) <= 2 {
        vec![
            (
                (i64::from(nc), nb, na),
                [Part::Day(two(&a)), Part::Month(two(&b)), Part::Year],
            ),
            (
                (i64::from(nc), na, nb),
                [Part::Month(two(&a)), Part::Day(two(&b)), Part::Year],
            ),
        ]
    } else {
        return None;
    };
    let (date, parts) = readings
        .into_iter()
        .find(|(d, _)| valid(d.0, d.1, d.2) && known.contains(d))?;
    let ranges = [a, b, c].map(|t| t.start..t.end);
    Some((
        DateHit {
            chars: a.start..c.end,
            date,
            parts: ranges.into_iter().zip(parts).collect(),
        },
        i + 5,
    ))
}

/// Skips separators of a written date (spaces, `,`, `.`, `-`, `/`): at least one, at most
/// three. The index after them.
fn separators(toks: &[Tok], mut i: usize) -> Option<usize> {
    let start = i;
    while i - start < 3 && matches!(other(toks, i), Some(' ' | ',' | '.' | '-' | '/')) {
        i += 1;
    }
    (i > start).then_some(i)
}

/// A day number with an optional English ordinal suffix (`17th`): the day token and the
/// index after it.
fn day(chars: &[char], toks: &[Tok], i: usize) -> Option<(Tok, u32, usize)> {
    let t = digits(toks, i, 1..3)?;
    let n = num(chars, &t)?;
    let suffix = toks
        .get(i + 1)
        .filter(|s| s.kind == Kind::Letters)
        .and_then(|s| {
            let w: String = chars.get(s.start..s.end)?.iter().collect();
            matches!(w.to_ascii_lowercase().as_str(), "st" | "nd" | "rd" | "th").then_some(())
        });
    Some((t, n, i + 1 + usize::from(suffix.is_some())))
}

fn month_name(chars: &[char], toks: &[Tok], i: usize) -> Option<(Tok, u32, Part)> {
    let t = toks.get(i).filter(|t| t.kind == Kind::Letters).copied()?;
    let w: String = chars.get(t.start..t.end)?.iter().collect();
    let m = month_of(&w)?;
    let part = Part::MonthName {
        full: MONTHS
            .get(m as usize - 1)
            .is_some_and(|name| name.len() == w.len()),
        upper: w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()),
    };
    Some((t, m, part))
}

fn zero_padded(chars: &[char], t: &Tok) -> bool {
    t.end - t.start == 2 && chars.get(t.start) == Some(&'0')
}

fn year(chars: &[char], toks: &[Tok], i: usize) -> Option<(Tok, i64)> {
    let t = digits(toks, i, 4..5)?;
    Some((t, i64::from(num(chars, &t)?)))
}

fn hit(date: Ymd, known: &HashSet<Ymd>, parts: Vec<(Range<usize>, Part)>, next: usize) -> Found {
    if !valid(date.0, date.1, date.2) || !known.contains(&date) {
        return None;
    }
    let start = parts.iter().map(|p| p.0.start).min()?;
    let end = parts.iter().map(|p| p.0.end).max()?;
    Some((
        DateHit {
            chars: start..end,
            date,
            parts,
        },
        next,
    ))
}

/// `17 March 1952`, `17-Mar-1952`, `17th March, 1952`.
fn named_day_first(chars: &[char], toks: &[Tok], i: usize, known: &HashSet<Ymd>) -> Found {
    let (dt, d, j) = day(chars, toks, i)?;
    let j = separators(toks, j)?;
    let (mt, m, mp) = month_name(chars, toks, j)?;
    let k = separators(toks, j + 1)?;
    let (yt, y) = year(chars, toks, k)?;
    let parts = vec![
        (dt.start..dt.end, Part::Day(zero_padded(chars, &dt))),
        (mt.start..mt.end, mp),
        (yt.start..yt.end, Part::Year),
    ];
    hit((y, m, d), known, parts, k + 1)
}

/// `March 17, 1952`, `Mar 17 1952`, `Mar-17-1952`.
fn named_month_first(chars: &[char], toks: &[Tok], i: usize, known: &HashSet<Ymd>) -> Found {
    let (mt, m, mp) = month_name(chars, toks, i)?;
    let j = separators(toks, i + 1)?;
    let (dt, d, k) = day(chars, toks, j)?;
    let k = separators(toks, k)?;
    let (yt, y) = year(chars, toks, k)?;
    let parts = vec![
        (mt.start..mt.end, mp),
        (dt.start..dt.end, Part::Day(zero_padded(chars, &dt))),
        (yt.start..yt.end, Part::Year),
    ];
    hit((y, m, d), known, parts, k + 1)
}

/// `1952년 3월 17일` (spaces optional).
fn korean(chars: &[char], toks: &[Tok], i: usize, known: &HashSet<Ymd>) -> Found {
    let (yt, y) = year(chars, toks, i)?;
    let unit = |t: usize, c: char| -> Option<usize> {
        let mut t = t;
        if other(toks, t) == Some(' ') {
            t += 1;
        }
        let tok = toks.get(t)?;
        (tok.kind == Kind::Letters && chars.get(tok.start..tok.end)? == [c]).then_some(t + 1)
    };
    let j = unit(i + 1, '년')?;
    let j = if other(toks, j) == Some(' ') {
        j + 1
    } else {
        j
    };
    let mt = digits(toks, j, 1..3)?;
    let k = unit(j + 1, '월')?;
    let k = if other(toks, k) == Some(' ') {
        k + 1
    } else {
        k
    };
    let dt = digits(toks, k, 1..3)?;
    let end = unit(k + 1, '일')?;
    let parts = vec![
        (yt.start..yt.end, Part::Year),
        (mt.start..mt.end, Part::Month(zero_padded(chars, &mt))),
        (dt.start..dt.end, Part::Day(zero_padded(chars, &dt))),
    ];
    let (m, d) = (num(chars, &mt)?, num(chars, &dt)?);
    let (found, _) = hit((y, m, d), known, parts, end)?;
    // The whole date goes, its last unit (일) included.
    let last = toks.get(end - 1)?.end;
    Some((
        DateHit {
            chars: found.chars.start..last,
            ..found
        },
        end,
    ))
}

/// `YYYYMMDD` as one run of digits.
fn compact(chars: &[char], toks: &[Tok], i: usize, known: &HashSet<Ymd>) -> Found {
    let t = digits(toks, i, 8..9)?;
    let s: String = chars.get(t.start..t.end)?.iter().collect();
    let date = crate::dates::parse_da(&s)?;
    hit(date, known, vec![(t.start..t.end, Part::Compact)], i + 1)
}

/// The digits of an ID as searched in text: its digits after a prefix of letters (and
/// separators), when the rest is digits with single separators (`-`, ` `, `.`, `/`), without
/// leading zeros, 5 digits or more (shorter numbers are too common in text). `None` for other
/// IDs (they are searched as written).
pub fn id_core(id: &str) -> Option<String> {
    let rest = id.trim_start_matches(|c: char| {
        c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '#' | ':')
    });
    if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut core = String::new();
    let mut last_sep = false;
    for c in rest.chars() {
        if c.is_ascii_digit() {
            core.push(c);
            last_sep = false;
        } else if matches!(c, '-' | ' ' | '.' | '/') && !last_sep {
            last_sep = true;
        } else {
            return None;
        }
    }
    let core = core.trim_start_matches('0').to_string();
    (core.len() >= 5 && !last_sep).then_some(core)
}

/// Runs of digit groups in `text` (one separator of `-`, ` `, `.`, `/` between groups) whose
/// digits, from a group to a later one, are an ID's digits (`is_core`; leading zeros left
/// out): the character range and the digits found.
pub fn find_id_digits(text: &str, is_core: &dyn Fn(&str) -> bool) -> Vec<(Range<usize>, String)> {
    const MAX_GROUPS: usize = 8;
    const MAX_DIGITS: usize = 24;
    let mut out = Vec::new();
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return out;
    }
    let chars: Vec<char> = text.chars().collect();
    let toks = tokens(&chars);
    for a in 0..toks.len() {
        if toks[a].kind != Kind::Digits {
            continue;
        }
        let mut digits = String::new();
        let mut b = a;
        for _ in 0..MAX_GROUPS {
            let Some(t) = toks.get(b).filter(|t| t.kind == Kind::Digits) else {
                break;
            };
            digits.extend(&chars[t.start..t.end]);
            if digits.len() > MAX_DIGITS {
                break;
            }
            let core = digits.trim_start_matches('0');
            if core.len() >= 5 && is_core(core) {
                out.push((toks[a].start..t.end, core.to_string()));
            }
            if !matches!(other(&toks, b + 1), Some('-' | ' ' | '.' | '/')) {
                break;
            }
            b += 2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(d: &[Ymd]) -> HashSet<Ymd> {
        d.iter().copied().collect()
    }

    #[test]
    fn a_date_is_found_in_the_common_notations() {
        let k = known(&[(1952, 3, 17)]);
        for text in [
            "born 17/03/1952.",
            "born 03/17/1952",
            "DOB: 1952-03-17",
            "17.03.1952",
            "17 March 1952",
            "March 17, 1952",
            "17-Mar-1952",
            "17th MARCH 1952",
            "Mar 17 1952",
            "1952/3/17",
            "생년월일 1952년 3월 17일 환자",
            "1952년3월17일",
            "19520317",
            "born 3/17/1952 at home",
        ] {
            let hits = find_dates(text, &k);
            assert_eq!(hits.len(), 1, "{text}: {hits:?}");
            assert_eq!(hits[0].date, (1952, 3, 17), "{text}");
        }
        for text in [
            "17/03/1953",
            "1952-03-18",
            "17 Marc 1952",
            "3.17",
            "1952317",
            "Mar 1952",
        ] {
            assert!(find_dates(text, &k).is_empty(), "{text}");
        }
    }

    #[test]
    fn a_shifted_date_is_written_as_it_was_found() {
        let k = known(&[(1952, 3, 17), (2024, 1, 5)]);
        let cases = [
            ("on 17/03/1952 seen", -17, "on 29/02/1952 seen"),
            ("03/17/1952", 1, "03/18/1952"),
            ("1952-03-17", 365, "1953-03-17"),
            ("17 March 1952", 15, "1 April 1952"),
            ("MAR 17, 1952", -20, "FEB 26, 1952"),
            ("5.1.2024", 31, "5.2.2024"),
            ("2024년 1월 5일", -5, "2023년 12월 31일"),
            ("20240105", 1, "20240106"),
        ];
        for (text, days, want) in cases {
            let chars: Vec<char> = text.chars().collect();
            let hits = find_dates(text, &k);
            assert_eq!(hits.len(), 1, "{text}");
            let h = &hits[0];
            let mut got: String = chars[..h.chars.start].iter().collect();
            got.push_str(&h.shifted(&chars, days));
            got.extend(&chars[h.chars.end..]);
            assert_eq!(got, want, "{text} shifted by {days}");
        }
    }

    #[test]
    fn ids_are_found_by_their_digits() {
        assert_eq!(id_core("99218877").as_deref(), Some("99218877"));
        assert_eq!(id_core("0099218877").as_deref(), Some("99218877"));
        assert_eq!(id_core("MRN-9921-8877").as_deref(), Some("99218877"));
        assert_eq!(id_core("A20240017").as_deref(), Some("20240017"));
        assert_eq!(id_core("1234"), None, "too short");
        assert_eq!(id_core("AB12CD34"), None, "letters inside");
        let cores = |c: &str| c == "99218877";
        for text in [
            "MRN 0099218877 ok",
            "mrn: 9921-8877",
            "99 218 877",
            "MRN99218877",
            "#99218877#",
            "x 99.21.88.77",
        ] {
            let hits = find_id_digits(text, &cores);
            assert_eq!(hits.len(), 1, "{text}: {hits:?}");
            let chars: Vec<char> = text.chars().collect();
            let s: String = chars[hits[0].0.clone()].iter().collect();
            assert_eq!(
                s.replace(['-', ' ', '.'], "").trim_start_matches('0'),
                "99218877"
            );
        }
        for text in ["992188770", "99218878", "99--218877", "9921887"] {
            assert!(find_id_digits(text, &cores).is_empty(), "{text}");
        }
    }
}
