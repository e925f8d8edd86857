import { ErrorCode, type Card, type CardPage } from '@hackmeshi/shared';
import type { Db } from '../../infra/db.js';
import { AppError } from '../../infra/errors.js';
import { notBlocked, summaryColumns, toSummary } from '../accounts/store.js';

interface CardRow {
  id: string;
  owner_id: string;
  title: string;
  body: string;
  tags: string[];
  status: 'active' | 'archived';
  created_at: Date;
  updated_at: Date;
  created_key: string;
  interested_by_me: boolean;
  interest_count: number | null;
  score: number;
  [k: string]: unknown;
}

function toCard(r: CardRow): Card {
  return {
    id: r.id,
    owner: toSummary(r, 'o'),
    title: r.title,
    body: r.body,
    tags: r.tags,
    status: r.status,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    interestedByMe: r.interested_by_me,
    interestCount: r.interest_count,
  };
}

/** Keyset cursor: the sort key of the last row, opaque to clients. created_key is Postgres text, so µs survive. */
type Cursor = [score: number, created: string, id: string];
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(s: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString()) as unknown;
    if (Array.isArray(c) && c.length === 3 && typeof c[0] === 'number' && typeof c[1] === 'string' && typeof c[2] === 'string') {
      return c as Cursor;
    }
  } catch {
    // fall through
  }
  throw new AppError(ErrorCode.INVALID_PAYLOAD, 'Invalid cursor', { details: [{ path: 'cursor', message: 'invalid cursor' }] });
}

/** LIKE pattern for a literal substring. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/**
 * Everything a card query selects for viewer `$1`: the card, its owner, whether the viewer is
 * interested, the interest count (owner only), and the for-you score (tags shared with `$2`).
 */
const CARD_SELECT = `
  SELECT c.*, c.created_at::text AS created_key, ${summaryColumns('o')},
         EXISTS (SELECT 1 FROM interests i WHERE i.user_id = $1 AND i.card_id = c.id) AS interested_by_me,
         CASE WHEN c.owner_id = $1 THEN (SELECT count(*)::int FROM interests i WHERE i.card_id = c.id) END AS interest_count,
         cardinality(ARRAY(SELECT unnest(c.tags) INTERSECT SELECT unnest($2::text[]))) AS score
    FROM cards c JOIN users o ON o.id = c.owner_id`;

/** SQL for cards. */
export function cardStore(db: Db) {
  async function viewerTags(viewerId: string) {
    const { rows } = await db.query<{ tags: string[] }>('SELECT tags FROM users WHERE id = $1', [viewerId]);
    return rows[0]?.tags ?? [];
  }

  /** A card as `viewerId` sees it, or null when it does not exist or a block hides it. */
  async function get(viewerId: string, cardId: string): Promise<Card | null> {
    const { rows } = await db.query<CardRow>(
      `${CARD_SELECT} WHERE c.id = $3 AND ${notBlocked('$1::uuid', 'c.owner_id')}`,
      [viewerId, [], cardId],
    );
    return rows[0] ? toCard(rows[0]) : null;
  }

  return {
    get,

    async create(ownerId: string, input: { title: string; body: string; tags: string[] }): Promise<Card> {
      const { rows } = await db.query<{ id: string }>(
        'INSERT INTO cards (owner_id, title, body, tags) VALUES ($1, $2, $3, $4) RETURNING id',
        [ownerId, input.title, input.body, input.tags],
      );
      return (await get(ownerId, rows[0]!.id))!;
    },

    /** The feed page for a viewer. */
    async feed(
      viewerId: string,
      query: { sort: 'new' | 'forYou'; tag?: string; q?: string; cursor?: string; limit: number },
    ): Promise<CardPage> {
      const forYou = query.sort === 'forYou';
      const cursor = query.cursor ? decodeCursor(query.cursor) : null;
      const params: unknown[] = [viewerId, forYou ? await viewerTags(viewerId) : []];
      const where = ["f.status = 'active'", notBlocked('$1::uuid', 'f.owner_id')];
      const add = (v: unknown) => `$${params.push(v)}`;
      if (query.tag) where.push(`f.tags @> ARRAY[${add(query.tag)}]::text[]`);
      if (query.q) {
        const p = add(likePattern(query.q));
        where.push(`(f.title ILIKE ${p} OR f.body ILIKE ${p})`);
      }
      if (cursor) {
        const [score, created, id] = cursor;
        where.push(
          forYou
            ? `(f.score, f.created_at, f.id) < (${add(score)}::int, ${add(created)}::timestamptz, ${add(id)}::uuid)`
            : `(f.created_at, f.id) < (${add(created)}::timestamptz, ${add(id)}::uuid)`,
        );
      }
      const order = forYou ? 'f.score DESC, f.created_at DESC, f.id DESC' : 'f.created_at DESC, f.id DESC';
      const { rows } = await db.query<CardRow>(
        `SELECT * FROM (${CARD_SELECT}) f WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${add(query.limit + 1)}`,
        params,
      );
      const items = rows.slice(0, query.limit);
      const last = items[items.length - 1];
      const nextCursor = rows.length > query.limit && last ? encodeCursor([last.score, last.created_key, last.id]) : null;
      return { items: items.map(toCard), nextCursor };
    },

    async mine(ownerId: string): Promise<Card[]> {
      const { rows } = await db.query<CardRow>(
        `${CARD_SELECT} WHERE c.owner_id = $1 ORDER BY c.created_at DESC, c.id DESC`,
        [ownerId, []],
      );
      return rows.map(toCard);
    },

    /** Loads a card for a change by its owner: NOT_FOUND if unknown, FORBIDDEN if not theirs. */
    async owned(ownerId: string, cardId: string) {
      const { rows } = await db.query<{ owner_id: string; status: string }>(
        'SELECT owner_id, status FROM cards WHERE id = $1',
        [cardId],
      );
      if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such card');
      if (rows[0].owner_id !== ownerId) throw new AppError(ErrorCode.FORBIDDEN, 'Only the owner can change this card');
      return rows[0];
    },

    async update(
      cardId: string,
      patch: { title?: string; body?: string; tags?: string[]; status?: 'active' | 'archived' },
    ) {
      await db.query(
        `UPDATE cards SET title = COALESCE($2, title), body = COALESCE($3, body), tags = COALESCE($4::text[], tags),
                status = COALESCE($5, status), updated_at = now()
          WHERE id = $1`,
        [cardId, patch.title ?? null, patch.body ?? null, patch.tags ?? null, patch.status ?? null],
      );
    },

    async remove(cardId: string) {
      await db.query('DELETE FROM cards WHERE id = $1', [cardId]);
    },

    /** Ids of users in a block relation with `userId`, either way. */
    async blockedWith(userId: string): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>(
        `SELECT blocked_id AS id FROM blocks WHERE blocker_id = $1 UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1`,
        [userId],
      );
      return rows.map((r) => r.id);
    },

    /** Active card ids of a user (to withdraw them from someone's feed after a block). */
    async activeIdsOf(userId: string): Promise<string[]> {
      const { rows } = await db.query<{ id: string }>("SELECT id FROM cards WHERE owner_id = $1 AND status = 'active'", [userId]);
      return rows.map((r) => r.id);
    },
  };
}
export type CardStore = ReturnType<typeof cardStore>;
