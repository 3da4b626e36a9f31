//! `dicom-deid recipe show NAME` prints a preset's recipe (the text shipped with the engine,
//! `data/presets/NAME.toml`), so that a site can start its own recipe from it;
//! `dicom-deid recipe list` lists the presets with their description lines.

use clap::{Parser, Subcommand};
use dicom_deid::recipe::presets::{self, PRESET_RECIPES};

use crate::error::CliError;

/// The presets as recipes: print one, or list them.
#[derive(Parser, Debug)]
#[command(name = "dicom-deid recipe")]
pub struct RecipeArgs {
    #[command(subcommand)]
    pub command: RecipeCommand,
}

/// What `dicom-deid recipe` does.
#[derive(Subcommand, Debug)]
pub enum RecipeCommand {
    /// Print a preset's recipe (TOML), to start a recipe of your own from it.
    Show {
        /// basic, research or keep-list (or an alias: ps3.15-basic, research-shifted-dates).
        name: String,
    },
    /// List the presets, one a line: the name and what it is for.
    List,
}

/// Runs `recipe`: the text on stdout.
pub fn run(args: &RecipeArgs) -> Result<(), CliError> {
    match &args.command {
        RecipeCommand::Show { name } => {
            let text = presets::text(name).ok_or_else(|| CliError::UnknownPreset {
                name: name.clone(),
                known: names(),
            })?;
            print!("{text}");
        }
        RecipeCommand::List => {
            for (name, _) in PRESET_RECIPES {
                let description = presets::recipe(name)
                    .map(|r| r.description)
                    .unwrap_or_default();
                println!("{name}\t{description}");
            }
        }
    }
    Ok(())
}

fn names() -> String {
    PRESET_RECIPES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}
