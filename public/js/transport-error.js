/**
 * Why a transport could not bind or stopped working. `kind` drives what the connection
 * does next:
 * - `unreachable`: no answer at the transport level (refused, reset, timed out, blocked);
 *   retry with backoff, and in automatic mode consider falling back to long-poll.
 * - `auth`: the server refused the credentials (V1 401); retrying cannot help.
 * - `rejected`: the server answered the bind with another V1 error; `code` tells whether
 *   waiting could help (429, 5xx) or not (400, 403, 409).
 * - `session-lost`: the long-poll session is gone (404); bind again with `since`.
 */
export class TransportError extends Error {
  /**
   * @param {'unreachable'|'auth'|'rejected'|'session-lost'} kind
   * @param {string} message a short English reason, shown to the person
   * @param {number} [code] the V1 or HTTP code when the server gave one
   */
  constructor(kind, message, code = 0) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
    this.code = code;
  }

  /** Whether trying the same bind again later might succeed. */
  get isRetryable() {
    if (this.kind === 'auth') {
      return false;
    }
    if (this.kind === 'rejected') {
      return this.code === 429 || this.code >= 500;
    }
    return true;
  }
}

/** Maps a failed V1 bind reply to the error the connection acts on. */
export function bindFailure(reply) {
  const code = Number(reply.code) || 0;
  const reason = typeof reply.msg === 'string' && reply.msg ? reply.msg : `error ${code}`;
  return new TransportError(code === 401 ? 'auth' : 'rejected', reason, code);
}
