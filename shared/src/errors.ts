/**
 * Every error code the server can answer with, over HTTP or in a socket ack.
 *
 * The client switches on these codes; the `message` beside them is for people and may change.
 */
export const ErrorCode = {
  /** The payload or body failed schema validation; `details` lists the issues. */
  INVALID_PAYLOAD: 'INVALID_PAYLOAD',
  /** The request body exceeds the configured size cap. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** No valid session: sign in first. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Signed in, but not allowed to do this. */
  FORBIDDEN: 'FORBIDDEN',
  /** Handle or password wrong; deliberately does not say which. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** The thing does not exist, or the caller may not know it exists. */
  NOT_FOUND: 'NOT_FOUND',
  /** The handle is already taken. */
  HANDLE_TAKEN: 'HANDLE_TAKEN',
  /** Generic conflict with the current state. */
  CONFLICT: 'CONFLICT',
  /** The voice room is at capacity. */
  ROOM_FULL: 'ROOM_FULL',
  /** The voice room has closed (ended by the host, or empty past the grace period). */
  ROOM_CLOSED: 'ROOM_CLOSED',
  /** Too many requests; `details.retryAfterMs` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The browser page's Origin is not in the server's allowlist. */
  ORIGIN_NOT_ALLOWED: 'ORIGIN_NOT_ALLOWED',
  /** Client and server speak different protocol versions; reload the client. */
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
  /** A dependency (database, Redis) is briefly unavailable; safe to retry. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** Anything unexpected. The real error is logged on the server, never sent. */
  INTERNAL: 'INTERNAL',
} as const;

/** Union of all error code strings. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes after which the same request may succeed if simply sent again (with the same nonce). */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.RATE_LIMITED,
  ErrorCode.UNAVAILABLE,
]);
