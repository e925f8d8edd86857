import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RoomState } from '@hackmeshi/shared';
import { nextEvent, startTestServer, type TestClient, type TestServer } from '../../test/harness.js';
import { collect, send, sleep, user, type TestUser } from '../../test/fixtures.js';

type AckOf<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
const emit = <T = null>(s: TestClient, event: string, payload: unknown) =>
  (s as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<AckOf<T>> } })
    .timeout(8_000)
    .emitWithAck(event, payload);
const codeOf = (a: AckOf<unknown>) => (a.ok ? 'ok' : a.error.code);

async function createRoom(u: TestUser, body: Record<string, unknown> = {}) {
  const res = await u.call({ method: 'POST', url: '/api/rooms', payload: { title: 'もくもく会', ...body } });
  if (res.status !== 201) throw new Error(`room failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; inviteToken: string; capacity: number };
}

async function seated(srv: TestServer, roomId: string, token?: string) {
  const u = await user(srv);
  const s = await u.socket();
  const ack = await emit<RoomState>(s, 'room:join', { roomId, token });
  if (!ack.ok) throw new Error(`join failed: ${ack.error.code}`);
  return { u, s, state: ack.data };
}

describe('voice rooms', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      env: { ROOM_SPEAKER_CAP: '3', ROOM_EMPTY_GRACE_SECONDS: '1' },
    });
  });

  it('creates a room and updates the lobby live for a watcher as people join and leave', async () => {
    const host = await user(srv);
    const watcher = await user(srv);
    const ws = await watcher.socket();
    const updates = collect(ws, 'lobby:updated');
    const room = await createRoom(host, { tag: 'Rust' });
    await expect.poll(() => updates.filter((u) => u.id === room.id).length).toBe(1);
    expect(updates.at(-1)).toMatchObject({ id: room.id, title: 'もくもく会', tag: 'rust', participantCount: 0, full: false });

    const hs = await host.socket();
    const joined = await emit<RoomState>(hs, 'room:join', { roomId: room.id });
    expect(joined.ok && joined.data.participants.map((p) => [p.user.id, p.role])).toEqual([[host.id, 'host']]);
    await expect.poll(() => updates.at(-1)?.participantCount).toBe(1);
    expect(updates.at(-1)).toMatchObject({ host: { id: host.id }, preview: [expect.objectContaining({ id: host.id })] });

    const guest = await seated(srv, room.id);
    await expect.poll(() => updates.at(-1)?.participantCount).toBe(2);
    expect(guest.state.participants.map((p) => p.role)).toEqual(['host', 'speaker']);
    // Every change moves the room's revision forward.
    expect(joined.ok && guest.state.rev).toBeGreaterThan(joined.ok ? joined.data.rev : Infinity);
    const lobby = await watcher.call({ method: 'GET', url: '/api/rooms' });
    expect(lobby.body.data.find((r: { id: string }) => r.id === room.id)).toMatchObject({ participantCount: 2 });

    await emit(guest.s, 'room:leave', { roomId: room.id });
    await expect.poll(() => updates.at(-1)?.participantCount).toBe(1);
  });

  it('lets exactly capacity-many in when 30 join a room of 12 at once; the rest get ROOM_FULL', async () => {
    const host = await user(srv);
    const room = await createRoom(host, { capacity: 12 });
    const people = await Promise.all(Array.from({ length: 30 }, () => user(srv)));
    const socks = await Promise.all(people.map((p) => p.socket()));
    const acks = await Promise.all(socks.map((s) => emit<RoomState>(s, 'room:join', { roomId: room.id })));
    const codes = acks.map(codeOf);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(12);
    expect(codes.filter((c) => c === 'ROOM_FULL')).toHaveLength(18);
    const lobby = await host.call({ method: 'GET', url: '/api/rooms' });
    expect(lobby.body.data.find((r: { id: string }) => r.id === room.id)).toMatchObject({ participantCount: 12, full: true });
  });

  it('hands the host role to the longest-present speaker, then to the longest-present participant', async () => {
    const host = await user(srv);
    const room = await createRoom(host);
    const hs = await host.socket();
    await emit(hs, 'room:join', { roomId: room.id });
    const a = await seated(srv, room.id); // speaker
    const b = await seated(srv, room.id); // speaker
    const c = await seated(srv, room.id); // listener (speaker cap is 3)
    expect(c.state.participants.find((p) => p.user.id === c.u.id)?.role).toBe('listener');

    const next = nextEvent(c.s, 'room:state');
    await emit(hs, 'room:leave', { roomId: room.id });
    const s1 = await next;
    expect(s1.participants.find((p) => p.role === 'host')?.user.id).toBe(a.u.id);

    // Now only listeners after speakers go: a leaves (b becomes host), b leaves (c, the only one left).
    await emit(a.s, 'room:leave', { roomId: room.id });
    const afterB = nextEvent(c.s, 'room:state');
    await emit(b.s, 'room:leave', { roomId: room.id });
    expect((await afterB).participants).toEqual([expect.objectContaining({ user: expect.objectContaining({ id: c.u.id }), role: 'host' })]);
  });

  it('makes the creator the host on arrival, even when someone joined first', async () => {
    const creator = await user(srv);
    const room = await createRoom(creator);
    const early = await seated(srv, room.id);
    expect(early.state.participants[0]!.role).toBe('host');
    const cs = await creator.socket();
    const joined = (await emit<RoomState>(cs, 'room:join', { roomId: room.id })) as { ok: true; data: RoomState };
    const roles = Object.fromEntries(joined.data.participants.map((p) => [p.user.id, p.role]));
    expect(roles).toEqual({ [early.u.id]: 'speaker', [creator.id]: 'host' });
    // Leaving and coming back later does not take the role back from the new host.
    await emit(cs, 'room:leave', { roomId: room.id });
    const again = (await emit<RoomState>(cs, 'room:join', { roomId: room.id })) as { ok: true; data: RoomState };
    expect(again.data.participants.find((p) => p.user.id === creator.id)?.role).toBe('speaker');
  });

  it('keeps the hand queue in the order hands went up, and the host can invite, move back, mute, lower all and remove', async () => {
    const host = await user(srv);
    const room = await createRoom(host);
    const hs = await host.socket();
    await emit(hs, 'room:join', { roomId: room.id });
    await seated(srv, room.id);
    await seated(srv, room.id); // stage now full (3)
    const l1 = await seated(srv, room.id);
    const l2 = await seated(srv, room.id);
    const l3 = await seated(srv, room.id);
    for (const l of [l2, l1, l3]) expect(codeOf(await emit(l.s, 'room:hand', { roomId: room.id, raised: true }))).toBe('ok');
    const state = async () => (await emit<RoomState>(hs, 'room:join', { roomId: room.id })) as { ok: true; data: RoomState };
    expect((await state()).data.hands).toEqual([l2.u.id, l1.u.id, l3.u.id]);
    // Raising again keeps your place.
    await emit(l2.s, 'room:hand', { roomId: room.id, raised: true });
    expect((await state()).data.hands[0]).toBe(l2.u.id);

    // Non-hosts cannot moderate.
    expect(codeOf(await emit(l1.s, 'room:moderate', { roomId: room.id, userId: l2.u.id, action: 'invite_to_speak' }))).toBe('FORBIDDEN');
    expect(codeOf(await emit(l1.s, 'room:lower-hands', { roomId: room.id }))).toBe('FORBIDDEN');
    expect(codeOf(await emit(l1.s, 'room:end', { roomId: room.id }))).toBe('FORBIDDEN');
    // The stage is full: inviting needs a free seat.
    expect(codeOf(await emit(hs, 'room:moderate', { roomId: room.id, userId: l2.u.id, action: 'invite_to_speak' }))).toBe('CONFLICT');
    const speaker = (await state()).data.participants.find((p) => p.role === 'speaker')!;
    expect(codeOf(await emit(hs, 'room:moderate', { roomId: room.id, userId: speaker.user.id, action: 'move_to_listener' }))).toBe('ok');
    expect(codeOf(await emit(hs, 'room:moderate', { roomId: room.id, userId: l2.u.id, action: 'invite_to_speak' }))).toBe('ok');
    let s = (await state()).data;
    expect(s.participants.find((p) => p.user.id === l2.u.id)).toMatchObject({ role: 'speaker', handRaisedAt: null });
    expect(s.hands).toEqual([l1.u.id, l3.u.id]);

    expect(codeOf(await emit(hs, 'room:moderate', { roomId: room.id, userId: l2.u.id, action: 'mute' }))).toBe('ok');
    expect((await state()).data.participants.find((p) => p.user.id === l2.u.id)?.muted).toBe(true);
    expect(codeOf(await emit(hs, 'room:lower-hands', { roomId: room.id }))).toBe('ok');
    expect((await state()).data.hands).toEqual([]);

    const told = nextEvent(l3.s, 'room:left');
    expect(codeOf(await emit(hs, 'room:moderate', { roomId: room.id, userId: l3.u.id, action: 'remove' }))).toBe('ok');
    expect(await told).toEqual({ roomId: room.id, reason: 'removed' });
    s = (await state()).data;
    expect(s.participants.map((p) => p.user.id)).not.toContain(l3.u.id);
    expect(await emit(l3.s, 'room:join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'removed' } } });
    // A speaker who was not invited cannot raise a hand; a listener cannot send speaking indicators.
    expect(codeOf(await emit(l2.s, 'room:hand', { roomId: room.id, raised: true }))).toBe('CONFLICT');
    expect(codeOf(await emit(l1.s, 'room:speaking', { roomId: room.id, speaking: true }))).toBe('FORBIDDEN');
  });

  it('relays signalling only between seated members of the same room (authorization matrix)', async () => {
    const host = await user(srv);
    const room = await createRoom(host);
    const other = await createRoom(host, { title: 'other room' });
    const hs = await host.socket();
    await emit(hs, 'room:join', { roomId: room.id });
    const b = await seated(srv, room.id);
    const elsewhere = await seated(srv, other.id);
    const outsider = await user(srv);
    const os = await outsider.socket();
    const leaks = [...collect(b.s, 'rtc:signal'), ...collect(elsewhere.s, 'rtc:signal')];

    const offer = { type: 'offer', sdp: 'v=0\r\n' };
    const arrives = nextEvent(b.s, 'rtc:signal');
    expect(codeOf(await emit(hs, 'rtc:signal', { roomId: room.id, to: b.u.id, description: offer }))).toBe('ok');
    expect(await arrives).toEqual({ roomId: room.id, from: host.id, description: offer });
    leaks.length = 0;

    const cases: [string, TestClient, unknown, string][] = [
      ['outsider to a member', os, { roomId: room.id, to: b.u.id, description: offer }, 'NOT_FOUND'],
      ['member to someone in another room', hs, { roomId: room.id, to: elsewhere.u.id, description: offer }, 'NOT_FOUND'],
      ['member to an outsider', hs, { roomId: room.id, to: outsider.id, candidate: { candidate: 'x' } }, 'NOT_FOUND'],
      ['member of another room into this one', elsewhere.s, { roomId: room.id, to: b.u.id, description: offer }, 'NOT_FOUND'],
      ['to an unknown room', hs, { roomId: randomUUID(), to: b.u.id, description: offer }, 'NOT_FOUND'],
      ['oversize SDP', hs, { roomId: room.id, to: b.u.id, description: { type: 'offer', sdp: 'x'.repeat(20_001) } }, 'INVALID_PAYLOAD'],
      ['oversize candidate', hs, { roomId: room.id, to: b.u.id, candidate: { candidate: 'x'.repeat(1_001) } }, 'INVALID_PAYLOAD'],
      ['neither description nor candidate', hs, { roomId: room.id, to: b.u.id }, 'INVALID_PAYLOAD'],
    ];
    for (const [label, s, payload, code] of cases) expect({ label, code: codeOf(await emit(s, 'rtc:signal', payload)) }).toEqual({ label, code });
    // After leaving, a former member can neither send nor receive.
    await emit(b.s, 'room:leave', { roomId: room.id });
    expect(codeOf(await emit(hs, 'rtc:signal', { roomId: room.id, to: b.u.id, description: offer }))).toBe('NOT_FOUND');
    expect(codeOf(await emit(b.s, 'rtc:signal', { roomId: room.id, to: host.id, description: offer }))).toBe('NOT_FOUND');
    await sleep(150);
    expect(leaks).toEqual([]);
  });

  it('refuses closed, full and invite-only rooms with clear codes, leaving the room as it was', async () => {
    const host = await user(srv);
    const secret = await createRoom(host, { visibility: 'invite', capacity: 2 });
    const lobby = await host.call({ method: 'GET', url: '/api/rooms' });
    expect(lobby.body.data.map((r: { id: string }) => r.id)).not.toContain(secret.id);
    const stranger = await user(srv);
    const ss = await stranger.socket();
    expect(await emit(ss, 'room:join', { roomId: secret.id })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'invite_only' } } });
    expect(codeOf(await emit(ss, 'room:join', { roomId: secret.id, token: 'wrong' }))).toBe('FORBIDDEN');
    expect((await stranger.call({ method: 'GET', url: `/api/rooms/${secret.id}` })).status).toBe(403);
    expect((await stranger.call({ method: 'GET', url: `/api/rooms/${secret.id}?token=${secret.inviteToken}` })).status).toBe(200);
    await seated(srv, secret.id, secret.inviteToken);
    await seated(srv, secret.id, secret.inviteToken);
    expect(codeOf(await emit(ss, 'room:join', { roomId: secret.id, token: secret.inviteToken }))).toBe('ROOM_FULL');

    const big = await host.call({ method: 'POST', url: '/api/rooms', payload: { title: 'huge', capacity: 51 } });
    expect(big.status).toBe(400);
    const long = await host.call({ method: 'POST', url: '/api/rooms', payload: { title: 'x'.repeat(61) } });
    expect(long.status).toBe(400);

    const hs = await host.socket();
    const ended = await createRoom(host);
    await emit(hs, 'room:join', { roomId: ended.id });
    const guest = await seated(srv, ended.id);
    const closed = nextEvent(guest.s, 'room:closed');
    expect(codeOf(await emit(hs, 'room:end', { roomId: ended.id }))).toBe('ok');
    expect(await closed).toEqual({ roomId: ended.id, reason: 'ended' });
    expect(codeOf(await emit(ss, 'room:join', { roomId: ended.id }))).toBe('ROOM_CLOSED');
    expect((await host.call({ method: 'GET', url: `/api/rooms/${ended.id}` })).status).toBe(410);
  });

  it('keeps the side chat to current participants', async () => {
    const host = await user(srv);
    const room = await createRoom(host);
    const hs = await host.socket();
    const joined = await emit<RoomState>(hs, 'room:join', { roomId: room.id });
    const conversationId = joined.ok ? joined.data.conversationId : '';
    const guest = await seated(srv, room.id);
    const got = nextEvent(guest.s, 'chat:sent');
    expect((await send(hs, conversationId, 'ようこそ')).ok).toBe(true);
    expect(await got).toMatchObject({ body: 'ようこそ' });
    await emit(guest.s, 'room:leave', { roomId: room.id });
    expect(codeOf(await send(guest.s, conversationId, 'still here?'))).toBe('NOT_FOUND');
    const outsider = await user(srv);
    expect((await outsider.call({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).status).toBe(404);
  });

  it('drops a client whose connection silently died from the roster within the ping timeout', async () => {
    // Its own server with quick pings, so the other tests' sockets are not at the mercy of load.
    const srv = await startTestServer({ env: { SOCKET_PING_INTERVAL_MS: '1000', SOCKET_PING_TIMEOUT_MS: '1000' } });
    const host = await user(srv);
    const room = await createRoom(host);
    const hs = await host.socket();
    await emit(hs, 'room:join', { roomId: room.id });
    const ghost = await seated(srv, room.id);
    const states = collect(hs, 'room:state');
    // Stop reading from the socket: no pongs, no close frame — like a phone losing its network.
    const transport = ghost.s.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } };
    transport.ws._socket.pause();
    const started = Date.now();
    await expect
      .poll(() => states.at(-1)?.participants.map((p: { user: { id: string } }) => p.user.id), { timeout: 10_000, interval: 100 })
      .toEqual([host.id]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('drops a participant whose lease lapsed (their node died) on the next sweep', async () => {
    const host = await user(srv);
    const room = await createRoom(host);
    const hs = await host.socket();
    await emit(hs, 'room:join', { roomId: room.id });
    const gone = await user(srv);
    // A seat held by a connection on a node that no longer renews it.
    await srv.app.ctx.db.query(
      `INSERT INTO room_participants (room_id, user_id, conn_id, role, expires_at) VALUES ($1, $2, 'dead-node-conn', 'speaker', now() - interval '1 second')`,
      [room.id, gone.id],
    );
    const update = nextEvent(hs, 'room:state', 6_000);
    const s = await update;
    expect(s.participants.map((p) => p.user.id)).toEqual([host.id]);
  });

  it('closes a room by itself once it has been empty for the grace period, counted from the last person leaving', async () => {
    const host = await user(srv);
    const watcher = await (await user(srv)).socket();
    const closes = collect(watcher, 'room:closed');
    const room = await createRoom(host);
    const hs = await host.socket();
    await emit(hs, 'room:join', { roomId: room.id });
    await sleep(2_500); // longer than the grace period, but the room is occupied
    expect(closes.filter((c) => c.roomId === room.id)).toEqual([]);
    await emit(hs, 'room:leave', { roomId: room.id });
    await expect.poll(() => closes.filter((c) => c.roomId === room.id), { timeout: 8_000 }).toEqual([{ roomId: room.id, reason: 'empty' }]);
    expect((await host.call({ method: 'GET', url: `/api/rooms/${room.id}` })).status).toBe(410);
  });

  it('rate-limits a flood of joins and leaves', async () => {
    const host = await user(srv);
    const room = await createRoom(host);
    const hs = await host.socket();
    const acks = [];
    for (let i = 0; i < 30; i++) acks.push(codeOf(await emit(hs, i % 2 ? 'room:leave' : 'room:join', { roomId: room.id })));
    expect(acks).toContain('RATE_LIMITED');
  });

  it('hands out ICE servers from config', async () => {
    const u = await user(srv);
    expect((await u.call({ method: 'GET', url: '/api/rtc/config' })).body.data).toEqual({ iceServers: [] });
  });
});

describe('TURN credentials', () => {
  it('issues short-lived coturn credentials when TURN is configured', async () => {
    const srv = await startTestServer({
      env: {
        ICE_SERVERS: '[{"urls":"stun:stun.example.org:3478"}]',
        TURN_URLS: 'turn:turn.example.org:3478',
        TURN_STATIC_AUTH_SECRET: 'a-test-turn-secret-0123456789',
      },
    });
    const u = await user(srv);
    const { iceServers } = (await u.call({ method: 'GET', url: '/api/rtc/config' })).body.data;
    expect(iceServers[0]).toEqual({ urls: 'stun:stun.example.org:3478' });
    expect(iceServers[1]).toMatchObject({ urls: ['turn:turn.example.org:3478'], username: expect.stringMatching(/^\d+:/), credential: expect.any(String) });
    const expiry = Number(iceServers[1].username.split(':')[0]);
    expect(expiry * 1000).toBeGreaterThan(Date.now());
  });
});
