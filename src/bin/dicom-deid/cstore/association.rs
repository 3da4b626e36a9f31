//! One association with the archive (dicom-ul): opened with the proposed presentation contexts
//! and bounded timeouts and PDU sizes, one C-STORE at a time over it, released at the end or
//! aborted when anything goes wrong.

use std::net::TcpStream;
use std::time::Duration;

use dicom_ul::association::Error as UlError;
use dicom_ul::pdu::{PDataValue, PDataValueType, PresentationContextNegotiated};
use dicom_ul::{ClientAssociation, ClientAssociationOptions, Pdu};

use super::address::Target;
use super::contexts::Proposal;
use super::dimse::{parse_response, store_request, StoreResponse};

/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one read or write on the socket may wait (the archive storing a large instance
/// answers within this).
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest PDU this program receives (its A-ASSOCIATE-RQ says so): responses are small.
pub const RECEIVE_MAX_PDU: u32 = 16_384;
/// The largest PDU this program sends, whatever the archive accepts (an archive that says
/// "no limit" still gets PDUs of at most this size).
pub const SEND_MAX_PDU: u32 = 1 << 20;
/// A PDV item's header inside a P-DATA-TF PDU: its length (4), context ID and control header.
const PDV_HEADER: u32 = 6;
/// The largest response command set read (a C-STORE-RSP is a few hundred bytes).
const MAX_RESPONSE: usize = 64 << 10;

/// Why an association broke during a C-STORE (it is then aborted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// What happened.
    pub reason: String,
    /// Whether the instance is worth sending again on a new association: not when the archive
    /// aborted the association itself in answer to it.
    pub retry: bool,
}

impl Broken {
    fn network(reason: String) -> Broken {
        Broken {
            reason,
            retry: true,
        }
    }
}

/// Why an association cannot be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The archive refused the association (A-ASSOCIATE-RJ): never retried.
    Rejected(String),
    /// It accepted none of the proposed presentation contexts (dicom-ul then aborts the
    /// association): every instance is refused, by its SOP class.
    NoContext,
    /// No association: connection refused, timed out, dropped (may be retried).
    Network(String),
}

/// Opens an association proposing the given contexts.
pub fn open(
    target: &Target,
    proposals: &[Proposal],
) -> Result<ClientAssociation<TcpStream>, OpenError> {
    let mut options = ClientAssociationOptions::new()
        .calling_ae_title(target.calling.clone())
        .called_ae_title(target.called.clone())
        .max_pdu_length(RECEIVE_MAX_PDU)
        .connection_timeout(CONNECT_TIMEOUT)
        .read_timeout(IO_TIMEOUT)
        .write_timeout(IO_TIMEOUT);
    for (abstract_syntax, syntaxes) in proposals {
        options = options.with_presentation_context(abstract_syntax.clone(), syntaxes.clone());
    }
    options.establish(target.socket()).map_err(|e| match e {
        UlError::Rejected { association_rj, .. } => OpenError::Rejected(format!(
            "association rejected by {target} ({:?}): {}",
            association_rj.result, association_rj.source
        )),
        UlError::NoAcceptedPresentationContexts { .. } => OpenError::NoContext,
        other => OpenError::Network(format!("cannot associate with {target}: {}", chain(&other))),
    })
}

/// An error with its sources, on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The contexts the archive accepted.
pub fn accepted(assoc: &ClientAssociation<TcpStream>) -> &[PresentationContextNegotiated] {
    assoc.presentation_contexts()
}

/// Sends one C-STORE-RQ (the command, then the data set in PDUs the archive accepts) and reads
/// its response. An error means the association is no longer usable (dropped, aborted, timed
/// out, or the archive answered out of turn). The data set must have an even length.
pub fn store(
    assoc: &mut ClientAssociation<TcpStream>,
    context: u8,
    message_id: u16,
    sop_class: &str,
    sop_instance: &str,
    dataset: &[u8],
) -> Result<StoreResponse, Broken> {
    let command = store_request(message_id, sop_class, sop_instance);
    send_pdv(assoc, context, PDataValueType::Command, &command, true)?;
    // fragments of even length (PS3.8 E.2), within what the archive accepts
    let room = (assoc
        .acceptor_max_pdu_length()
        .min(SEND_MAX_PDU)
        .saturating_sub(PDV_HEADER)
        & !1)
        .max(2) as usize;
    let mut chunks = dataset.chunks(room).peekable();
    if chunks.peek().is_none() {
        send_pdv(assoc, context, PDataValueType::Data, &[], true)?;
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        send_pdv(assoc, context, PDataValueType::Data, chunk, last)?;
    }
    let response = parse_response(&receive_command(assoc)?).map_err(Broken::network)?;
    if response.responding_to != message_id {
        return Err(Broken::network(format!(
            "the archive answered message {} while {message_id} was waiting",
            response.responding_to
        )));
    }
    Ok(response)
}

fn send_pdv(
    assoc: &mut ClientAssociation<TcpStream>,
    context: u8,
    value_type: PDataValueType,
    data: &[u8],
    is_last: bool,
) -> Result<(), Broken> {
    let pdu = Pdu::PData {
        data: vec![PDataValue {
            presentation_context_id: context,
            value_type,
            is_last,
            data: data.to_vec(),
        }],
    };
    assoc
        .send(&pdu)
        .map_err(|e| Broken::network(format!("sending failed: {}", chain(&e))))
}

/// The command set of the next response (its fragments gathered, bounded in size).
fn receive_command(assoc: &mut ClientAssociation<TcpStream>) -> Result<Vec<u8>, Broken> {
    let mut command = Vec::new();
    loop {
        let pdu = assoc
            .receive()
            .map_err(|e| Broken::network(format!("no response: {}", chain(&e))))?;
        let values = match pdu {
            Pdu::PData { data } => data,
            Pdu::AbortRQ { source } => {
                return Err(Broken {
                    reason: format!("the archive aborted the association ({source:?})"),
                    retry: false,
                })
            }
            Pdu::ReleaseRQ => {
                return Err(Broken::network(
                    "the archive released the association".into(),
                ))
            }
            other => {
                return Err(Broken::network(format!(
                    "unexpected {}",
                    other.short_description()
                )))
            }
        };
        for v in values {
            if v.value_type != PDataValueType::Command {
                return Err(Broken::network("the response carries a data set".into()));
            }
            if command.len() + v.data.len() > MAX_RESPONSE {
                return Err(Broken::network(
                    "the response's command set is too large".into(),
                ));
            }
            command.extend_from_slice(&v.data);
            if v.is_last {
                return Ok(command);
            }
        }
    }
}
