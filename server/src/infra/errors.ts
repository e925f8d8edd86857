import { ErrorCode } from '@hackmeshi/shared';

/** An error the client is meant to see: a code from `shared/`, a safe message, optional details. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, opts: { details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.details = opts.details;
  }
}

/** HTTP status for each error code. */
export const httpStatusOf: Record<ErrorCode, number> = {
  INVALID_PAYLOAD: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ORIGIN_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  HANDLE_TAKEN: 409,
  CONFLICT: 409,
  ROOM_FULL: 409,
  ROOM_CLOSED: 410,
  PROTOCOL_MISMATCH: 426,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/**
 * Postgres SQLSTATEs meaning "the database is not reachable right now": retryable, not a bug.
 * 58030 is an I/O error, such as a commit whose fsync failed: PostgreSQL then drops every
 * connection, while embedded PGlite reports it on the statement (and its worker exits).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300', '58030']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * Maps any thrown value to an AppError. Known AppErrors pass through; a lost database connection,
 * or a wait for a free pooled connection that timed out (an overloaded database, as in a reconnect
 * storm), becomes the retryable UNAVAILABLE; anything else becomes INTERNAL (its message is never
 * sent).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code))) {
    return new AppError(ErrorCode.UNAVAILABLE, 'Service temporarily unavailable, please retry', { cause: err });
  }
  if (err instanceof Error && /Connection terminated|connection.*(closed|ended)|timeout exceeded when trying to connect/i.test(err.message)) {
    return new AppError(ErrorCode.UNAVAILABLE, 'Service temporarily unavailable, please retry', { cause: err });
  }
  return new AppError(ErrorCode.INTERNAL, 'Internal error', { cause: err });
}
