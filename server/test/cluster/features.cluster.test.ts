import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  TYPING_TTL_MS,
  type Ack,
  type ClientAckData,
  type ClientEventName,
  type ClientPayloadInput,
  type ServerEventName,
  type ServerPayload,
} from '@hackmeshi/shared';
import { TEST_DATABASE_URL, serviceAvailable } from '../../src/test/services.js';
import {
  eventually,
  matchedPair,
  nextEvent,
  nonce,
  signUp,
  sleep,
  startCluster,
  type ApiUser,
  type Client,
  type Cluster,
  type ServerNode,
} from './cluster.js';

/**
 * Every feature across nodes (issue 6): real server processes sharing one Postgres schema and one
 * Redis prefix, with the people in each scenario connected to different nodes, so every live
 * event a user should notice has to cross from one process to another. Each test asserts what
 * the user on the other node receives, not only that something arrived.
 */

const services = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));

/** How long a live event may take to cross nodes on a busy two-core machine before we call it lost. */
const LIVE_MS = 10_000;

/** Every payload of a server event a socket receives from now on (optionally only matching ones). */
function record<E extends ServerEventName>(socket: Client, event: E, where: (p: ServerPayload<E>) => boolean = () => true) {
  const seen: ServerPayload<E>[] = [];
  socket.on(event as never, ((p: ServerPayload<E>) => {
    if (where(p)) seen.push(p);
  }) as never);
  return seen;
}

/** Emits a client event and resolves with its ack envelope. */
function ask<E extends ClientEventName>(socket: Client, event: E, payload: ClientPayloadInput<E>): Promise<Ack<ClientAckData<E>>> {
  const withTimeout = socket.timeout(LIVE_MS) as unknown as {
    emitWithAck(e: E, p: ClientPayloadInput<E>): Promise<Ack<ClientAckData<E>>>;
  };
  return withTimeout.emitWithAck(event, payload);
}

/** The data of a successful ack; a refusal fails the test with its code. */
async function must<T>(ack: Promise<Ack<T>>, what: string): Promise<T> {
  const res = await ack;
  if (!res.ok) throw new Error(`${what} refused: ${res.error.code} ${res.error.message}`);
  return res.data;
}

