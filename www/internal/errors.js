// The one error type of the API: a readable message and a stable `code`.
import { ENGINE_CODES } from './engine-codes.js';

/** Codes of DeidError, in the order a run meets them. */
export const ERROR_CODES = ['unsupported', 'bad-options', 'bad-mapping', 'bad-key', 'io', 'unvouched', 'send', 'aborted'];

/**
 * An error of the de-identifier: `code` says what kind ('bad-options', 'bad-mapping',
 * 'bad-key', 'aborted', 'unsupported', 'io', 'unvouched': a zip to send that its signed
 * statement and manifest do not vouch for, 'send'), `message` says what happened in words,
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

/** The API's code for the input an engine error blames (engine-codes.js, generated from src/codes.rs). */
const API_CODES = { options: 'bad-options', mapping: 'bad-mapping', key: 'bad-key' };

/** The DeidError code of an engine error, or undefined (not from the engine, or no input at fault). */
export function engineCode(e) {
  const input = e && typeof e.code === 'string' && Object.hasOwn(ENGINE_CODES, e.code) ? ENGINE_CODES[e.code] : null;
  return input ? API_CODES[input] : undefined;
}

/**
 * `e` as a DeidError: kept when it already is one; an engine error whose code names the input
 * at fault gets that code; anything else gets `code`; the message is prefixed with `prefix`.
 */
export function asDeidError(e, code, prefix = '') {
  if (e instanceof DeidError) return e;
  return new DeidError(engineCode(e) || code, `${prefix}${messageOf(e)}`, { cause: e });
}
