import type { ErrorBody } from '@hackmeshi/shared';
import type { MessageKey, MessageParams, Translate } from '../i18n.js';

/** A message to show, kept as a key so it follows the language switcher. */
export interface Msg {
  key: MessageKey;
  params?: MessageParams;
}

/** Per-field messages of a form. */
export type FieldErrors<F extends string> = Partial<Record<F, Msg>>;

/** What the form-level error line shows: the "check the fields" hint, or a server error. */
export type FormError = { kind: 'fields' } | { kind: 'server'; error: ErrorBody } | null;

/**
 * Maps validation issues (zod's on the client, or the server's INVALID_PAYLOAD details, which
 * have the same `{ path, message }` shape) to per-field messages. The rule for each field is
 * stated in the user's language, rather than echoing zod's English text.
 */
export function fieldErrorsFrom<F extends string>(issues: unknown, rules: Record<F, Msg>): FieldErrors<F> {
  const errors: FieldErrors<F> = {};
  if (!Array.isArray(issues)) return errors;
  for (const issue of issues) {
    const path: unknown = (issue as { path?: unknown } | null)?.path;
    const first = Array.isArray(path) ? path[0] : typeof path === 'string' ? path.split('.')[0] : undefined;
    const field = String(first) as F;
    if (field in rules) errors[field] = rules[field];
  }
  return errors;
}

/** Translates a `Msg`, if there is one. */
export function tr(t: Translate, msg: Msg | undefined): string | undefined {
  return msg ? t(msg.key, msg.params) : undefined;
}
