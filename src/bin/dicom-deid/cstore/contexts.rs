//! Presentation contexts: what an association proposes for the instances it carries, and which
//! accepted context (if any) carries each instance.
//!
//! One context is proposed for each SOP class and transfer syntax present, with that transfer
//! syntax alone, so that the archive cannot pick another for it. Each SOP class also gets one
//! context offering Explicit and Implicit VR Little Endian (the archive picks one): it carries
//! an instance in Implicit VR Little Endian re-encoded when the archive takes only Explicit VR
//! (the one re-encoding allowed, see `instance.rs`), and it tells a refused transfer syntax from
//! a refused SOP class (dicom-ul keeps the accepted contexts only, not the reasons of the
//! others). An instance is sent in its own transfer syntax when that context was accepted, else
//! re-encoded when it can be, else not sent (the reason said).

use std::collections::BTreeSet;

use dicom_transfer_syntax_registry::entries::{
    EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};
use dicom_ul::pdu::PresentationContextNegotiated;

use super::instance::{reencodable, Header};

/// At most 128 presentation contexts in one association (odd IDs 1 to 255, PS3.8 9.3.2.2).
pub const MAX_CONTEXTS: usize = 128;

/// One proposed presentation context: an abstract syntax (SOP class) and the transfer syntaxes
/// offered for it.
pub type Proposal = (String, Vec<String>);

/// The contexts an association proposes, one each.
pub fn proposals<'a>(headers: impl IntoIterator<Item = &'a Header>) -> Vec<Proposal> {
    let mut set = BTreeSet::new();
    for h in headers {
        for pair in wanted(h) {
            set.insert(pair);
        }
    }
    set.into_iter().collect()
}

/// The contexts one instance needs: its own, then its class's in the uncompressed little
/// endian syntaxes.
fn wanted(h: &Header) -> [Proposal; 2] {
    [
        (h.sop_class.clone(), vec![h.transfer_syntax.clone()]),
        (
            h.sop_class.clone(),
            vec![
                EXPLICIT_VR_LITTLE_ENDIAN.uid().to_string(),
                IMPLICIT_VR_LITTLE_ENDIAN.uid().to_string(),
            ],
        ),
    ]
}

/// Splits the instances (in order) into runs whose proposals fit in one association.
pub fn groups(headers: &[Header]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut seen: BTreeSet<Proposal> = BTreeSet::new();
    for (i, h) in headers.iter().enumerate() {
        let new: Vec<_> = wanted(h)
            .into_iter()
            .filter(|p| !seen.contains(p))
            .collect();
        if seen.len() + new.len() > MAX_CONTEXTS {
            out.push(start..i);
            start = i;
            seen.clear();
            seen.extend(wanted(h));
        } else {
            seen.extend(new);
        }
    }
    if start < headers.len() {
        out.push(start..headers.len());
    }
    out
}

/// How one instance goes over an association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// In its own transfer syntax, on this context.
    AsIs(u8),
    /// Re-encoded as Explicit VR Little Endian, on this context.
    Reencoded(u8),
    /// Not sent: the archive accepted no context that can carry it.
    Refused(String),
}

/// The route of an instance over the contexts the archive accepted.
pub fn route(h: &Header, accepted: &[PresentationContextNegotiated]) -> Route {
    let find = |ts: &str| {
        accepted
            .iter()
            .find(|c| trim(&c.abstract_syntax) == h.sop_class && trim(&c.transfer_syntax) == ts)
            .map(|c| c.id)
    };
    if let Some(id) = find(&h.transfer_syntax) {
        return Route::AsIs(id);
    }
    if reencodable(&h.transfer_syntax) {
        if let Some(id) = find(EXPLICIT_VR_LITTLE_ENDIAN.uid()) {
            return Route::Reencoded(id);
        }
    }
    let class_accepted = accepted
        .iter()
        .any(|c| trim(&c.abstract_syntax) == h.sop_class);
    Route::Refused(if class_accepted {
        format!(
            "transfer syntax {} refused by the archive (not transcoded)",
            h.transfer_syntax
        )
    } else {
        class_refused(h)
    })
}

