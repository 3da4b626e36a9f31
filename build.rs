//! Generates the PS3.15 Table E.1-1 and E.3.10-1 lookup tables from the CSV files in `data/`.
//!
//! The CSVs are copies of `shared/ps3.15/*.csv` (PS3.15 2026c). The generated file is
//! `$OUT_DIR/profile_table.rs`, included by `src/profile/table.rs`.
use std::{env, fs, path::Path};

fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn main() {
    println!("cargo:rerun-if-changed=data/confidentiality_profile.csv");
    println!("cargo:rerun-if-changed=data/safe_private_attributes.csv");
    let out_dir = env::var("OUT_DIR").expect("OUT_DIR");
    let mut code = String::new();

    let profile = fs::read_to_string("data/confidentiality_profile.csv").expect("profile csv");
    code.push_str("/// Rows of PS3.15 Table E.1-1 (2026c), in CSV order.\npub static PROFILE_ROWS: &[ProfileRow] = &[\n");
    for line in profile.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = split_csv_line(line);
        assert_eq!(f.len(), 14, "bad row {line}");
        code.push_str(&format!(
            "    ProfileRow {{ tag: {:?}, keyword: {:?}, name: {:?}, basic: {:?}, options: [{}] }},\n",
            f[0],
            f[1],
            f[2],
            f[3],
            f[4..14].iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
        ));
    }
    code.push_str("];\n\n");

    let safe = fs::read_to_string("data/safe_private_attributes.csv").expect("safe csv");
    code.push_str("/// Rows of PS3.15 Table E.3.10-1 (2026c): (tag pattern `GGGG,xxEE`, private creator, VR).\npub static SAFE_PRIVATE_ROWS: &[(&str, &str, &str)] = &[\n");
    for line in safe.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f = split_csv_line(line);
        assert_eq!(f.len(), 5, "bad row {line}");
        code.push_str(&format!("    ({:?}, {:?}, {:?}),\n", f[0], f[1], f[2]));
    }
    code.push_str("];\n");
    fs::write(Path::new(&out_dir).join("profile_table.rs"), code).expect("write table");
}
