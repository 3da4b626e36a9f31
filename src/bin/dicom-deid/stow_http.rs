//! One STOW-RS request over HTTP (ureq, rustls), sent again as the delivery core's retry
//! decision says ([`dicom_deid::deliver::retry::decide`]), its response read per instance.
//! Headers come from `--stow-header` and `--stow-header-file` (read again on a first 401);
//! they are never written anywhere, and the URL is shown without credentials.

use std::path::PathBuf;
use std::time::Duration;

use dicom_deid::deliver::retry::{decide, Attempt, Decision, RetryPolicy};
use dicom_deid::deliver::send_log::SendOutcome;
use dicom_deid::deliver::stow::ACCEPT;
use dicom_deid::deliver::stow_response::{outcomes, parse, InstanceStatus, MAX_RESPONSE_BYTES};
use snafu::ResultExt;

use crate::args::StowArgs;
use crate::error::{CliError, ReadSnafu, StowHeaderSnafu};

/// Connecting may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request (sending the body, the archive storing it, the response) may take this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The request headers: those given on the command line and those of the header file.
pub struct Headers {
    given: Vec<(String, String)>,
    file: Option<PathBuf>,
    from_file: Vec<(String, String)>,
}

/// `Name: value` split, the name checked to be an HTTP token.
fn header(line: &str, what: &str) -> Result<(String, String), CliError> {
    let bad = || StowHeaderSnafu { what }.build();
    let (name, value) = line.split_once(':').ok_or_else(bad)?;
    let name = name.trim();
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) || value.contains(['\r', '\n']) {
        return Err(bad());
    }
    Ok((name.to_string(), value.trim().to_string()))
}

impl Headers {
    /// Reads `--stow-header` and the header file.
    pub fn load(args: &StowArgs) -> Result<Headers, CliError> {
        let given = args
            .stow_header
            .iter()
            .enumerate()
            .map(|(i, h)| header(h, &format!("--stow-header number {}", i + 1)))
            .collect::<Result<_, _>>()?;
        let mut h = Headers {
            given,
            file: args.stow_header_file.clone(),
            from_file: Vec::new(),
        };
        h.refresh()?;
        Ok(h)
    }

    /// Reads the header file again (a token another program refreshed).
    pub fn refresh(&mut self) -> Result<(), CliError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let text = std::fs::read_to_string(path).context(ReadSnafu {
            what: "header file",
            path,
        })?;
        self.from_file = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|(i, l)| header(l, &format!("line {} of the header file", i + 1)))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn all(&self) -> impl Iterator<Item = &(String, String)> {
        self.given.iter().chain(&self.from_file)
    }
}

/// The STOW-RS endpoint: the URL given, with `/studies` added unless it names that resource.
pub fn endpoint(url: &str) -> String {
    let base = url.trim().trim_end_matches('/');
    if base.ends_with("/studies") || base.contains("/studies/") {
        base.to_string()
    } else {
        format!("{base}/studies")
    }
}

/// A client of one STOW-RS endpoint.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    headers: Headers,
    policy: RetryPolicy,
    /// Requests sent in all (each attempt counts).
    pub requests: u64,
}

/// The HTTP answer of one attempt.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    content_type: String,
    body: Vec<u8>,
}

impl Client {
    /// A client with the core's default retry policy.
    pub fn new(url: &str, headers: Headers) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build();
        Client {
            agent: config.into(),
            url: endpoint(url),
            headers,
            policy: RetryPolicy::default(),
            requests: 0,
        }
    }

    fn once(&mut self, body: &[u8], content_type: &str) -> Option<Answer> {
        self.requests += 1;
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", content_type)
            .header("Accept", ACCEPT);
        for (n, v) in self.headers.all() {
            req = req.header(n, v);
        }
        let mut resp = req.send(body).ok()?;
        let text = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = text("retry-after");
        let content_type = text("content-type").unwrap_or_default();
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES as u64)
            .read_to_vec()
            .ok()?;
        Some(Answer {
            status,
            retry_after,
            content_type,
            body,
        })
    }

    /// Sends one body holding the instances `uids` until the retry decision says to read the
    /// response or to give up; the outcome and reason of each instance, in order.
    pub fn store(
        &mut self,
        body: &[u8],
        content_type: &str,
        uids: &[&str],
    ) -> Result<Vec<(SendOutcome, String)>, CliError> {
        let (mut attempt, mut refreshed) = (1u32, false);
        loop {
            let answer = self.once(body, content_type);
            let how = match &answer {
                None => Attempt::NetworkError,
                Some(a) => Attempt::Status {
                    status: a.status,
                    retry_after: a.retry_after.clone(),
                },
            };
            match decide(&self.policy, attempt, refreshed, &how) {
                Decision::ReadResponse => {
                    return Ok(match answer {
                        Some(a) => read_answer(&a, uids),
                        None => failed_all(uids, "no response"),
                    })
                }
                Decision::RetryAfter { delay_ms } => {
                    std::thread::sleep(Duration::from_millis(delay_ms));
                }
                Decision::RefreshHeaders => {
                    self.headers.refresh()?;
                    refreshed = true;
                }
                Decision::Fail { reason } => return Ok(failed_all(uids, &reason)),
            }
            attempt += 1;
        }
    }
}

/// Every instance failed for one reason.
fn failed_all(uids: &[&str], reason: &str) -> Vec<(SendOutcome, String)> {
    uids.iter()
        .map(|_| (SendOutcome::Failed, reason.to_string()))
        .collect()
}

/// Each instance's outcome from a response to read (200, 202, 409).
fn read_answer(a: &Answer, uids: &[&str]) -> Vec<(SendOutcome, String)> {
    match parse(&a.body, &a.content_type) {
        Ok(listed) => outcomes(uids, &listed)
            .into_iter()
            .map(|s| match s {
                InstanceStatus::Stored => (SendOutcome::Stored, String::new()),
                InstanceStatus::Warning { reason } => (
                    SendOutcome::Warning,
                    reason.map_or("warning".into(), |r| format!("Warning Reason 0x{r:04X}")),
                ),
                InstanceStatus::Failed { reason: Some(r) } => {
                    (SendOutcome::Failed, format!("Failure Reason 0x{r:04X}"))
                }
                InstanceStatus::Failed { reason: None } => (
                    SendOutcome::Failed,
                    format!("not confirmed by the response (HTTP {})", a.status),
                ),
            })
            .collect(),
        Err(e) => failed_all(uids, &format!("HTTP {}: {e}", a.status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_name_colon_value() {
        assert_eq!(
            header("Authorization: Bearer abc:def", "h").expect("valid"),
            ("Authorization".into(), "Bearer abc:def".into())
        );
        for bad in [
            "no colon",
            ": empty name",
            "Bad Name: x",
            "X: a\r\nInjected: y",
        ] {
            let e = header(bad, "h").expect_err(bad).to_string();
            assert!(!e.contains("Bearer"));
        }
    }

    #[test]
    fn the_endpoint_is_the_studies_resource() {
        assert_eq!(endpoint("http://h/dicom-web"), "http://h/dicom-web/studies");
        assert_eq!(
            endpoint("http://h/dicom-web/"),
            "http://h/dicom-web/studies"
        );
        assert_eq!(
            endpoint("http://h/dicom-web/studies"),
            "http://h/dicom-web/studies"
        );
        assert_eq!(
            endpoint("http://h/dw/studies/1.2.3"),
            "http://h/dw/studies/1.2.3"
        );
    }
}
