//! The integration tests, one binary (one link for the whole native test build): one module a
//! subject, in `tests/tests/<name>.rs`, and the helpers they share in `tests/support/`.
//!
//! To add a module: write `tests/tests/<name>.rs` (helpers of its own as submodules in
//! `tests/tests/<name>/`), import what it shares with `use crate::support::...;` (the one secret,
//! walker, CLI and in-process runners, PHI checker, OCR oracle) and add `mod <name>;` to the
//! list below, in order. Run one module with `cargo test --release --test tests <name>::`.
//! Only a test that needs a process of its own (a `#[global_allocator]`: `tests/alloc_cap/`)
//! or the wasm32 target (`tests/wasm*.rs`) is a binary apart.

mod support;

/// One module a subject (`tests/tests/<name>.rs`).
mod tests {
    mod audit;
    mod cjk;
    mod cli;
    mod codestream_text;
    mod corpus;
    mod ctp_functions;
    mod deliver_cstore;
    mod deliver_stow;
    mod deliver_vouched;
    mod hostile;
    mod iod;
    mod j2k;
    mod jpegls;
    mod module_graph;
    mod ocr_oracle;
    mod orthanc_oracle;
    mod pixel_loops;
    mod pixel_tail;
    mod pixels;
    mod planted;
    mod profile_table;
    mod real_files;
    mod recipe;
    mod recipe_cli;
    mod recipe_ctp_actions;
    mod recipe_import;
    mod recipe_iod;
    mod rerun;
    mod scan_prefix;
    mod shards;
    mod statement;
    mod workflow;
    mod zip64_large;
}
