import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, startTestServer, type TestServer } from '../../test/harness.js';
import { postCard, send, user, type TestUser } from '../../test/fixtures.js';
import { createMeetup } from '../meetups/meetups.suite.js';

async function createCommunity(u: TestUser, name = `Rustaceans ${randomUUID().slice(0, 6)}`, tag = 'rust') {
  const res = await u.call({ method: 'POST', url: '/api/communities', payload: { name, description: 'Rust 好き集まれ', tag } });
  if (res.status !== 201) throw new Error(`community failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; conversationId: string; name: string };
}

describe('communities', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });

  it('creates with the creator as owner; join and leave update the member count live; names are unique', async () => {
    const owner = await user(srv);
    const c = await createCommunity(owner);
    expect((await owner.call({ method: 'GET', url: `/api/communities/${c.id}` })).body.data).toMatchObject({ memberCount: 1, myRole: 'owner' });
    const dup = await owner.call({ method: 'POST', url: '/api/communities', payload: { name: c.name.toUpperCase(), tag: 'go' } });
    expect(dup.status).toBe(409);

    const watcher = await (await user(srv)).socket();
    const joiner = await user(srv);
    const counted = nextEvent(watcher, 'community:count', 3_000, (e) => e.communityId === c.id);
    expect((await joiner.call({ method: 'PUT', url: `/api/communities/${c.id}/membership` })).body.data).toEqual({ role: 'member' });
    expect(await counted).toEqual({ communityId: c.id, memberCount: 2 });
    const mine = await joiner.call({ method: 'GET', url: '/api/communities?mine=true' });
    expect(mine.body.data.map((x: { id: string }) => x.id)).toEqual([c.id]);
    const left = nextEvent(watcher, 'community:count', 3_000, (e) => e.communityId === c.id);
    expect((await joiner.call({ method: 'DELETE', url: `/api/communities/${c.id}/membership` })).status).toBe(200);
    expect((await left).memberCount).toBe(1);
    expect((await owner.call({ method: 'DELETE', url: `/api/communities/${c.id}/membership` })).status).toBe(409);
  });

  it('lets anyone read the channel (and watch it live) but only members post', async () => {
    const owner = await user(srv);
    const c = await createCommunity(owner);
    const reader = await user(srv);
    const os = await owner.socket();
    const rs = await reader.socket();
    expect((await send(os, c.conversationId, 'ようこそ')).ok).toBe(true);
    const history = await reader.call({ method: 'GET', url: `/api/conversations/${c.conversationId}/messages` });
    expect(history.body.data.messages.map((m: { body: string }) => m.body)).toEqual(['ようこそ']);

    expect(await rs.timeout(3_000).emitWithAck('chat:watch', { conversationId: c.conversationId, watching: true })).toEqual({ ok: true, data: null });
    const live = nextEvent(rs, 'chat:sent');
    await send(os, c.conversationId, 'live to readers');
    expect((await live).body).toBe('live to readers');

    const refused = await send(rs, c.conversationId, 'can I post?');
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await reader.call({ method: 'PUT', url: `/api/communities/${c.id}/membership` });
    expect((await send(rs, c.conversationId, 'now I can')).ok).toBe(true);
  });

  it('owner appoints moderators; moderators remove messages and members, who cannot rejoin', async () => {
    const owner = await user(srv);
    const c = await createCommunity(owner);
    const mod = await user(srv);
    const troll = await user(srv);
    const member = await user(srv);
    for (const u of [mod, troll, member]) await u.call({ method: 'PUT', url: `/api/communities/${c.id}/membership` });

    // Only the owner appoints.
    expect((await member.call({ method: 'PATCH', url: `/api/communities/${c.id}/members/${mod.id}`, payload: { role: 'moderator' } })).status).toBe(403);
    expect((await owner.call({ method: 'PATCH', url: `/api/communities/${c.id}/members/${mod.id}`, payload: { role: 'moderator' } })).status).toBe(200);
    const roles = (await member.call({ method: 'GET', url: `/api/communities/${c.id}/members` })).body.data.map((m: { role: string }) => m.role);
    expect(roles).toEqual(['owner', 'moderator', 'member', 'member']);

    const ts = await troll.socket();
    const bad = await send(ts, c.conversationId, 'spam spam spam');
    const messageId = bad.ok ? bad.data.id : '';
    const ms = await member.socket();
    expect(await ms.timeout(3_000).emitWithAck('chat:delete', { conversationId: c.conversationId, messageId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const modSocket = await mod.socket();
    expect(await modSocket.timeout(3_000).emitWithAck('chat:delete', { conversationId: c.conversationId, messageId })).toMatchObject({
      ok: true,
      data: { deletedAt: expect.any(String), body: '' },
    });

    expect((await member.call({ method: 'DELETE', url: `/api/communities/${c.id}/members/${troll.id}` })).status).toBe(403);
    const told = nextEvent(ts, 'community:removed');
    expect((await mod.call({ method: 'DELETE', url: `/api/communities/${c.id}/members/${troll.id}` })).status).toBe(200);
    expect(await told).toEqual({ communityId: c.id });
    expect((await send(ts, c.conversationId, 'back?')).ok).toBe(false);
    expect((await troll.call({ method: 'PUT', url: `/api/communities/${c.id}/membership` })).status).toBe(403);
    // Moderators cannot remove the owner or each other; the owner can.
    expect((await mod.call({ method: 'DELETE', url: `/api/communities/${c.id}/members/${owner.id}` })).status).toBe(403);
    expect((await owner.call({ method: 'DELETE', url: `/api/communities/${c.id}/members/${mod.id}` })).status).toBe(200);
  });

  it('shows a feed of the cards, open rooms and upcoming meetups carrying its tag', async () => {
    const owner = await user(srv);
    const tag = `tag${randomUUID().slice(0, 6)}`;
    const c = await createCommunity(owner, `Feed ${tag}`, tag);
    const card = await postCard(owner, { tags: [tag] });
    await postCard(owner, { tags: ['unrelated'] });
    const room = (await owner.call({ method: 'POST', url: '/api/rooms', payload: { title: 'tagged room', tag } })).body.data;
    const meetup = await createMeetup(owner, { tags: [tag] });
    // A meetup held in the community shows up even without the tag; holding one needs membership.
    const held = await createMeetup(owner, { tags: [], communityId: c.id, startsAt: new Date(Date.now() + 72 * 3_600_000).toISOString(), endsAt: new Date(Date.now() + 73 * 3_600_000).toISOString() });
    const outsider = await user(srv);
    const refused = await outsider.call({
      method: 'POST',
      url: '/api/meetups',
      payload: { title: 'x', startsAt: new Date(Date.now() + 7_200_000).toISOString(), endsAt: new Date(Date.now() + 10_800_000).toISOString(), venue: 'v', capacity: 2, communityId: c.id },
    });
    expect(refused.status).toBe(403);
    const feed = (await owner.call({ method: 'GET', url: `/api/communities/${c.id}/feed` })).body.data;
    expect(feed.cards.map((x: { id: string }) => x.id)).toEqual([card.id]);
    expect(feed.rooms.map((x: { id: string }) => x.id)).toEqual([room.id]);
    expect(feed.meetups.map((x: { id: string }) => x.id)).toEqual([meetup.id, held.id]);
    const filtered = (await owner.call({ method: 'GET', url: `/api/meetups?communityId=${c.id}` })).body.data.items;
    expect(filtered.map((x: { id: string }) => x.id)).toEqual([held.id]);
  });
});
