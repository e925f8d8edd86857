import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, startTestServer, type TestServer } from '../../test/harness.js';
import { collect, postCard, sleep, user, type TestUser } from '../../test/fixtures.js';

describe('topic cards', () => {
  let srv: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    srv = await startTestServer();
    alice = await user(srv);
  });

  it('posts a card with a title, body and 1–5 normalised tags', async () => {
    const card = await postCard(alice, { title: ' Rust の async ', body: '話しましょう', tags: ['Rust', 'rust', 'Tokio'] });
    expect(card).toMatchObject({
      title: 'Rust の async',
      body: '話しましょう',
      tags: ['rust', 'tokio'],
      status: 'active',
      owner: { id: alice.id, handle: alice.handle },
      interestedByMe: false,
      interestCount: 0,
    });
  });

  it.each([
    ['a title over 80 characters', { title: 'x'.repeat(81) }, 'title'],
    ['a body over 1,000 characters', { body: 'x'.repeat(1001) }, 'body'],
    ['a whitespace-only title', { title: '   ' }, 'title'],
    ['an empty body', { body: '' }, 'body'],
    ['no tags', { tags: [] }, 'tags'],
    ['six tags', { tags: ['a1', 'b2', 'c3', 'd4', 'e5', 'f6'] }, 'tags'],
  ])('refuses %s, naming the field', async (_l, patch, field) => {
    const res = await alice.call({
      method: 'POST',
      url: '/api/cards',
      payload: { title: 'ok', body: 'ok', tags: ['go'], ...patch },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_PAYLOAD');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
  });

  it('lets only the owner edit, archive and delete; archived cards leave the feed but stay in my cards', async () => {
    const bob = await user(srv);
    const card = await postCard(alice, { title: 'Archive me', tags: ['archivable'] });
    const byBob = await bob.call({ method: 'PATCH', url: `/api/cards/${card.id}`, payload: { title: 'mine now' } });
    expect(byBob.status).toBe(403);
    expect((await bob.call({ method: 'DELETE', url: `/api/cards/${card.id}` })).status).toBe(403);

    const edited = await alice.call({ method: 'PATCH', url: `/api/cards/${card.id}`, payload: { body: 'edited body' } });
    expect(edited.body.data).toMatchObject({ title: 'Archive me', body: 'edited body' });

    const watcher = await bob.socket();
    const removed = nextEvent(watcher, 'card:removed');
    await alice.call({ method: 'PATCH', url: `/api/cards/${card.id}`, payload: { status: 'archived' } });
    expect(await removed).toEqual({ cardId: card.id });
    const feed = await bob.call({ method: 'GET', url: '/api/cards?tag=archivable' });
    expect(feed.body.data.items).toEqual([]);
    const mine = await alice.call({ method: 'GET', url: '/api/me/cards' });
    expect(mine.body.data.find((c: { id: string }) => c.id === card.id)?.status).toBe('archived');

    expect((await alice.call({ method: 'DELETE', url: `/api/cards/${card.id}` })).status).toBe(200);
    expect((await alice.call({ method: 'GET', url: `/api/cards/${card.id}` })).status).toBe(404);
    expect((await alice.call({ method: 'DELETE', url: `/api/cards/${card.id}` })).status).toBe(404);
  });

  it('pages the feed newest first with a cursor, without repeats or gaps', async () => {
    const author = await user(srv);
    const titles = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const title of titles) await postCard(author, { title, tags: ['paging'] });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `/api/cards?tag=paging&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await alice.call({ method: 'GET', url: qs });
      seen.push(...res.body.data.items.map((c: { title: string }) => c.title));
      cursor = res.body.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...titles].reverse());
    const bad = await alice.call({ method: 'GET', url: '/api/cards?cursor=garbage' });
    expect(bad.status).toBe(400);
  });

  it('filters by tag and searches title and body, in any script, taking % literally', async () => {
    const author = await user(srv);
    await postCard(author, { title: 'ラーメン部', body: '豚骨について', tags: ['food'] });
    await postCard(author, { title: 'Coverage at 100%', body: 'is it worth it', tags: ['testing'] });
    const search = async (q: string) =>
      (await alice.call({ method: 'GET', url: `/api/cards?q=${encodeURIComponent(q)}` })).body.data.items.map(
        (c: { title: string }) => c.title,
      );
    expect(await search('豚骨')).toEqual(['ラーメン部']);
    expect(await search('COVERAGE')).toEqual(['Coverage at 100%']);
    expect(await search('100%')).toEqual(['Coverage at 100%']);
    expect(await search('%')).toEqual(['Coverage at 100%']);
    const byTag = await alice.call({ method: 'GET', url: '/api/cards?tag=food' });
    expect(byTag.body.data.items.map((c: { title: string }) => c.title)).toEqual(['ラーメン部']);
  });

  it('ranks cards sharing more of my interest tags first in "for you"', async () => {
    const viewer = await user(srv);
    await viewer.call({ method: 'PATCH', url: '/api/me', payload: { tags: ['elixir', 'erlang'] } });
    const author = await user(srv);
    const both = await postCard(author, { title: 'both', tags: ['elixir', 'erlang', 'fy'] });
    const one = await postCard(author, { title: 'one', tags: ['erlang', 'fy'] });
    const none = await postCard(author, { title: 'none', tags: ['fy'] });
    const newest = await postCard(author, { title: 'newest none', tags: ['fy'] });
    const forYou = await viewer.call({ method: 'GET', url: '/api/cards?tag=fy&sort=forYou&limit=2' });
    expect(forYou.body.data.items.map((c: { id: string }) => c.id)).toEqual([both.id, one.id]);
    const rest = await viewer.call({ method: 'GET', url: `/api/cards?tag=fy&sort=forYou&limit=2&cursor=${forYou.body.data.nextCursor}` });
    expect(rest.body.data.items.map((c: { id: string }) => c.id)).toEqual([newest.id, none.id]);
    const byNew = await viewer.call({ method: 'GET', url: '/api/cards?tag=fy' });
    expect(byNew.body.data.items[0].id).toBe(newest.id);
  });

  it('pushes a new card to open feeds live, but not to someone the author blocked', async () => {
    const author = await user(srv);
    const reader = await user(srv);
    const blocked = await user(srv);
    await author.call({ method: 'POST', url: `/api/users/${blocked.id}/block` });
    const readerSocket = await reader.socket();
    const blockedSocket = await blocked.socket();
    const blockedSeen = collect(blockedSocket, 'card:posted');
    const arrived = nextEvent(readerSocket, 'card:posted');
    const card = await postCard(author, { title: 'Live card' });
    expect(await arrived).toMatchObject({ id: card.id, title: 'Live card', interestCount: null });
    await sleep(200);
    expect(blockedSeen.filter((c) => c.id === card.id)).toEqual([]);
    // And the blocked user cannot see it at all.
    expect((await blocked.call({ method: 'GET', url: `/api/cards/${card.id}` })).status).toBe(404);
    const feed = await blocked.call({ method: 'GET', url: '/api/cards?q=Live%20card' });
    expect(feed.body.data.items).toEqual([]);
  });

  it('refuses card routes without a session and unknown ids', async () => {
    const anon = await srv.app.inject({ method: 'GET', url: '/api/cards' });
    expect(anon.statusCode).toBe(401);
    const unknown = await alice.call({ method: 'GET', url: '/api/cards/00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    const badId = await alice.call({ method: 'GET', url: '/api/cards/not-a-uuid' });
    expect(badId.status).toBe(400);
  });
});
