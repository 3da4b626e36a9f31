//! The project secret file: read, or created with a random secret on first use.

use std::fs;
use std::io::Write;
use std::path::Path;

use snafu::{ensure, ResultExt};

use crate::error::{
    BadPublicKeySnafu, CliError, CreateSecretSnafu, EmptySecretSnafu, ReadSecretSnafu, ReadSnafu,
};

/// The secret in `path` (trimmed); a new random one, written there, if the file is missing and
/// `create` is set.
pub fn load_secret(path: &Path, create: bool) -> Result<Vec<u8>, CliError> {
    match fs::read_to_string(path) {
        Ok(s) => {
            let s = s.trim().to_string();
            ensure!(!s.is_empty(), EmptySecretSnafu { path });
            Ok(s.into_bytes())
        }
        Err(e) if create && e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b).map_err(|e| CliError::Random {
                detail: e.to_string(),
            })?;
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            create_secret_file(path, format!("{hex}\n").as_bytes())
                .context(CreateSecretSnafu { path })?;
            eprintln!("created a new project secret in {} (keep it: the same secret gives the same IDs and UIDs)", path.display());
            Ok(hex.into_bytes())
        }
        Err(e) => Err(e).context(ReadSecretSnafu { path }),
    }
}

/// Creates the secret file readable by its owner only from the start (mode 0600 on unix, set
/// when the file is created, never a chmod after the secret is written), and never over an
/// existing file.
fn create_secret_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Writes the public key of the run statement's signing key (derived from the secret) beside
/// the secret file, as `<secret file>.pub`, when it is not there yet: the file a reviewer is
/// given for `dicom-deid verify --public-key`.
pub fn write_public_key(secret_path: &Path, secret: &[u8]) -> Result<(), CliError> {
    let mut name = secret_path.as_os_str().to_owned();
    name.push(".pub");
    let path = std::path::PathBuf::from(name);
    if path.exists() {
        return Ok(());
    }
    let keyed = dicom_deid::uid::Keyed::new(secret);
    let text = format!(
        "{}\n",
        dicom_deid::statement::signing::public_key_hex(&keyed)
    );
    fs::write(&path, text).context(CreateSecretSnafu { path: &path })
}

/// The project's public key from a file of 64 hex digits (its first line; as `<secret file>.pub`
/// is written), received apart from the zip.
pub fn read_public_key(path: &Path) -> Result<[u8; 32], CliError> {
    let text = fs::read_to_string(path).context(ReadSnafu {
        what: "public key",
        path,
    })?;
    dicom_deid::statement::signing::unhex::<32>(text.lines().next().unwrap_or("").trim())
        .ok_or_else(|| BadPublicKeySnafu { path }.build())
}

/// The public key of the run statement's signing key, derived from the secret in `path` (the
/// key a run signs its zip with).
pub fn project_public_key(path: &Path) -> Result<[u8; 32], CliError> {
    let keyed = dicom_deid::uid::Keyed::new(&load_secret(path, false)?);
    Ok(dicom_deid::statement::signing::signing_key(&keyed)
        .verifying_key()
        .to_bytes())
}
