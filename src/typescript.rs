//! The page's declarations of the engine's types, generated from the Rust types (ts-rs, a
//! dev-dependency: nothing of it is in the engine or the wasm), and the engine's error codes as a
//! JS module. Both files are checked in; this test fails when they differ from what the Rust
//! types give, and writes them anew when run with `UPDATE_GENERATED=1`:
//!
//! ```sh
//! UPDATE_GENERATED=1 cargo test --release --lib typescript
//! ```

use std::path::Path;

use ts_rs::TS;

use crate::codes;
use crate::config::{BirthDateMode, Config, IdScheme, PatientNameMode};
use crate::pixels::gate::{Class, Gate, Signature};
use crate::pixels::rules::{Action, Cond, Match, Rule, RuleSet, Unreviewed};
use crate::pixels::Rect;
use crate::profile::ProfileOptions;
use crate::report::{LogRow, Outcome, Summary};

/// The declarations file (imported by `www/dicom-deid.d.ts`).
const TYPES_FILE: &str = "www/engine-types.d.ts";
/// The error codes module (imported by `www/internal/errors.js`).
const CODES_FILE: &str = "www/internal/engine-codes.js";

const HEADER: &str = "// Generated from the engine's Rust types by src/typescript.rs: do not edit. Run\n// `UPDATE_GENERATED=1 cargo test --release --lib typescript` after changing them.\n";

/// A rectangle is written as `[x, y, width, height]` (serde's `into = "[u32; 4]"`).
impl TS for Rect {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &ts_rs::Config) -> String {
        "Rect".into()
    }

    fn inline(_: &ts_rs::Config) -> String {
        "[number, number, number, number]".into()
    }

    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type Rect = {};", Self::inline(cfg))
    }

    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }
}

/// `export type …` of one type.
fn export<T: TS>(cfg: &ts_rs::Config) -> String {
    format!("export {}\n", T::decl(cfg))
}

/// A union of string literals.
fn union<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> String {
    let alts: Vec<String> = values.into_iter().map(|v| format!("\"{v}\"")).collect();
    format!("export type {name} = {};\n", alts.join(" | "))
}

fn types_file() -> String {
    let cfg = ts_rs::Config::new().with_large_int("number");
    let mut out = String::from(HEADER);
    out.push_str("\n/** Every option of a job: the full configuration the engine returns (`presetOptions`, `checkOptions`). */\n");
    out.push_str(&export::<Config>(&cfg));
    out.push_str("\n/** A built-in preset (as the CLI's --preset). */\n");
    out.push_str(&union("Preset", crate::config::PRESETS));
    for decl in [
        export::<ProfileOptions>(&cfg),
        export::<IdScheme>(&cfg),
        export::<PatientNameMode>(&cfg),
        export::<BirthDateMode>(&cfg),
        export::<Unreviewed>(&cfg),
        export::<Rule>(&cfg),
        export::<Rect>(&cfg),
        export::<RuleSet>(&cfg),
        export::<Action>(&cfg),
        export::<Match>(&cfg),
        export::<Cond>(&cfg),
        export::<Signature>(&cfg),
        export::<Gate>(&cfg),
        export::<Class>(&cfg),
    ] {
        out.push('\n');
        out.push_str(&decl);
    }
    out.push_str("\n/** Counts of a run, as the summary line of the log CSV. */\n");
    out.push_str(&export::<Summary>(&cfg));
    out.push_str("\n/** One row of the log CSV: what happened to one input file. */\n");
    out.push_str(&export::<LogRow>(&cfg));
    out.push_str("\n/** What happened to one input file: the log's `outcome` column. */\n");
    out.push_str(&export::<Outcome>(&cfg));
    out.push_str("\n/** The `code` of an error thrown by the engine (src/codes.rs). */\n");
    out.push_str(&union(
        "EngineErrorCode",
        codes::ALL.iter().map(|(c, _)| *c),
    ));
    out
}

fn codes_file() -> String {
    let mut out = String::from(HEADER);
    out.push_str("\n/**\n * The engine's error codes (the `code` of an Error the wasm bindings throw, src/codes.rs), each\n * with the input it blames ('options', 'mapping', 'key'), or null: none of the user's.\n * @type {Readonly<Record<import('../engine-types').EngineErrorCode, 'options' | 'mapping' | 'key' | null>>}\n */\nexport const ENGINE_CODES = Object.freeze({\n");
    for (code, fault) in codes::ALL {
        let input = fault
            .input()
            .map_or("null".to_string(), |i| format!("'{i}'"));
        out.push_str(&format!("  {code}: {input},\n"));
    }
    out.push_str("});\n");
    out
}

/// Compares `text` with the checked-in file, or writes it (`UPDATE_GENERATED=1`).
fn check_or_write(path: &str, text: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&file, text).expect("writes the generated file");
        return;
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        on_disk == text,
        "{path} differs from what the Rust types give: run `UPDATE_GENERATED=1 cargo test --release --lib typescript` and commit it"
    );
}

#[test]
fn generated_declarations_match_the_rust_types() {
    let types = types_file();
    // The outcomes the engine writes and the codes it throws, every one of them.
    for o in Outcome::ALL {
        assert!(types.contains(&format!("\"{}\"", o.as_str())), "{o}");
    }
    assert!(
        types.contains("\"held\"")
            && types.contains("\"excluded\"")
            && types.contains("\"bad_spec\"")
    );
    check_or_write(TYPES_FILE, &types);
}

#[test]
fn generated_error_codes_match_the_engine() {
    let text = codes_file();
    // Every code a job error gives is in the list, with its input.
    assert!(text.contains("  bad_spec: null,\n"));
    assert!(text.contains("  mapping_dates_not_shifted: 'mapping',\n"));
    assert!(text.contains("  empty_secret: 'options',\n"));
    check_or_write(CODES_FILE, &text);
}
