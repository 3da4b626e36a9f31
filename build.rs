//! Generates the PS3.15 Table E.1-1 and E.3.10-1 lookup tables from the CSV files in `data/`.
//!
//! The CSVs are copies of `shared/ps3.15/*.csv` (PS3.15 2026c). The generated file is
//! `$OUT_DIR/profile_table.rs`, included by `src/profile/table.rs`.
//!
//! Also the PS3.3 attribute Types of the Table E.1-1 attributes with compound actions, from
//! `data/iod_types.csv` (made by `scripts/convert_iod_types.py`): `$OUT_DIR/iod_types.rs`,
//! included by `src/profile/iod.rs`.
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

/// `DICOM_DEID_BUILD`: `git describe --always --dirty` of the source (or the environment's
/// `DICOM_DEID_BUILD`, or `unknown` outside a git checkout), recorded in the run statement. One
/// value for the native and the wasm builds of one source: their zips stay byte-identical.
fn build_id() {
    println!("cargo:rerun-if-env-changed=DICOM_DEID_BUILD");
    let describe = env::var("DICOM_DEID_BUILD").ok().or_else(|| {
        let out = std::process::Command::new("git")
            .args(["describe", "--always", "--dirty", "--tags"])
            .output()
            .ok()?;
        let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !s.is_empty()).then_some(s)
    });
    // Rebuilt when the commit or the sources change (the --dirty mark follows them).
    if let Ok(out) = std::process::Command::new("git")
        .args(["rev-parse", "--git-dir"])
        .output()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !dir.is_empty() {
            println!("cargo:rerun-if-changed={dir}/HEAD");
            println!("cargo:rerun-if-changed={dir}/index");
        }
    }
    println!("cargo:rerun-if-changed=src");
    println!(
        "cargo:rustc-env=DICOM_DEID_BUILD={}",
        describe.unwrap_or_else(|| "unknown".into())
    );
}

fn main() {
    build_id();
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
    println!("cargo:rerun-if-changed=data/iod_types.csv");
    let iod = fs::read_to_string("data/iod_types.csv").expect("iod csv");
    fs::write(Path::new(&out_dir).join("iod_types.rs"), iod_tables(&iod)).expect("write iod");
}

/// The Type of a cell `1`, `1C`, `2`, `2C`, `3` as the variant of `IodType`.
fn iod_type(ty: &str, line: &str) -> &'static str {
    match ty {
        "1" => "T1",
        "1C" => "T1C",
        "2" => "T2",
        "2C" => "T2C",
        "3" => "T3",
        other => panic!("bad type {other} in {line}"),
    }
}

/// `M,<module>,<path>=<type> …`, `I,<iod>,<module indices>`, `S,<sop class>,<iod>`,
/// `C,<tag>=<type> …` lines → `IOD_MODULES`, `IOD_IODS`, `IOD_SOP_CLASSES`, `IOD_EVERY_COMPOSITE`.
fn iod_tables(csv: &str) -> String {
    let (mut modules, mut iods, mut sops) = (String::new(), String::new(), String::new());
    let mut common = String::new();
    for line in csv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        if let Some(cells) = line.strip_prefix("C,") {
            for cell in cells.split_whitespace() {
                let (tag, ty) = cell.split_once('=').expect("tag=type");
                let tag = u32::from_str_radix(tag, 16).expect("hex tag");
                common.push_str(&format!(
                    "    (0x{tag:08X}, IodType::{}),\n",
                    iod_type(ty, line)
                ));
            }
            continue;
        }
        let f: Vec<&str> = line.splitn(3, ',').collect();
        assert_eq!(f.len(), 3, "bad iod row {line}");
        match f[0] {
            "M" => {
                let mut rows = Vec::new();
                for cell in f[2].split_whitespace() {
                    let (path, ty) = cell.split_once('=').expect("path=type");
                    let tags: Vec<String> = path
                        .split('/')
                        .map(|t| format!("0x{:08X}", u32::from_str_radix(t, 16).expect("hex tag")))
                        .collect();
                    let ty = iod_type(ty, line);
                    rows.push(format!("(&[{}], IodType::{ty})", tags.join(", ")));
                }
                modules.push_str(&format!("    ({:?}, &[{}]),\n", f[1], rows.join(", ")));
            }
            "I" => {
                let idx: Vec<&str> = f[2].split_whitespace().collect();
                iods.push_str(&format!("    ({:?}, &[{}]),\n", f[1], idx.join(", ")));
            }
            "S" => sops.push_str(&format!("    ({:?}, {:?}),\n", f[1], f[2])),
            other => panic!("bad iod row kind {other}"),
        }
    }
    format!(
        "/// One attribute of a module: its path of tags from the top, and its Type.\n\
         pub type IodRow = (&'static [u32], IodType);\n\
         /// Modules: (id, [(path of tags from the top, Type)]).\n\
         pub static IOD_MODULES: &[(&str, &[IodRow])] = &[\n{modules}];\n\
         /// IODs: (id, indices into IOD_MODULES), sorted by id.\n\
         pub static IOD_IODS: &[(&str, &[u16])] = &[\n{iods}];\n\
         /// SOP classes: (UID, IOD id), sorted by UID.\n\
         pub static IOD_SOP_CLASSES: &[(&str, &str)] = &[\n{sops}];\n\
         /// Top-level attributes every composite IOD requires: (tag, weakest Type), sorted.\n\
         pub static IOD_EVERY_COMPOSITE: &[(u32, IodType)] = &[\n{common}];\n"
    )
}
