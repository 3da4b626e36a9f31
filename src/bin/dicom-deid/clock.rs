//! The run's date and time, which the run statement records (the engine has no clock):
//! `--run-time`, else `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds
//! convention), else the system clock. Giving the time reproduces a zip byte for byte.

use dicom_deid::statement::run_time as checked;
use snafu::{OptionExt, ResultExt};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{CliError, RunTimeSnafu, StatementSnafu};

/// The run's time (RFC 3339, UTC, whole seconds).
pub fn run_time(given: Option<&str>) -> Result<String, CliError> {
    if let Some(t) = given {
        return checked(t).context(StatementSnafu);
    }
    let secs = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse::<i64>().ok().context(RunTimeSnafu {
            detail: format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds"),
        })?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let t = OffsetDateTime::from_unix_timestamp(secs).map_err(|e| CliError::RunTime {
        detail: e.to_string(),
    })?;
    let text = t.format(&Rfc3339).map_err(|e| CliError::RunTime {
        detail: e.to_string(),
    })?;
    checked(&text).context(StatementSnafu)
}
