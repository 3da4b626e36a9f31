//! The run statement of a merged zip: the parts' statements must agree on the options and the
//! secret (the merge is given the same secret file, whose fingerprint must be theirs); the
//! counts come from the merged log, the hashes from the entries as they are copied, the time
//! from the merge's clock ([`crate::clock`]). The same facts as the single run: the same bytes.

use dicom_deid::config::Config;
use dicom_deid::report::LogRow;
use dicom_deid::statement::{self, Facts};
use dicom_deid::uid::Keyed;
use snafu::ResultExt;

use crate::args::Args;
use crate::error::{CliError, PartStatementSnafu, StatementSnafu};
use crate::secret::load_secret;

/// Whether an entry of a part's zip is one of its statement's (remade for the merged zip).
pub fn is_statement_entry(name: &str) -> bool {
    [
        statement::HTML_NAME,
        statement::MANIFEST_NAME,
        statement::STATEMENT_NAME,
        statement::SIGNATURE_NAME,
    ]
    .contains(&name)
}

/// The options and secret fingerprint a part's statement records.
fn part_facts(text: &[u8]) -> Result<(serde_json::Value, String), String> {
    let v: serde_json::Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let options = v.get("options").cloned().ok_or("no options")?;
    let fp = v
        .get("secret_fingerprint")
        .and_then(|f| f.as_str())
        .ok_or("no secret fingerprint")?;
    Ok((options, fp.to_string()))
}

/// The options of the parts (all equal), and the secret (its fingerprint theirs).
pub fn agreed(args: &Args, statements: &[Vec<u8>]) -> Result<(Config, Keyed), CliError> {
    let bad = |detail: String| PartStatementSnafu { detail }.build();
    let mut agreed: Option<(serde_json::Value, String)> = None;
    for text in statements {
        let facts = part_facts(text).map_err(|e| bad(format!("a part's run statement: {e}")))?;
        match &agreed {
            None => agreed = Some(facts),
            Some(a) if *a != facts => {
                return Err(bad(
                    "the parts' run statements differ in options or secret".into()
                ))
            }
            Some(_) => {}
        }
    }
    let (options, fp) =
        agreed.ok_or_else(|| bad("no part's zip holds a run statement".to_string()))?;
    let config: Config = serde_json::from_value(options)
        .map_err(|e| bad(format!("a part's run statement: options: {e}")))?;
    let keyed = Keyed::new(&load_secret(&args.secret_file, false)?);
    if keyed.fingerprint() != fp {
        return Err(bad(format!(
            "the parts were made with another project secret (fingerprint {fp}, --secret-file {})",
            keyed.fingerprint()
        )));
    }
    Ok((config, keyed))
}

/// The closing entries of the merged zip, after the `covered` ones.
pub fn closing_entries(
    args: &Args,
    config: &Config,
    keyed: &Keyed,
    rows: &[LogRow],
    covered: Vec<(String, [u8; 32])>,
) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let run_time = crate::clock::run_time(args.run_time.as_deref())?;
    let facts = Facts {
        config,
        keyed,
        rows,
        run_time: &run_time,
    };
    statement::closing_entries(&facts, covered).context(StatementSnafu)
}
