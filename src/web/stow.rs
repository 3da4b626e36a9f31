//! The bindings of the delivery core ([`crate::deliver`]) for the page's STOW-RS sender
//! (`www/internal/stow.js`): the JS does the `fetch`, these functions decide. Whether an output
//! is storable (with its identifiers and SHA-256), the batches, the multipart body's pieces,
//! what to do after an attempt and what the archive's response says of each instance.

use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

use super::{fail, from_js, object, to_js};
use crate::deliver::retry::{decide, Attempt, Decision, RetryPolicy};
use crate::deliver::stow::{self, BatchLimits};
use crate::deliver::stow_response::{self, InstanceStatus};

/// What an archive needs of one written instance: `{storable: true, sop_class_uid,
/// sop_instance_uid, study_instance_uid, series_instance_uid, transfer_syntax_uid, sha256}`
/// (SHA-256 of the bytes, lower-case hex: the ledger's key with the UID), or `{storable: false,
/// code: 'not_storable', reason}` (never sent). `vouched_sha256`: the SHA-256 the zip's
/// manifest lists for the instance (`vouch_zip_at`), when it is read back from a zip; then the
/// answer is `{vouched: false, reason}` when the bytes are not those (never sent), and has
/// `vouched: true` when they are.
#[wasm_bindgen]
pub fn stow_instance(bytes: &[u8], vouched_sha256: Option<String>) -> Result<JsValue, JsValue> {
    let sha = crate::statement::signing::hex(&Sha256::digest(bytes));
    if let Some(listed) = &vouched_sha256 {
        if !listed.eq_ignore_ascii_case(&sha) {
            return Ok(object(vec![
                ("vouched", false.into()),
                (
                    "reason",
                    "differs from the manifest (its SHA-256 is not the one recorded), not sent"
                        .into(),
                ),
            ]));
        }
    }
    let v = match crate::deliver::storable::storable(bytes) {
        Ok(ids) => {
            let v = to_js(&ids)?;
            let _ = js_sys::Reflect::set(&v, &"storable".into(), &true.into());
            let _ = js_sys::Reflect::set(&v, &"sha256".into(), &sha.into());
            v
        }
        Err(e) => object(vec![
            ("storable", false.into()),
            ("code", e.code().as_str().into()),
            ("reason", e.to_string().into()),
        ]),
    };
    if vouched_sha256.is_some() {
        let _ = js_sys::Reflect::set(&v, &"vouched".into(), &true.into());
    }
    Ok(v)
}

/// A destination's batch limits as the page gives them: either may be left out (the default).
#[derive(serde::Deserialize)]
struct GivenLimits {
    max_bytes: Option<u64>,
    max_count: Option<usize>,
}

/// The batch limits of a destination (`{max_bytes?, max_count?}`; undefined: the defaults).
fn limits_of(limits: JsValue) -> Result<BatchLimits, JsValue> {
    let default = BatchLimits::default();
    if limits.is_undefined() || limits.is_null() {
        return Ok(default);
    }
    let given: GivenLimits = from_js(limits, "STOW-RS batch limits")?;
    Ok(BatchLimits {
        max_bytes: given.max_bytes.unwrap_or(default.max_bytes),
        max_count: given.max_count.unwrap_or(default.max_count),
    })
}

/// The default batch limits, `{max_bytes, max_count}`.
#[wasm_bindgen]
pub fn stow_default_limits() -> Result<JsValue, JsValue> {
    to_js(&BatchLimits::default())
}

/// The instances, by their sizes in order, cut into batches within `limits`: `[[first,
/// count], …]`.
#[wasm_bindgen]
pub fn stow_batches(sizes: Vec<f64>, limits: JsValue) -> Result<JsValue, JsValue> {
    let limits = limits_of(limits)?;
    // Sizes are byte counts of buffers the page holds: whole, non-negative, far below 2^53.
    let sizes: Vec<u64> = sizes.iter().map(|s| s.max(0.0) as u64).collect();
    let cuts = stow::batches(&sizes, limits).map_err(|e| fail(e.code(), e))?;
    to_js(&cuts)
}

