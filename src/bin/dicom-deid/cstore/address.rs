//! `--cstore AET@HOST:PORT` and `--calling-aet AET`: the C-STORE destination, checked before
//! anything is sent.

use std::fmt;

use dicom_ul::FullAeAddr;

/// The calling AE title when `--calling-aet` is not given.
pub const DEFAULT_CALLING_AET: &str = "DICOM-DEID";

/// Where C-STORE sends: the called AE title at a host and port, and who calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The called AE title (the archive's).
    pub called: String,
    /// The host name or address (an IPv6 address in brackets).
    pub host: String,
    /// The archive's DICOM port.
    pub port: u16,
    /// This program's AE title.
    pub calling: String,
}

/// Why a `--cstore` or `--calling-aet` value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTarget(pub String);

impl fmt::Display for BadTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Target {
    /// Reads `AET@HOST:PORT` (dicom-ul's full AE address) and the calling AE title.
    pub fn parse(spec: &str, calling: &str) -> Result<Target, BadTarget> {
        let bad = |why: &str| BadTarget(format!("--cstore {spec:?}: {why} (AET@HOST:PORT)"));
        let full: FullAeAddr<String> = spec
            .parse()
            .map_err(|_| bad("no called AE title before @"))?;
        let (called, socket) = full.into_parts();
        check_ae_title(&called).map_err(|why| bad(&why))?;
        let (host, port) = socket
            .rsplit_once(':')
            .ok_or_else(|| bad("no port after the host"))?;
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        check_ae_title(calling).map_err(|why| BadTarget(format!("--calling-aet: {why}")))?;
        Ok(Target {
            called: called.trim().to_string(),
            host: host.to_string(),
            port,
            calling: calling.trim().to_string(),
        })
    }

    /// `host:port`, as a socket address to connect to.
    pub fn socket(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Display for Target {
    /// `AET@HOST:PORT`, the destination as the send log names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}", self.called, self.host, self.port)
    }
}

/// PS3.5 AE VR: 1 to 16 characters of the default repertoire, no backslash or control
/// character, not only spaces.
fn check_ae_title(t: &str) -> Result<(), String> {
    if t.trim().is_empty() {
        return Err("the AE title is empty".into());
    }
    if t.len() > 16 {
        return Err(format!("the AE title {t:?} is longer than 16 characters"));
    }
    if t.chars()
        .any(|c| !c.is_ascii() || c.is_ascii_control() || c == '\\')
    {
        return Err(format!(
            "the AE title {t:?} has a character outside ASCII, a control character or a backslash"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_called_title_host_and_port() {
        let t = Target::parse("DEIDTEST@127.0.0.1:4242", "ME").expect("valid");
        assert_eq!(
            (
                t.called.as_str(),
                t.host.as_str(),
                t.port,
                t.calling.as_str()
            ),
            ("DEIDTEST", "127.0.0.1", 4242, "ME")
        );
        assert_eq!(t.to_string(), "DEIDTEST@127.0.0.1:4242");
        let v6 = Target::parse("PACS@[::1]:104", DEFAULT_CALLING_AET).expect("valid");
        assert_eq!(v6.socket(), "[::1]:104");
    }

    #[test]
    fn refuses_what_is_not_an_ae_address() {
        for bad in [
            "127.0.0.1:104",
            "@127.0.0.1:104",
            "PACS@127.0.0.1",
            "PACS@127.0.0.1:0",
            "PACS@127.0.0.1:70000",
            "PACS@:104",
            "A_TITLE_OF_17_CHR@h:104",
            "BACK\\SLASH@h:104",
        ] {
            assert!(Target::parse(bad, "ME").is_err(), "{bad}");
        }
        assert!(Target::parse("PACS@h:104", "").is_err());
    }
}
