/** Builders shared by the chat client's unit tests. */
import type { Message } from '@hackmeshi/shared';

export const CONV = '00000000-0000-4000-8000-000000000001';
export const ME = '00000000-0000-4000-8000-00000000000a';
export const OTHER = '00000000-0000-4000-8000-00000000000b';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A message at `seq` (its rev defaults to its seq, as when first posted). */
export function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: uuid(1000 + seq),
    conversationId: CONV,
    seq,
    rev: seq,
    senderId: OTHER,
    body: `message ${seq}`,
    nonce: uuid(5000 + seq),
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    editedAt: null,
    deletedAt: null,
    ...over,
  };
}

/** Messages `from`..`to` inclusive. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));