/// The pieces of one request's body for these parts (Uint8Arrays): `{content_type, accept,
/// head, end, closing}`; the body is, for each part, `head`, the part and `end`, then
/// `closing` (the page joins them in a Blob, the parts not copied again).
#[wasm_bindgen]
pub fn stow_body(parts: js_sys::Array) -> Result<JsValue, JsValue> {
    let owned: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| js_sys::Uint8Array::new(&p).to_vec())
        .collect();
    let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    let boundary = stow::boundary(&refs).map_err(|e| fail(e.code(), e))?;
    let bytes = |b: &[u8]| JsValue::from(js_sys::Uint8Array::from(b));
    Ok(object(vec![
        ("content_type", stow::content_type(&boundary).into()),
        ("accept", stow::ACCEPT.into()),
        ("head", bytes(&stow::part_head(&boundary))),
        ("end", bytes(stow::PART_END)),
        ("closing", bytes(&stow::closing(&boundary))),
    ]))
}

/// What to do after attempt number `attempt` (1 for the first) of a request: `status` its HTTP
/// status (undefined: no answer), `retry_after` its `Retry-After`; `refreshed` whether the
/// headers were refreshed for it already; `policy` `{max_attempts, base_delay_ms,
/// max_delay_ms}` or undefined (the defaults). `{action: 'read_response' | 'retry_after' |
/// 'refresh_headers' | 'fail', delay_ms?, reason?}`.
#[wasm_bindgen]
pub fn stow_decide(
    attempt: u32,
    refreshed: bool,
    status: Option<u16>,
    retry_after: Option<String>,
    policy: JsValue,
) -> Result<JsValue, JsValue> {
    let policy = if policy.is_undefined() || policy.is_null() {
        RetryPolicy::default()
    } else {
        from_js(policy, "retry policy")?
    };
    let how = match status {
        None => Attempt::NetworkError,
        Some(status) => Attempt::Status {
            status,
            retry_after,
        },
    };
    let d: Decision = decide(&policy, attempt, refreshed, &how);
    to_js(&d)
}

/// A PS3.18 reason code as the send log writes it.
fn reason_text(what: &str, reason: Option<u16>) -> String {
    reason.map_or_else(String::new, |r| format!("{what} 0x{r:04X}"))
}

/// What became of each instance of a request (`sent`: their SOP Instance UIDs, in order) from
/// the archive's answer (`body`, `content_type`): `[{status: 'stored' | 'warning' | 'failed',
/// reason}]` in the order of `sent`. An answer that cannot be read fails every instance with
/// the reason.
#[wasm_bindgen]
pub fn stow_outcomes(
    body: &[u8],
    content_type: &str,
    sent: Vec<String>,
) -> Result<JsValue, JsValue> {
    let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
    let rows: Vec<JsValue> = match stow_response::parse(body, content_type) {
        Ok(response) => stow_response::outcomes(&sent, &response)
            .into_iter()
            .map(|s| match s {
                InstanceStatus::Stored => outcome("stored", String::new()),
                InstanceStatus::Warning { reason } => {
                    outcome("warning", reason_text("warning reason", reason))
                }
                InstanceStatus::Failed { reason } => outcome(
                    "failed",
                    match reason {
                        Some(_) => reason_text("failure reason", reason),
                        None => "not confirmed by the archive's response".to_string(),
                    },
                ),
            })
            .collect(),
        Err(e) => {
            let why = format!("the archive's response cannot be read: {e}");
            sent.iter()
                .map(|_| outcome("failed", why.clone()))
                .collect()
        }
    };
    Ok(js_sys::Array::from_iter(rows).into())
}

fn outcome(status: &str, reason: String) -> JsValue {
    object(vec![("status", status.into()), ("reason", reason.into())])
}
