//! C-STORE (DIMSE over TCP, dicom-ul) into an archive: `--cstore AET@HOST:PORT`.
//!
//! The instances are sent in order over as few associations as their presentation contexts
//! allow (`contexts.rs`); each gets its own outcome: the archive's status (success, warning,
//! failure, with its meaning), or why it was not sent. An association that drops, is aborted or
//! times out is aborted and opened again, and the instance in flight sent again, as often as
//! the shared retry decision allows for a network error (`deliver::retry`); a refused
//! association (a wrong called AE title) is never retried.

pub mod address;
mod association;
mod contexts;
mod dimse;
pub mod instance;
pub mod zip_send;

use std::net::TcpStream;
use std::time::Duration;

use dicom_deid::deliver::retry::{decide, Attempt, Decision, RetryPolicy};
use dicom_ul::ClientAssociation;

use address::Target;
use association::{Broken, OpenError};
use contexts::{Proposal, Route};
use dimse::{kind, meaning, StatusKind};
use instance::Header;

/// Reconnecting: at most 4 attempts of an association or of one instance, waiting 0.25, 0.5,
/// then 1 s (a refused port fails within about 2 s; an archive restarting is waited for).
const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    base_delay_ms: 250,
    max_delay_ms: 5_000,
};

/// What became of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Stored, stored with a warning, or not stored.
    pub kind: StatusKind,
    /// The status, when the archive answered.
    pub status: Option<u16>,
    /// Empty on success; else the warning or the reason it was not stored.
    pub reason: String,
}

impl Outcome {
    fn failed(reason: impl Into<String>) -> Outcome {
        Outcome {
            kind: StatusKind::Failure,
            status: None,
            reason: reason.into(),
        }
    }

    fn of_status(status: u16, comment: Option<String>) -> Outcome {
        let k = kind(status);
        let reason = match (k, comment) {
            (StatusKind::Success, _) => String::new(),
            (_, Some(c)) => format!("status {status:04X}H: {} ({c})", meaning(status)),
            (_, None) => format!("status {status:04X}H: {}", meaning(status)),
        };
        Outcome {
            kind: k,
            status: Some(status),
            reason,
        }
    }
}

/// The destination could not be used at all: every instance not yet sent failed for this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

/// Counters of one send, for the summary and the tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// Associations opened.
    pub associations: usize,
    /// C-STORE requests sent (a resent instance counts twice).
    pub requests: usize,
    /// Bytes of data sets sent.
    pub bytes: u64,
}

/// Sends the instances (their headers read before; `fetch(i)` gives instance `i`'s file bytes)
/// and calls `done(i, outcome)` for each in turn. Returns the counters, or, when the
/// destination cannot be used, why (every instance then has a failed outcome).
pub fn send(
    target: &Target,
    headers: &[Header],
    fetch: &mut dyn FnMut(usize) -> Result<Vec<u8>, String>,
    done: &mut dyn FnMut(usize, &Outcome),
) -> (Counters, Option<Unusable>) {
    let mut sender = Sender {
        target,
        policy: POLICY,
        counters: Counters::default(),
    };
    for (n, range) in contexts::groups(headers).into_iter().enumerate() {
        let group = &headers[range.clone()];
        if let Err(why) = sender.send_group(range.start, group, fetch, done) {
            // this group's rest has been reported; the later groups fail for the same reason
            for later in contexts::groups(headers).into_iter().skip(n + 1) {
                for i in later {
                    done(i, &Outcome::failed(why.0.clone()));
                }
            }
            return (sender.counters, Some(why));
        }
    }
    (sender.counters, None)
}

struct Sender<'t> {
    target: &'t Target,
    policy: RetryPolicy,
    counters: Counters,
}

