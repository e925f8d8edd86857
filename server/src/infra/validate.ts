import { ErrorCode } from '@hackmeshi/shared';
import type { z } from 'zod';
import { AppError } from './errors.js';

/** One validation problem, as sent to clients in `error.details`. */
export interface Issue {
  path: string;
  message: string;
}

/** Parses untrusted input with a shared schema; failure is INVALID_PAYLOAD listing each issue. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const details: Issue[] = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new AppError(ErrorCode.INVALID_PAYLOAD, 'Invalid input', { details });
}
