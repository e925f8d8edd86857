import { ErrorCode, type IncomingInterest, type Report } from '@hackmeshi/shared';
import type { Db, Queryable } from '../../infra/db.js';
import { AppError } from '../../infra/errors.js';
import { notBlocked, summaryColumns, toSummary } from '../accounts/store.js';
import type { ChatStore } from '../chat/store.js';

/** The raw facts of a live match, for building each member's view. */
export interface MatchRow {
  id: string;
  conversation_id: string;
  user_a: string;
  user_b: string;
  card_of_a: string | null;
  card_of_a_title: string | null;
  card_of_b: string | null;
  card_of_b_title: string | null;
  created_at: Date;
}

/** A match as one member sees it, before presence is added. */
export interface MatchView {
  row: MatchRow;
  otherId: string;
  other: ReturnType<typeof toSummary>;
  lastActivityAt: Date;
  lastSeq: number;
  myLastRead: number;
  otherLastRead: number;
  lastMessage: string;
}

const pair = (x: string, y: string): [string, string] => (x < y ? [x, y] : [y, x]);

/**
 * Serializes everything that can create or end a match between two users, across nodes: a
 * transaction-scoped advisory lock on the pair. Without it two simultaneous presses could each
 * miss the other's uncommitted interest and no match would be made.
 */
async function lockPair(q: Queryable, x: string, y: string) {
  const [a, b] = pair(x, y);
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`match:${a}:${b}`]);
}

const MATCH_VIEW_SELECT = `
  SELECT m.*, c.last_seq, c.last_activity_at, me.last_read_seq AS my_last_read, ot.last_read_seq AS other_last_read,
         COALESCE((SELECT CASE WHEN x.deleted_at IS NULL THEN x.body ELSE '' END FROM messages x
                    WHERE x.conversation_id = c.id AND x.seq = c.last_seq), '') AS last_message,
         ${summaryColumns('u')}
    FROM matches m
    JOIN conversations c ON c.id = m.conversation_id
    JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = $1
    JOIN conversation_members ot ON ot.conversation_id = c.id AND ot.user_id <> $1
    JOIN users u ON u.id = ot.user_id
   WHERE m.ended_at IS NULL AND (m.user_a = $1 OR m.user_b = $1)`;

type ViewRow = MatchRow & {
  last_seq: number;
  last_activity_at: Date;
  my_last_read: number;
  other_last_read: number;
  last_message: string;
  [k: string]: unknown;
};

function toView(r: ViewRow): MatchView {
  const other = toSummary(r, 'u');
  return {
    row: r,
    otherId: other.id,
    other,
    lastActivityAt: r.last_activity_at,
    lastSeq: r.last_seq,
    myLastRead: r.my_last_read,
    otherLastRead: r.other_last_read,
    lastMessage: r.last_message,
  };
}

