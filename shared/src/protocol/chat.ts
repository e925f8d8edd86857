import { z } from 'zod';
import { Id } from './common.js';

/** Longest chat message, in characters. */
export const MESSAGE_MAX_LENGTH = 2000;

/** Message text: trimmed, not blank, at most MESSAGE_MAX_LENGTH. */
export const MessageBody = z
  .string()
  .trim()
  .min(1, 'message is empty')
  .max(MESSAGE_MAX_LENGTH, `at most ${MESSAGE_MAX_LENGTH} characters`);

/**
 * One chat message, in any conversation (match, room, meetup, community). `seq` is its place in
 * the conversation: 1, 2, 3… with no holes (a deleted message stays as a tombstone). `rev` is the
 * conversation's change counter at this message's last change (post, edit or delete), so a client
 * can ask for everything that changed since the `rev` it last saw.
 */
export const Message = z.object({
  id: Id,
  conversationId: Id,
  seq: z.number().int().positive(),
  rev: z.number().int().positive(),
  senderId: Id,
  /** Empty once deleted. */
  body: z.string(),
  /** The client's idempotency key, echoed so the sending tab can match its pending copy. */
  nonce: Id,
  createdAt: z.iso.datetime(),
  editedAt: z.iso.datetime().nullable(),
  deletedAt: z.iso.datetime().nullable(),
});
export type Message = z.infer<typeof Message>;

/** chat:send. A retry must reuse the nonce; the server then returns the original. */
export const SendMessage = z.object({ conversationId: Id, nonce: Id, body: MessageBody }).strict();
/** Ack of chat:send, sent only after the message is committed. */
export const SendAck = z.object({ id: Id, seq: z.number().int(), rev: z.number().int(), createdAt: z.iso.datetime() });

export const EditMessage = z.object({ conversationId: Id, messageId: Id, body: MessageBody }).strict();
export const DeleteMessage = z.object({ conversationId: Id, messageId: Id }).strict();

/** A member's read position. */
export const ReadState = z.object({ userId: Id, lastReadSeq: z.number().int().nonnegative() });
export type ReadState = z.infer<typeof ReadState>;

/**
 * chat:sync: what changed since the client's last `seq` (new messages) and last `rev` (edits
 * and deletions of older ones). Use after a reconnect or on a gap. Without `afterRev`, only new
 * messages come back.
 */
export const SyncRequest = z
  .object({
    conversationId: Id,
    afterSeq: z.number().int().nonnegative(),
    afterRev: z.number().int().nonnegative().optional(),
  })
  .strict();
export const SyncResult = z.object({
  /** New messages (seq > afterSeq) and changed older ones (rev > afterRev), in seq order. */
  messages: z.array(Message),
  /** Latest seq and rev in the conversation: the client's new cursors once `hasMore` is false. */
  lastSeq: z.number().int(),
  rev: z.number().int(),
  /** More new messages than one answer holds: sync again from the last seq received. */
  hasMore: z.boolean(),
  /** Every member's read position. */
  readStates: z.array(ReadState),
});
export type SyncResult = z.infer<typeof SyncResult>;

/** chat:history and GET /api/conversations/:id/messages: older messages, by seq cursor. */
export const HistoryRequest = z
  .object({
    conversationId: Id,
    /** Messages with seq below this; omit for the newest. */
    beforeSeq: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .strict();
export const HistoryQuery = z
  .object({
    beforeSeq: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .strict();
export const HistoryResult = z.object({
  /** In seq order, oldest first. */
  messages: z.array(Message),
  /** Older messages exist before the first one returned. */
  hasMore: z.boolean(),
});
export type HistoryResult = z.infer<typeof HistoryResult>;

/** chat:read: the reader has seen everything up to `seq`. Read positions never move backwards. */
export const MarkRead = z.object({ conversationId: Id, seq: z.number().int().nonnegative() }).strict();

/** Broadcast when a member's read position moves (read receipts, unread counts on other devices). */
export const ReadUpdated = z.object({ conversationId: Id, userId: Id, lastReadSeq: z.number().int() });

/** How long a typing indicator lasts without a refresh, in ms. Clients refresh about every 3 s. */
export const TYPING_TTL_MS = 5_000;

/** chat:typing */
export const Typing = z.object({ conversationId: Id, typing: z.boolean() }).strict();
/** Broadcast to the other members. `typing: true` expires by itself after `ttlMs`. */
export const TypingUpdated = z.object({
  conversationId: Id,
  userId: Id,
  typing: z.boolean(),
  ttlMs: z.number().int(),
});

/** chat:watch: start or stop receiving a public-read conversation live. */
export const Watch = z.object({ conversationId: Id, watching: z.boolean() }).strict();
