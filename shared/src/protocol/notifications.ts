import { z } from 'zod';
import { Id, UserSummary } from './common.js';

/**
 * What a notification is about. One mechanism for the whole app: stored, pushed live when the
 * user is online, counted in the unread badge, marked read.
 */
export const NotificationData = z.discriminatedUnion('kind', [
  /** A new match. */
  z.object({ kind: z.literal('match'), matchId: Id, other: UserSummary }),
  /** You moved from the waitlist to attending ("you're in"). */
  z.object({ kind: z.literal('meetup_promoted'), meetupId: Id, title: z.string() }),
  /** A meetup you attend starts soon. */
  z.object({ kind: z.literal('meetup_reminder'), meetupId: Id, title: z.string(), startsAt: z.iso.datetime() }),
  /** The time or place of a meetup you are in changed. */
  z.object({ kind: z.literal('meetup_changed'), meetupId: Id, title: z.string() }),
  /** A meetup you are in was cancelled. */
  z.object({ kind: z.literal('meetup_cancelled'), meetupId: Id, title: z.string() }),
  /** The organizer messaged all attendees. */
  z.object({ kind: z.literal('meetup_message'), meetupId: Id, title: z.string(), body: z.string() }),
  /** Someone mentioned you in a chat. */
  z.object({ kind: z.literal('mention'), conversationId: Id, from: UserSummary, excerpt: z.string() }),
]);
export type NotificationData = z.infer<typeof NotificationData>;

export const Notification = z.object({
  id: Id,
  data: NotificationData,
  createdAt: z.iso.datetime(),
  readAt: z.iso.datetime().nullable(),
});
export type Notification = z.infer<typeof Notification>;

/** GET /api/notifications query. */
export const NotificationsQuery = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(30),
  })
  .strict();

/** GET /api/notifications answer: newest first, with the unread count for the badge. */
export const NotificationPage = z.object({
  items: z.array(Notification),
  nextCursor: z.string().nullable(),
  unread: z.number().int(),
});
export type NotificationPage = z.infer<typeof NotificationPage>;

/** POST /api/notifications/read: some notifications, or all of them. */
export const MarkNotificationsRead = z
  .object({ ids: z.array(Id).min(1).max(200) })
  .strict()
  .or(z.object({ all: z.literal(true) }).strict());

/** Pushed to the user's other devices when notifications were read, with the new unread count. */
export const NotificationsRead = z.object({ ids: z.array(Id).nullable(), unread: z.number().int() });
