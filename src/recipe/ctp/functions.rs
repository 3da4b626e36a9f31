//! CTP-compatible pseudonym functions: the values RSNA CTP's DICOM anonymizer computes, so that a
//! site's new batch stays linkable with the batches its CTP scripts made.
//!
//! Written from the rules of CTP's own definitions (read, not copied):
//! `source/java/org/rsna/ctp/stdstages/anonymizer/AnonymizerFunctions.java` (hash, hashUID,
//! hashName, hashPtID, incrementDate, round, initials, the Caesar `encrypt`),
//! `source/java/org/rsna/ctp/stdstages/anonymizer/dicom/DICOMAnonymizer.java` (how `@hashdate`,
//! `@incrementdate`, `@hashuid`, `@initials` call them) and `org.rsna.util.DigestUtil.getUSMD5` /
//! `DateUtil.getCalendar` of johnperry/Util.
//!
//! **Risk**: these are *unkeyed* MD5 digests. Anyone who can guess the input (an MRN, a UID
//! root and counter, a name) can recompute the pseudonym and so reverse it by dictionary attack
//! (PS3.15 E.1.1). This project's own pseudonyms are keyed (HMAC of the project secret); use
//! these only to stay linkable with earlier CTP batches.

use md5::{Digest, Md5};
use snafu::Snafu;

use crate::dates::{civil_from_days, days_from_civil};

/// Why a CTP function could not compute a value (CTP then writes an empty value, `@empty()`).
#[derive(Debug, Clone, PartialEq, Eq, Snafu)]
pub enum CtpFnError {
    /// The date is not one CTP's date reader accepts (`YYYYMMDD`, `YYYY-MM-DD`, with a time part).
    #[snafu(display("not a date CTP can read: {value:?}"))]
    BadDate {
        /// the value as given
        value: String,
    },
    /// The date falls before the Gregorian calendar (1583): CTP's calendar is Julian there.
    #[snafu(display(
        "date before 1583 (CTP counts such dates in the Julian calendar): {value:?}"
    ))]
    PreGregorian {
        /// the value as given
        value: String,
    },
    /// The age has no digits to round.
    #[snafu(display("no number in the age {value:?}"))]
    BadAge {
        /// the value as given
        value: String,
    },
}

/// MD5 of the UTF-8 text as an unsigned decimal number (CTP `DigestUtil.getUSMD5`): no leading
/// zeros, up to 39 digits.
pub fn md5_decimal(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    u128::from_be_bytes(digest.into()).to_string()
}

/// `@hash`: the decimal MD5, cut to `max_len` characters when given (a length below 1 means no
/// limit, as in CTP).
pub fn hash(text: &str, max_len: Option<i64>) -> String {
    let digits = md5_decimal(text);
    match max_len {
        Some(n) if n >= 1 && (n as u64) < digits.len() as u64 => digits[..n as usize].to_string(),
        _ => digits,
    }
}

/// Java's `String.trim`: strips every character up to U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// `@hashuid(root, uid)`: the root (a `.` added when missing), then the decimal MD5 of the UID,
/// with a `9` between them when the digest's decimal starts with `0`, the whole cut to 64
/// characters. (The decimal of an unsigned integer only starts with `0` when it is zero, so the
/// `9` is, as in CTP, practically never written.)
pub fn hash_uid(root: &str, uid: &str) -> String {
    let mut prefix = root.to_string();
    if !prefix.ends_with('.') {
        prefix.push('.');
    }
    let prefix = java_trim(&prefix);
    let digits = md5_decimal(uid);
    let extra = if digits.starts_with('0') { "9" } else { "" };
    let mut out = String::with_capacity(prefix.len() + 1 + digits.len());
    out.push_str(prefix);
    if !prefix.is_empty() && !prefix.ends_with('.') {
        out.push('.');
    }
    out.push_str(extra);
    out.push_str(&digits);
    truncate_chars(&out, 64)
}

fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `@hashname(name, length, words)`: the first `words` components of a DICOM person name
/// (all when `None` or below 1), joined, without white space, commas, apostrophes, carets and
/// dots, in upper case, then [`hash`] cut to `length`.
pub fn hash_name(name: &str, length: i64, words: Option<i64>) -> String {
    let words = match words {
        Some(n) if n > 0 => n as usize,
        _ => usize::MAX,
    };
    let joined: String = name.split('^').take(words).collect();
    let kept: String = joined
        .chars()
        .filter(|c| {
            !matches!(
                c,
                ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ',' | '\'' | '^' | '.'
            )
        })
        .collect();
    hash(&kept.to_uppercase(), Some(length))
}

