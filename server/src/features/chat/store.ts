import { ErrorCode, type HistoryResult, type Message, type ReadState, type SyncResult } from '@hackmeshi/shared';
import type { Db, Queryable } from '../../infra/db.js';
import { AppError, toAppError } from '../../infra/errors.js';
import { GroupCommit, type Outcome } from '../../infra/batcher.js';

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number;
  rev: number;
  sender_id: string;
  nonce: string;
  body: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

function toMessage(r: MessageRow): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    seq: r.seq,
    rev: r.rev,
    senderId: r.sender_id,
    body: r.deleted_at ? '' : r.body,
    nonce: r.nonce,
    createdAt: new Date(r.created_at).toISOString(),
    editedAt: iso(r.edited_at),
    deletedAt: iso(r.deleted_at),
  };
}

/** A caller's standing in a conversation. */
export interface Membership {
  last_seq: number;
  rev: number;
  /** False for a reader of a public-read conversation who is not a member. */
  member: boolean;
  can_post: boolean;
  can_moderate: boolean;
  last_read_seq: number;
}


/** Kinds of conversation; each feature owns its own. */
export type ConversationKind = 'match' | 'room' | 'meetup' | 'community';

const notFound = () => new AppError(ErrorCode.NOT_FOUND, 'No such conversation');

/** Most messages one sync answer carries; the client asks again while `hasMore`. */
const SYNC_PAGE = 200;

/** Most syncs that share one statement; two such statements may run at once. */
const SYNC_BATCH = 64;

/** One caller's `chat:sync`. */
interface SyncAsk {
  conversationId: string;
  userId: string;
  afterSeq: number;
  afterRev: number | null;
}

/**
 * Many syncs in one round trip: for each (conversation, user, afterSeq, afterRev) in the arrays,
 * numbered by `ord`, the caller's access, then the new messages (at most $5), the changed older
 * ones and the read positions, each by index on its conversation. A caller with no access gets
 * no row. Counters compare as bigint, so no cursor a client sends can break the statement for
 * the others in it.
 */
const SYNC_BATCH_SQL = `
SELECT q.ord, a.last_seq, a.rev, fresh.list AS fresh, changed.list AS changed, reads.list AS read_states
  FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS q(cid, uid, after_seq, after_rev, ord)
  JOIN LATERAL (
    SELECT c.last_seq, c.rev, c.public_read, m.user_id IS NOT NULL AS member
      FROM conversations c LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = q.uid
     WHERE c.id = q.cid AND c.closed_at IS NULL
  ) a ON a.member OR a.public_read
  CROSS JOIN LATERAL (
    SELECT COALESCE(json_agg(n ORDER BY n.seq), '[]') AS list
      FROM (SELECT * FROM messages WHERE conversation_id = q.cid AND seq > q.after_seq ORDER BY seq LIMIT $5) n
  ) fresh
  CROSS JOIN LATERAL (
    SELECT COALESCE(json_agg(o ORDER BY o.seq), '[]') AS list
      FROM messages o WHERE q.after_rev IS NOT NULL AND o.conversation_id = q.cid AND o.seq <= q.after_seq AND o.rev > q.after_rev
  ) changed
  CROSS JOIN LATERAL (
    SELECT COALESCE(json_agg(json_build_object('userId', r.user_id, 'lastReadSeq', r.last_read_seq) ORDER BY r.joined_at), '[]') AS list
      FROM conversation_members r WHERE r.conversation_id = q.cid
  ) reads`;

type SyncRow = { ord: number | string; last_seq: number; rev: number; fresh: MessageRow[]; changed: MessageRow[]; read_states: ReadState[] };

/** A message to store. */
export interface SendInput {
  conversationId: string;
  senderId: string;
  nonce: string;
  body: string;
}

/** The stored message; `created: false` when the nonce had been used already (a retry). */
export interface SendResult {
  message: Message;
  created: boolean;
}

