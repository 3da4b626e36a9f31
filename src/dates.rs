//! DA / DT / TM values (PS3.5 6.2): parsing, shifting by whole days, and dummy values.
//!
//! Shifting keeps the value's precision: a `YYYY` or `YYYYMM` partial date stays partial
//! (shifted by the same days from its first day), a DT keeps its time part and its `&ZZXX`
//! time-zone suffix. Range matching forms (`A-B`) shift both ends.

use crate::padding::Unpadded as _;

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day count from 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A parsed full date `YYYYMMDD` (also accepts the old `YYYY.MM.DD` form).
pub fn parse_da(s: &str) -> Option<(i64, u32, u32)> {
    let s = s.trim();
    let digits: String = if s.len() == 10 && s.as_bytes()[4] == b'.' && s.as_bytes()[7] == b'.' {
        s.replace('.', "")
    } else {
        s.to_string()
    };
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = digits[0..4].parse().ok()?;
    let m: u32 = digits[4..6].parse().ok()?;
    let d: u32 = digits[6..8].parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

/// Formats a civil date as `YYYYMMDD`.
pub fn format_da(y: i64, m: u32, d: u32) -> String {
    format!("{:04}{:02}{:02}", y.clamp(0, 9999), m, d)
}

/// Shifts one DA value (single date, no range) by `days`. Partial or invalid → None.
fn shift_single_da(s: &str, days: i64) -> Option<String> {
    let (y, m, d) = parse_da(s)?;
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) + days);
    Some(format_da(y, m, d))
}

/// Shifts a DA value (possibly a range `A-B`, `-B`, `A-`) by `days`.
/// Returns None when the value cannot be understood (the caller then replaces it).
pub fn shift_da(value: &str, days: i64) -> Option<String> {
    let v = value.unpadded().trim_start();
    if v.is_empty() {
        return Some(String::new());
    }
    if let Some((a, b)) = v.split_once('-') {
        let a = if a.is_empty() {
            String::new()
        } else {
            shift_single_da(a, days)?
        };
        let b = if b.is_empty() {
            String::new()
        } else {
            shift_single_da(b, days)?
        };
        return Some(format!("{a}-{b}"));
    }
    shift_single_da(v, days)
}

/// Shifts one DT value by whole days, keeping precision, time and time-zone suffix.
fn shift_single_dt(s: &str, days: i64) -> Option<String> {
    // Split off the time-zone suffix (&ZZXX).
    let (body, tz) = match s.find(['+', '-']) {
        Some(i) if i >= 4 && s.len() - i == 5 && s[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            (&s[..i], &s[i..])
        }
        Some(_) => return None,
        None => (s, ""),
    };
    // `get`, not indexing: the value may hold non-ASCII characters (no char boundary at 4, 6, 8).
    if !body
        .get(..4)
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let digits_end = body.find('.').unwrap_or(body.len());
    if !body[..digits_end].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = body.get(0..4)?.parse().ok()?;
    let (m, has_m) = if body.len() >= 6 {
        (body.get(4..6)?.parse::<u32>().ok()?, true)
    } else {
        (1, false)
    };
    let (d, has_d) = if body.len() >= 8 {
        (body.get(6..8)?.parse::<u32>().ok()?, true)
    } else {
        (1, false)
    };
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let (ny, nm, nd) = civil_from_days(days_from_civil(y, m, d) + days);
    let mut out = format!("{:04}", ny.clamp(0, 9999));
    if has_m {
        out.push_str(&format!("{nm:02}"));
    }
    if has_d {
        out.push_str(&format!("{nd:02}"));
    }
    if body.len() > 8 {
        out.push_str(body.get(8..)?);
    }
    out.push_str(tz);
    Some(out)
}

/// Shifts a DT value (possibly a range) by `days`.
pub fn shift_dt(value: &str, days: i64) -> Option<String> {
    let v = value.unpadded().trim_start();
    if v.is_empty() {
        return Some(String::new());
    }
    // A range uses '-' too, but so does a negative time-zone offset: a range has its '-'
    // either first, or after a complete DT whose remaining part starts with a digit.
    if let Some(rest) = v.strip_prefix('-') {
        return Some(format!("-{}", shift_single_dt(rest, days)?));
    }
    if let Some(single) = shift_single_dt(v, days) {
        return Some(single);
    }
    let (a, b) = v.rsplit_once('-')?;
    let a = shift_single_dt(a, days)?;
    let b = if b.is_empty() {
        String::new()
    } else {
        shift_single_dt(b, days)?
    };
    Some(format!("{a}-{b}"))
}

/// Whether a DT-like partial date has at least year digits (for the CT date: first 8 chars).
/// The ACR-NEMA form `YYYY.MM.DD` (older files) is read too; the result is always `YYYYMMDD`.
pub fn date_part(value: &str) -> Option<String> {
    let v = value.trim();
    if let Some(d) = v.get(..8).filter(|d| parse_da(d).is_some()) {
        return Some(d.to_string());
    }
    v.get(..10)
        .filter(|d| d.as_bytes().get(4) == Some(&b'.') && parse_da(d).is_some())
        .map(|d| d.replace('.', ""))
}

/// Bins an Age String (`043Y` → `040Y`) to 5-year steps; other units are kept in years when ≥ 1 year.
pub fn bin_age(value: &str) -> Option<String> {
    let v = value.unpadded().trim();
    if v.len() != 4 {
        return None;
    }
    // `get`, not indexing: a non-ASCII value can be 4 bytes long with no char boundary at 3.
    let n: u32 = v.get(..3)?.parse().ok()?;
    match v.get(3..)? {
        "Y" => {
            let n = n.min(90);
            Some(format!("{:03}Y", n / 5 * 5))
        }
        "M" | "W" | "D" => Some("000Y".to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        for z in [-800_000i64, -1, 0, 1, 11_000, 20_000, 2_900_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(
            days_from_civil(2024, 6, 15) - days_from_civil(2024, 3, 1),
            106
        );
    }

    #[test]
    fn shifts() {
        assert_eq!(shift_da("20240301", -1).as_deref(), Some("20240229"));
        assert_eq!(
            shift_da("20240101-20240131", 31).as_deref(),
            Some("20240201-20240302")
        );
        assert_eq!(shift_da("2024", 10), None);
        assert_eq!(
            shift_dt("20240301120000.5+0100", -1).as_deref(),
            Some("20240229120000.5+0100")
        );
        assert_eq!(
            shift_dt("20240301120000-0500", 1).as_deref(),
            Some("20240302120000-0500")
        );
        assert_eq!(shift_dt("202403", 1).as_deref(), Some("202403"));
        assert_eq!(shift_dt("2024", 400).as_deref(), Some("2025"));
        assert_eq!(
            shift_dt("20240101-20240102", 1).as_deref(),
            Some("20240102-20240103")
        );
        assert_eq!(bin_age("043Y").as_deref(), Some("040Y"));
        assert_eq!(date_part("1995.06.26").as_deref(), Some("19950626"));
        assert_eq!(date_part("20010316101010.5").as_deref(), Some("20010316"));
        assert_eq!(date_part("2001é316"), None);
        assert_eq!(bin_age("095Y").as_deref(), Some("090Y"));
    }
}