/// `@hashptid(siteid, ptid, maxlen)`: [`hash`] of `[siteid]ptid`, both trimmed.
pub fn hash_ptid(site_id: &str, patient_id: &str, max_len: Option<i64>) -> String {
    let text = format!("[{}]{}", java_trim(site_id), java_trim(patient_id));
    hash(&text, max_len)
}

/// `@initials(name)`: the first letter of every word of a person name (`^`, `,` and white space
/// separate words), the family name's moved to the end, in upper case; `X` for an empty name.
pub fn initials(name: &str) -> String {
    let spaced: String = name
        .chars()
        .map(|c| {
            if c == '^' || c == ',' || is_java_space(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let firsts: Vec<char> = spaced
        .split(' ')
        .filter(|w| !java_trim(w).is_empty())
        .filter_map(|w| java_trim(w).chars().next())
        .collect();
    let Some((family, rest)) = firsts.split_first() else {
        return "X".to_string();
    };
    let ordered: String = rest.iter().chain(std::iter::once(family)).collect();
    ordered.to_uppercase()
}

/// CTP's Caesar `encrypt(string, offset)` (the second argument of `@initials`): letters and
/// digits moved by `offset` within their own group, other characters unchanged.
pub fn caesar(text: &str, offset: i64) -> String {
    let shift = |c: char, base: char, size: i64| -> char {
        let k = ((c as i64 - base as i64) + offset).rem_euclid(size);
        char::from_u32(base as u32 + k as u32).unwrap_or(c)
    };
    text.chars()
        .map(|c| match c {
            'a'..='z' => shift(c, 'a', 26),
            'A'..='Z' => shift(c, 'A', 26),
            '0'..='9' => shift(c, '0', 10),
            _ => c,
        })
        .collect()
}

/// `@round(age, width)`: the number in an age string rounded to the nearest multiple of `width`
/// (halves up, computed in single precision as CTP does), followed by the value's non-digits
/// (`027Y` → `025Y` for width 5), with a leading `0` when the result's length is odd.
pub fn round_age(age: &str, width: i32) -> Result<String, CtpFnError> {
    let age = java_trim(age);
    if age.is_empty() {
        return Ok(String::new());
    }
    let digits: String = age.chars().filter(char::is_ascii_digit).collect();
    let suffix: String = age.chars().filter(|c| !c.is_ascii_digit()).collect();
    let value: f32 = digits.parse().map_err(|_| CtpFnError::BadAge {
        value: age.to_string(),
    })?;
    let rounded = java_round_f32(value / width as f32).wrapping_mul(width);
    let mut out = format!("{rounded}{suffix}");
    if out.len() % 2 == 1 {
        out.insert(0, '0');
    }
    Ok(out)
}

/// Java's `Math.round(float)`: nearest integer, halves up, NaN → 0, saturated to `i32`.
fn java_round_f32(x: f32) -> i32 {
    if x.is_nan() {
        return 0;
    }
    let r = (x as f64 + 0.5).floor();
    // exact for every f32: the sum of an f32 and 0.5 is exact in f64
    r.clamp(i32::MIN as f64, i32::MAX as f64) as i32
}

/// A date as CTP's calendar reads it: days since 1970-01-01 (lenient: month 13, day 0 and a
/// time of day past 24 h carry over).
fn ctp_calendar_days(value: &str) -> Result<i64, CtpFnError> {
    let bad = || CtpFnError::BadDate {
        value: value.to_string(),
    };
    let mut s: String = value
        .chars()
        .filter(|c| !matches!(c, '@' | ':' | 'T' | '-') && !is_java_space(*c))
        .collect();
    if !s.is_ascii() {
        return Err(bad());
    }
    if s.starts_with("00") {
        s.replace_range(0..2, "19");
    }
    if let Some(k) = s.find('\\') {
        s.truncate(k);
    }
    let field = |from: usize, to: usize| -> Result<i64, CtpFnError> {
        s.get(from..to).and_then(java_parse_int).ok_or_else(bad)
    };
    let (year, month, day) = (field(0, 4)?, field(4, 6)?, field(6, 8)?);
    let mut seconds = 0i64;
    if s.len() > 8 {
        let mut time = &s[8..];
        if let Some(k) = time.find('&') {
            time = &time[..k];
        }
        let t =
            |from: usize, to: usize| time.get(from..to).and_then(java_parse_int).ok_or_else(bad);
        let (hour, minute) = (t(0, 2)?, t(2, 4)?);
        let second = if time.len() > 4 {
            java_parse_float_to_int(&time[4..]).ok_or_else(bad)?
        } else {
            0
        };
        seconds = hour * 3600 + minute * 60 + second;
    }
    if year < 1583 {
        return Err(CtpFnError::PreGregorian {
            value: value.to_string(),
        });
    }
    let months = year * 12 + (month - 1);
    let first = days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, 1);
    Ok(first + (day - 1) + seconds.div_euclid(86_400))
}

fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// Java's `Integer.parseInt` on ASCII text: an optional sign, then digits.
fn java_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok()
}

/// `(int) Float.parseFloat(s)` for the decimal forms a DICOM time's seconds take.
fn java_parse_float_to_int(s: &str) -> Option<i64> {
    let body = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    let plain = body.trim_start_matches(['+', '-']).bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'+' || b == b'-'
    });
    if body.is_empty() || !plain {
        return None;
    }
    let x: f32 = body.parse().ok()?;
    Some(if x.is_nan() {
        0
    } else {
        (x as f64).trunc().clamp(i32::MIN as f64, i32::MAX as f64) as i64
    })
}