/** How `send` commits. */
export interface ChatStoreOptions {
  /**
   * Group commit: how long a message waits to share its transaction with others, in ms (see
   * CHAT_BATCH_MAX_WAIT_MS). 0 or unset: every message commits in its own transaction.
   */
  batchMaxWaitMs?: number;
  /** Most messages in one transaction. Default 256. */
  batchMax?: number;
  /**
   * Batches that may commit at once, each for its own set of conversations (a conversation is in
   * at most one of them, so its messages keep their order). Default 1.
   */
  batchLanes?: number;
  /** Fewest waiting messages that start a batch beside one in flight (GroupCommitOptions.spillAt). */
  batchSpillAt?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A whole batch of sends in one round trip: `chat_send_batch` (migration 7) locks, judges,
 * numbers, inserts and moves counters and read positions in one statement, and returns one row
 * per input in input order. Being a PL/pgSQL function, its plan is made once per connection.
 * The outer call is sent as a named statement, so Postgres parses and plans it once per
 * connection too: for a batch of one message that saved a median of 110 µs of the call's
 * 530-700 µs of Postgres CPU (sixteenth round in docs/benchmarks.md). Being a bare function call,
 * its plan cannot drift with the table statistics.
 */
const SEND_BATCH_SQL = 'SELECT * FROM chat_send_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])';

/** One row of `chat_send_batch`: the verdict on one input, with its message when it has one. */
type SendRow = MessageRow & { ord: number; status: 'not_found' | 'not_member' | 'cannot_post' | 'existing' | 'repeat' | 'fresh'; created: boolean };

function outcomeOf(row: SendRow): Outcome<SendResult> {
  switch (row.status) {
    case 'not_found':
      return { ok: false, error: notFound() };
    case 'not_member':
      return { ok: false, error: new AppError(ErrorCode.FORBIDDEN, 'Join to take part in this conversation') };
    case 'cannot_post':
      return { ok: false, error: new AppError(ErrorCode.FORBIDDEN, 'You cannot post in this conversation') };
    default:
      return { ok: true, value: { message: toMessage(row), created: row.created } };
  }
}

/**
 * One statement for a batch: items with a malformed id are NOT_FOUND without asking; the rest go
 * to `run`, which returns rows numbered by `ord` (1-based, in the order it was given them). Each
 * row decides its item; an item with no row gets `missing()`.
 */
async function perItem<I, Row extends { ord: number | string }, R>(
  items: I[],
  ids: (item: I) => string[],
  run: (valid: I[]) => Promise<Row[]>,
  decide: (row: Row) => Outcome<R>,
  missing: () => Outcome<R>,
): Promise<Outcome<R>[]> {
  const outcomes: (Outcome<R> | undefined)[] = items.map((i) => (ids(i).every((id) => UUID.test(id)) ? undefined : { ok: false, error: notFound() }));
  const valid = items.map((item, index) => ({ item, index })).filter(({ index }) => !outcomes[index]);
  if (valid.length > 0) {
    for (const row of await run(valid.map((v) => v.item))) outcomes[valid[Number(row.ord) - 1]!.index] = decide(row);
  }
  return outcomes.map((o) => o ?? missing());
}

/**
 * SQL of the one chat mechanism. Every conversation (match, room, meetup, community) goes
 * through here: membership, ordered idempotent posting, edits, tombstones, catch-up and reads.
 */
export function chatStore(db: Db, opts: ChatStoreOptions = {}) {
  /**
   * The caller's standing in an open conversation. Members get their rights; in a public-read
   * conversation anyone else may read (`member: false`); otherwise NOT_FOUND, so outsiders learn
   * nothing.
   */
  async function access(q: Queryable, conversationId: string, userId: string, lock = false): Promise<Membership> {
    const { rows } = await q.query<Membership & { public_read: boolean }>(
      `SELECT c.last_seq, c.rev, c.public_read, m.user_id IS NOT NULL AS member,
              COALESCE(m.can_post, false) AS can_post, COALESCE(m.can_moderate, false) AS can_moderate,
              COALESCE(m.last_read_seq, 0) AS last_read_seq
         FROM conversations c LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2
        WHERE c.id = $1 AND c.closed_at IS NULL ${lock ? 'FOR UPDATE OF c' : ''}`,
      [conversationId, userId],
    );
    const r = rows[0];
    if (!r || (!r.member && !r.public_read)) throw notFound();
    return r;
  }

  /** Like `access`, but only members pass: reading a public channel does not let you write to it. */
  async function membership(q: Queryable, conversationId: string, userId: string, lock = false) {
    const m = await access(q, conversationId, userId, lock);
    if (!m.member) throw new AppError(ErrorCode.FORBIDDEN, 'Join to take part in this conversation');
    return m;
  }

  async function readStates(q: Queryable, conversationId: string): Promise<ReadState[]> {
    const { rows } = await q.query<{ user_id: string; last_read_seq: number }>(
      'SELECT user_id, last_read_seq FROM conversation_members WHERE conversation_id = $1 ORDER BY joined_at',
      [conversationId],
    );
    return rows.map((r) => ({ userId: r.user_id, lastReadSeq: r.last_read_seq }));
  }

  /** Applies an edit or delete to the sender's own message, bumping the conversation's rev. */
  async function change(
    conversationId: string,
    messageId: string,
    userId: string,
    apply: { sql: string; params: unknown[]; moderation?: boolean },
  ): Promise<Message> {
    return db.tx(async (q) => {
      const m = await membership(q, conversationId, userId, true);
      const { rows } = await q.query<MessageRow>('SELECT * FROM messages WHERE id = $1 AND conversation_id = $2', [
        messageId,
        conversationId,
      ]);
      const msg = rows[0];
      if (!msg) throw new AppError(ErrorCode.NOT_FOUND, 'No such message');
      if (msg.sender_id !== userId && !(apply.moderation && m.can_moderate)) {
        throw new AppError(ErrorCode.FORBIDDEN, 'You can only change your own messages');
      }
      if (msg.deleted_at) throw new AppError(ErrorCode.CONFLICT, 'That message was deleted');
      const { rows: revs } = await q.query<{ rev: number }>(
        'UPDATE conversations SET rev = rev + 1 WHERE id = $1 RETURNING rev',
        [conversationId],
      );
      const { rows: updated } = await q.query<MessageRow>(
        `UPDATE messages SET ${apply.sql}, rev = $2 WHERE id = $1 RETURNING *`,
        [messageId, revs[0]!.rev, ...apply.params],
      );
      return toMessage(updated[0]!);
    });
  }

  /** One message in its own explicit transaction, lock first: the replay when a batch failed unforeseen. */
  function sendOne(input: SendInput): Promise<SendResult> {
    return db.tx(async (q) => {
      const m = await membership(q, input.conversationId, input.senderId, true);
      if (!m.can_post) throw new AppError(ErrorCode.FORBIDDEN, 'You cannot post in this conversation');
      const { rows: existing } = await q.query<MessageRow>(
        'SELECT * FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND nonce = $3',
        [input.conversationId, input.senderId, input.nonce],
      );
      if (existing[0]) return { message: toMessage(existing[0]), created: false };
      const { rows: counters } = await q.query<{ last_seq: number; rev: number }>(
        `UPDATE conversations SET last_seq = last_seq + 1, rev = rev + 1, last_activity_at = now()
          WHERE id = $1 RETURNING last_seq, rev`,
        [input.conversationId],
      );
      const { last_seq: seq, rev } = counters[0]!;
      const { rows } = await q.query<MessageRow>(
        `INSERT INTO messages (conversation_id, seq, rev, sender_id, nonce, body)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [input.conversationId, seq, rev, input.senderId, input.nonce, input.body],
      );
      await q.query(
        'UPDATE conversation_members SET last_read_seq = $3 WHERE conversation_id = $1 AND user_id = $2',
        [input.conversationId, input.senderId, seq],
      );
      return { message: toMessage(rows[0]!), created: true };
    });
  }

  /**
   * Many messages in one statement (one round trip, one transaction; see SEND_BATCH_SQL), each
   * judged as `sendOne` would judge it, in arrival order. Refusals the checks can foresee (not a
   * member, closed, may not post) fail only their own message. An error the checks did not foresee rolls the
   * batch back and its messages are retried one by one, so a bad one fails alone; a lost database
   * fails them all, with the retryable error.
   */
  async function sendMany(items: SendInput[]): Promise<Outcome<SendResult>[]> {
    try {
      return await sendManyIn(db, items);
    } catch (err) {
      if (toAppError(err).code !== ErrorCode.INTERNAL) throw err;
      const outcomes: Outcome<SendResult>[] = [];
      // In order, not at once: concurrent transactions could take the row lock out of order.
      for (const item of items) {
        outcomes.push(await sendOne(item).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })));
      }
      return outcomes;
    }
  }

  function sendManyIn(q: Queryable, batch: SendInput[]): Promise<Outcome<SendResult>[]> {
    // Ids as the database prints them, so keys built from input and from rows agree.
    const items = batch.map((i) => ({
      ...i,
      conversationId: i.conversationId.toLowerCase(),
      senderId: i.senderId.toLowerCase(),
      nonce: i.nonce.toLowerCase(),
    }));
    return perItem(
      items,
      (i) => [i.conversationId, i.senderId, i.nonce],
      async (valid) =>
        (
          await q.query<SendRow>(
            SEND_BATCH_SQL,
            [valid.map((i) => i.conversationId), valid.map((i) => i.senderId), valid.map((i) => i.nonce), valid.map((i) => i.body)],
            { name: 'chat_send_batch' },
          )
        ).rows,
      outcomeOf,
      () => ({ ok: false, error: new Error('message left undecided') }),
    );
  }

  function syncMany(asks: SyncAsk[]): Promise<Outcome<SyncResult>[]> {
    return perItem(
      asks,
      (a) => [a.conversationId, a.userId],
      async (valid) =>
        (
          await db.query<SyncRow>(SYNC_BATCH_SQL, [
            valid.map((a) => a.conversationId),
            valid.map((a) => a.userId),
            valid.map((a) => a.afterSeq),
            valid.map((a) => a.afterRev),
            SYNC_PAGE + 1,
          ])
        ).rows,
      (r) => ({
        ok: true,
        value: {
          messages: [...r.changed, ...r.fresh.slice(0, SYNC_PAGE)].map(toMessage),
          lastSeq: r.last_seq,
          rev: r.rev,
          hasMore: r.fresh.length > SYNC_PAGE,
          readStates: r.read_states,
        },
      }),
      // No row: closed, missing, or not the caller's to read.
      () => ({ ok: false, error: notFound() }),
    );
  }

  const syncBatcher = new GroupCommit(syncMany, (a: SyncAsk) => a.conversationId, { maxWaitMs: 0, maxBatch: SYNC_BATCH, lanes: 2 });

  const batchMaxWaitMs = opts.batchMaxWaitMs ?? 0;
  const batcher =
    batchMaxWaitMs > 0
      ? new GroupCommit(sendMany, (i: SendInput) => i.conversationId, {
          maxWaitMs: batchMaxWaitMs,
          maxBatch: opts.batchMax ?? 256,
          lanes: opts.batchLanes ?? 1,
          spillAt: opts.batchSpillAt,
        })
      : null;

  return {
    membership: (conversationId: string, userId: string) => membership(db, conversationId, userId),
    /** Read access: members, or anyone for a public-read conversation. */
    access: (conversationId: string, userId: string) => access(db, conversationId, userId),

    /** Opens a conversation with its first members. Runs inside the caller's transaction. */
    async create(q: Queryable, kind: ConversationKind, memberIds: string[]): Promise<string> {
      const { rows } = await q.query<{ id: string }>('INSERT INTO conversations (kind) VALUES ($1) RETURNING id', [kind]);
      const id = rows[0]!.id;
      for (const userId of memberIds) {
        await q.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2)', [id, userId]);
      }
      return id;
    },

    /** Closes a conversation: nobody can read or post in it any more. */
    async close(q: Queryable, conversationId: string) {
      await q.query('UPDATE conversations SET closed_at = now() WHERE id = $1 AND closed_at IS NULL', [conversationId]);
    },

    /**
     * Stores a message with the next seq, idempotently on (conversation, sender, nonce): a retry
     * returns the original with `created: false`. Sending also marks the conversation read up to
     * the new message for the sender. Resolves only after the commit. With group commit on, the
     * message shares its transaction with others sent at about the same time.
     */
    send(input: SendInput): Promise<SendResult> {
      return batcher ? batcher.submit(input) : sendMany([input]).then(([o]) => (o!.ok ? o!.value : Promise.reject(o!.error)));
    },

    edit(conversationId: string, messageId: string, userId: string, body: string) {
      return change(conversationId, messageId, userId, { sql: 'body = $3, edited_at = now()', params: [body] });
    },

    /** Deletes the text but keeps the row, so seq stays without holes. Moderators may delete anyone's. */
    remove(conversationId: string, messageId: string, userId: string) {
      return change(conversationId, messageId, userId, { sql: "body = '', deleted_at = now()", params: [], moderation: true });
    },

    /**
     * New messages after `afterSeq`, plus older ones changed after `afterRev`, in seq order, with
     * the counters and read positions. Every reconnect runs this once per conversation, so syncs
     * asked at about the same time share one statement (see SYNC_BATCH_SQL). Outsiders get
     * NOT_FOUND as from `access`.
     */
    sync(conversationId: string, userId: string, afterSeq: number, afterRev?: number): Promise<SyncResult> {
      return syncBatcher.submit({ conversationId, userId, afterSeq, afterRev: afterRev ?? null });
    },

    /** Messages before `beforeSeq` (or the newest), oldest first. */
    async history(conversationId: string, userId: string, beforeSeq: number | undefined, limit: number): Promise<HistoryResult> {
      await access(db, conversationId, userId);
      const { rows } = await db.query<MessageRow>(
        `SELECT * FROM messages WHERE conversation_id = $1 AND ($2::int IS NULL OR seq < $2)
          ORDER BY seq DESC LIMIT $3`,
        [conversationId, beforeSeq ?? null, limit + 1],
      );
      const hasMore = rows.length > limit;
      return { messages: rows.slice(0, limit).reverse().map(toMessage), hasMore };
    },

    /** Moves the reader's position forward (never back, never past the last message). */
    async markRead(conversationId: string, userId: string, seq: number) {
      const m = await membership(db, conversationId, userId);
      const { rows } = await db.query<{ last_read_seq: number }>(
        `UPDATE conversation_members SET last_read_seq = GREATEST(last_read_seq, LEAST($3::int, $4::int))
          WHERE conversation_id = $1 AND user_id = $2
          RETURNING last_read_seq`,
        [conversationId, userId, seq, m.last_seq],
      );
      const lastReadSeq = rows[0]!.last_read_seq;
      return { lastReadSeq, moved: lastReadSeq > m.last_read_seq };
    },

    readStates: (conversationId: string) => readStates(db, conversationId),
  };
}
export type ChatStore = ReturnType<typeof chatStore>;
