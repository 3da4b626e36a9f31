//! What to do after one attempt of a request: one decision function ([`decide`]) for every
//! shell. Network errors, 5xx, 408 and 429 are retried after a bounded exponential backoff
//! (or the server's `Retry-After`, capped), for a bounded number of attempts; a first 401
//! asks the shell to refresh its headers (a new token) and try again; any other 4xx fails the
//! request's instances and is never retried; 200, 202 and 409 carry a response to read per
//! instance.

use serde::{Deserialize, Serialize};

/// The bounds of retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Attempts of one request in all (the first included).
    pub max_attempts: u32,
    /// The wait before the second attempt (ms); doubled for each further one.
    pub base_delay_ms: u64,
    /// The longest wait, `Retry-After` included (ms).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay_ms: 500,
            max_delay_ms: 30_000,
        }
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attempt {
    /// No HTTP response: the connection was refused, dropped or timed out.
    NetworkError,
    /// An HTTP response.
    Status {
        /// its status code
        status: u16,
        /// its `Retry-After` header, if any
        retry_after: Option<String>,
    },
}

/// What the shell does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Decision {
    /// Read the response per instance ([`super::stow_response`]): 200, 202, 409 (and any
    /// other 2xx).
    ReadResponse,
    /// Wait, then send the same request again.
    RetryAfter {
        /// the wait (ms)
        delay_ms: u64,
    },
    /// Get fresh headers (credentials) and send again at once.
    RefreshHeaders,
    /// Give up: every instance of the request failed for this reason.
    Fail {
        /// the reason, for the send log
        reason: String,
    },
}

/// The decision after attempt number `attempt` (1 for the first) ended as `how`;
/// `refreshed` says whether the headers were refreshed for this request already.
pub fn decide(policy: &RetryPolicy, attempt: u32, refreshed: bool, how: &Attempt) -> Decision {
    let (status, retry_after) = match how {
        Attempt::NetworkError => (None, None),
        Attempt::Status {
            status,
            retry_after,
        } => (Some(*status), retry_after.as_deref()),
    };
    match status {
        Some(s) if (200..300).contains(&s) || s == 409 => return Decision::ReadResponse,
        Some(401) if !refreshed => return Decision::RefreshHeaders,
        Some(s) if (400..500).contains(&s) && s != 408 && s != 429 => {
            return Decision::Fail {
                reason: format!("HTTP {s}"),
            }
        }
        Some(s) if s < 400 && !(200..300).contains(&s) => {
            return Decision::Fail {
                reason: format!("HTTP {s} (unexpected)"),
            }
        }
        _ => {}
    }
    let what = status.map_or_else(|| "network error".to_string(), |s| format!("HTTP {s}"));
    if attempt >= policy.max_attempts {
        return Decision::Fail {
            reason: format!("{what} after {attempt} attempts"),
        };
    }
    let delay_ms = retry_after
        .and_then(retry_after_ms)
        .unwrap_or_else(|| backoff_ms(policy, attempt))
        .min(policy.max_delay_ms);
    Decision::RetryAfter { delay_ms }
}

/// The exponential backoff after attempt `attempt`: `base × 2^(attempt − 1)`, capped.
pub fn backoff_ms(policy: &RetryPolicy, attempt: u32) -> u64 {
    let shift = attempt.saturating_sub(1).min(32);
    policy
        .base_delay_ms
        .saturating_mul(1u64 << shift)
        .min(policy.max_delay_ms)
}

/// `Retry-After` in delay-seconds (RFC 9110 10.2.3) as ms. The HTTP-date form needs a clock,
/// which the engine does not read: it gives `None`, and the backoff is used.
pub fn retry_after_ms(value: &str) -> Option<u64> {
    let v = value.trim();
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u64>().ok().map(|s| s.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16, retry_after: Option<&str>) -> Attempt {
        Attempt::Status {
            status: s,
            retry_after: retry_after.map(str::to_string),
        }
    }

    const P: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base_delay_ms: 100,
        max_delay_ms: 1_000,
    };

    #[test]
    fn successes_and_409_are_read_per_instance() {
        for s in [200, 202, 409] {
            assert_eq!(
                decide(&P, 1, false, &status(s, None)),
                Decision::ReadResponse
            );
        }
    }

    #[test]
    fn transient_failures_back_off_exponentially_then_give_up() {
        for how in [
            Attempt::NetworkError,
            status(503, None),
            status(408, None),
            status(500, None),
        ] {
            let delays: Vec<Decision> = (1..=4).map(|a| decide(&P, a, false, &how)).collect();
            assert_eq!(delays[0], Decision::RetryAfter { delay_ms: 100 });
            assert_eq!(delays[1], Decision::RetryAfter { delay_ms: 200 });
            assert_eq!(delays[2], Decision::RetryAfter { delay_ms: 400 });
            assert!(
                matches!(&delays[3], Decision::Fail { reason } if reason.contains("after 4 attempts"))
            );
        }
        assert_eq!(backoff_ms(&P, 30), 1_000);
        assert_eq!(backoff_ms(&P, u32::MAX), 1_000);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        assert_eq!(
            decide(&P, 1, false, &status(429, Some("0"))),
            Decision::RetryAfter { delay_ms: 0 }
        );
        assert_eq!(
            decide(&P, 1, false, &status(503, Some(" 1 "))),
            Decision::RetryAfter { delay_ms: 1_000 }
        );
        assert_eq!(
            decide(&P, 2, false, &status(429, Some("3600"))),
            Decision::RetryAfter { delay_ms: 1_000 }
        );
        // The HTTP-date form falls back to the backoff.
        assert_eq!(
            decide(
                &P,
                2,
                false,
                &status(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"))
            ),
            Decision::RetryAfter { delay_ms: 200 }
        );
    }

    #[test]
    fn a_401_refreshes_once_and_other_4xx_fail_at_once() {
        assert_eq!(
            decide(&P, 1, false, &status(401, None)),
            Decision::RefreshHeaders
        );
        assert_eq!(
            decide(&P, 2, true, &status(401, None)),
            Decision::Fail {
                reason: "HTTP 401".into()
            }
        );
        for s in [400, 403, 404, 413, 415] {
            assert_eq!(
                decide(&P, 1, false, &status(s, None)),
                Decision::Fail {
                    reason: format!("HTTP {s}")
                }
            );
        }
    }
}
