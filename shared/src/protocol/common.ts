import { z } from 'zod';
import { AvatarColor, Role } from './accounts.js';

/** A uuid path or payload id. */
export const Id = z.uuid({ message: 'must be an id' });

/** Path parameters `:id`. */
export const IdParams = z.object({ id: Id }).strict();

/** How a user is shown beside their content: enough for an avatar and a name. */
export const UserSummary = z.object({
  id: Id,
  handle: z.string(),
  displayName: z.string(),
  avatarColor: AvatarColor,
  role: Role,
});
export type UserSummary = z.infer<typeof UserSummary>;

/** Whether someone is around: online now, idle (no activity for 5 minutes), or offline since lastSeen. */
export const Presence = z.object({
  state: z.enum(['online', 'idle', 'offline']),
  /** Last activity, ISO time; null if never seen. */
  lastSeen: z.iso.datetime().nullable(),
});
export type Presence = z.infer<typeof Presence>;

/**
 * A page of a list, newest first. `nextCursor` is opaque: pass it back as `cursor` to get the
 * next page; null means there is no more.
 */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Query-string integer (query values arrive as strings). */
export const queryInt = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
