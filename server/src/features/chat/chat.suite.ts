import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, startTestServer, type TestClient, type TestServer, type TestServerOptions } from '../../test/harness.js';
import { collect, interest, matchedPair, postCard, send, sleep, user } from '../../test/fixtures.js';

/** The chat message path, run on PGlite (chat.test.ts) and real Postgres (chat.pg.test.ts). */
export function chatSuite(label: string, opts: TestServerOptions) {
  describe(`match chat (${label})`, () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer(opts);
    });
    const ack = <T>(s: TestClient, event: string, payload: unknown) =>
      (s as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<T> } })
        .timeout(5_000)
        .emitWithAck(event, payload);

    it('delivers messages both ways, acked after commit with consecutive seqs', async () => {
      const { a, b, conversationId } = await matchedPair(srv);
      const [sa, sb] = [await a.socket(), await b.socket()];
      const atB = nextEvent(sb, 'chat:sent');
      const first = await send(sa, conversationId, 'こんにちは!');
      expect(first).toMatchObject({ ok: true, data: { seq: 1, id: expect.any(String) } });
      expect(await atB).toMatchObject({ seq: 1, body: 'こんにちは!', senderId: a.id, conversationId });
      const atA = nextEvent(sa, 'chat:sent');
      const reply = await send(sb, conversationId, 'hi A');
      expect(reply).toMatchObject({ ok: true, data: { seq: 2 } });
      expect(await atA).toMatchObject({ seq: 2, body: 'hi A', senderId: b.id });
      // Committed before the ack: it is in the history.
      const history = await b.call({ method: 'GET', url: `/api/conversations/${conversationId}/messages` });
      expect(history.body.data.messages.map((m: { body: string }) => m.body)).toEqual(['こんにちは!', 'hi A']);
    });

    it('stores a retried message once when the nonce is the same', async () => {
      const { a, conversationId } = await matchedPair(srv);
      const sa = await a.socket();
      const nonce = randomUUID();
      const acks = await Promise.all([send(sa, conversationId, 'once', nonce), send(sa, conversationId, 'once', nonce)]);
      const again = await send(sa, conversationId, 'once', nonce);
      const ids = [...acks, again].map((r) => (r.ok ? r.data.id : null));
      expect(new Set(ids).size).toBe(1);
      const sync = await ack<{ ok: true; data: { messages: unknown[]; lastSeq: number } }>(sa, 'chat:sync', { conversationId, afterSeq: 0 });
      expect(sync.data.messages).toHaveLength(1);
      expect(sync.data.lastSeq).toBe(1);
    });

    it('lets a reconnecting member catch up: 20 missed messages in order, with edits and deletions applied', async () => {
      const { a, b, conversationId } = await matchedPair(srv);
      const sa = await a.socket();
      const warm = await send(sa, conversationId, 'before the gap');
      const seenSeq = warm.ok ? warm.data.seq : 0;
      const b1 = await b.socket();
      const before = await ack<{ ok: true; data: { rev: number } }>(b1, 'chat:sync', { conversationId, afterSeq: 0, afterRev: 0 });
      const seenRev = before.data.rev;
      b1.disconnect();

      const acks: Awaited<ReturnType<typeof send>>[] = [];
      for (let i = 1; i <= 20; i++) {
        acks.push(await send(sa, conversationId, `missed ${i}`));
        await sleep(110); // stay under the 10 messages/s limit
      }
      expect(acks.every((r) => r.ok)).toBe(true);
      const id = (i: number) => (acks[i - 1]!.ok ? (acks[i - 1] as { data: { id: string } }).data.id : '');
      expect((await ack<{ ok: boolean }>(sa, 'chat:edit', { conversationId, messageId: id(3), body: 'missed 3 (fixed)' })).ok).toBe(true);
      expect((await ack<{ ok: boolean }>(sa, 'chat:delete', { conversationId, messageId: id(7) })).ok).toBe(true);
      // An edit of a message B had already seen comes back too, through rev.
      const warmId = warm.ok ? warm.data.id : '';
      await ack(sa, 'chat:edit', { conversationId, messageId: warmId, body: 'before the gap (edited)' });

      const b2 = await b.socket();
      const res = await ack<{ ok: true; data: { messages: any[]; lastSeq: number; hasMore: boolean } }>(b2, 'chat:sync', {
        conversationId,
        afterSeq: seenSeq,
        afterRev: seenRev,
      });
      const msgs = res.data.messages;
      expect(res.data.hasMore).toBe(false);
      expect(res.data.lastSeq).toBe(21);
      expect(msgs.map((m) => m.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(msgs[0]).toMatchObject({ body: 'before the gap (edited)', editedAt: expect.any(String) });
      expect(msgs.slice(1).map((m) => m.body)).toEqual(
        Array.from({ length: 20 }, (_, i) => (i + 1 === 3 ? 'missed 3 (fixed)' : i + 1 === 7 ? '' : `missed ${i + 1}`)),
      );
      expect(msgs[3]).toMatchObject({ editedAt: expect.any(String) });
      expect(msgs[7]).toMatchObject({ body: '', deletedAt: expect.any(String) });
    });

    it('pages history backwards by seq cursor', async () => {
      const { a, conversationId } = await matchedPair(srv);
      const sa = await a.socket();
      for (let i = 1; i <= 7; i++) expect((await send(sa, conversationId, `m${i}`)).ok).toBe(true);
      const newest = await ack<{ ok: true; data: { messages: { seq: number }[]; hasMore: boolean } }>(sa, 'chat:history', {
        conversationId,
        limit: 3,
      });
      expect(newest.data.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
      expect(newest.data.hasMore).toBe(true);
      const older = await a.call({ method: 'GET', url: `/api/conversations/${conversationId}/messages?beforeSeq=5&limit=3` });
      expect(older.body.data.messages.map((m: { seq: number }) => m.seq)).toEqual([2, 3, 4]);
      const oldest = await a.call({ method: 'GET', url: `/api/conversations/${conversationId}/messages?beforeSeq=2&limit=3` });
      expect(oldest.body.data).toMatchObject({ hasMore: false, messages: [expect.objectContaining({ seq: 1 })] });
    });

    it('refuses an outsider at every chat event and HTTP route of the match, and never sends them its traffic', async () => {
      const { a, match, conversationId } = await matchedPair(srv);
      const sa = await a.socket();
      const sent = await send(sa, conversationId, 'private');
      const messageId = sent.ok ? sent.data.id : '';
      const c = await user(srv);
      const sc = await c.socket();
      const leaked = [...collect(sc, 'chat:sent'), ...collect(sc, 'chat:typing-updated')];
      const leakedEdits = collect(sc, 'chat:edited');

      const events: [string, unknown][] = [
        ['chat:send', { conversationId, nonce: randomUUID(), body: 'let me in' }],
        ['chat:edit', { conversationId, messageId, body: 'hijacked' }],
        ['chat:delete', { conversationId, messageId }],
        ['chat:sync', { conversationId, afterSeq: 0, afterRev: 0 }],
        ['chat:history', { conversationId }],
        ['chat:read', { conversationId, seq: 1 }],
        ['chat:typing', { conversationId, typing: true }],
      ];
      for (const [event, payload] of events) {
        const res = await ack<{ ok: boolean; error?: { code: string } }>(sc, event, payload);
        expect({ event, res }).toEqual({ event, res: { ok: false, error: expect.objectContaining({ code: 'NOT_FOUND' }) } });
      }
      const routes: [string, string][] = [
        ['GET', `/api/matches/${match.id}`],
        ['DELETE', `/api/matches/${match.id}`],
        ['GET', `/api/conversations/${conversationId}/messages`],
        ['GET', `/api/conversations/${conversationId}/messages?beforeSeq=2`],
      ];
      for (const [method, url] of routes) {
        const res = await c.call({ method: method as 'GET', url });
        expect({ method, url, status: res.status, code: res.body.error?.code }).toEqual({ method, url, status: 404, code: 'NOT_FOUND' });
      }
      // The match is untouched and the outsider heard nothing.
      await send(sa, conversationId, 'still private');
      await ack(sa, 'chat:typing', { conversationId, typing: true });
      await ack(sa, 'chat:edit', { conversationId, messageId, body: 'edited privately' });
      await sleep(200);
      expect([...leaked, ...leakedEdits]).toEqual([]);
      expect((await a.call({ method: 'GET', url: `/api/matches/${match.id}` })).status).toBe(200);
    });

    it('refuses bad input with clear codes and changes nothing', async () => {
      const { a, b, conversationId } = await matchedPair(srv);
      const [sa, sb] = [await a.socket(), await b.socket()];
      const cases: [string, unknown, string][] = [
        ['chat:send', { conversationId, nonce: randomUUID(), body: '' }, 'INVALID_PAYLOAD'],
        ['chat:send', { conversationId, nonce: randomUUID(), body: '   \n\t ' }, 'INVALID_PAYLOAD'],
        ['chat:send', { conversationId, nonce: randomUUID(), body: 'x'.repeat(2001) }, 'INVALID_PAYLOAD'],
        ['chat:send', { conversationId, nonce: 'not-a-uuid', body: 'hi' }, 'INVALID_PAYLOAD'],
        ['chat:send', { conversationId: randomUUID(), nonce: randomUUID(), body: 'hi' }, 'NOT_FOUND'],
        ['chat:edit', { conversationId, messageId: randomUUID(), body: 'x' }, 'NOT_FOUND'],
        ['chat:sync', { conversationId, afterSeq: -1 }, 'INVALID_PAYLOAD'],
      ];
      for (const [event, payload, code] of cases) {
        const res = await ack<{ ok: boolean; error?: { code: string } }>(sa, event, payload);
        expect({ event, payload, code: res.error?.code }).toEqual({ event, payload, code });
      }
      const mine = await send(sa, conversationId, 'mine');
      const messageId = mine.ok ? mine.data.id : '';
      const edit = await ack<{ ok: boolean; error?: { code: string } }>(sb, 'chat:edit', { conversationId, messageId, body: 'not yours' });
      expect(edit.error?.code).toBe('FORBIDDEN');
      const del = await ack<{ ok: boolean; error?: { code: string } }>(sb, 'chat:delete', { conversationId, messageId });
      expect(del.error?.code).toBe('FORBIDDEN');
      const sync = await ack<{ data: { messages: { body: string }[] } }>(sa, 'chat:sync', { conversationId, afterSeq: 0 });
      expect(sync.data.messages.map((m) => m.body)).toEqual(['mine']);
    });

    it('counts unread from read positions, across devices, and clears them when you send', async () => {
      const { a, b, match, conversationId } = await matchedPair(srv);
      const sa = await a.socket();
      const [b1, b2] = [await b.socket(), await b.socket()];
      for (const body of ['one', 'two', 'three']) await send(sa, conversationId, body);
      const unreadOf = async () =>
        (await b.call({ method: 'GET', url: '/api/matches' })).body.data.find((m: { id: string }) => m.id === match.id)?.unread;
      expect(await unreadOf()).toBe(3);

      const byB = (r: { userId: string }) => r.userId === b.id;
      const receiptAtA = nextEvent(sa, 'chat:read-updated', 3_000, byB);
      const otherDevice = nextEvent(b2, 'chat:read-updated', 3_000, byB);
      expect(await ack(b1, 'chat:read', { conversationId, seq: 2 })).toEqual({ ok: true, data: { lastReadSeq: 2 } });
      expect(await receiptAtA).toEqual({ conversationId, userId: b.id, lastReadSeq: 2 });
      expect(await otherDevice).toEqual({ conversationId, userId: b.id, lastReadSeq: 2 });
      expect(await unreadOf()).toBe(1);
      const aView = (await a.call({ method: 'GET', url: `/api/matches/${match.id}` })).body.data;
      expect(aView).toMatchObject({ unread: 0, otherLastReadSeq: 2 });

      // Read positions never go back, nor past the end.
      expect(await ack(b2, 'chat:read', { conversationId, seq: 1 })).toEqual({ ok: true, data: { lastReadSeq: 2 } });
      expect(await ack(b2, 'chat:read', { conversationId, seq: 99 })).toEqual({ ok: true, data: { lastReadSeq: 3 } });
      await send(sa, conversationId, 'four');
      expect(await unreadOf()).toBe(1);
      // My other device learns from the message itself that I have read up to it.
      const myOtherDevice = nextEvent(b2, 'chat:sent', 3_000, (m) => m.senderId === b.id);
      await send(b1, conversationId, 'replying clears my unread');
      expect(await unreadOf()).toBe(0);
      expect(await myOtherDevice).toMatchObject({ senderId: b.id, seq: 5 });
      const list = (await a.call({ method: 'GET', url: '/api/matches' })).body.data;
      expect(list.find((m: { id: string }) => m.id === match.id)).toMatchObject({ unread: 1, lastMessage: 'replying clears my unread' });
    });

    it('orders the match list by last activity', async () => {
      const me = await user(srv);
      const first = await matchedPair(srv, me);
      const second = await matchedPair(srv, me);
      const order = async () => (await me.call({ method: 'GET', url: '/api/matches' })).body.data.map((m: { id: string }) => m.id);
      expect(await order()).toEqual([second.match.id, first.match.id]);
      const s = await me.socket();
      await send(s, first.conversationId, 'bump');
      expect(await order()).toEqual([first.match.id, second.match.id]);
    });

    it('shows typing to the other member and expires it by itself within 6 s when stop never comes', async () => {
      const { a, b, conversationId } = await matchedPair(srv);
      const [sa, sb] = [await a.socket(), await b.socket()];
      const events = collect(sb, 'chat:typing-updated');
      const selfEvents = collect(sa, 'chat:typing-updated');
      const startedAt = Date.now();
      expect(await ack(sa, 'chat:typing', { conversationId, typing: true })).toEqual({ ok: true, data: null });
      await expect.poll(() => events.length).toBe(1);
      expect(events[0]).toEqual({ conversationId, userId: a.id, typing: true, ttlMs: expect.any(Number) });
      expect(events[0].ttlMs).toBeLessThanOrEqual(6_000);
      await expect.poll(() => events.length, { timeout: 7_000, interval: 100 }).toBe(2);
      expect(events[1]).toMatchObject({ userId: a.id, typing: false });
      expect(Date.now() - startedAt).toBeLessThanOrEqual(6_500);
      expect(selfEvents).toEqual([]);
    });

    it('rate-limits a flood of messages with RATE_LIMITED and a retry-after, losing none that were acked', async () => {
      const { a, conversationId } = await matchedPair(srv);
      const sa = await a.socket();
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => send(sa, conversationId, `flood ${i}`)));
      const ok = results.filter((r) => r.ok);
      const limited = results.filter((r) => !r.ok);
      expect(ok.length).toBe(10);
      expect(limited[0]).toMatchObject({ error: { code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } } });
      const sync = await ack<{ data: { messages: unknown[] } }>(sa, 'chat:sync', { conversationId, afterSeq: 0 });
      expect(sync.data.messages).toHaveLength(ok.length);
      await sleep(1_100);
      expect((await send(sa, conversationId, 'calm again')).ok).toBe(true);
    });

    it('joins a new match’s chat live on an already-open socket', async () => {
      const a = await user(srv);
      const b = await user(srv);
      const [sa, sb] = [await a.socket(), await b.socket()];
      const ca = await postCard(a);
      const cb = await postCard(b);
      const created = nextEvent(sb, 'match:created');
      await interest(a, cb.id);
      await interest(b, ca.id);
      const m = await created;
      const got = nextEvent(sb, 'chat:sent');
      await send(sa, m.conversationId, 'first words');
      expect(await got).toMatchObject({ body: 'first words' });
    });
  });
}
