// Generated from the engine's Rust types by src/typescript.rs: do not edit. Run
// `UPDATE_GENERATED=1 cargo test --release --lib typescript` after changing them.

/**
 * The engine's error codes (the `code` of an Error the wasm bindings throw, src/codes.rs), each
 * with the input it blames ('options', 'mapping', 'key'), or null: none of the user's.
 * @type {Readonly<Record<import('../engine-types').EngineErrorCode, 'options' | 'mapping' | 'key' | null>>}
 */
export const ENGINE_CODES = Object.freeze({
  bad_options: 'options',
  empty_secret: 'options',
  id_space_too_small: 'options',
  bad_mapping: 'mapping',
  mapping_dates_not_shifted: 'mapping',
  bad_key: 'key',
  bad_spec: null,
  bad_value: null,
  bad_zip: null,
  unreadable: null,
  zip_output: null,
  bad_ledger: null,
  bad_stow_response: null,
  bad_stow_request: null,
});
