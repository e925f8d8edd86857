import { ErrorCode, type Meetup, type MyRsvp, type UpdateMeetupBody } from '@hackmeshi/shared';
import type { z } from 'zod';
import type { Db, Queryable } from '../../infra/db.js';
import { AppError } from '../../infra/errors.js';
import { summaryColumns, toSummary } from '../accounts/store.js';
import type { ChatStore } from '../chat/store.js';

export interface MeetupRow {
  id: string;
  organizer_id: string;
  title: string;
  description: string;
  starts_at: Date;
  ends_at: Date;
  venue: string | null;
  online_url: string | null;
  capacity: number;
  tags: string[];
  community_id: string | null;
  conversation_id: string;
  created_at: Date;
  updated_at: Date;
  cancelled_at: Date | null;
}

type ViewRow = MeetupRow & {
  attending_count: number;
  waitlist_count: number;
  my_status: 'attending' | 'waitlisted' | null;
  my_position: number | null;
  starts_key: string;
  [k: string]: unknown;
};

const iso = (d: Date) => new Date(d).toISOString();

/** Columns of a meetup as viewer `$1` sees it. */
const VIEW = `
  SELECT m.*, m.starts_at::text AS starts_key, ${summaryColumns('o')},
    (SELECT count(*)::int FROM meetup_rsvps r WHERE r.meetup_id = m.id AND r.status = 'attending') AS attending_count,
    (SELECT count(*)::int FROM meetup_rsvps r WHERE r.meetup_id = m.id AND r.status = 'waitlisted') AS waitlist_count,
    me.status AS my_status,
    CASE WHEN me.status = 'waitlisted' THEN
      (SELECT count(*)::int FROM meetup_rsvps w WHERE w.meetup_id = m.id AND w.status = 'waitlisted' AND w.seq <= me.seq)
    END AS my_position
  FROM meetups m JOIN users o ON o.id = m.organizer_id
  LEFT JOIN meetup_rsvps me ON me.meetup_id = m.id AND me.user_id = $1`;

function toMeetup(r: ViewRow, viewerId: string, now = Date.now()): Meetup {
  const organizer = r.organizer_id === viewerId;
  const confirmed = organizer || r.my_status === 'attending';
  const myRsvp: MyRsvp | null = r.my_status ? { status: r.my_status, position: r.my_position } : null;
  return {
    id: r.id,
    organizer: toSummary(r, 'o'),
    title: r.title,
    description: r.description,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    venue: r.venue,
    onlineUrl: confirmed ? r.online_url : null,
    online: r.online_url !== null,
    capacity: r.capacity,
    attendingCount: r.attending_count,
    waitlistCount: r.waitlist_count,
    tags: r.tags,
    communityId: r.community_id,
    status: r.cancelled_at ? 'cancelled' : new Date(r.ends_at).getTime() < now ? 'past' : 'scheduled',
    myRsvp,
    conversationId: organizer || r.my_status ? r.conversation_id : null,
    createdAt: iso(r.created_at),
  };
}

/** The waitlist in order, with each person's position. */
async function waitlist(q: Queryable, meetupId: string) {
  const { rows } = await q.query<{ user_id: string }>(
    "SELECT user_id FROM meetup_rsvps WHERE meetup_id = $1 AND status = 'waitlisted' ORDER BY seq",
    [meetupId],
  );
  return rows.map((r, i) => ({ userId: r.user_id, position: i + 1 }));
}

/**
 * SQL for meetups. Every seat change runs in one transaction holding the meetup row's lock, so
 * with capacity N exactly N attend however many RSVP at once, on any number of nodes, and a freed
 * seat goes to the first in line.
 */
