import type { ErrorBody } from '@hackmeshi/shared';
import type { MessageKey, MessageParams } from './i18n.js';
import { createStore } from './store.js';

/**
 * A short message at the top of the page. It keeps the message key (not the text), so switching
 * language re-translates it.
 */
export type Notice =
  | { kind: 'info'; key: MessageKey; params?: MessageParams }
  | { kind: 'error'; error: ErrorBody };

/** How long an info notice stays, in milliseconds. Errors stay until dismissed or replaced. */
const INFO_TTL_MS = 5000;

/** The notice shown now, if any. */
export const notice = createStore<Notice | null>(null);
let timer: ReturnType<typeof setTimeout> | null = null;

/** Shows a notice, replacing the current one. */
export function showNotice(next: Notice): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  notice.set(next);
  if (next.kind === 'info') timer = setTimeout(() => notice.set(null), INFO_TTL_MS);
}

/** Removes the current notice. */
export function dismissNotice(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  notice.set(null);
}
