//! The one read-only walk over a data set: every element at every depth, in order, a sequence
//! element before the elements of its items, bounded by [`MAX_DEPTH`] (depth as defined in
//! [`crate::limits`]: a sequence inside 64 others is not entered). The identifier
//! collection, the UID collection, the self-check and the preview all walk with it; the rewrite
//! (which consumes and rebuilds the data set) has its own walker with the same depth limit.

use dicom_core::header::Header as _;
use dicom_core::value::Value;
use dicom_core::Tag;
use dicom_object::mem::{InMemDicomObject, InMemElement};

use crate::limits::MAX_DEPTH;

/// Where an element is: the sequences it is inside, from the top level, with the (0-based)
/// index of the item in each.
#[derive(Debug, Clone, Copy)]
pub struct At<'p> {
    /// The sequences and item indexes above the element.
    pub path: &'p [(Tag, usize)],
}

impl At<'_> {
    /// 0 at the top level.
    pub fn depth(&self) -> usize {
        self.path.len()
    }
}

/// Why a walk stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop<E> {
    /// Sequences nested deeper than [`MAX_DEPTH`]: their items were not visited.
    TooDeep,
    /// The visitor's own error.
    Found(E),
}

/// Calls `f` on every element of `obj` at every depth; stops at the first error of `f`, or
/// with [`Stop::TooDeep`] where items lie deeper than [`MAX_DEPTH`].
pub fn try_visit<'a, E>(
    obj: &'a InMemDicomObject,
    f: &mut dyn FnMut(At<'_>, &'a InMemElement) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let mut path = Vec::new();
    walk(obj, &mut path, f)
}

/// Like [`try_visit`] for visitors that cannot fail: what lies deeper than [`MAX_DEPTH`] is not
/// visited (the rewrite refuses such files, so nothing of them is ever written).
pub fn visit<'a>(obj: &'a InMemDicomObject, f: &mut dyn FnMut(At<'_>, &'a InMemElement)) {
    let _ = try_visit::<()>(obj, &mut |at, e| {
        f(at, e);
        Ok(())
    });
}

fn walk<'a, E>(
    obj: &'a InMemDicomObject,
    path: &mut Vec<(Tag, usize)>,
    f: &mut dyn FnMut(At<'_>, &'a InMemElement) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    for e in obj.iter() {
        f(At { path }, e).map_err(Stop::Found)?;
        if let Value::Sequence(seq) = e.value() {
            if path.len() >= MAX_DEPTH {
                return Err(Stop::TooDeep);
            }
            for (i, item) in seq.items().iter().enumerate() {
                path.push((e.tag(), i));
                let r = walk(item, path, f);
                path.pop();
                r?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, Length, PrimitiveValue, VR};

    fn nested(levels: usize) -> InMemDicomObject {
        let mut obj = InMemDicomObject::from_element_iter([DataElement::new(
            Tag(0x0010, 0x0010),
            VR::PN,
            PrimitiveValue::from("DOE^JOHN"),
        )]);
        for _ in 0..levels {
            obj = InMemDicomObject::from_element_iter([DataElement::new(
                Tag(0x0008, 0x1140),
                VR::SQ,
                Value::from(DataSetSequence::new(vec![obj], Length::UNDEFINED)),
            )]);
        }
        obj
    }

    #[test]
    fn visits_every_depth_in_order_with_paths() {
        let obj = nested(3);
        let mut seen = Vec::new();
        visit(&obj, &mut |at, e| {
            seen.push((at.depth(), e.tag(), at.path.to_vec()))
        });
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[3].0, 3);
        assert_eq!(seen[3].1, Tag(0x0010, 0x0010));
        assert_eq!(seen[3].2, vec![(Tag(0x0008, 0x1140), 0); 3]);
    }

    #[test]
    fn stops_too_deep_and_on_the_visitor_error() {
        let deep = nested(MAX_DEPTH + 1);
        assert_eq!(
            try_visit::<()>(&deep, &mut |_, _| Ok(())),
            Err(Stop::TooDeep)
        );
        assert!(try_visit::<()>(&nested(MAX_DEPTH), &mut |_, _| Ok(())).is_ok());
        let r = try_visit(&nested(2), &mut |_, e| {
            if e.tag() == Tag(0x0010, 0x0010) {
                Err("name")
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err(Stop::Found("name")));
    }
}
