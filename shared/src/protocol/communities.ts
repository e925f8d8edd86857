import { z } from 'zod';
import { nonBlank, Tag } from './accounts.js';
import { Card } from './cards.js';
import { Id, UserSummary } from './common.js';
import { Meetup } from './meetups.js';
import { RoomSummary } from './rooms.js';

/** Roles inside a community: the owner appoints moderators; moderators remove messages and members. */
export const CommunityRole = z.enum(['owner', 'moderator', 'member']);
export type CommunityRole = z.infer<typeof CommunityRole>;

/** POST /api/communities */
export const CreateCommunityBody = z
  .object({ name: nonBlank(50), description: z.string().trim().max(500).default(''), tag: Tag })
  .strict();
export type CreateCommunityBody = z.input<typeof CreateCommunityBody>;

export const Community = z.object({
  id: Id,
  name: z.string(),
  description: z.string(),
  tag: z.string(),
  owner: UserSummary,
  memberCount: z.number().int(),
  /** The viewer's role, or null when not a member. */
  myRole: CommunityRole.nullable(),
  /** The channel: anyone signed in may read it; members post. */
  conversationId: Id,
  createdAt: z.iso.datetime(),
});
export type Community = z.infer<typeof Community>;

/** GET /api/communities query. */
export const CommunityQuery = z
  .object({ q: z.string().trim().min(1).max(50).optional(), tag: Tag.optional(), mine: z.enum(['true', 'false']).optional() })
  .strict();

export const CommunityMember = z.object({ user: UserSummary, role: CommunityRole, joinedAt: z.iso.datetime() });
export type CommunityMember = z.infer<typeof CommunityMember>;

/** PATCH /api/communities/:id/members/:userId (owner only). */
export const SetCommunityRoleBody = z.object({ role: z.enum(['moderator', 'member']) }).strict();
export const MemberParams = z.object({ id: Id, userId: Id }).strict();

/** GET /api/communities/:id/feed: what carries the community's tag. */
export const CommunityFeed = z.object({
  cards: z.array(Card),
  rooms: z.array(RoomSummary),
  meetups: z.array(Meetup),
});
export type CommunityFeed = z.infer<typeof CommunityFeed>;

/** Pushed to everyone: a community's member count changed. */
export const CommunityCount = z.object({ communityId: Id, memberCount: z.number().int() });
/** Pushed to one user: they were removed from a community. */
export const CommunityRemoved = z.object({ communityId: Id });