/** SQL for interest, matches, blocks and reports. */
export function matchStore(db: Db, chat: ChatStore) {
  /** Creates the pair's match (and its conversation) unless one is live. Caller holds the pair lock. */
  async function createMatch(
    q: Queryable,
    x: string,
    y: string,
    cards: { ofX: { id: string; title: string } | null; ofY: { id: string; title: string } | null },
  ): Promise<{ id: string; conversationId: string; created: boolean }> {
    const [a, b] = pair(x, y);
    const { rows: live } = await q.query<{ id: string; conversation_id: string }>(
      'SELECT id, conversation_id FROM matches WHERE user_a = $1 AND user_b = $2 AND ended_at IS NULL',
      [a, b],
    );
    if (live[0]) return { id: live[0].id, conversationId: live[0].conversation_id, created: false };
    const ofA = a === x ? cards.ofX : cards.ofY;
    const ofB = a === x ? cards.ofY : cards.ofX;
    const conversationId = await chat.create(q, 'match', [a, b]);
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO matches (user_a, user_b, card_of_a, card_of_a_title, card_of_b, card_of_b_title, conversation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [a, b, ofA?.id ?? null, ofA?.title ?? null, ofB?.id ?? null, ofB?.title ?? null, conversationId],
    );
    return { id: rows[0]!.id, conversationId, created: true };
  }

  /** Ends the pair's live match, closes its chat and clears their interest in each other. */
  async function endMatch(q: Queryable, x: string, y: string) {
    const [a, b] = pair(x, y);
    const { rows } = await q.query<{ id: string; conversation_id: string }>(
      'UPDATE matches SET ended_at = now() WHERE user_a = $1 AND user_b = $2 AND ended_at IS NULL RETURNING id, conversation_id',
      [a, b],
    );
    if (rows[0]) await chat.close(q, rows[0].conversation_id);
    await q.query('DELETE FROM interests WHERE (user_id = $1 AND owner_id = $2) OR (user_id = $2 AND owner_id = $1)', [a, b]);
    return rows[0] ? { id: rows[0].id, conversationId: rows[0].conversation_id } : null;
  }

  async function incoming(ownerId: string, filter: { userId?: string; cardId?: string } = {}): Promise<IncomingInterest[]> {
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT i.created_at, c.id AS card_id, c.title AS card_title, ${summaryColumns('u')},
              EXISTS (SELECT 1 FROM matches m WHERE m.ended_at IS NULL
                         AND m.user_a = LEAST(i.user_id, i.owner_id) AND m.user_b = GREATEST(i.user_id, i.owner_id)) AS matched
         FROM interests i JOIN cards c ON c.id = i.card_id JOIN users u ON u.id = i.user_id
        WHERE i.owner_id = $1 AND ${notBlocked('i.user_id', 'i.owner_id')}
          AND ($2::uuid IS NULL OR i.user_id = $2) AND ($3::uuid IS NULL OR i.card_id = $3)
        ORDER BY i.created_at DESC LIMIT 500`,
      [ownerId, filter.userId ?? null, filter.cardId ?? null],
    );
    return rows.map((r) => ({
      user: toSummary(r, 'u'),
      card: { id: r.card_id as string, title: r.card_title as string },
      createdAt: new Date(r.created_at as Date).toISOString(),
      matched: r.matched as boolean,
    }));
  }

  return {
    incoming,

    /**
     * Records `userId`'s interest in a card's owner through that card, and makes the match if the
     * owner is already interested in any of `userId`'s cards. One transaction under the pair lock.
     */
    async addInterest(userId: string, cardId: string) {
      return db.tx(async (q) => {
        const { rows } = await q.query<{ owner_id: string; title: string; status: string; hidden: boolean }>(
          `SELECT c.owner_id, c.title, c.status, NOT ${notBlocked('$2::uuid', 'c.owner_id')} AS hidden FROM cards c WHERE c.id = $1`,
          [cardId, userId],
        );
        const card = rows[0];
        if (!card || card.hidden || card.status !== 'active') throw new AppError(ErrorCode.NOT_FOUND, 'No such card');
        if (card.owner_id === userId) throw new AppError(ErrorCode.FORBIDDEN, 'You cannot be interested in your own card');
        await lockPair(q, userId, card.owner_id);
        const { rows: added } = await q.query(
          'INSERT INTO interests (user_id, card_id, owner_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING card_id',
          [userId, cardId, card.owner_id],
        );
        const { rows: back } = await q.query<{ card_id: string; title: string }>(
          `SELECT i.card_id, c.title FROM interests i JOIN cards c ON c.id = i.card_id
            WHERE i.user_id = $1 AND i.owner_id = $2 ORDER BY i.created_at DESC LIMIT 1`,
          [card.owner_id, userId],
        );
        const match = back[0]
          ? await createMatch(q, userId, card.owner_id, {
              ofX: { id: back[0].card_id, title: back[0].title },
              ofY: { id: cardId, title: card.title },
            })
          : null;
        return { ownerId: card.owner_id, added: added.length > 0, match };
      });
    },

    /** Takes interest back. Returns the interest as it was (for the owner's live list), or null. */
    async removeInterest(userId: string, cardId: string) {
      const { rows } = await db.query<{ owner_id: string }>(
        'SELECT owner_id FROM interests WHERE user_id = $1 AND card_id = $2',
        [userId, cardId],
      );
      if (!rows[0]) return null;
      const ownerId = rows[0].owner_id;
      const [interest] = await incoming(ownerId, { userId, cardId });
      await db.query('DELETE FROM interests WHERE user_id = $1 AND card_id = $2', [userId, cardId]);
      return interest ? { ownerId, interest } : null;
    },

    /** The owner accepts someone interested in one of their cards: that is interest back. */
    async accept(ownerId: string, otherId: string) {
      return db.tx(async (q) => {
        await lockPair(q, ownerId, otherId);
        const { rows } = await q.query<{ card_id: string; title: string }>(
          `SELECT i.card_id, c.title FROM interests i JOIN cards c ON c.id = i.card_id
            WHERE i.user_id = $1 AND i.owner_id = $2 AND ${notBlocked('$1::uuid', '$2::uuid')}
            ORDER BY i.created_at DESC LIMIT 1`,
          [otherId, ownerId],
        );
        if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'That person is not interested in your cards');
        return createMatch(q, ownerId, otherId, { ofX: { id: rows[0].card_id, title: rows[0].title }, ofY: null });
      });
    },

    /** The live matches of a user as they see them, most recent activity first. */
    async list(userId: string): Promise<MatchView[]> {
      const { rows } = await db.query<ViewRow>(`${MATCH_VIEW_SELECT} ORDER BY c.last_activity_at DESC, m.id`, [userId]);
      return rows.map(toView);
    },

    /** Live match partners (who see the user's presence) of each of these users (users without any are left out). */
    async partnersOf(userIds: string[]): Promise<Map<string, string[]>> {
      const { rows } = await db.query<{ user_a: string; user_b: string }>(
        `SELECT user_a, user_b FROM matches WHERE ended_at IS NULL AND (user_a = ANY($1::uuid[]) OR user_b = ANY($1::uuid[]))`,
        [userIds],
      );
      const asked = new Set(userIds);
      const out = new Map<string, string[]>();
      const add = (userId: string, other: string) => {
        if (!asked.has(userId)) return;
        const list = out.get(userId);
        if (list) list.push(other);
        else out.set(userId, [other]);
      };
      for (const r of rows) {
        add(r.user_a, r.user_b);
        add(r.user_b, r.user_a);
      }
      return out;
    },

    /** One live match of the user, or null (unknown, ended, or someone else's). */
    async get(userId: string, matchId: string): Promise<MatchView | null> {
      const { rows } = await db.query<ViewRow>(`${MATCH_VIEW_SELECT} AND m.id = $2`, [userId, matchId]);
      return rows[0] ? toView(rows[0]) : null;
    },

    /** Ends a match the user is in. Returns the other member, or null when not theirs. */
    async unmatch(userId: string, matchId: string) {
      const { rows } = await db.query<{ user_a: string; user_b: string }>(
        'SELECT user_a, user_b FROM matches WHERE id = $1 AND ended_at IS NULL AND (user_a = $2 OR user_b = $2)',
        [matchId, userId],
      );
      const m = rows[0];
      if (!m) return null;
      const otherId = m.user_a === userId ? m.user_b : m.user_a;
      const ended = await db.tx(async (q) => {
        await lockPair(q, userId, otherId);
        return endMatch(q, userId, otherId);
      });
      return ended ? { otherId, ...ended } : null;
    },

    /** Blocks a user: records it, ends any match, clears interest both ways. */
    async block(userId: string, otherId: string) {
      if (userId === otherId) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'You cannot block yourself');
      return db.tx(async (q) => {
        const { rows } = await q.query('SELECT 1 FROM users WHERE id = $1', [otherId]);
        if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such user');
        await lockPair(q, userId, otherId);
        await q.query('INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, otherId]);
        return endMatch(q, userId, otherId);
      });
    },

    async unblock(userId: string, otherId: string) {
      await db.query('DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [userId, otherId]);
    },

    async blocks(userId: string) {
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT ${summaryColumns('u')} FROM blocks b JOIN users u ON u.id = b.blocked_id
          WHERE b.blocker_id = $1 ORDER BY b.created_at DESC`,
        [userId],
      );
      return rows.map((r) => toSummary(r, 'u'));
    },

    async report(reporterId: string, input: { userId: string; reason: string; message?: string }) {
      if (reporterId === input.userId) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'You cannot report yourself');
      const { rows: exists } = await db.query('SELECT 1 FROM users WHERE id = $1', [input.userId]);
      if (!exists[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such user');
      const { rows } = await db.query<{ id: string }>(
        'INSERT INTO reports (reporter_id, reported_id, reason, message) VALUES ($1, $2, $3, $4) RETURNING id',
        [reporterId, input.userId, input.reason, input.message ?? ''],
      );
      return rows[0]!.id;
    },

    async reports(): Promise<Report[]> {
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT r.id, r.reason, r.message, r.created_at, ${summaryColumns('a')}, ${summaryColumns('t')}
           FROM reports r JOIN users a ON a.id = r.reporter_id JOIN users t ON t.id = r.reported_id
          ORDER BY r.created_at DESC LIMIT 500`,
      );
      return rows.map((r) => ({
        id: r.id as string,
        reporter: toSummary(r, 'a'),
        reported: toSummary(r, 't'),
        reason: r.reason as Report['reason'],
        message: r.message as string,
        createdAt: new Date(r.created_at as Date).toISOString(),
      }));
    },
  };
}
export type MatchStore = ReturnType<typeof matchStore>;