/** Calls the API and returns `data`, failing the test on an unexpected status. */
async function api(user: ApiUser, node: ServerNode, method: string, url: string, body?: unknown, status = 200) {
  const res = await user.call(node, method, url, body);
  if (res.status !== status) throw new Error(`${method} ${url} on ${node.name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body?.data;
}

/** Rows of one kind of notification for a user, straight from the store. */
async function storedNotifications(schema: string, userId: string, kind: string, meetupId: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ id: string }>(
      `SELECT id FROM ${schema}.notifications WHERE user_id = $1 AND data->>'kind' = $2 AND data->>'meetupId' = $3`,
      [userId, kind, meetupId],
    );
    return rows;
  } finally {
    await c.end();
  }
}

async function roomRow(schema: string, roomId: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ closed_at: Date | null; close_reason: string | null }>(
      `SELECT closed_at, close_reason FROM ${schema}.rooms WHERE id = $1`,
      [roomId],
    );
    return rows[0];
  } finally {
    await c.end();
  }
}

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe.runIf(services)('every feature across nodes', () => {
  describe('two nodes sharing Postgres and Redis', () => {
    /** Reminders are due 30 minutes ahead, and an empty room closes after 1 s (the timers test). */
    const REMINDER_MINUTES = 30;
    let cluster: Cluster;
    let n1: ServerNode;
    let n2: ServerNode;
    beforeAll(async () => {
      cluster = await startCluster({
        nodes: 2,
        env: { ROOM_EMPTY_GRACE_SECONDS: '1', MEETUP_REMINDER_MINUTES: String(REMINDER_MINUTES) },
      });
      [n1, n2] = cluster.nodes as [ServerNode, ServerNode];
    });
    // Two cores: stop these before the presence test starts its own nodes (the schema goes at file end).
    afterAll(async () => {
      await Promise.all(cluster?.nodes.map((n) => n.kill()) ?? []);
    });

    it('accounts: a profile edit and a sign-out on node 1 reach the same user\'s device on node 2', async () => {
      const u = await signUp(n1);
      const on1 = await u.socket(n1);
      const on2 = await u.socket(n2);
      const updated = nextEvent(on2, 'profile:updated', LIVE_MS);
      const me = await api(u, n1, 'PATCH', '/api/me', { displayName: 'Renamed on node 1', tags: ['go'] });
      expect(me).toMatchObject({ id: u.id, displayName: 'Renamed on node 1', tags: ['go'] });
      expect(await updated).toEqual(me);

      // Signing out ends the session everywhere: the device on node 2 is told why, then cut off.
      const ended = nextEvent(on2, 'session:ended', LIVE_MS);
      const cut = new Promise<string>((resolve) => on2.once('disconnect', (reason) => resolve(reason)));
      const cutOn1 = new Promise<string>((resolve) => on1.once('disconnect', (reason) => resolve(reason)));
      await api(u, n1, 'POST', '/api/auth/signout');
      expect(await ended).toEqual({ reason: 'signed_out' });
      expect(await cut).toBe('io server disconnect');
      expect(await cutOn1).toBe('io server disconnect');
      // And the session is gone on node 2 too, for sockets and HTTP alike.
      await expect(u.socket(n2)).rejects.toMatchObject({ data: { code: ErrorCode.UNAUTHENTICATED } });
      expect((await u.call(n2, 'GET', '/api/me')).status).toBe(401);
    });

    it('matches: interest, the match and the unmatch reach the user on the other node, and the new chat works both ways', async () => {
      const a = await signUp(n1);
      const b = await signUp(n2);
      const as = await a.socket(n1);
      const bs = await b.socket(n2);
      // A card posted on node 1 arrives in B's open feed on node 2.
      const posted = nextEvent(bs, 'card:posted', LIVE_MS, (c) => c.owner.id === a.id);
      const aCard = await api(a, n1, 'POST', '/api/cards', { title: 'Rust async', body: 'Tokio or smol?', tags: ['rust'] }, 201);
      expect(await posted).toMatchObject({ id: aCard.id, title: 'Rust async', body: 'Tokio or smol?', tags: ['rust'], interestedByMe: false, interestCount: null });
      const bCard = await api(b, n2, 'POST', '/api/cards', { title: 'Zig comptime', body: 'Show me yours', tags: ['zig'] }, 201);

      // A presses on node 1: B, on node 2, is told live who pressed on which card.
      const interest = nextEvent(bs, 'interest:changed', LIVE_MS);
      expect(await api(a, n1, 'PUT', `/api/cards/${bCard.id}/interest`)).toEqual({ interested: true, matchId: null });
      expect(await interest).toMatchObject({ active: true, interest: { user: { id: a.id, handle: a.handle }, card: { id: bCard.id, title: 'Zig comptime' }, matched: false } });

      // B presses back on node 2: both get the match, each from their own side.
      const aCreated = nextEvent(as, 'match:created', LIVE_MS);
      const bCreated = nextEvent(bs, 'match:created', LIVE_MS);
      const aNotified = nextEvent(as, 'notification:created', LIVE_MS, (n) => n.data.kind === 'match');
      const pressed = await api(b, n2, 'PUT', `/api/cards/${aCard.id}/interest`);
      expect(pressed.matchId).toEqual(expect.any(String));
      const [onA, onB] = await Promise.all([aCreated, bCreated]);
      expect(onA).toMatchObject({
        id: pressed.matchId,
        other: { id: b.id, handle: b.handle },
        myCard: { id: aCard.id, title: 'Rust async' },
        theirCard: { id: bCard.id, title: 'Zig comptime' },
        otherPresence: { state: 'online' },
        lastSeq: 0,
        unread: 0,
      });
      expect(onB).toMatchObject({
        id: pressed.matchId,
        conversationId: onA.conversationId,
        other: { id: a.id, handle: a.handle },
        myCard: { id: bCard.id },
        theirCard: { id: aCard.id },
        otherPresence: { state: 'online' },
      });
      expect((await aNotified).data).toMatchObject({ kind: 'match', matchId: pressed.matchId, other: { id: b.id } });

      // Node 2 put A's node-1 socket into the new chat: messages cross both ways at once.
      const toA = nextEvent(as, 'chat:sent', LIVE_MS);
      const sentB = await must(ask(bs, 'chat:send', { conversationId: onA.conversationId, nonce: nonce(), body: 'hi from node 2' }), 'chat:send');
      expect(await toA).toMatchObject({ id: sentB.id, seq: 1, senderId: b.id, body: 'hi from node 2', conversationId: onA.conversationId });
      const toB = nextEvent(bs, 'chat:sent', LIVE_MS, (m) => m.seq === 2);
      await must(ask(as, 'chat:send', { conversationId: onA.conversationId, nonce: nonce(), body: 'hi from node 1' }), 'chat:send');
      expect(await toB).toMatchObject({ senderId: a.id, body: 'hi from node 1' });

      // A unmatches on node 1: B's socket on node 2 learns which match and chat ended.
      const ended = nextEvent(bs, 'match:ended', LIVE_MS);
      const endedOnA = nextEvent(as, 'match:ended', LIVE_MS);
      await api(a, n1, 'DELETE', `/api/matches/${pressed.matchId}`);
      expect(await ended).toEqual({ matchId: pressed.matchId, conversationId: onA.conversationId });
      expect(await endedOnA).toEqual({ matchId: pressed.matchId, conversationId: onA.conversationId });
      expect(await api(b, n2, 'GET', '/api/matches')).toEqual([]);
    });

    it('chat: messages, typing, read receipts and @mentions cross nodes with their content', async () => {
      const p = await matchedPair(n1, n2);
      const conversationId = p.conversationId;
      const as = await p.a.socket(n1);
      const bs = await p.b.socket(n2);
      const typingSeenByA = record(as, 'chat:typing-updated', (t) => t.userId === p.a.id);

      // Typing on node 1 shows on node 2, and "stopped" too.
      const typing = nextEvent(bs, 'chat:typing-updated', LIVE_MS);
      await must(ask(as, 'chat:typing', { conversationId, typing: true }), 'typing');
      expect(await typing).toEqual({ conversationId, userId: p.a.id, typing: true, ttlMs: TYPING_TTL_MS });
      const stopped = nextEvent(bs, 'chat:typing-updated', LIVE_MS);
      await must(ask(as, 'chat:typing', { conversationId, typing: false }), 'typing');
      expect(await stopped).toEqual({ conversationId, userId: p.a.id, typing: false, ttlMs: TYPING_TTL_MS });

      // Typing again, then sending: the message arrives, and the indicator is cleared by the send.
      const typingAgain = nextEvent(bs, 'chat:typing-updated', LIVE_MS, (t) => t.typing);
      await must(ask(as, 'chat:typing', { conversationId, typing: true }), 'typing');
      await typingAgain;
      const cleared = nextEvent(bs, 'chat:typing-updated', LIVE_MS, (t) => !t.typing);
      const delivered = nextEvent(bs, 'chat:sent', LIVE_MS);
      const mention = nextEvent(bs, 'notification:created', LIVE_MS, (n) => n.data.kind === 'mention');
      const body = `lunch tomorrow, @${p.b.handle}?`;
      const sent = await must(ask(as, 'chat:send', { conversationId, nonce: nonce(), body }), 'chat:send');
      expect(sent.seq).toBe(1);
      expect(await delivered).toMatchObject({ id: sent.id, conversationId, seq: 1, rev: sent.rev, senderId: p.a.id, body, editedAt: null, deletedAt: null });
      expect((await cleared).userId).toBe(p.a.id);
      // Sending reads up to one's own message: the stored read position says so, seen through node 2.
      const view = await api(p.b, n2, 'GET', `/api/matches/${p.matchId}`);
      expect(view).toMatchObject({ otherLastReadSeq: 1 });
      // The @mention notification for B was made on node 1 and pushed to B on node 2.
      expect((await mention).data).toEqual({
        kind: 'mention',
        conversationId,
        from: expect.objectContaining({ id: p.a.id, handle: p.a.handle }),
        excerpt: body,
      });

      // B reads on node 2: A's "read" mark on node 1 moves.
      const read = nextEvent(as, 'chat:read-updated', LIVE_MS, (r) => r.userId === p.b.id);
      expect(await must(ask(bs, 'chat:read', { conversationId, seq: 1 }), 'chat:read')).toEqual({ lastReadSeq: 1 });
      expect(await read).toEqual({ conversationId, userId: p.b.id, lastReadSeq: 1 });

      // An edit on node 2 reaches node 1 too.
      const reply = await must(ask(bs, 'chat:send', { conversationId, nonce: nonce(), body: 'sure, 12:30' }), 'chat:send');
      const edited = nextEvent(as, 'chat:edited', LIVE_MS);
      await must(ask(bs, 'chat:edit', { conversationId, messageId: reply.id, body: 'sure, 13:00' }), 'chat:edit');
      expect(await edited).toMatchObject({ id: reply.id, seq: 2, senderId: p.b.id, body: 'sure, 13:00', editedAt: expect.any(String) });
      // The typist is never told about their own typing.
      expect(typingSeenByA).toEqual([]);
    });

    it('voice rooms: lobby counts, roster, signalling only to its target, and the close reach the other node', async () => {
      const host = await signUp(n1);
      const speaker = await signUp(n2);
      const third = await signUp(n1); // seated, but no signal is for them
      const outsider = await signUp(n2); // never seated: watches the lobby only
      const hs = await host.socket(n1);
      const ss = await speaker.socket(n2);
      const ts = await third.socket(n1);
      const us = await outsider.socket(n2);

      const room = await api(host, n1, 'POST', '/api/rooms', { title: 'Cross-node chat', visibility: 'open', capacity: 10 }, 201);
      const lobbyOn1 = record(ts, 'lobby:updated', (r) => r.id === room.id);
      const lobbyOn2 = record(us, 'lobby:updated', (r) => r.id === room.id);
      const signalsToThird = record(ts, 'rtc:signal');
      const signalsToOutsider = record(us, 'rtc:signal');
      const signalsToSpeaker = record(ss, 'rtc:signal');
      const signalsToHost = record(hs, 'rtc:signal');
      const closed = [hs, ss, ts, us].map((s) => record(s, 'room:closed', (c) => c.roomId === room.id));

      const hostState = await must(ask(hs, 'room:join', { roomId: room.id }), 'host join');
      expect(hostState.participants.map((p) => [p.user.id, p.role])).toEqual([[host.id, 'host']]);
      // The join on node 1 updates the lobby of a user on node 2.
      await eventually(() => lobbyOn2.some((r) => r.participantCount === 1), LIVE_MS, 'lobby count 1 on node 2');
      expect(lobbyOn2.find((r) => r.participantCount === 1)).toMatchObject({ title: 'Cross-node chat', host: { id: host.id }, full: false });

      // The speaker joins on node 2: the host on node 1 gets the roster with both, and the lobby on node 1 counts 2.
      const rosterOn1 = nextEvent(hs, 'room:state', LIVE_MS, (s) => s.participants.length === 2);
      const speakerState = await must(ask(ss, 'room:join', { roomId: room.id }), 'speaker join');
      const roster = await rosterOn1;
      expect(roster.rev).toBe(speakerState.rev);
      expect(roster.participants.map((p) => ({ id: p.user.id, role: p.role, state: p.presence.state }))).toEqual([
        { id: host.id, role: 'host', state: 'online' },
        { id: speaker.id, role: 'speaker', state: 'online' },
      ]);
      expect(roster.peers).toEqual({ [host.id]: hs.id, [speaker.id]: ss.id });
      expect(roster.room).toMatchObject({ id: room.id, participantCount: 2, host: { id: host.id } });
      await eventually(() => lobbyOn1.some((r) => r.participantCount === 2), LIVE_MS, 'lobby count 2 on node 1');

      // A third person joins on node 1: the speaker's roster on node 2 and the lobby on node 2 follow.
      const rosterOn2 = nextEvent(ss, 'room:state', LIVE_MS, (s) => s.participants.length === 3);
      await must(ask(ts, 'room:join', { roomId: room.id }), 'third join');
      expect((await rosterOn2).participants.map((p) => p.user.id)).toEqual([host.id, speaker.id, third.id]);
      await eventually(() => lobbyOn2.some((r) => r.participantCount === 3), LIVE_MS, 'lobby count 3 on node 2');

      // Signalling: an offer and its candidates from node 1 reach the speaker on node 2, in order.
      const offer = { type: 'offer' as const, sdp: 'v=0 offer-from-host' };
      const candidates = [0, 1, 2].map((i) => ({ candidate: `candidate:${i} 1 udp 2122260223 10.0.0.${i} 5000${i} typ host`, sdpMid: '0', sdpMLineIndex: 0 }));
      const relayed = await Promise.all([
        ask(hs, 'rtc:signal', { roomId: room.id, to: speaker.id, description: offer }),
        ...candidates.map((candidate) => ask(hs, 'rtc:signal', { roomId: room.id, to: speaker.id, candidate })),
      ]);
      expect(relayed.every((r) => r.ok)).toBe(true);
      await eventually(() => signalsToSpeaker.length >= 4, LIVE_MS, 'the offer and three candidates on node 2');
      expect(signalsToSpeaker).toEqual([
        { roomId: room.id, from: host.id, description: offer },
        ...candidates.map((candidate) => ({ roomId: room.id, from: host.id, candidate })),
      ]);
      // The answer goes back from node 2 to node 1.
      const answer = { type: 'answer' as const, sdp: 'v=0 answer-from-speaker' };
      await must(ask(ss, 'rtc:signal', { roomId: room.id, to: host.id, description: answer }), 'answer');
      await eventually(() => signalsToHost.length >= 1, LIVE_MS, 'the answer on node 1');
      expect(signalsToHost).toEqual([{ roomId: room.id, from: speaker.id, description: answer }]);
      // The speaker's voice meter on node 2 lights up their tile for the host on node 1.
      const speaking = nextEvent(hs, 'room:speaking-updated', LIVE_MS);
      await must(ask(ss, 'room:speaking', { roomId: room.id, speaking: true }), 'speaking');
      expect(await speaking).toEqual({ roomId: room.id, userId: speaker.id, speaking: true });
      // Nobody signals someone who is not seated, nor signals while not seated.
      expect(await ask(hs, 'rtc:signal', { roomId: room.id, to: outsider.id, description: offer })).toMatchObject({ ok: false, error: { code: ErrorCode.NOT_FOUND } });
      expect((await ask(us, 'rtc:signal', { roomId: room.id, to: host.id, description: offer })).ok).toBe(false);

      // The speaker opens the room in a second tab, on node 1: the tab on node 2 loses its seat
      // (and the room's channel), and signals follow the seat to the new tab.
      const ss2 = await speaker.socket(n1);
      const statesOnOldTab = record(ss, 'room:state');
      const left = nextEvent(ss, 'room:left', LIVE_MS);
      const moved = nextEvent(hs, 'room:state', LIVE_MS, (st) => st.peers[speaker.id] === ss2.id);
      await must(ask(ss2, 'room:join', { roomId: room.id }), 'second tab');
      expect(await left).toEqual({ roomId: room.id, reason: 'replaced' });
      expect((await moved).participants.map((x) => [x.user.id, x.role])).toEqual([
        [host.id, 'host'],
        [speaker.id, 'speaker'],
        [third.id, 'speaker'],
      ]);
      const signalsToNewTab = record(ss2, 'rtc:signal');
      await must(ask(hs, 'rtc:signal', { roomId: room.id, to: speaker.id, candidate: null }), 'signal to the new tab');
      await eventually(() => signalsToNewTab.length >= 1, LIVE_MS, 'the signal on the new tab');
      expect(signalsToNewTab).toEqual([{ roomId: room.id, from: host.id, candidate: null }]);
      // The old tab's signals from its own seat are refused now.
      expect((await ask(ss, 'rtc:signal', { roomId: room.id, to: host.id, description: answer })).ok).toBe(false);

      // The host ends the room on node 1: everyone, on both nodes, is told it ended.
      await must(ask(hs, 'room:end', { roomId: room.id }), 'room:end');
      await eventually(() => closed.every((c) => c.length > 0), LIVE_MS, 'room:closed on every socket');
      for (const c of closed) expect(c).toEqual([{ roomId: room.id, reason: 'ended' }]);
      expect((await speaker.call(n2, 'GET', `/api/rooms/${room.id}`)).body).toMatchObject({ ok: false, error: { code: ErrorCode.ROOM_CLOSED } });
      expect((await ask(ss, 'room:join', { roomId: room.id })).ok).toBe(false);

      // By now any stray signal would long have arrived: the third (seated) and the outsider got none.
      expect(signalsToThird).toEqual([]);
      expect(signalsToOutsider).toEqual([]);
      // The old tab heard nothing of the room after it was replaced, and no signal meant for the new one.
      expect(signalsToSpeaker).toHaveLength(4);
      expect(statesOnOldTab).toEqual([]);
    });

    it('meetups: a waitlisted user on node 2 is promoted, told and notified when an attendee cancels on node 1', async () => {
      const organizer = await signUp(n1);
      const attendee = await signUp(n1);
      const first = await signUp(n2);
      const second = await signUp(n2);
      const os = await organizer.socket(n1);
      const fs = await first.socket(n2);
      const ss = await second.socket(n2);

      const meetup = await api(
        organizer,
        n1,
        'POST',
        '/api/meetups',
        { title: 'Ramen after the talk', startsAt: inHours(48), endsAt: inHours(50), venue: 'Ichiran Shibuya', capacity: 1 },
        201,
      );
      expect(await api(attendee, n1, 'PUT', `/api/meetups/${meetup.id}/rsvp`)).toEqual({ status: 'attending', position: null });
      expect(await api(first, n2, 'PUT', `/api/meetups/${meetup.id}/rsvp`)).toEqual({ status: 'waitlisted', position: 1 });
      expect(await api(second, n2, 'PUT', `/api/meetups/${meetup.id}/rsvp`)).toEqual({ status: 'waitlisted', position: 2 });

      const promoted = nextEvent(fs, 'meetup:rsvp-updated', LIVE_MS, (u) => u.meetupId === meetup.id);
      const movedUp = nextEvent(ss, 'meetup:rsvp-updated', LIVE_MS, (u) => u.meetupId === meetup.id);
      const notified = nextEvent(fs, 'notification:created', LIVE_MS, (n) => n.data.kind === 'meetup_promoted');
      const counts = nextEvent(fs, 'meetup:counts', LIVE_MS, (c) => c.meetupId === meetup.id && c.waitlistCount === 1);
      const secondNotified = record(ss, 'notification:created');
      await api(attendee, n1, 'DELETE', `/api/meetups/${meetup.id}/rsvp`);

      expect(await promoted).toEqual({ meetupId: meetup.id, rsvp: { status: 'attending', position: null } });
      expect(await movedUp).toEqual({ meetupId: meetup.id, rsvp: { status: 'waitlisted', position: 1 } });
      const n = await notified;
      expect(n).toMatchObject({ data: { kind: 'meetup_promoted', meetupId: meetup.id, title: 'Ramen after the talk' }, readAt: null });
      expect(await counts).toEqual({ meetupId: meetup.id, attendingCount: 1, waitlistCount: 1, capacity: 1 });
      // The store agrees with what was pushed, through the other node.
      expect((await api(first, n1, 'GET', `/api/meetups/${meetup.id}`)).myRsvp).toEqual({ status: 'attending', position: null });
      expect((await api(first, n1, 'GET', '/api/notifications')).items[0]).toEqual(n);

      // Promoted, they may now post in the event chat; the organizer on node 1 sees it.
      const posted = nextEvent(os, 'chat:sent', LIVE_MS);
      await must(ask(fs, 'chat:send', { conversationId: meetup.conversationId, nonce: nonce(), body: 'I am in!' }), 'event chat');
      expect(await posted).toMatchObject({ conversationId: meetup.conversationId, senderId: first.id, body: 'I am in!' });
      // Moving up the waitlist is not a promotion: no notification for the second in line.
      expect(secondNotified).toEqual([]);
    });

    it('communities: member counts, the public channel (members and watchers) and removal cross nodes', async () => {
      const owner = await signUp(n1);
      const member = await signUp(n2);
      const reader = await signUp(n2); // not a member: watches the public channel
      const os = await owner.socket(n1);
      const ms = await member.socket(n2);
      const rs = await reader.socket(n2);
      const name = `Rustaceans ${nonce().slice(0, 8)}`;
      const community = await api(owner, n1, 'POST', '/api/communities', { name, description: 'All things Rust', tag: 'rust' }, 201);

      // Joining on node 2 bumps the count everyone sees, the owner on node 1 included.
      const count = nextEvent(os, 'community:count', LIVE_MS, (c) => c.communityId === community.id);
      expect(await api(member, n2, 'PUT', `/api/communities/${community.id}/membership`)).toEqual({ role: 'member' });
      expect(await count).toEqual({ communityId: community.id, memberCount: 2 });

      // The owner posts on node 1: the member and the watching reader on node 2 both get it.
      await must(ask(rs, 'chat:watch', { conversationId: community.conversationId, watching: true }), 'watch');
      const toMember = nextEvent(ms, 'chat:sent', LIVE_MS);
      const toReader = nextEvent(rs, 'chat:sent', LIVE_MS);
      const hello = await must(ask(os, 'chat:send', { conversationId: community.conversationId, nonce: nonce(), body: 'welcome!' }), 'post');
      for (const m of await Promise.all([toMember, toReader])) {
        expect(m).toMatchObject({ id: hello.id, conversationId: community.conversationId, senderId: owner.id, body: 'welcome!' });
      }
      // The member posts on node 2: the owner on node 1 gets it; the reader may not post.
      const toOwner = nextEvent(os, 'chat:sent', LIVE_MS, (m) => m.body === 'thanks');
      await must(ask(ms, 'chat:send', { conversationId: community.conversationId, nonce: nonce(), body: 'thanks' }), 'member post');
      expect(await toOwner).toMatchObject({ senderId: member.id, body: 'thanks', seq: 2 });
      expect(await ask(rs, 'chat:send', { conversationId: community.conversationId, nonce: nonce(), body: 'me too' })).toMatchObject({
        ok: false,
        error: { code: ErrorCode.FORBIDDEN },
      });

      // The owner removes the member on node 1: they are told on node 2, and the channel stops reaching them.
      const removed = nextEvent(ms, 'community:removed', LIVE_MS);
      const recount = nextEvent(rs, 'community:count', LIVE_MS, (c) => c.communityId === community.id);
      await api(owner, n1, 'DELETE', `/api/communities/${community.id}/members/${member.id}`);
      expect(await removed).toEqual({ communityId: community.id });
      expect(await recount).toEqual({ communityId: community.id, memberCount: 1 });
      const heardByMember = record(ms, 'chat:sent');
      const after = nextEvent(rs, 'chat:sent', LIVE_MS);
      await must(ask(os, 'chat:send', { conversationId: community.conversationId, nonce: nonce(), body: 'house rules' }), 'post');
      expect(await after).toMatchObject({ body: 'house rules', seq: 3 });
      // The member's socket sits on the reader's node; its own ack answers after anything node 2 sent it before.
      await must(ask(ms, 'session:whoami', {}), 'whoami');
      expect(heardByMember).toEqual([]);
    });

    it('notifications: made on one node, pushed to the recipient on another, and marking read reaches their other device', async () => {
      const p = await matchedPair(n1, n2);
      const bOn1 = await p.b.socket(n1);
      const bOn2 = await p.b.socket(n2);
      const as = await p.a.socket(n1);
      // A's @mention is handled by node 1; B has a device on each node, and both are told.
      const body = `@${p.b.handle} did you see the new release?`;
      const onBoth = [bOn1, bOn2].map((s) => nextEvent(s, 'notification:created', LIVE_MS, (n) => n.data.kind === 'mention'));
      await must(ask(as, 'chat:send', { conversationId: p.conversationId, nonce: nonce(), body }), 'chat:send');
      const copies = await Promise.all(onBoth);
      const n2Copy = copies[1]!;
      expect(copies[0]).toEqual(n2Copy);
      expect(n2Copy.data).toMatchObject({ kind: 'mention', conversationId: p.conversationId, from: { id: p.a.id }, excerpt: body });

      // B has two unread (the match and the mention); reading one on node 1 updates the device on node 2.
      const page = await api(p.b, n2, 'GET', '/api/notifications');
      expect(page.unread).toBe(2);
      expect(page.items.map((i: { data: { kind: string } }) => i.data.kind)).toEqual(['mention', 'match']);
      const readOn2 = nextEvent(bOn2, 'notification:read', LIVE_MS);
      expect(await api(p.b, n1, 'POST', '/api/notifications/read', { ids: [n2Copy.id] })).toEqual({ unread: 1 });
      expect(await readOn2).toEqual({ ids: [n2Copy.id], unread: 1 });
      const allOn2 = nextEvent(bOn2, 'notification:read', LIVE_MS, (r) => r.ids === null);
      expect(await api(p.b, n1, 'POST', '/api/notifications/read', { all: true })).toEqual({ unread: 0 });
      expect(await allOn2).toEqual({ ids: null, unread: 0 });
    });

    it('cluster-once timers: with both nodes sweeping, an empty room closes once and a meetup reminder goes out once', async () => {
      // (a) A room whose last person left closes once: each watching socket, on either node, hears it once.
      const roomOnce = async () => {
        const host = await signUp(n1);
        const guest = await signUp(n2);
        const watcher1 = await signUp(n1);
        const watcher2 = await signUp(n2);
        const hs = await host.socket(n1);
        const gs = await guest.socket(n2);
        const room = await api(host, n1, 'POST', '/api/rooms', { title: 'Closes by itself', visibility: 'open', capacity: 4 }, 201);
        const watching = [hs, gs, await watcher1.socket(n1), await watcher2.socket(n2)];
        const heard = watching.map((s) => record(s, 'room:closed', (c) => c.roomId === room.id));
        await must(ask(hs, 'room:join', { roomId: room.id }), 'host join');
        await must(ask(gs, 'room:join', { roomId: room.id }), 'guest join');
        await must(ask(hs, 'room:leave', { roomId: room.id }), 'host leave');
        await must(ask(gs, 'room:leave', { roomId: room.id }), 'guest leave');
        // Grace 1 s, then the next sweep of either node (every 2 s).
        await eventually(() => heard.every((h) => h.length >= 1), 15_000, 'every watcher to hear the empty room close');
        // Both nodes sweep every 2 s; after two more rounds each has had its chance to close it again.
        await sleep(4_500);
        for (const h of heard) expect(h).toEqual([{ roomId: room.id, reason: 'empty' }]);
        expect(await roomRow(cluster.schema, room.id)).toMatchObject({ closed_at: expect.any(Date), close_reason: 'empty' });
      };

      // (b) A meetup reminder is claimed by one node only: one push per device, one stored row.
      const reminderOnce = async () => {
        const organizer = await signUp(n2);
        const attendee = await signUp(n1);
        const meetup = await api(
          organizer,
          n2,
          'POST',
          '/api/meetups',
          { title: 'Wine night', startsAt: inHours(2), endsAt: inHours(3), venue: 'Bar Kitano', capacity: 5 },
          201,
        );
        expect((await api(attendee, n1, 'PUT', `/api/meetups/${meetup.id}/rsvp`)).status).toBe('attending');
        const devices = [await attendee.socket(n1), await attendee.socket(n2), await organizer.socket(n1)];
        const reminders = devices.map((s) =>
          record(s, 'notification:created', (n) => n.data.kind === 'meetup_reminder' && n.data.meetupId === meetup.id),
        );
        // Moved to start in 10 minutes: inside the 30-minute lead, so due at once on both nodes.
        const startsAt = new Date(Date.now() + 10 * 60_000).toISOString();
        await api(organizer, n2, 'PATCH', `/api/meetups/${meetup.id}`, { startsAt, endsAt: inHours(1) });
        // Each node looks for due reminders every 5 s.
        await eventually(() => reminders.every((r) => r.length >= 1), 20_000, 'the reminder on every device');
        // Both nodes have swept again within 5 s of the first claim; a second claim would show by then.
        await sleep(6_000);
        for (const r of reminders) {
          expect(r).toHaveLength(1);
          expect(r[0]!.data).toEqual({ kind: 'meetup_reminder', meetupId: meetup.id, title: 'Wine night', startsAt });
        }
        expect(reminders[1]![0]).toEqual(reminders[0]![0]);
        expect(await storedNotifications(cluster.schema, attendee.id, 'meetup_reminder', meetup.id)).toHaveLength(1);
        expect(await storedNotifications(cluster.schema, organizer.id, 'meetup_reminder', meetup.id)).toHaveLength(1);
      };

      await Promise.all([roomOnce(), reminderOnce()]);
    });
  });

  it('presence: a user on node 2 is online to node 1, and after node 2 is killed goes offline and leaves the room within the lease', async () => {
    const LEASE_TTL_MS = 6_000;
    const cluster = await startCluster({ nodes: 2, env: { LEASE_TTL_MS: String(LEASE_TTL_MS) } });
    const [n1, n2] = cluster.nodes as [ServerNode, ServerNode];
    const p = await matchedPair(n1, n2);
    const seen = async () => (await api(p.a, n1, 'GET', `/api/matches/${p.matchId}`)).otherPresence as { state: string; lastSeen: string | null };

    // B has never connected: offline to A, asking through node 1.
    expect(await seen()).toEqual({ state: 'offline', lastSeen: null });
    const as = await p.a.socket(n1);
    const cameOnline = nextEvent(as, 'presence:changed', LIVE_MS, (e) => e.userId === p.b.id);
    const bs = await p.b.socket(n2);
    expect((await cameOnline).presence.state).toBe('online');
    await eventually(async () => (await seen()).state === 'online', LIVE_MS, 'B online as seen through node 1');
    const listed = (await api(p.a, n1, 'GET', '/api/matches')) as { id: string; otherPresence: { state: string } }[];
    expect(listed.find((m) => m.id === p.matchId)?.otherPresence.state).toBe('online');

    // Both in a room: A's roster on node 1 shows B, on node 2, online.
    const room = await api(p.a, n1, 'POST', '/api/rooms', { title: 'Before the crash', visibility: 'open', capacity: 4 }, 201);
    await must(ask(as, 'room:join', { roomId: room.id }), 'A join');
    const withB = nextEvent(as, 'room:state', LIVE_MS, (s) => s.participants.length === 2);
    await must(ask(bs, 'room:join', { roomId: room.id }), 'B join');
    expect((await withB).participants.map((x) => [x.user.id, x.presence.state])).toEqual([
      [p.a.id, 'online'],
      [p.b.id, 'online'],
    ]);

    // While node 2 lives, its heartbeats keep B online and seated well past one lease.
    const statesMeanwhile = record(as, 'room:state');
    await sleep(LEASE_TTL_MS + 1_000);
    expect((await seen()).state).toBe('online');
    expect((await api(p.a, n1, 'GET', `/api/rooms/${room.id}`)).participantCount).toBe(2);
    expect(statesMeanwhile).toEqual([]);

    // Node 2 crashes. Nobody cleans up: B's leases must simply run out.
    const withoutB = nextEvent(as, 'room:state', LEASE_TTL_MS + 3_000, (s) => s.participants.every((x) => x.user.id !== p.b.id));
    const lobby = nextEvent(as, 'lobby:updated', LEASE_TTL_MS + 3_000, (r) => r.id === room.id && r.participantCount === 1);
    // And A is told, live: the surviving node's sweep finds B's lapsed leases and says so.
    const pushed = nextEvent(as, 'presence:changed', LEASE_TTL_MS + 3_000, (e) => e.userId === p.b.id && e.presence.state === 'offline');
    const crashed = Date.now();
    await n2.kill();
    let offlineAfter = 0;
    const offline = eventually(
      async () => {
        if ((await seen()).state !== 'offline') return false;
        offlineAfter = Date.now() - crashed;
        return true;
      },
      LEASE_TTL_MS + 3_000,
      'B offline as seen through node 1',
    );
    const roster = await withoutB;
    const rosterAfter = Date.now() - crashed;
    await offline;
    console.info(`after the kill: offline in ${offlineAfter} ms, out of the roster in ${rosterAfter} ms (lease ${LEASE_TTL_MS} ms)`);
    expect(roster.participants.map((x) => [x.user.id, x.role])).toEqual([[p.a.id, 'host']]);
    expect(roster.peers).toEqual({ [p.a.id]: as.id });
    expect(await lobby).toMatchObject({ participantCount: 1, preview: [expect.objectContaining({ id: p.a.id })] });
    const last = await seen();
    expect(last.state).toBe('offline');
    // Last seen is kept: when B's node last renewed the lease, shortly before the crash.
    expect(Date.parse(last.lastSeen!)).toBeGreaterThan(crashed - LEASE_TTL_MS);
    expect(Date.parse(last.lastSeen!)).toBeLessThanOrEqual(crashed);
    expect((await pushed).presence.state).toBe('offline');
    expect(n1.alive()).toBe(true);
  });
});
