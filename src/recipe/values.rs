//! The value functions of recipe actions: keyed pseudonyms, keyed hashes to N digits, rounding
//! of numbers and ages. Pure functions of the value (and the project's keyed functions).

use crate::uid::Keyed;

/// Longest value of a string VR (PS3.5 6.2), where the recipe writes a value of its own.
pub fn max_len(vr: dicom_core::VR) -> usize {
    use dicom_core::VR;
    match vr {
        VR::AE | VR::CS | VR::SH | VR::DS | VR::TM => 16,
        VR::IS => 12,
        VR::AS => 4,
        VR::DA => 8,
        VR::DT => 26,
        VR::LO | VR::PN | VR::UI => 64,
        VR::ST => 1024,
        VR::LT => 10240,
        _ => 65536,
    }
}

/// A keyed pseudonym of a value: upper-case hex of HMAC-SHA-256(secret, value), cut to `len`
/// (at most 64). An empty value stays empty.
pub fn pseudonym(keyed: &Keyed, value: &str, len: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        return String::new();
    }
    let h = keyed.mac("recipe-pseudonym", v.as_bytes());
    h.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<String>()
        .chars()
        .take(len.min(64))
        .collect()
}

/// A keyed hash of a value as `digits` decimal digits (1..=64). An empty value stays empty.
pub fn hash_digits(keyed: &Keyed, value: &str, digits: u32) -> String {
    let v = value.trim();
    if v.is_empty() {
        return String::new();
    }
    let h = keyed.mac("recipe-hash", v.as_bytes());
    let mut a = [0u8; 16];
    let mut b = [0u8; 16];
    a.copy_from_slice(&h[..16]);
    b.copy_from_slice(&h[16..]);
    // Each half below 10^38 as 38 digits (zero-padded): 76 uniform-ish digits.
    let lim = 10u128.pow(38);
    let s = format!(
        "{:038}{:038}",
        u128::from_be_bytes(a) % lim,
        u128::from_be_bytes(b) % lim
    );
    s[..(digits as usize).min(64)].to_string()
}

/// A number rounded to the nearest multiple of `step`, written for `is_integer` (IS) or as a
/// decimal string (DS) of at most 16 characters; `None` when the value is no number.
pub fn round_number(value: &str, step: f64, is_integer: bool) -> Option<String> {
    let x: f64 = value.trim().parse().ok()?;
    if !x.is_finite() {
        return None;
    }
    let r = (x / step).round() * step;
    if is_integer {
        let n = r.round();
        return (n.abs() < 1e11).then(|| format!("{}", n as i64));
    }
    let s = format!("{r}");
    if s.len() <= 16 {
        return Some(s);
    }
    let e = format!("{r:.9e}");
    (e.len() <= 16).then_some(e)
}

/// An age (AS, `nnnD/W/M/Y`) rounded down to a multiple of `step` in its own unit (`052Y`,
/// step 5 → `050Y`); `None` when the value is no age.
pub fn round_age(value: &str, step: f64) -> Option<String> {
    let v = value.trim();
    if v.len() != 4 {
        return None;
    }
    let (n, unit) = v.split_at(3);
    if !matches!(unit, "D" | "W" | "M" | "Y") {
        return None;
    }
    let n: u32 = n.parse().ok()?;
    let step = (step.round() as u32).max(1);
    Some(format!("{:03}{unit}", n / step * step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_functions_are_keyed_and_bounded() {
        let k = Keyed::new(b"secret one");
        let other = Keyed::new(b"secret two");
        let p = pseudonym(&k, "MRN123", 16);
        assert_eq!(p.len(), 16);
        assert_eq!(p, pseudonym(&k, "MRN123 ", 16));
        assert_ne!(p, pseudonym(&other, "MRN123", 16));
        assert_eq!(pseudonym(&k, "", 16), "");
        let h = hash_digits(&k, "A987", 10);
        assert_eq!(h.len(), 10);
        assert!(h.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(hash_digits(&k, "A987", 64).len(), 64);
        assert_ne!(h, hash_digits(&other, "A987", 10));
        assert_eq!(round_number("71.3", 5.0, false).as_deref(), Some("70"));
        assert_eq!(round_number("1.26", 0.5, false).as_deref(), Some("1.5"));
        assert_eq!(round_number("12", 5.0, true).as_deref(), Some("10"));
        assert_eq!(round_number("abc", 5.0, true), None);
        assert_eq!(round_age("052Y", 5.0).as_deref(), Some("050Y"));
        assert_eq!(round_age("011M", 6.0).as_deref(), Some("006M"));
        assert_eq!(round_age("52Y", 5.0), None);
    }
}
