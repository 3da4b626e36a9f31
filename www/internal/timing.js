// Timers of the delivery modules (stow.js, s3-upload.js): an attempt's time limit joined to
// the caller's abort signal, and a wait that an abort cuts short.
import { DeidError } from './errors.js';

/**
 * `signal` and a timeout of `ms` as one signal; `done()` releases them. On timeout the signal
 * aborts with an 'io' DeidError, its message prefixed with `what` when given.
 * @param {AbortSignal} signal
 * @param {number} ms
 * @param {string} [what]
 */
export function withTimeout(signal, ms, what) {
  const c = new AbortController();
  const stop = () => c.abort(signal.reason);
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  const late = `${what ? `${what}: ` : ''}no answer within ${ms / 1000} s`;
  const timer = setTimeout(() => c.abort(new DeidError('io', late)), ms);
  return {
    signal: c.signal,
    done: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    },
  };
}

/**
 * Waits `ms`, or rejects when `signal` aborts, with `reason()` (by default the signal's reason).
 * @param {number} ms
 * @param {AbortSignal} signal
 * @param {() => unknown} [reason]
 */
export function sleep(ms, signal, reason = () => signal.reason) {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(t);
      reject(reason());
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(undefined);
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
}
