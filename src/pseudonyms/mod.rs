//! Research identities: the researchers' mapping CSV and an existing key CSV from an earlier batch.

pub mod key;
pub mod mapping;

/// Parses a date as a coordinator's spreadsheet writes it: `YYYY-MM-DD`, `YYYYMMDD`,
/// `YYYY/MM/DD`, `M/D/YYYY` (Excel, US; `D/M/YYYY` when the first number is above 12),
/// `D.M.YYYY`, or an Excel serial day number (e.g. `45458`). Returns `YYYYMMDD`.
pub fn parse_loose_date(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let da = |y: i64, m: u32, d: u32| {
        let v = crate::dates::format_da(y, m, d);
        crate::dates::parse_da(&v).map(|_| v)
    };
    // Excel serial day (1900 date system): day 25569 is 1970-01-01.
    if s.bytes().all(|b| b.is_ascii_digit()) && (4..=5).contains(&s.len()) {
        let n: i64 = s.parse().ok()?;
        let (y, m, d) = crate::dates::civil_from_days(n - 25569);
        return da(y, m, d);
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return crate::dates::parse_da(s).map(|_| s.to_string());
    }
    // Drop a time part ("2024-03-01 00:00:00", "2024-03-01T00:00").
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    if parts.len() != 3 {
        return None;
    }
    let n: Vec<i64> = parts
        .iter()
        .map(|p| p.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .ok()?;
    if parts[0].len() == 4 {
        return da(n[0], n[1] as u32, n[2] as u32);
    }
    let year = if parts[2].len() == 2 {
        2000 + n[2]
    } else {
        n[2]
    };
    if s.contains('.') || n[0] > 12 {
        da(year, n[1] as u32, n[0] as u32)
    } else {
        da(year, n[0] as u32, n[1] as u32)
    }
}

/// `YYYYMMDD` → `YYYY-MM-DD` (for the key CSV).
pub fn iso_date(da: &str) -> String {
    if da.len() == 8 {
        format!("{}-{}-{}", &da[0..4], &da[4..6], &da[6..8])
    } else {
        da.to_string()
    }
}

/// Reads CSV text into rows, sniffing the separator (`,`, `;` or tab) and dropping a BOM.
pub fn read_csv_rows(text: &str) -> Result<Vec<Vec<String>>, csv::Error> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("");
    let sep = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|s| first.bytes().filter(|b| b == s).count())
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        let row: Vec<String> = rec.iter().map(|f| f.trim().to_string()).collect();
        if row.iter().all(|f| f.is_empty()) {
            continue;
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_dates() {
        assert_eq!(parse_loose_date("2024-03-01").as_deref(), Some("20240301"));
        assert_eq!(parse_loose_date("20240301").as_deref(), Some("20240301"));
        assert_eq!(parse_loose_date("3/1/2024").as_deref(), Some("20240301"));
        assert_eq!(parse_loose_date("13/1/2024").as_deref(), Some("20240113"));
        assert_eq!(parse_loose_date("01.03.2024").as_deref(), Some("20240301"));
        assert_eq!(parse_loose_date("45352").as_deref(), Some("20240301"));
        assert_eq!(
            parse_loose_date("2024-03-01 00:00:00").as_deref(),
            Some("20240301")
        );
        assert_eq!(parse_loose_date("2024-02-30"), None);
        assert_eq!(parse_loose_date("soon"), None);
    }
}
