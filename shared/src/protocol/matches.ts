import { z } from 'zod';
import { CardRef } from './cards.js';
import { Id, Presence, UserSummary } from './common.js';

/** A 1-on-1 match as one of its two members sees it, in the match list. */
export const Match = z.object({
  id: Id,
  /** The chat of this match (the shared conversation mechanism). */
  conversationId: Id,
  /** The other person. */
  other: UserSummary,
  otherPresence: Presence,
  /** The cards that brought them together: the viewer's card the other liked, and vice versa. Null when accepted from the list. */
  myCard: CardRef.nullable(),
  theirCard: CardRef.nullable(),
  createdAt: z.iso.datetime(),
  /** Time of the last message, or of the match; the list is ordered by it, newest first. */
  lastActivityAt: z.iso.datetime(),
  /** Preview of the last message (empty if none or deleted). */
  lastMessage: z.string(),
  /** Latest message seq in the conversation. */
  lastSeq: z.number().int(),
  /** lastSeq minus the viewer's last-read seq. */
  unread: z.number().int(),
  /** The other member's last-read seq, for "read" ticks. */
  otherLastReadSeq: z.number().int(),
});
export type Match = z.infer<typeof Match>;

/** Pushed to the other member when a match ends. No reason is given. */
export const MatchEnded = z.object({ matchId: Id, conversationId: Id });

/**
 * To a user's match partners: they came online (first connection anywhere) or went offline (last
 * connection closed, or their node died and the lease ran out). Idle is not pushed; it is read.
 */
export const PresenceChanged = z.object({ userId: Id, presence: Presence });

/** Report reasons a user can pick. */
export const ReportReason = z.enum(['spam', 'harassment', 'inappropriate', 'impersonation', 'other']);

/** POST /api/reports */
export const CreateReportBody = z
  .object({
    userId: Id,
    reason: ReportReason,
    /** Optional context, or the message being reported. */
    message: z.string().trim().max(1000).optional(),
  })
  .strict();
export type CreateReportBody = z.input<typeof CreateReportBody>;

/** A moderation-queue entry (moderators and admins). */
export const Report = z.object({
  id: Id,
  reporter: UserSummary,
  reported: UserSummary,
  reason: ReportReason,
  message: z.string(),
  createdAt: z.iso.datetime(),
});
export type Report = z.infer<typeof Report>;