/// CTP's `incrementDate` of one date value: the date moved by `days` (truncated to 32 bits as
/// CTP does), written in the value's own form (`YYYY-MM-DD` when it holds a `-`, else
/// `YYYYMMDD`), followed by whatever followed the date part (a DT's time, kept as it was).
pub fn increment_date(value: &str, days: i64) -> Result<String, CtpFnError> {
    let iso = value.contains('-');
    let date_len = if iso { 10 } else { 8 };
    let moved = ctp_calendar_days(value)? + i64::from(days as i32);
    let (y, m, d) = civil_from_days(moved);
    if y < 1583 {
        return Err(CtpFnError::PreGregorian {
            value: value.to_string(),
        });
    }
    let sep = if iso { "-" } else { "" };
    let rest = utf16_tail(value, date_len);
    Ok(format!("{y:04}{sep}{m:02}{sep}{d:02}{rest}"))
}

/// Java's `substring(n)` for `n` below the length, else empty (CTP keeps what follows the date).
fn utf16_tail(value: &str, n: usize) -> &str {
    let mut units = 0;
    for (i, c) in value.char_indices() {
        if units >= n {
            return &value[i..];
        }
        units += c.len_utf16();
    }
    ""
}

/// `@incrementdate(date, days)` of a whole (possibly multi-valued) element value: every value
/// split at `\` moved by `days`. Values shorter than 8 characters give an empty value in CTP
/// (`Ok(None)`).
pub fn increment_date_value(value: &str, days: i64) -> Result<Option<String>, CtpFnError> {
    if value.chars().map(char::len_utf16).sum::<usize>() < 8 {
        return Ok(None);
    }
    let parts = java_split_backslash(value);
    let moved: Result<Vec<String>, CtpFnError> =
        parts.iter().map(|p| increment_date(p, days)).collect();
    Ok(Some(moved?.join("\\")))
}

/// Java's `split("\\\\")`: trailing empty strings dropped.
fn java_split_backslash(value: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = value.split('\\').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// The day offset `@hashdate` derives from a text (its second argument's value): the last four
/// digits of the decimal MD5, modulo 3650, negated; never 0 (then -1).
pub fn hash_date_offset(text: &str) -> i64 {
    let digits = md5_decimal(text);
    let tail = &digits[digits.len().saturating_sub(4)..];
    let n: i64 = tail.parse().unwrap_or(0);
    match -(n % 3650) {
        0 => -1,
        inc => inc,
    }
}

/// `@hashdate(date, other)`: the date value moved by [`hash_date_offset`] of the other element's
/// value (`Ok(None)`: CTP writes an empty value).
pub fn hash_date(value: &str, hashed: &str) -> Result<Option<String>, CtpFnError> {
    increment_date_value(value, hash_date_offset(hashed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_empty_text_is_the_known_digest() {
        // d41d8cd98f00b204e9800998ecf8427e as an unsigned integer
        assert_eq!(md5_decimal(""), "281949768489412648962353822266799178366");
    }

    #[test]
    fn dates_keep_their_form_and_time() {
        assert_eq!(increment_date("20240301", -1).unwrap(), "20240229");
        assert_eq!(increment_date("2024-03-01", 365).unwrap(), "2025-03-01");
        assert_eq!(
            increment_date("20231231235959.123", 1).unwrap(),
            "20240101235959.123"
        );
        assert!(increment_date("2024", 1).is_err());
    }

    #[test]
    fn initials_put_the_family_name_last() {
        assert_eq!(initials("Doe^John^Quincy"), "JQD");
        assert_eq!(initials("  "), "X");
        assert_eq!(caesar("JQD9", 1), "KRE0");
    }
}
