import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@hackmeshi/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../../infra/db.js';
import { toAppError } from '../../infra/errors.js';
import { chatStore, type ChatStoreOptions, type SendInput, type SendResult } from './store.js';

/** Two handles on one store of record: two nodes on Postgres, the same PGlite twice. */
export interface GroupCommitStores {
  db: Db;
  /** A second node's connection to the same database (PGlite: the same `db`). */
  other: Db;
  /** Lanes to run batches in (Postgres: several, PGlite: one). */
  lanes: number;
}

/**
 * A Db that counts transactions (a statement outside `tx` is a transaction of its own) and can
 * pretend the database went away.
 */
function counting(db: Db) {
  let txs = 0;
  let down: Error | null = null;
  const wrapped: Db = {
    kind: db.kind,
    query: <T extends object>(sql: string, params?: unknown[]) => {
      txs++;
      return down ? Promise.reject(down) : db.query<T>(sql, params);
    },
    tx: (fn) => {
      txs++;
      return down ? Promise.reject(down) : db.tx(fn);
    },
    exec: (sql) => db.exec(sql),
    ping: () => db.ping(),
    close: () => db.close(),
  };
  return {
    db: wrapped,
    txs: () => txs,
    goDown: (err: Error | null) => void (down = err),
  };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * Group commit of chat sends at the store: many senders, few conversations, duplicates and
 * refusals mixed in, on PGlite (group-commit.test.ts) and Postgres (group-commit.pg.test.ts).
 */
export function groupCommitSuite(label: string, open: () => Promise<GroupCommitStores>) {
  describe(`chat send with group commit (${label})`, () => {
    let stores: GroupCommitStores;
    let users: string[];
    beforeAll(async () => {
      stores = await open();
      users = [];
      for (let i = 0; i < 7; i++) {
        const { rows } = await stores.db.query<{ id: string }>(
          `INSERT INTO users (handle, display_name, password_hash, avatar_color) VALUES ($1, $1, 'x', '#000') RETURNING id`,
          [`gc_${randomUUID().slice(0, 8)}_${i}`],
        );
        users.push(rows[0]!.id);
      }
    });

    /** A conversation with the given members. */
    const conversation = (members: string[]) => stores.db.tx((q) => chatStore(stores.db).create(q, 'community', members));

    const seqsOf = async (conversationId: string) =>
      (await stores.db.query<{ seq: number }>('SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq', [conversationId])).rows.map(
        (r) => r.seq,
      );
    const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    const makeStore = (db: Db, opts: ChatStoreOptions = {}) => chatStore(db, { batchMaxWaitMs: 2, batchLanes: stores.lanes, ...opts });

    /** Runs `fn` in a transaction that is then rolled back, and returns what it returned. */
    async function inRolledBackTx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const rollback = new Error('roll back');
      let result: T;
      try {
        await stores.db.tx(async (q) => {
          result = await fn(q);
          throw rollback;
        });
      } catch (err) {
        if (err !== rollback) throw err;
      }
      return result!;
    }

    /**
     * Sends `perPair` messages from every member into every conversation, each sender's messages
     * to one conversation one after another (without waiting for acks), senders interleaved.
     * Returns the inputs in submission order with their outcomes.
     */
    async function flood(send: (i: SendInput) => Promise<SendResult>, conversations: string[], members: string[], perPair: number) {
      const sent: { input: SendInput; result: Promise<Awaited<ReturnType<typeof settle<SendResult>>>> }[] = [];
      for (let k = 0; k < perPair; k++) {
        for (const conversationId of conversations) {
          for (const senderId of members) {
            const input = { conversationId, senderId, nonce: randomUUID(), body: `${senderId.slice(0, 4)} #${k} "quoted", {braced} \\ NULL\nline` };
            sent.push({ input, result: settle(send(input)) });
          }
        }
        // Let some batches start mid-flood, so arrival order is tested across batches too.
        if (k % 3 === 2) await new Promise((r) => setImmediate(r));
      }
      return Promise.all(sent.map(async (s) => ({ input: s.input, outcome: await s.result })));
    }

    /**
     * Every ack distinct, seqs 1..N per conversation, and (unless `inSenderOrder` is false) each
     * sender's messages in the order they were sent.
     */
    async function expectOrderedWithoutHoles(results: Awaited<ReturnType<typeof flood>>, conversations: string[], inSenderOrder = true) {
      const acked = results.map((r) => {
        if (!r.outcome.ok) throw r.outcome.error;
        return { input: r.input, ...r.outcome.value };
      });
      expect(acked.every((a) => a.created)).toBe(true);
      expect(new Set(acked.map((a) => `${a.message.conversationId}/${a.message.seq}`)).size).toBe(acked.length);
      expect(new Set(acked.map((a) => a.message.id)).size).toBe(acked.length);
      for (const c of conversations) {
        const mine = acked.filter((a) => a.input.conversationId === c);
        expect(mine.map((a) => a.message.seq).sort((x, y) => x - y)).toEqual(range(mine.length));
        expect(await seqsOf(c)).toEqual(range(mine.length));
        const { rows } = await stores.db.query<{ last_seq: number; rev: number }>('SELECT last_seq, rev FROM conversations WHERE id = $1', [c]);
        expect(rows[0]).toEqual({ last_seq: mine.length, rev: mine.length });
        if (!inSenderOrder) continue;
        for (const senderId of new Set(mine.map((a) => a.input.senderId))) {
          const seqs = mine.filter((a) => a.input.senderId === senderId).map((a) => a.message.seq);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        }
      }
      for (const a of acked) expect(a.message.body).toBe(a.input.body);
    }

    it('acks every message of many senders with a distinct seq, 1..N per conversation in arrival order, in fewer transactions than messages', async () => {
      const members = users.slice(0, 6);
      const conversations = [await conversation(members), await conversation(members), await conversation(members)];
      const c = counting(stores.db);
      const store = makeStore(c.db);
      const results = await flood(store.send, conversations, members, 20); // 360 messages, more than one batch holds
      await expectOrderedWithoutHoles(results, conversations);
      expect(c.txs()).toBeGreaterThanOrEqual(2);
      expect(c.txs()).toBeLessThan(results.length / 10);
      // Sending reads up to your own newest message.
      const { rows } = await stores.db.query<{ last_read_seq: number; user_id: string }>(
        'SELECT user_id, last_read_seq FROM conversation_members WHERE conversation_id = $1',
        [conversations[0]],
      );
      for (const r of rows) {
        const newest = Math.max(
          ...results.filter((x) => x.input.conversationId === conversations[0] && x.input.senderId === r.user_id).map((x) => (x.outcome.ok ? x.outcome.value.message.seq : 0)),
        );
        expect(r.last_read_seq).toBe(newest);
      }
    });

    it('commits each message on its own when the wait is 0, with the same guarantees', async () => {
      const members = users.slice(0, 3);
      const conversations = [await conversation(members), await conversation(members)];
      const c = counting(stores.db);
      const store = makeStore(c.db, { batchMaxWaitMs: 0 });
      const results = await flood(store.send, conversations, members, 5);
      // As before group commit, concurrent single transactions on a pool take the row lock in
      // whatever order they get there: seqs stay without holes, but a sender who does not wait
      // for acks may see two of their own messages swapped.
      await expectOrderedWithoutHoles(results, conversations, stores.db.kind === 'pglite');
      expect(c.txs()).toBe(results.length);
    });

    it('returns the original for a repeated nonce, inside one batch and after it, storing it once', async () => {
      const [a, b] = users;
      const conversationId = await conversation([a!, b!]);
      const c = counting(stores.db);
      const store = makeStore(c.db);
      const nonce = randomUUID();
      const upper = { conversationId, senderId: a!, nonce: nonce.toUpperCase(), body: 'once' };
      const batch = await Promise.all([
        store.send({ conversationId, senderId: b!, nonce: randomUUID(), body: 'before' }),
        store.send({ conversationId, senderId: a!, nonce, body: 'once' }),
        store.send({ conversationId, senderId: a!, nonce, body: 'once, retried' }),
        store.send(upper),
        // The same nonce from someone else is someone else's message.
        store.send({ conversationId, senderId: b!, nonce, body: 'mine' }),
      ]);
      expect(c.txs()).toBe(1);
      const [, first, retry, retryUpper, others] = batch;
      expect(first).toMatchObject({ created: true, message: { seq: 2, body: 'once' } });
      expect(retry).toEqual({ created: false, message: first!.message });
      expect(retryUpper).toEqual({ created: false, message: first!.message });
      expect(others).toMatchObject({ created: true, message: { seq: 3, senderId: b, body: 'mine' } });
      const later = await store.send({ conversationId, senderId: a!, nonce, body: 'once, much later' });
      expect(later).toEqual({ created: false, message: first!.message });
      expect(await seqsOf(conversationId)).toEqual([1, 2, 3]);
    });

    it('refuses a bad message in a batch and acks the rest, with no hole where it would have gone', async () => {
      const [a, b, outsider, muted, reader] = users;
      const conversationId = await conversation([a!, b!, muted!]);
      const closed = await conversation([a!, b!]);
      const publicOne = await conversation([a!]);
      await stores.db.query('UPDATE conversation_members SET can_post = false WHERE conversation_id = $1 AND user_id = $2', [conversationId, muted]);
      await stores.db.query('UPDATE conversations SET public_read = true WHERE id = $1', [publicOne]);
      await stores.db.tx((q) => chatStore(stores.db).close(q, closed));
      const c = counting(stores.db);
      const store = makeStore(c.db, { batchLanes: 1 }); // these conversations could hash to several lanes
      const msg = (senderId: string, body: string, to = conversationId) => ({ conversationId: to, senderId, nonce: randomUUID(), body });
      const results = await Promise.all(
        [
          msg(a!, 'one'),
          msg(outsider!, 'let me in'),
          msg(b!, 'two'),
          msg(muted!, 'shh'),
          msg(a!, 'into a closed one', closed),
          msg(reader!, 'only reading', publicOne),
          msg(a!, 'nowhere', randomUUID()),
          msg(b!, 'three'),
          msg(a!, 'public, by a member', publicOne),
        ].map((m) => settle(store.send(m))),
      );
      expect(c.txs()).toBe(1);
      const codes = results.map((r) => (r.ok ? r.value.message.seq : toAppError(r.error).code));
      expect(codes).toEqual([1, ErrorCode.NOT_FOUND, 2, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, 3, 1]);
      expect(await seqsOf(conversationId)).toEqual([1, 2, 3]);
      expect(await seqsOf(closed)).toEqual([]);
    });

    it('fails only the message the database refuses, even when no check foresaw it', async () => {
      const [a, b] = users;
      const conversationId = await conversation([a!, b!]);
      const store = makeStore(stores.db);
      const bodies = Array.from({ length: 12 }, (_, i) => (i === 5 ? 'a NUL \u0000 byte' : `fine ${i}`));
      const results = await Promise.all(
        bodies.map((body, i) => settle(store.send({ conversationId, senderId: i % 2 ? a! : b!, nonce: randomUUID(), body }))),
      );
      expect(results.map((r) => r.ok)).toEqual(bodies.map((_, i) => i !== 5));
      expect(toAppError((results[5] as { error: unknown }).error).code).toBe(ErrorCode.INTERNAL);
      const seqs = results.flatMap((r) => (r.ok ? [r.value.message.seq] : []));
      expect(seqs).toEqual(range(11));
      expect(await seqsOf(conversationId)).toEqual(range(11));
    });

    it('rejects the whole batch with the retryable error when the database is unreachable, and stores nothing', async () => {
      const [a, b] = users;
      const conversationId = await conversation([a!, b!]);
      const c = counting(stores.db);
      const store = makeStore(c.db);
      const lost = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      c.goDown(lost);
      const inputs = Array.from({ length: 5 }, (_, i) => ({ conversationId, senderId: i % 2 ? a! : b!, nonce: randomUUID(), body: `m${i}` }));
      const results = await Promise.all(inputs.map((i) => settle(store.send(i))));
      expect(results.map((r) => (r.ok ? 'acked' : toAppError(r.error).code))).toEqual(Array(5).fill(ErrorCode.UNAVAILABLE));
      expect(c.txs()).toBe(1); // no one-by-one retry against a database that is gone
      expect(await seqsOf(conversationId)).toEqual([]);
      // The clients retry with the same nonces once it is back: each stored once, in order.
      c.goDown(null);
      const retried = await Promise.all(inputs.map((i) => store.send(i)));
      expect(retried.map((r) => r.message.seq)).toEqual(range(5));
    });

    it('keeps seqs without holes when two nodes send into the same conversations at once', async () => {
      const members = users.slice(0, 4);
      const conversations = [await conversation(members), await conversation(members)];
      const one = makeStore(stores.db);
      const two = makeStore(stores.other);
      // A client talks to one node, so each sender is on one of the two.
      const results = await flood((i) => (members.indexOf(i.senderId) % 2 ? one : two).send(i), conversations, members, 15);
      await expectOrderedWithoutHoles(results, conversations);
    });

    it('looks every row up by key, even with a plan kept from when the store was small', async () => {
      // The function's plan is made once per connection. Made while messages was nearly empty,
      // version 7's scanned the whole table on every later send, so sends slowed as it grew.
      const members = users.slice(0, 2);
      const [small, big] = [await conversation(members), await conversation(members)];
      const send = (q: Queryable, conversationId: string) =>
        q.query('SELECT * FROM chat_send_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])', [
          [conversationId, conversationId],
          members,
          [randomUUID(), randomUUID()],
          ['a', 'b'],
        ]);
      const scans = await inRolledBackTx(async (q) => {
        for (let i = 0; i < 3; i++) await send(q, small); // plans on the nearly empty table
        await q.query(
          `INSERT INTO messages (conversation_id, seq, rev, sender_id, nonce, body)
           SELECT $1, g, g, $2, gen_random_uuid(), 'filler' FROM generate_series(1, 20000) g`,
          [big, members[0]],
        );
        await q.query('UPDATE conversations SET last_seq = 20000, rev = 20000 WHERE id = $1', [big]);
        // Sequential scans of the three tables in this transaction so far (the filler's included).
        const seqScans = async () =>
          (
            await q.query<{ relname: string; seq_scan: string }>(
              `SELECT relname, seq_scan FROM pg_stat_xact_user_tables
                WHERE schemaname = current_schema() AND relname IN ('messages', 'conversations', 'conversation_members')
                ORDER BY relname`,
            )
          ).rows.map((r) => ({ table: r.relname, scans: Number(r.seq_scan) }));
        const before = await seqScans();
        for (let i = 0; i < 3; i++) await send(q, big);
        for (let i = 0; i < 3; i++) await send(q, small);
        const after = await seqScans();
        const { rows: tail } = await q.query<{ seq: number }>('SELECT max(seq) AS seq FROM messages WHERE conversation_id = $1', [big]);
        expect(tail[0]!.seq).toBe(20_006);
        return after.map((a, i) => ({ table: a.table, scans: a.scans - (before[i]?.scans ?? 0) }));
      });
      expect(scans).toEqual([
        { table: 'conversation_members', scans: 0 },
        { table: 'conversations', scans: 0 },
        { table: 'messages', scans: 0 },
      ]);
    });

    it("reads only the sender's own membership row, however many conversations they are in", async () => {
      // Where most users are in about one conversation, the planner took the lookup by
      // (conversation, user) through the smaller user-only index, and a send from a member of many
      // conversations read their memberships one by one until it met the right one, twice: the
      // more conversations they had joined since, the more each send cost.
      const [busy, peer] = users.slice(5, 7) as [string, string];
      const fetched = await inRolledBackTx(async (q) => {
        // 1,500 users in one conversation each, and the busy one in 300.
        await q.query(
          `WITH u AS (
             INSERT INTO users (handle, display_name, password_hash, avatar_color)
             SELECT 'one_' || substr(md5(random()::text), 1, 12), 'one', 'x', '#000' FROM generate_series(1, 1500) RETURNING id
           ), c AS (
             INSERT INTO conversations (kind) SELECT 'community' FROM generate_series(1, 1800) RETURNING id
           ), numbered AS (
             SELECT id, row_number() OVER () AS n FROM c
           )
           INSERT INTO conversation_members (conversation_id, user_id)
           SELECT id, $1::uuid FROM numbered WHERE n <= 300
           UNION ALL
           SELECT c.id, u.id FROM (SELECT id, row_number() OVER () AS n FROM u) u JOIN numbered c ON c.n = u.n + 300`,
          [busy],
        );
        // The conversation they talk in now, joined last.
        const target = await chatStore(stores.db).create(q, 'match', [busy, peer]);
        await q.query('ANALYZE conversation_members');
        // A connection plans the function once; here it plans again, with these statistics.
        await q.query('DISCARD PLANS');
        const memberRows = async () =>
          Number(
            (
              await q.query<{ n: string }>(
                `SELECT idx_tup_fetch AS n FROM pg_stat_xact_user_tables WHERE schemaname = current_schema() AND relname = 'conversation_members'`,
              )
            ).rows[0]!.n,
          );
        const before = await memberRows();
        const { rows } = await q.query('SELECT * FROM chat_send_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])', [
          [target],
          [busy],
          [randomUUID()],
          ['hi'],
        ]);
        expect(rows[0]).toMatchObject({ status: 'fresh', seq: 1 });
        return (await memberRows()) - before;
      });
      // One lookup to judge the send and one to move the sender's read position.
      expect(fetched).toBeLessThanOrEqual(4);
    });

    it('answers a crowd of syncs together: each caller gets its own view, outsiders NOT_FOUND, in a few statements', async () => {
      const [a, b, c, d, outsider] = users;
      const plain = makeStore(stores.db);
      const ours = await conversation([a!, b!]);
      const open = await conversation([c!, d!]);
      const shut = await conversation([a!]);
      await stores.db.query('UPDATE conversations SET public_read = true WHERE id = $1', [open]);
      const sent: SendResult[] = [];
      for (let i = 1; i <= 5; i++) sent.push(await plain.send({ conversationId: ours, senderId: i % 2 ? a! : b!, nonce: randomUUID(), body: `ours ${i}` }));
      for (let i = 1; i <= 3; i++) await plain.send({ conversationId: open, senderId: c!, nonce: randomUUID(), body: `open ${i}` });
      await plain.send({ conversationId: shut, senderId: a!, nonce: randomUUID(), body: 'gone' });
      await stores.db.tx((q) => plain.close(q, shut));
      await plain.edit(ours, sent[1]!.message.id, b!, 'ours 2, edited');

      const counted = counting(stores.db);
      const store = chatStore(counted.db);
      const asks: [string, string, number, number?][] = [
        [ours, a!, 0],
        [ours, b!, 3, 5],
        [open, outsider!, 1],
        [ours, c!, 0],
        [shut, a!, 0],
        [randomUUID(), a!, 0],
        [ours, a!, 2 ** 40],
        ...Array.from({ length: 150 }, (): [string, string, number] => [ours, b!, 4]),
      ];
      const got = await Promise.all(asks.map(([conv, user, afterSeq, afterRev]) => settle(store.sync(conv, user, afterSeq, afterRev))));
      expect(counted.txs()).toBeLessThanOrEqual(6);

      const value = (i: number) => {
        const g = got[i]!;
        if (!g.ok) throw g.error;
        return g.value;
      };
      const bodies = (i: number) => value(i).messages.map((m) => `${m.seq}:${m.body}`);
      expect(bodies(0)).toEqual(['1:ours 1', '2:ours 2, edited', '3:ours 3', '4:ours 4', '5:ours 5']);
      expect(value(0)).toMatchObject({ lastSeq: 5, rev: 6, hasMore: false });
      expect(value(0).readStates).toEqual([
        { userId: a, lastReadSeq: 5 },
        { userId: b, lastReadSeq: 4 },
      ]);
      // After seq 3 and rev 5: the two newer ones, and the older one edited since.
      expect(bodies(1)).toEqual(['2:ours 2, edited', '4:ours 4', '5:ours 5']);
      // A public conversation reads for anyone.
      expect(bodies(2)).toEqual(['2:open 2', '3:open 3']);
      for (const i of [3, 4, 5]) {
        const g = got[i]!;
        expect(g.ok ? 'answered' : toAppError(g.error).code).toBe(ErrorCode.NOT_FOUND);
      }
      expect(value(6)).toMatchObject({ messages: [], lastSeq: 5 });
      for (let i = 7; i < asks.length; i++) expect(bodies(i)).toEqual(['5:ours 5']);
    });
  });
}
