//! The generated tables of PS3.15 2026c (see `build.rs`): Table E.1-1 and Table E.3.10-1.

/// One row of Table E.1-1 as written in the CSV (codes unparsed).
#[derive(Debug, Clone, Copy)]
pub struct ProfileRow {
    /// `GGGG,EEEE`, or a mask (`50xx,xxxx`, `60xx,3000`, `gggg,eeee`).
    pub tag: &'static str,
    /// PS3.6 keyword (empty for group rows without one).
    pub keyword: &'static str,
    /// Attribute name as printed in E.1-1.
    pub name: &'static str,
    /// Basic Profile action code.
    pub basic: &'static str,
    /// Option columns, in the order of [`super::ProfileOption::ALL`]; empty = no change.
    pub options: [&'static str; 10],
}

include!(concat!(env!("OUT_DIR"), "/profile_table.rs"));
