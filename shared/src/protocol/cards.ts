import { z } from 'zod';
import { nonBlank, Tag } from './accounts.js';
import { Id, page, queryInt, UserSummary } from './common.js';

/** 1–5 distinct interest tags on a card. */
export const CardTags = z
  .array(Tag)
  .transform((tags) => [...new Set(tags)])
  .pipe(z.array(z.string()).min(1, 'at least one tag').max(5, 'at most 5 tags'));

/** POST /api/cards */
export const CreateCardBody = z
  .object({ title: nonBlank(80), body: nonBlank(1000), tags: CardTags })
  .strict();
export type CreateCardBody = z.input<typeof CreateCardBody>;

/** PATCH /api/cards/:id: any subset; `status` archives or restores. */
export const UpdateCardBody = z
  .object({
    title: nonBlank(80),
    body: nonBlank(1000),
    tags: CardTags,
    status: z.enum(['active', 'archived']),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateCardBody = z.input<typeof UpdateCardBody>;

/** A topic card as anyone may see it. */
export const Card = z.object({
  id: Id,
  owner: UserSummary,
  title: z.string(),
  body: z.string(),
  tags: z.array(z.string()),
  /** Archived cards leave the feed but stay in "my cards". */
  status: z.enum(['active', 'archived']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Whether the viewer has pressed interested (気になる) on it. */
  interestedByMe: z.boolean(),
  /** How many people are interested; shown only to the owner (null for others). */
  interestCount: z.number().int().nullable(),
});
export type Card = z.infer<typeof Card>;

/** A card named briefly, where a whole card would be too much. */
export const CardRef = z.object({ id: Id, title: z.string() });
export type CardRef = z.infer<typeof CardRef>;

/** GET /api/cards query. */
export const FeedQuery = z
  .object({
    /** `new`: newest first. `forYou`: cards sharing more of your interest tags first, then newest. */
    sort: z.enum(['new', 'forYou']).default('new'),
    tag: Tag.optional(),
    /** Text search over title and body (substring, case-insensitive, any script). */
    q: z.string().trim().min(1).max(100).optional(),
    cursor: z.string().max(200).optional(),
    limit: queryInt(1, 50, 20),
  })
  .strict();
export type FeedQuery = z.input<typeof FeedQuery>;

export const CardPage = page(Card);
export type CardPage = z.infer<typeof CardPage>;

/** Answer to pressing (or un-pressing) interested. */
export const InterestResult = z.object({
  interested: z.boolean(),
  /** Set when this press completed a mutual interest: the new match. */
  matchId: Id.nullable(),
});
export type InterestResult = z.infer<typeof InterestResult>;

/** One person interested in one of your cards ("interested in you"). */
export const IncomingInterest = z.object({
  user: UserSummary,
  card: CardRef,
  createdAt: z.iso.datetime(),
  /** Already matched with this person. */
  matched: z.boolean(),
});
export type IncomingInterest = z.infer<typeof IncomingInterest>;

/** Pushed to the card owner when someone presses or takes back interest. */
export const InterestChanged = z.object({
  interest: IncomingInterest,
  /** false when the interest was taken back. */
  active: z.boolean(),
});
export type InterestChanged = z.infer<typeof InterestChanged>;

/** Pushed to open feeds when a card leaves them (archived, deleted, or its owner blocked). */
export const CardRemoved = z.object({ cardId: Id });
