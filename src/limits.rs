//! Every limit the engine puts on an input, in one place, with the one definition of each.
//!
//! - **Nesting** ([`MAX_DEPTH`]): a sequence's depth is the number of sequences it is inside,
//!   plus one (a top-level sequence has depth 1; the elements of its items are at depth 1).
//!   Sequences up to depth 64 are accepted; a sequence at depth 65, even an empty one, is
//!   refused with [`too_deep`], by every walk alike (the structural check, the UN normaliser,
//!   the rewrite and the read-only walk).
//! - **Size of one file** ([`MAX_FILE_BYTES`]): the most bytes one file may occupy once
//!   inflated, whether it is a zip entry or a deflated data set: 4 GiB where memory is 64-bit,
//!   1 GiB on 32-bit targets (wasm32 addresses 4 GiB in all, and a file is held with its
//!   output). Sizes are absolute, never ratios: a sparse segmentation compresses 500 times and
//!   is legitimate; a bomb is stopped when the bytes it inflates to pass the cap, counted while
//!   inflating, before they are kept.
//! - **Memory of one file** ([`memory_budget`]): while a file is scanned, planned and
//!   rewritten, the engine's heap grows by at most 64 MiB + 4 × the file's size (the size of
//!   its data set as read: inflated, for a deflated one). Lengths are checked against the
//!   bytes that remain; the number of items and elements, which cost far more in memory than
//!   in the file, is counted by the structural walk before dicom-rs parses anything, and a file
//!   whose in-memory form ([`in_memory_estimate`]) would not fit is refused ([`over_budget`]).

/// Maximum depth of nested sequences (see the module's definition).
pub const MAX_DEPTH: usize = 64;

/// The reason given for a sequence deeper than [`MAX_DEPTH`].
pub fn too_deep() -> String {
    format!("sequences nested deeper than {MAX_DEPTH} (a sequence inside {MAX_DEPTH} others)")
}

/// The most bytes one file may occupy once inflated (a zip entry, a deflated data set).
pub const MAX_FILE_BYTES: u64 = if usize::BITS >= 64 { 4 << 30 } else { 1 << 30 };

/// The fixed part of [`memory_budget`].
pub const MEMORY_BASE: u64 = 64 << 20;

/// The heap a file of `len` bytes may take while it is scanned, planned and rewritten:
/// 64 MiB + 4 × its size.
pub fn memory_budget(len: u64) -> u64 {
    MEMORY_BASE.saturating_add(len.saturating_mul(4))
}

/// Heap bytes charged for each data set element: its `InMemElement` and its share of the
/// object's map nodes, in the copies alive at once (the parsed object and the rewrite's).
/// Measured with the counting allocator of `tests/alloc_cap/main.rs`: about 225 bytes per element
/// in a data set of many elements, about 55 per extra element of a small item.
pub const ELEMENT_COST: u64 = 256;
/// Heap bytes charged for each item: an `InMemDicomObject` of its own, whose first element
/// allocates a whole map node, in each copy. Measured: about 2,700 bytes per item of one
/// element (with [`ELEMENT_COST`], 2,816 are charged), 250 per empty item.
pub const ITEM_COST: u64 = 2560;
/// Heap bytes charged for each fragment of encapsulated pixel data (a `Vec` each).
pub const FRAGMENT_COST: u64 = 64;
/// The part of [`memory_budget`] left for everything but the objects' elements and items:
/// the engine's own tables (this fixed part), and the copies of the file's bytes (the input's
/// normalised or inflated copy and the output: 2 × its size, see [`over_budget`]).
pub const RESERVED: u64 = 16 << 20;

/// What the structural walk counted in a data set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data elements, at every depth (items' elements included; fragments not).
    pub elements: u64,
    /// Sequence items, at every depth.
    pub items: u64,
    /// Fragments of encapsulated pixel data (the offset table included).
    pub fragments: u64,
}

/// The heap the parsed and rewritten objects of a data set with these counts may take.
pub fn in_memory_estimate(c: Counts) -> u64 {
    c.elements
        .saturating_mul(ELEMENT_COST)
        .saturating_add(c.items.saturating_mul(ITEM_COST))
        .saturating_add(c.fragments.saturating_mul(FRAGMENT_COST))
}

/// Why a data set of `len` bytes with these counts is refused, or `None` when its in-memory
/// form fits in [`memory_budget`] less what is [`RESERVED`] for the rest and 2 × `len`.
pub fn over_budget(c: Counts, len: u64) -> Option<String> {
    let estimate = in_memory_estimate(c);
    let room = memory_budget(len)
        .saturating_sub(RESERVED)
        .saturating_sub(len.saturating_mul(2));
    (estimate > room).then(|| {
        format!(
            "{} elements and {} items in {len} bytes: their in-memory form (about {} MiB) \
             exceeds the memory budget of a file this size ({} MiB: 64 MiB + 4 x its size)",
            c.elements,
            c.items,
            estimate >> 20,
            memory_budget(len) >> 20
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_64_mib_plus_4_times_the_size() {
        assert_eq!(memory_budget(0), 64 << 20);
        assert_eq!(memory_budget(10 << 20), 104 << 20);
        assert_eq!(memory_budget(u64::MAX), u64::MAX);
    }

    #[test]
    fn ordinary_counts_fit_and_a_flood_of_items_does_not() {
        // A 512x512 CT slice: ~150 elements, a few items.
        let ct = Counts {
            elements: 150,
            items: 4,
            fragments: 0,
        };
        assert_eq!(over_budget(ct, 530_000), None);
        // 600,000 items of one element each in 12 MB.
        let flood = Counts {
            elements: 600_001,
            items: 600_000,
            fragments: 0,
        };
        let why = over_budget(flood, 12_000_000).unwrap_or_default();
        assert!(why.contains("600000 items"), "{why}");
        assert!(why.contains("memory budget"), "{why}");
    }

    #[test]
    fn the_depth_message_names_the_limit() {
        assert!(too_deep().contains("deeper than 64"));
    }
}
