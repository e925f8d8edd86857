import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, startTestServer, type TestServer, type TestServerOptions } from '../../test/harness.js';
import { collect, interest, matchedPair, postCard, sleep, user } from '../../test/fixtures.js';

/** Interest and matching, run on PGlite (matches.test.ts) and real Postgres (matches.pg.test.ts). */
export function matchSuite(label: string, opts: TestServerOptions) {
  describe(`interest and matches (${label})`, () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer(opts);
    });

    it('makes exactly one match when two people are interested in each other, and tells both at once', async () => {
      const a = await user(srv);
      const b = await user(srv);
      const cardA = await postCard(a, { title: 'A wants to talk' });
      const cardB = await postCard(b, { title: 'B wants to talk' });
      const [sa, sb] = [await a.socket(), await b.socket()];
      const matchesA = collect(sa, 'match:created');
      const matchesB = collect(sb, 'match:created');
      const incoming = nextEvent(sb, 'interest:changed');

      const first = await interest(a, cardB.id);
      expect(first.body.data).toEqual({ interested: true, matchId: null });
      expect(await incoming).toMatchObject({ active: true, interest: { user: { id: a.id }, card: { id: cardB.id } } });

      const second = await interest(b, cardA.id);
      const matchId = second.body.data.matchId;
      expect(matchId).toEqual(expect.any(String));
      await expect.poll(() => matchesA.length + matchesB.length).toBe(2);
      await sleep(150);
      expect(matchesA).toHaveLength(1);
      expect(matchesB).toHaveLength(1);
      // Each side sees the other person and which cards brought them together.
      expect(matchesA[0]).toMatchObject({ id: matchId, other: { id: b.id }, myCard: { id: cardA.id }, theirCard: { id: cardB.id } });
      expect(matchesB[0]).toMatchObject({ id: matchId, other: { id: a.id }, myCard: { id: cardB.id }, theirCard: { id: cardA.id } });

      // Pressing again elsewhere does not make a second match.
      const cardA2 = await postCard(a);
      await interest(b, cardA2.id);
      const list = await a.call({ method: 'GET', url: '/api/matches' });
      expect(list.body.data.filter((m: { other: { id: string } }) => m.other.id === b.id)).toHaveLength(1);
    });

    it('keeps one match per pair when both press at the same moment, 50 rounds in a row', async () => {
      const a = await user(srv);
      const b = await user(srv);
      const cardA = await postCard(a);
      const cardB = await postCard(b);
      for (let round = 0; round < 50; round++) {
        const [ra, rb] = await Promise.all([interest(a, cardB.id), interest(b, cardA.id)]);
        expect([ra.status, rb.status]).toEqual([200, 200]);
        const ids = [ra.body.data.matchId, rb.body.data.matchId].filter(Boolean);
        expect(ids.length).toBeGreaterThanOrEqual(1);
        const { rows } = await srv.app.ctx.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM matches WHERE ended_at IS NULL AND user_a = LEAST($1::uuid, $2::uuid) AND user_b = GREATEST($1::uuid, $2::uuid)`,
          [a.id, b.id],
        );
        expect(rows[0]!.n, `round ${round}`).toBe(1);
        // Unmatching clears the interest, so the next round starts from nothing.
        expect((await a.call({ method: 'DELETE', url: `/api/matches/${ids[0]}` })).status).toBe(200);
      }
      const { rows } = await srv.app.ctx.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM matches WHERE user_a = LEAST($1::uuid, $2::uuid) AND user_b = GREATEST($1::uuid, $2::uuid)',
        [a.id, b.id],
      );
      expect(rows[0]!.n).toBe(50);
    });

    it('refuses interest on your own card, and toggles interest off when pressed again', async () => {
      const a = await user(srv);
      const b = await user(srv);
      const own = await postCard(a);
      const res = await interest(a, own.id);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');

      const card = await postCard(b);
      await interest(a, card.id);
      expect((await a.call({ method: 'GET', url: `/api/cards/${card.id}` })).body.data.interestedByMe).toBe(true);
      const sb = await b.socket();
      const withdrawn = nextEvent(sb, 'interest:changed');
      const off = await a.call({ method: 'DELETE', url: `/api/cards/${card.id}/interest` });
      expect(off.body.data).toEqual({ interested: false, matchId: null });
      expect(await withdrawn).toMatchObject({ active: false, interest: { user: { id: a.id } } });
      expect((await b.call({ method: 'GET', url: '/api/me/interested' })).body.data).toEqual([]);
    });

    it('lists who is interested in you and through which card, and accepting makes the match', async () => {
      const owner = await user(srv);
      const fan = await user(srv);
      const card = await postCard(owner, { title: 'Talk about Postgres' });
      await interest(fan, card.id);
      const list = await owner.call({ method: 'GET', url: '/api/me/interested' });
      expect(list.body.data).toEqual([
        expect.objectContaining({ user: expect.objectContaining({ id: fan.id }), card: { id: card.id, title: 'Talk about Postgres' }, matched: false }),
      ]);
      const sf = await fan.socket();
      const told = nextEvent(sf, 'match:created');
      const accepted = await owner.call({ method: 'POST', url: `/api/users/${fan.id}/accept` });
      expect(accepted.status).toBe(200);
      expect(accepted.body.data).toMatchObject({ other: { id: fan.id }, myCard: { id: card.id }, theirCard: null });
      expect(await told).toMatchObject({ id: accepted.body.data.id, other: { id: owner.id } });
      expect((await owner.call({ method: 'GET', url: '/api/me/interested' })).body.data[0].matched).toBe(true);
      // Accepting someone who is not interested is refused.
      const stranger = await user(srv);
      expect((await owner.call({ method: 'POST', url: `/api/users/${stranger.id}/accept` })).status).toBe(404);
    });

    it('tells match partners, live, when the other comes online and goes offline (across tabs)', async () => {
      const { a, b } = await matchedPair(srv);
      const stranger = await user(srv);
      const sa = await a.socket();
      const watching = await stranger.socket();
      const toStranger = collect(watching, 'presence:changed');

      const online = nextEvent(sa, 'presence:changed', 3_000, (e) => e.userId === b.id);
      const tab1 = await b.socket();
      expect(await online).toMatchObject({ userId: b.id, presence: { state: 'online' } });

      // A second tab is not news; closing it while the first stays is not either.
      const changes = collect(sa, 'presence:changed');
      const tab2 = await b.socket();
      tab2.disconnect();
      await sleep(300);
      expect(changes).toHaveLength(0);

      const offline = nextEvent(sa, 'presence:changed', 3_000, (e) => e.userId === b.id);
      tab1.disconnect();
      expect(await offline).toMatchObject({ userId: b.id, presence: { state: 'offline', lastSeen: expect.any(String) } });
      // Only people matched with b hear about b.
      expect(toStranger).toHaveLength(0);
    });

    it('unmatch ends the match for both; the other side is told it ended, with no reason', async () => {
      const { a, b, match } = await matchedPair(srv);
      const sb = await b.socket();
      const ended = nextEvent(sb, 'match:ended');
      expect((await a.call({ method: 'DELETE', url: `/api/matches/${match.id}` })).status).toBe(200);
      expect(await ended).toEqual({ matchId: match.id, conversationId: match.conversationId });
      for (const u of [a, b]) {
        expect((await u.call({ method: 'GET', url: '/api/matches' })).body.data).toEqual([]);
        expect((await u.call({ method: 'GET', url: `/api/matches/${match.id}` })).status).toBe(404);
        expect((await u.call({ method: 'GET', url: `/api/conversations/${match.conversationId}/messages` })).status).toBe(404);
      }
      const chat = await sb.timeout(3_000).emitWithAck('chat:sync', { conversationId: match.conversationId, afterSeq: 0 });
      expect(chat).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });

    it('block ends the match, hides both sides’ cards from each other and refuses new interest', async () => {
      const { a, b, cardB, match } = await matchedPair(srv);
      const sa = await a.socket();
      const removed = collect(sa, 'card:removed');
      const ended = nextEvent(await b.socket(), 'match:ended');
      expect((await a.call({ method: 'POST', url: `/api/users/${b.id}/block` })).status).toBe(200);
      expect(await ended).toMatchObject({ matchId: match.id });
      await expect.poll(() => removed.map((r) => r.cardId)).toContain(cardB.id);
      expect((await a.call({ method: 'GET', url: '/api/matches' })).body.data).toEqual([]);
      expect((await a.call({ method: 'GET', url: `/api/cards/${cardB.id}` })).status).toBe(404);
      const res = await interest(a, cardB.id);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      // The blocked side cannot show interest either.
      const cardA = await postCard(a);
      expect((await interest(b, cardA.id)).status).toBe(404);
      expect((await a.call({ method: 'GET', url: '/api/me/blocks' })).body.data.map((u: { id: string }) => u.id)).toEqual([b.id]);
      await a.call({ method: 'DELETE', url: `/api/users/${b.id}/block` });
      expect((await a.call({ method: 'GET', url: `/api/cards/${cardB.id}` })).status).toBe(200);
    });

    it('sends reports to a queue that only moderators and admins can list', async () => {
      const reporter = await user(srv);
      const target = await user(srv);
      const res = await reporter.call({
        method: 'POST',
        url: '/api/reports',
        payload: { userId: target.id, reason: 'spam', message: 'sells crypto in every chat' },
      });
      expect(res.status).toBe(201);
      expect((await reporter.call({ method: 'POST', url: '/api/reports', payload: { userId: target.id, reason: 'nope' } })).status).toBe(400);
      expect((await reporter.call({ method: 'GET', url: '/api/reports' })).status).toBe(403);

      const mod = await user(srv);
      await srv.app.ctx.db.query("UPDATE users SET role = 'moderator' WHERE id = $1", [mod.id]);
      const queue = await mod.call({ method: 'GET', url: '/api/reports' });
      expect(queue.status).toBe(200);
      expect(queue.body.data).toContainEqual(
        expect.objectContaining({
          id: res.body.data.id,
          reason: 'spam',
          message: 'sells crypto in every chat',
          reporter: expect.objectContaining({ id: reporter.id }),
          reported: expect.objectContaining({ id: target.id }),
        }),
      );
    });
  });
}
