import type { ErrorCode } from './errors.js';

/** The error half of every answer: a stable code, a human message, optional structured details. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/**
 * The one answer shape, used for socket acks and HTTP response bodies alike.
 * Handlers return data; the boundary wraps it in this envelope.
 */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

/** Builds a success envelope. */
export const okAck = <T>(data: T): Ack<T> => ({ ok: true, data });

/** Builds an error envelope. */
export const errAck = (code: ErrorCode, message: string, details?: unknown): Ack<never> => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});