export function meetupStore(db: Db, chat: ChatStore) {
  async function lock(q: Queryable, id: string): Promise<MeetupRow> {
    const { rows } = await q.query<MeetupRow>('SELECT * FROM meetups WHERE id = $1 FOR UPDATE', [id]);
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such meetup');
    return rows[0];
  }

  /** Fills free seats from the head of the waitlist; returns who was promoted. */
  async function promote(q: Queryable, m: MeetupRow): Promise<string[]> {
    const { rows } = await q.query<{ user_id: string }>(
      `UPDATE meetup_rsvps SET status = 'attending'
        WHERE meetup_id = $1 AND user_id IN (
          SELECT user_id FROM meetup_rsvps WHERE meetup_id = $1 AND status = 'waitlisted' ORDER BY seq
           LIMIT GREATEST(0, $2 - (SELECT count(*) FROM meetup_rsvps WHERE meetup_id = $1 AND status = 'attending')))
        RETURNING user_id`,
      [m.id, m.capacity],
    );
    for (const r of rows) {
      await q.query('UPDATE conversation_members SET can_post = true WHERE conversation_id = $1 AND user_id = $2', [
        m.conversation_id,
        r.user_id,
      ]);
    }
    return rows.map((r) => r.user_id);
  }

  async function dropRsvp(q: Queryable, m: MeetupRow, userId: string) {
    const { rows } = await q.query<{ status: string }>(
      'DELETE FROM meetup_rsvps WHERE meetup_id = $1 AND user_id = $2 RETURNING status',
      [m.id, userId],
    );
    if (!rows[0]) return null;
    await q.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [m.conversation_id, userId]);
    return rows[0].status;
  }

  /** After a seat change: promotions, the new waitlist order, and fresh counts. */
  async function settle(q: Queryable, m: MeetupRow) {
    const promoted = await promote(q, m);
    return { promoted, waitlist: await waitlist(q, m.id) };
  }

  function assertOpen(m: MeetupRow) {
    if (m.cancelled_at) throw new AppError(ErrorCode.CONFLICT, 'This meetup was cancelled', { details: { reason: 'cancelled' } });
    if (new Date(m.ends_at).getTime() < Date.now()) {
      throw new AppError(ErrorCode.CONFLICT, 'This meetup is over', { details: { reason: 'past' } });
    }
  }

  function assertOrganizer(m: MeetupRow, userId: string) {
    if (m.organizer_id !== userId) throw new AppError(ErrorCode.FORBIDDEN, 'Only the organizer can do that');
  }

  /** A meetup's row, read without a lock (for checks outside any transaction). */
  async function get(id: string): Promise<MeetupRow> {
    const { rows } = await db.query<MeetupRow>('SELECT * FROM meetups WHERE id = $1', [id]);
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such meetup');
    return rows[0];
  }

  async function view(viewerId: string, id: string): Promise<Meetup> {
    const { rows } = await db.query<ViewRow>(`${VIEW} WHERE m.id = $2`, [viewerId, id]);
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such meetup');
    return toMeetup(rows[0], viewerId);
  }

  return {
    view,

    get,

    async create(organizerId: string, input: {
      title: string; description: string; startsAt: string; endsAt: string; venue: string | null;
      onlineUrl: string | null; capacity: number; tags: string[]; communityId: string | null;
    }) {
      if (Date.parse(input.startsAt) <= Date.now()) {
        throw new AppError(ErrorCode.INVALID_PAYLOAD, 'The start time is in the past', {
          details: [{ path: 'startsAt', message: 'must be in the future' }],
        });
      }
      const id = await db.tx(async (q) => {
        if (input.communityId) {
          const { rows: member } = await q.query(
            'SELECT 1 FROM community_members WHERE community_id = $1 AND user_id = $2',
            [input.communityId, organizerId],
          );
          if (!member[0]) {
            throw new AppError(ErrorCode.FORBIDDEN, 'Join the community to hold a meetup in it', {
              details: [{ path: 'communityId', message: 'not a member of that community' }],
            });
          }
        }
        const conversationId = await chat.create(q, 'meetup', [organizerId]);
        const { rows } = await q.query<{ id: string }>(
          `INSERT INTO meetups (organizer_id, title, description, starts_at, ends_at, venue, online_url, capacity, tags, community_id, conversation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
          [organizerId, input.title, input.description, input.startsAt, input.endsAt, input.venue, input.onlineUrl,
            input.capacity, input.tags, input.communityId, conversationId],
        );
        return rows[0]!.id;
      });
      return view(organizerId, id);
    },

    async list(viewerId: string, query: { range: 'upcoming' | 'week' | 'past'; tag?: string; communityId?: string; cursor?: string; limit: number }) {
      const params: unknown[] = [viewerId];
      const add = (v: unknown) => `$${params.push(v)}`;
      const where = ['m.cancelled_at IS NULL'];
      const past = query.range === 'past';
      where.push(past ? 'm.ends_at < now()' : 'm.ends_at >= now()');
      if (query.range === 'week') where.push(`m.starts_at < now() + interval '7 days'`);
      // With both, a community's page shows its own meetups and any carrying its tag.
      if (query.tag && query.communityId) {
        where.push(`(m.tags @> ARRAY[${add(query.tag)}]::text[] OR m.community_id = ${add(query.communityId)}::uuid)`);
      } else if (query.tag) where.push(`m.tags @> ARRAY[${add(query.tag)}]::text[]`);
      else if (query.communityId) where.push(`m.community_id = ${add(query.communityId)}::uuid`);
      if (query.cursor) {
        let c: [string, string];
        try {
          c = JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) as [string, string];
        } catch {
          throw new AppError(ErrorCode.INVALID_PAYLOAD, 'Invalid cursor');
        }
        where.push(`(m.starts_at, m.id) ${past ? '<' : '>'} (${add(c[0])}::timestamptz, ${add(c[1])}::uuid)`);
      }
      const dir = past ? 'DESC' : 'ASC';
      const { rows } = await db.query<ViewRow>(
        `${VIEW} WHERE ${where.join(' AND ')} ORDER BY m.starts_at ${dir}, m.id ${dir} LIMIT ${add(query.limit + 1)}`,
        params,
      );
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return {
        items: items.map((r) => toMeetup(r, viewerId)),
        nextCursor: rows.length > query.limit && last ? Buffer.from(JSON.stringify([last.starts_key, last.id])).toString('base64url') : null,
      };
    },

    /** Organizer edit. Returns whether time or place changed, and who signed up (to notify). */
    async update(userId: string, id: string, patch: z.output<typeof UpdateMeetupBody>) {
      return db.tx(async (q) => {
        const m = await lock(q, id);
        assertOrganizer(m, userId);
        assertOpen(m);
        const next = {
          startsAt: patch.startsAt ?? iso(m.starts_at),
          endsAt: patch.endsAt ?? iso(m.ends_at),
        };
        if (Date.parse(next.endsAt) <= Date.parse(next.startsAt)) {
          throw new AppError(ErrorCode.INVALID_PAYLOAD, 'It must end after it starts', { details: [{ path: 'endsAt', message: 'must end after it starts' }] });
        }
        if (patch.startsAt !== undefined && Date.parse(next.startsAt) <= Date.now()) {
          throw new AppError(ErrorCode.INVALID_PAYLOAD, 'The start time is in the past', { details: [{ path: 'startsAt', message: 'must be in the future' }] });
        }
        const venue = patch.venue !== undefined ? patch.venue : m.venue;
        const onlineUrl = patch.onlineUrl !== undefined ? patch.onlineUrl : m.online_url;
        if (!venue && !onlineUrl) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'Give a venue or an online link', { details: [{ path: 'venue', message: 'give a venue or an online link' }] });
        const capacity = patch.capacity ?? m.capacity;
        const { rows: att } = await q.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM meetup_rsvps WHERE meetup_id = $1 AND status = 'attending'",
          [id],
        );
        if (capacity < att[0]!.n) {
          throw new AppError(ErrorCode.CONFLICT, `${att[0]!.n} people already attend; remove some first`, { details: { reason: 'capacity' } });
        }
        await q.query(
          `UPDATE meetups SET title = $2, description = $3, starts_at = $4, ends_at = $5, venue = $6, online_url = $7,
                  capacity = $8, tags = $9, updated_at = now(),
                  reminder_sent_at = CASE WHEN $4::timestamptz <> starts_at THEN NULL ELSE reminder_sent_at END
            WHERE id = $1`,
          [id, patch.title ?? m.title, patch.description ?? m.description, next.startsAt, next.endsAt,
            venue, onlineUrl, capacity, patch.tags ?? m.tags],
        );
        const moved =
          Date.parse(next.startsAt) !== new Date(m.starts_at).getTime() ||
          Date.parse(next.endsAt) !== new Date(m.ends_at).getTime() ||
          venue !== m.venue ||
          onlineUrl !== m.online_url;
        const settled = await settle(q, { ...m, capacity });
        const { rows: people } = await q.query<{ user_id: string }>('SELECT user_id FROM meetup_rsvps WHERE meetup_id = $1', [id]);
        return { moved, people: people.map((p) => p.user_id), meetup: m, ...settled };
      });
    },

    async cancel(userId: string, id: string) {
      return db.tx(async (q) => {
        const m = await lock(q, id);
        assertOrganizer(m, userId);
        if (m.cancelled_at) throw new AppError(ErrorCode.CONFLICT, 'Already cancelled', { details: { reason: 'cancelled' } });
        await q.query('UPDATE meetups SET cancelled_at = now() WHERE id = $1', [id]);
        const { rows } = await q.query<{ user_id: string }>('SELECT user_id FROM meetup_rsvps WHERE meetup_id = $1', [id]);
        return { meetup: m, people: rows.map((r) => r.user_id) };
      });
    },

    /** Takes a seat if one is free, else a place at the end of the waitlist. Idempotent. */
    async rsvp(userId: string, id: string): Promise<{ meetup: MeetupRow; rsvp: MyRsvp }> {
      return db.tx(async (q) => {
        const m = await lock(q, id);
        assertOpen(m);
        if (m.organizer_id === userId) throw new AppError(ErrorCode.CONFLICT, 'You organize this meetup', { details: { reason: 'organizer' } });
        const { rows: mine } = await q.query<{ status: 'attending' | 'waitlisted' }>(
          'SELECT status FROM meetup_rsvps WHERE meetup_id = $1 AND user_id = $2',
          [id, userId],
        );
        let status = mine[0]?.status;
        if (!status) {
          const { rows } = await q.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM meetup_rsvps WHERE meetup_id = $1 AND status = 'attending'",
            [id],
          );
          status = rows[0]!.n < m.capacity ? 'attending' : 'waitlisted';
          await q.query('INSERT INTO meetup_rsvps (meetup_id, user_id, status) VALUES ($1, $2, $3)', [id, userId, status]);
          // Attendees post in the event chat; the waitlist may read it.
          await q.query(
            'INSERT INTO conversation_members (conversation_id, user_id, can_post) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [m.conversation_id, userId, status === 'attending'],
          );
        }
        const position = status === 'waitlisted' ? (await waitlist(q, id)).find((w) => w.userId === userId)!.position : null;
        return { meetup: m, rsvp: { status, position } };
      });
    },

    /** Drops an RSVP (`self`: the user's own; else the organizer removing someone) and promotes the next in line. */
    async drop(actorId: string, id: string, userId: string, self: boolean) {
      return db.tx(async (q) => {
        const m = await lock(q, id);
        if (!self) assertOrganizer(m, actorId);
        const was = await dropRsvp(q, m, userId);
        if (!was) throw new AppError(ErrorCode.NOT_FOUND, self ? 'You have not signed up' : 'Not signed up');
        return { meetup: m, ...(await settle(q, m)) };
      });
    },

    async counts(id: string) {
      const { rows } = await db.query<{ attending: number; waitlisted: number; capacity: number }>(
        `SELECT m.capacity,
                count(*) FILTER (WHERE r.status = 'attending')::int AS attending,
                count(*) FILTER (WHERE r.status = 'waitlisted')::int AS waitlisted
           FROM meetups m LEFT JOIN meetup_rsvps r ON r.meetup_id = m.id WHERE m.id = $1 GROUP BY m.capacity`,
        [id],
      );
      const r = rows[0]!;
      return { meetupId: id, attendingCount: r.attending, waitlistCount: r.waitlisted, capacity: r.capacity };
    },

    async attendees(viewerId: string, id: string) {
      const { rows: m } = await db.query<{ organizer_id: string }>('SELECT organizer_id FROM meetups WHERE id = $1', [id]);
      if (!m[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such meetup');
      const organizer = m[0].organizer_id === viewerId;
      const { rows: mine } = await db.query<{ status: string }>('SELECT status FROM meetup_rsvps WHERE meetup_id = $1 AND user_id = $2', [id, viewerId]);
      if (!organizer && mine[0]?.status !== 'attending') throw new AppError(ErrorCode.FORBIDDEN, 'Only attendees see who is coming');
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT r.status, r.checked_in_at, ${summaryColumns('u')} FROM meetup_rsvps r JOIN users u ON u.id = r.user_id
          WHERE r.meetup_id = $1 ORDER BY r.seq`,
        [id],
      );
      return {
        attending: rows.filter((r) => r.status === 'attending').map((r) => ({ user: toSummary(r, 'u'), checkedIn: r.checked_in_at !== null })),
        waitlist: organizer ? rows.filter((r) => r.status === 'waitlisted').map((r) => toSummary(r, 'u')) : [],
      };
    },

    async checkIn(actorId: string, id: string, userId: string, attended: boolean) {
      assertOrganizer(await get(id), actorId);
      const { rows } = await db.query(
        `UPDATE meetup_rsvps SET checked_in_at = CASE WHEN $3 THEN COALESCE(checked_in_at, now()) END
          WHERE meetup_id = $1 AND user_id = $2 AND status = 'attending' RETURNING user_id`,
        [id, userId, attended],
      );
      if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'Not attending');
    },

    async attendingIds(id: string) {
      const { rows } = await db.query<{ user_id: string }>("SELECT user_id FROM meetup_rsvps WHERE meetup_id = $1 AND status = 'attending'", [id]);
      return rows.map((r) => r.user_id);
    },

    /**
     * Meetups whose reminder is due, claimed atomically: the UPDATE … RETURNING gives each to
     * exactly one node, so attendees are reminded once however many nodes run.
     */
    async claimReminders(leadMinutes: number): Promise<MeetupRow[]> {
      const { rows } = await db.query<MeetupRow>(
        `UPDATE meetups SET reminder_sent_at = now()
          WHERE reminder_sent_at IS NULL AND cancelled_at IS NULL
            AND starts_at <= now() + make_interval(mins => $1) AND starts_at > now()
          RETURNING *`,
        [leadMinutes],
      );
      return rows;
    },
  };
}
export type MeetupStore = ReturnType<typeof meetupStore>;
