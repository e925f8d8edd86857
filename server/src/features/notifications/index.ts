import { ErrorCode, type Notification, type NotificationData } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import type { Queryable } from '../../infra/db.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';

interface Row {
  id: string;
  data: NotificationData;
  created_at: Date;
  read_at: Date | null;
  seq_key: string;
}

const toNotification = (r: Row): Notification => ({
  id: r.id,
  data: r.data,
  createdAt: new Date(r.created_at).toISOString(),
  readAt: r.read_at ? new Date(r.read_at).toISOString() : null,
});

/** What other features call to tell people things. */
export interface Notifier {
  /**
   * Stores a notification for each user inside the caller's transaction (so it exists exactly
   * when the change that caused it does), and returns a function that pushes them live; call it
   * after the commit.
   */
  stage(q: Queryable, userIds: string[], data: NotificationData): Promise<() => void>;
  /** Stores and pushes at once, outside any other transaction. */
  send(userIds: string[], data: NotificationData): Promise<void>;
}

/** The one notification mechanism: stored, pushed live, counted, marked read. */
export function registerNotifications(ctx: AppContext): Notifier {
  const { db, io, http } = ctx;

  async function stage(q: Queryable, userIds: string[], data: NotificationData) {
    const created: { userId: string; n: Notification }[] = [];
    for (const userId of new Set(userIds)) {
      const { rows } = await q.query<Row>(
        'INSERT INTO notifications (user_id, data) VALUES ($1, $2) RETURNING *, seq::text AS seq_key',
        [userId, JSON.stringify(data)],
      );
      created.push({ userId, n: toNotification(rows[0]!) });
    }
    return () => {
      for (const { userId, n } of created) io.to(rooms.user(userId)).emit('notification:created', n);
    };
  }

  async function unread(userId: string) {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL',
      [userId],
    );
    return rows[0]!.n;
  }

  http.route('listNotifications', { auth: true }, async ({ query, principal }) => {
    const cursor = query.cursor ?? null;
    if (cursor !== null && !/^\d{1,19}$/.test(cursor)) throw new AppError(ErrorCode.INVALID_PAYLOAD, 'Invalid cursor');
    const { rows } = await db.query<Row>(
      `SELECT *, seq::text AS seq_key FROM notifications
        WHERE user_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
        ORDER BY seq DESC LIMIT $3`,
      [principal.userId, cursor, query.limit + 1],
    );
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(toNotification),
      nextCursor: rows.length > query.limit && last ? last.seq_key : null,
      unread: await unread(principal.userId),
    };
  });

  http.route('readNotifications', { auth: true }, async ({ body, principal }) => {
    const ids = 'ids' in body ? body.ids : null;
    await db.query(
      `UPDATE notifications SET read_at = now()
        WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
      [principal.userId, ids],
    );
    const count = await unread(principal.userId);
    io.to(rooms.user(principal.userId)).emit('notification:read', { ids, unread: count });
    return { unread: count };
  });

  return {
    stage,
    async send(userIds, data) {
      const push = await db.tx((q) => stage(q, userIds, data));
      push();
    },
  };
}
