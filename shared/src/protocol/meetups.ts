import { z } from 'zod';
import { nonBlank, Tag } from './accounts.js';
import { Id, page, queryInt, UserSummary } from './common.js';

/** Seats at a meetup: 1 to 500. */
export const MEETUP_MAX_CAPACITY = 500;

const meetupFields = {
  title: nonBlank(80),
  description: z.string().trim().max(2000, 'at most 2000 characters').default(''),
  /** Start and end, ISO 8601 with an offset; stored in UTC, shown in the viewer's zone. */
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  /** Where people meet (venue text), or… */
  venue: z.string().trim().max(200).nullable().default(null),
  /** …the link for an online meetup; only confirmed attendees and the organizer see it. */
  onlineUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().default(null),
  capacity: z.number().int().min(1, 'at least 1 seat').max(MEETUP_MAX_CAPACITY, `at most ${MEETUP_MAX_CAPACITY} seats`),
  tags: z
    .array(Tag)
    .max(5, 'at most 5 tags')
    .transform((t) => [...new Set(t)])
    .default([]),
};

const endAfterStart = (m: { startsAt?: string; endsAt?: string }) =>
  m.startsAt === undefined || m.endsAt === undefined || Date.parse(m.endsAt) > Date.parse(m.startsAt);
const hasPlace = (m: { venue?: string | null; onlineUrl?: string | null }) => Boolean(m.venue) || Boolean(m.onlineUrl);

/** POST /api/meetups. The server also refuses a start time in the past. */
export const CreateMeetupBody = z
  .object({ ...meetupFields, communityId: Id.nullable().default(null) })
  .strict()
  .refine(endAfterStart, { message: 'must end after it starts', path: ['endsAt'] })
  .refine(hasPlace, { message: 'give a venue or an online link', path: ['venue'] });
export type CreateMeetupBody = z.input<typeof CreateMeetupBody>;

/** PATCH /api/meetups/:id: any subset. Changing time or place notifies everyone who signed up. */
export const UpdateMeetupBody = z
  .object({
    title: meetupFields.title,
    description: z.string().trim().max(2000),
    startsAt: meetupFields.startsAt,
    endsAt: meetupFields.endsAt,
    venue: z.string().trim().max(200).nullable(),
    onlineUrl: z.url({ protocol: /^https?$/ }).max(500).nullable(),
    capacity: meetupFields.capacity,
    tags: z.array(Tag).max(5).transform((t) => [...new Set(t)]),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change')
  .refine(endAfterStart, { message: 'must end after it starts', path: ['endsAt'] });
export type UpdateMeetupBody = z.input<typeof UpdateMeetupBody>;

/** Your place at a meetup: attending, or waitlisted at a 1-based position. */
export const MyRsvp = z.object({
  status: z.enum(['attending', 'waitlisted']),
  /** 1 for the first in line; null when attending. */
  position: z.number().int().positive().nullable(),
});
export type MyRsvp = z.infer<typeof MyRsvp>;

/** A meetup as a viewer sees it. */
export const Meetup = z.object({
  id: Id,
  organizer: UserSummary,
  title: z.string(),
  description: z.string(),
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
  venue: z.string().nullable(),
  /** Null unless the viewer is the organizer or attending. */
  onlineUrl: z.string().nullable(),
  /** Whether the meetup has an online link at all (shown to everyone). */
  online: z.boolean(),
  capacity: z.number().int(),
  attendingCount: z.number().int(),
  waitlistCount: z.number().int(),
  tags: z.array(z.string()),
  communityId: Id.nullable(),
  status: z.enum(['scheduled', 'cancelled', 'past']),
  myRsvp: MyRsvp.nullable(),
  /** The event chat, for the organizer, attendees and (read-only) the waitlist; null for others. */
  conversationId: Id.nullable(),
  createdAt: z.iso.datetime(),
});
export type Meetup = z.infer<typeof Meetup>;

/** GET /api/meetups query. */
export const MeetupQuery = z
  .object({
    /** `upcoming` (default), `week` (starting in the next 7 days), or `past` (archive, newest first). */
    range: z.enum(['upcoming', 'week', 'past']).default('upcoming'),
    tag: Tag.optional(),
    /** Meetups held in this community (with `tag` too: those, or any carrying the tag). */
    communityId: Id.optional(),
    cursor: z.string().max(200).optional(),
    limit: queryInt(1, 50, 20),
  })
  .strict();
export const MeetupPage = page(Meetup);
export type MeetupPage = z.infer<typeof MeetupPage>;

/** GET /api/meetups/:id/attendees: attendees (with check-in) for attendees; the waitlist for the organizer. */
export const AttendeeList = z.object({
  attending: z.array(z.object({ user: UserSummary, checkedIn: z.boolean() })),
  /** In order; empty unless the viewer is the organizer. */
  waitlist: z.array(UserSummary),
});
export type AttendeeList = z.infer<typeof AttendeeList>;

/** POST /api/meetups/:id/announce: the organizer messages everyone attending. */
export const AnnounceBody = z.object({ body: nonBlank(1000) }).strict();
/** POST /api/meetups/:id/checkins: mark who came. */
export const CheckInBody = z.object({ userId: Id, attended: z.boolean() }).strict();
/** Path of a specific attendee. */
export const AttendeeParams = z.object({ id: Id, userId: Id }).strict();

/** Pushed to everyone: a meetup's seat counts changed. */
export const MeetupCounts = z.object({
  meetupId: Id,
  attendingCount: z.number().int(),
  waitlistCount: z.number().int(),
  capacity: z.number().int(),
});
/** Pushed to one user: their RSVP changed (promoted, moved up the waitlist, removed). */
export const RsvpUpdated = z.object({ meetupId: Id, rsvp: MyRsvp.nullable() });
