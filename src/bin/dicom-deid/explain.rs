//! `--explain TAG`: for each input file, which recipe rule (or which profile row) decides the
//! attribute. Nothing is written.

use dicom_deid::context::Context;
use dicom_deid::recipe::explain::{explain as explain_one, parse_target};

use crate::args::Args;
use crate::common::build_config;
use crate::error::CliError;
use crate::inputs;

/// Prints `path: decision` for every input file.
pub fn explain(args: &Args, tag: &str) -> Result<(), CliError> {
    let target = parse_target(tag).map_err(|e| CliError::Recipe {
        detail: e.to_string(),
    })?;
    let config = build_config(args)?;
    // The decision does not depend on the secret: a fixed one, no secret file is read.
    let ctx = Context::new(&config, b"explain").map_err(|e| CliError::Recipe {
        detail: e.to_string(),
    })?;
    let inputs = inputs::collect(&args.inputs)?;
    for (path, src) in &inputs.items {
        let line = inputs
            .read(src)
            .and_then(|bytes| explain_one(&ctx, &bytes, &target))
            .unwrap_or_else(|r| format!("not read: {r}"));
        println!("{path}: {line}");
    }
    Ok(())
}
