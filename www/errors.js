// The one error type of the API: a readable message and a stable `code`.

/** Codes of DeidError, in the order a run meets them. */
export const ERROR_CODES = ['unsupported', 'bad-options', 'bad-mapping', 'bad-key', 'io', 'aborted'];

/**
 * An error of the de-identifier: `code` says what kind ('bad-options', 'bad-mapping',
 * 'bad-key', 'aborted', 'unsupported', 'io'), `message` says what happened in words,
 * `cause` keeps the underlying error when there is one.
 */
export class DeidError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'DeidError';
    this.code = ERROR_CODES.includes(code) ? code : 'io';
  }
}

/** The message of anything thrown (a JsError from the engine, a DOMException, a string). */
export function messageOf(e) {
  return String((e && e.message) || e);
}

/** `e` as a DeidError: kept when it already is one, else given `code` and `prefix`. */
export function asDeidError(e, code, prefix = '') {
  if (e instanceof DeidError) return e;
  return new DeidError(code, `${prefix}${messageOf(e)}`, { cause: e });
}
