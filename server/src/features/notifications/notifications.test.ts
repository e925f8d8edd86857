import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, startTestServer, type TestServer } from '../../test/harness.js';
import { interest, matchedPair, postCard, send, user } from '../../test/fixtures.js';
import { mentionsIn } from '../chat/index.js';

describe('notifications', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });

  it('stores a notification for a new match, pushes it live, counts it unread, and marks it read on every device', async () => {
    const a = await user(srv);
    const b = await user(srv);
    const [b1, b2] = [await b.socket(), await b.socket()];
    const pushed = nextEvent(b1, 'notification:created');
    const cardA = await postCard(a);
    const cardB = await postCard(b);
    await interest(b, cardA.id);
    const matchId = (await interest(a, cardB.id)).body.data.matchId;
    expect(await pushed).toMatchObject({ data: { kind: 'match', matchId, other: { id: a.id } }, readAt: null });

    const list = await b.call({ method: 'GET', url: '/api/notifications' });
    expect(list.body.data).toMatchObject({ unread: 1, nextCursor: null, items: [{ data: { kind: 'match', matchId } }] });
    const otherDevice = nextEvent(b2, 'notification:read');
    const read = await b.call({ method: 'POST', url: '/api/notifications/read', payload: { ids: [list.body.data.items[0].id] } });
    expect(read.body.data).toEqual({ unread: 0 });
    expect(await otherDevice).toEqual({ ids: [list.body.data.items[0].id], unread: 0 });
    // Someone else's ids change nothing of theirs.
    const aList = await a.call({ method: 'GET', url: '/api/notifications' });
    expect(aList.body.data.unread).toBe(1);
    await b.call({ method: 'POST', url: '/api/notifications/read', payload: { ids: [aList.body.data.items[0].id] } });
    expect((await a.call({ method: 'GET', url: '/api/notifications' })).body.data.unread).toBe(1);
    expect((await a.call({ method: 'POST', url: '/api/notifications/read', payload: { all: true } })).body.data).toEqual({ unread: 0 });
  });

  it('pages newest first by cursor and refuses bad bodies', async () => {
    const u = await user(srv);
    for (let i = 0; i < 5; i++) {
      await srv.app.ctx.db.query('INSERT INTO notifications (user_id, data) VALUES ($1, $2)', [
        u.id,
        JSON.stringify({ kind: 'meetup_cancelled', meetupId: '00000000-0000-4000-8000-00000000000' + i, title: `m${i}` }),
      ]);
    }
    const first = await u.call({ method: 'GET', url: '/api/notifications?limit=3' });
    expect(first.body.data.items.map((n: { data: { title: string } }) => n.data.title)).toEqual(['m4', 'm3', 'm2']);
    const rest = await u.call({ method: 'GET', url: `/api/notifications?limit=3&cursor=${first.body.data.nextCursor}` });
    expect(rest.body.data.items.map((n: { data: { title: string } }) => n.data.title)).toEqual(['m1', 'm0']);
    expect(rest.body.data.nextCursor).toBeNull();
    expect((await u.call({ method: 'POST', url: '/api/notifications/read', payload: { ids: [] } })).status).toBe(400);
    expect((await u.call({ method: 'POST', url: '/api/notifications/read', payload: { all: false } })).status).toBe(400);
  });

  it('notifies members mentioned as @handle in a chat, once, and nobody outside it', async () => {
    const { a, b, conversationId } = await matchedPair(srv);
    const outsider = await user(srv);
    const sb = await b.socket();
    const mentioned = nextEvent(sb, 'notification:created', 3_000, (n) => n.data.kind === 'mention');
    const sa = await a.socket();
    await send(sa, conversationId, `hey @${b.handle.toUpperCase()} and @${outsider.handle}, see you @${b.handle}`);
    expect((await mentioned).data).toMatchObject({ kind: 'mention', conversationId, from: { id: a.id } });
    const count = async (u: typeof b) =>
      (await u.call({ method: 'GET', url: '/api/notifications' })).body.data.items.filter((n: { data: { kind: string } }) => n.data.kind === 'mention').length;
    expect(await count(b)).toBe(1);
    expect(await count(outsider)).toBe(0);
  });
});

describe('mentionsIn', () => {
  it('finds @handles, case-insensitively and once each, but not e-mail addresses', () => {
    expect(mentionsIn('@Alice hi @bob_1, mail me at x@example.org @alice')).toEqual(['alice', 'bob_1']);
  });
});