/// Why an instance is not sent when the archive accepted no context of its SOP class (its own
/// transfer syntax and the uncompressed ones were all proposed).
pub fn class_refused(h: &Header) -> String {
    format!(
        "SOP class {} refused by the archive (in {} and in Explicit and Implicit VR Little Endian)",
        h.sop_class, h.transfer_syntax
    )
}

fn trim(s: &str) -> &str {
    s.trim_end_matches(['\0', ' '])
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_ul::pdu::PresentationContextResultReason;

    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
    const IMPLICIT: &str = "1.2.840.10008.1.2";
    const EXPLICIT: &str = "1.2.840.10008.1.2.1";
    const JPEG_LS: &str = "1.2.840.10008.1.2.4.81";

    fn header(class: &str, ts: &str) -> Header {
        Header {
            sop_class: class.into(),
            sop_instance: "1.2.3".into(),
            transfer_syntax: ts.into(),
            dataset_offset: 0,
        }
    }

    fn accepted(id: u8, class: &str, ts: &str) -> PresentationContextNegotiated {
        PresentationContextNegotiated {
            id,
            reason: PresentationContextResultReason::Acceptance,
            abstract_syntax: class.into(),
            transfer_syntax: ts.into(),
        }
    }

    #[test]
    fn each_class_and_syntax_is_proposed_once_and_each_class_in_the_uncompressed_syntaxes() {
        let hs = [
            header(CT, IMPLICIT),
            header(CT, JPEG_LS),
            header(CT, IMPLICIT),
        ];
        let p = proposals(&hs);
        let ctx =
            |a: &str, ts: &[&str]| (a.to_string(), ts.iter().map(|t| t.to_string()).collect());
        assert_eq!(
            p,
            vec![
                ctx(CT, &[IMPLICIT]),
                ctx(CT, &[EXPLICIT, IMPLICIT]),
                ctx(CT, &[JPEG_LS])
            ]
        );
    }

    #[test]
    fn an_instance_goes_as_is_or_reencoded_or_is_refused_with_a_reason() {
        let ctx = [accepted(1, CT, EXPLICIT), accepted(3, CT, EXPLICIT)];
        assert_eq!(route(&header(CT, EXPLICIT), &ctx), Route::AsIs(1));
        assert_eq!(route(&header(CT, IMPLICIT), &ctx), Route::Reencoded(1));
        let Route::Refused(why) = route(&header(CT, JPEG_LS), &ctx) else {
            panic!("a JPEG-LS instance has no context here");
        };
        assert!(why.contains("not transcoded"), "{why}");
        let Route::Refused(why) = route(&header("1.2.9", EXPLICIT), &ctx) else {
            panic!("an unknown class has no context here");
        };
        assert!(why.contains("SOP class 1.2.9 refused"), "{why}");
        // the class's uncompressed context accepted, its JPEG-LS one not: a transfer syntax
        let ctx = [accepted(5, CT, IMPLICIT)];
        assert_eq!(route(&header(CT, IMPLICIT), &ctx), Route::AsIs(5));
        let Route::Refused(why) = route(&header(CT, JPEG_LS), &ctx) else {
            panic!("a JPEG-LS instance has no context here");
        };
        assert!(
            why.contains(&format!("transfer syntax {JPEG_LS} refused")),
            "{why}"
        );
        // nothing accepted (an archive that takes none of the contexts): the class
        let Route::Refused(why) = route(&header(CT, JPEG_LS), &[]) else {
            panic!("no context at all");
        };
        assert!(why.starts_with(&format!("SOP class {CT} refused")), "{why}");
    }

    #[test]
    fn more_pairs_than_one_association_takes_are_split_into_groups() {
        let hs: Vec<Header> = (0..300)
            .map(|i| header(&format!("1.2.{i}"), EXPLICIT))
            .collect();
        let g = groups(&hs);
        // two contexts a class: its own syntax, and the uncompressed pair
        assert_eq!(g, vec![0..64, 64..128, 128..192, 192..256, 256..300]);
        assert!(g
            .iter()
            .all(|r| proposals(&hs[r.clone()]).len() <= MAX_CONTEXTS));
    }
}