impl Sender<'_> {
    /// One association's worth of instances (`first` is the index of `group[0]`).
    fn send_group(
        &mut self,
        first: usize,
        group: &[Header],
        fetch: &mut dyn FnMut(usize) -> Result<Vec<u8>, String>,
        done: &mut dyn FnMut(usize, &Outcome),
    ) -> Result<(), Unusable> {
        let proposals = contexts::proposals(group);
        let mut assoc: Option<ClientAssociation<TcpStream>> = None;
        let mut message_id: u16 = 0;
        let mut attempt = 1;
        let mut k = 0;
        while k < group.len() {
            let i = first + k;
            let a = match assoc.take() {
                Some(a) => a,
                None => match self.open(&proposals) {
                    Ok(Some(a)) => a,
                    Ok(None) => {
                        // no context of any class accepted: each refused, never sent
                        for (j, h) in group.iter().enumerate().skip(k) {
                            done(first + j, &Outcome::failed(contexts::class_refused(h)));
                        }
                        return Ok(());
                    }
                    Err(why) => {
                        for j in k..group.len() {
                            done(first + j, &Outcome::failed(why.0.clone()));
                        }
                        return Err(why);
                    }
                },
            };
            message_id = message_id.wrapping_add(1).max(1);
            match self.store_one(a, &group[k], i, message_id, fetch) {
                Ok((outcome, a)) => {
                    done(i, &outcome);
                    assoc = Some(a);
                    attempt = 1;
                    k += 1;
                }
                Err(broken) => match self.after_break(&broken, attempt) {
                    Some(delay) => {
                        std::thread::sleep(delay);
                        attempt += 1;
                    }
                    None => {
                        let why = format!("{} ({attempt} attempts)", broken.reason);
                        done(i, &Outcome::failed(why));
                        attempt = 1;
                        k += 1;
                    }
                },
            }
        }
        if let Some(a) = assoc {
            // the instances are stored: a release the archive answers badly changes nothing
            let _ = a.release();
        }
        Ok(())
    }

    /// The wait before sending an instance again after its association broke, or `None` when
    /// it is not sent again (the archive aborted in answer to it, or the attempts are spent).
    fn after_break(&self, broken: &Broken, attempt: u32) -> Option<Duration> {
        if !broken.retry {
            return None;
        }
        match decide(&self.policy, attempt, false, &Attempt::NetworkError) {
            Decision::RetryAfter { delay_ms } => Some(Duration::from_millis(delay_ms)),
            _ => None,
        }
    }

    /// Opens an association, retrying network errors as the policy allows; `None` when the
    /// archive accepted none of the contexts (the instances are refused, the destination is
    /// not unusable: the next group's classes may be accepted).
    fn open(
        &mut self,
        proposals: &[Proposal],
    ) -> Result<Option<ClientAssociation<TcpStream>>, Unusable> {
        let mut attempt = 1;
        loop {
            match association::open(self.target, proposals) {
                Ok(a) => {
                    self.counters.associations += 1;
                    return Ok(Some(a));
                }
                Err(OpenError::Rejected(why)) => return Err(Unusable(why)),
                Err(OpenError::NoContext) => return Ok(None),
                Err(OpenError::Network(why)) => {
                    match decide(&self.policy, attempt, false, &Attempt::NetworkError) {
                        Decision::RetryAfter { delay_ms } => {
                            std::thread::sleep(Duration::from_millis(delay_ms));
                            attempt += 1;
                        }
                        _ => return Err(Unusable(format!("{why} ({attempt} attempts)"))),
                    }
                }
            }
        }
    }

    /// Stores one instance. `Ok` with the association to go on with, or `Err` when the
    /// association broke (it is aborted; the instance may be sent again on a new one).
    fn store_one(
        &mut self,
        mut a: ClientAssociation<TcpStream>,
        h: &Header,
        i: usize,
        message_id: u16,
        fetch: &mut dyn FnMut(usize) -> Result<Vec<u8>, String>,
    ) -> Result<(Outcome, ClientAssociation<TcpStream>), Broken> {
        let (context, reencode) = match contexts::route(h, association::accepted(&a)) {
            Route::AsIs(c) => (c, false),
            Route::Reencoded(c) => (c, true),
            Route::Refused(why) => return Ok((Outcome::failed(why), a)),
        };
        let dataset = match fetch(i).and_then(|bytes| wire_dataset(h, &bytes, reencode)) {
            Ok(d) => d,
            Err(why) => return Ok((Outcome::failed(why), a)),
        };
        self.counters.requests += 1;
        self.counters.bytes += dataset.len() as u64;
        let sent = association::store(
            &mut a,
            context,
            message_id,
            &h.sop_class,
            &h.sop_instance,
            &dataset,
        );
        match sent {
            Ok(rsp) => Ok((Outcome::of_status(rsp.status, rsp.comment), a)),
            Err(broken) => {
                let _ = a.abort();
                Err(broken)
            }
        }
    }
}

/// The data set of a file as it goes on the wire (re-encoded when its context asks for it).
fn wire_dataset(h: &Header, bytes: &[u8], reencode: bool) -> Result<Vec<u8>, String> {
    let dataset = bytes
        .get(h.dataset_offset..)
        .ok_or("its file meta group is longer than the file")?;
    if reencode {
        instance::to_explicit_le(dataset)
    } else {
        Ok(instance::on_the_wire(&h.transfer_syntax, dataset).into_owned())
    }
}
