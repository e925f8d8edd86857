import { createHmac } from 'node:crypto';
import { ErrorCode, type ClientPayload, type RoomState, type RtcConfig } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';
import { toPresence } from '../../infra/presence.js';
import type { ChatService } from '../chat/index.js';
import type { HandlerContext } from '../../realtime/socket-router.js';
import { roomStore, type RoomRow, type RoomStore } from './store.js';

/** How often each node sweeps lapsed seats and empty rooms. */
const SWEEP_MS = 2_000;
/** TURN credentials are valid this long. */
const TURN_TTL_SECONDS = 3_600;

/** Joins and leaves share one budget, so flapping in and out of rooms is limited too. */
const JOIN_RATE = { limit: 20, windowMs: 10_000, bucket: 'room-membership' };
const ACTION_RATE = { limit: 30, windowMs: 10_000 };
const SPEAKING_RATE = { limit: 10, windowMs: 1_000 };
const SIGNAL_RATE = { limit: 300, windowMs: 10_000 };

/**
 * Casual voice rooms: lobby, seats with capacity, stage and audience, hand queue, host and
 * moderator controls, lifecycle, and WebRTC signalling relayed only between seated participants.
 * The side chat is a conversation of kind `room` in the shared chat mechanism.
 */
export function registerRooms(ctx: AppContext, deps: { chat: ChatService }): RoomStore {
  const { config, http, sockets, io, presence, log } = ctx;
  // A seat's lease is renewed every third of LEASE_TTL_MS by the node holding the socket. It is a
  // sweep shorter than the TTL, so a dead node's people are gone from rosters within LEASE_TTL_MS.
  const leaseSeconds = Math.max(2, Math.floor((config.LEASE_TTL_MS - SWEEP_MS) / 1000));
  const store = roomStore(ctx.db, deps.chat.store, { speakerCap: config.ROOM_SPEAKER_CAP, leaseSeconds });
  /**
   * This node's connections that asked for a seat (a seat row may exist for them): the only ones
   * whose leases need renewing and whose disconnect needs a seat lookup.
   */
  const seatedConns = new Set<string>();

  async function stateOf(room: RoomRow): Promise<RoomState> {
    const people = await store.participants(room.id);
    const status = await presence.status(people.map((p) => p.user.id));
    return {
      room: store.summarize(room, people),
      rev: room.rev,
      conversationId: room.conversation_id,
      inviteToken: room.visibility === 'invite' ? room.invite_token : null,
      participants: people.map((p) => ({
        user: p.user,
        role: p.role,
        muted: p.muted,
        handRaisedAt: p.handRaisedAt,
        joinedAt: p.joinedAt,
        presence: toPresence(status.get(p.user.id)),
      })),
      hands: people
        .filter((p) => p.handRaisedAt !== null)
        .sort((a, b) => a.handRaisedAt!.localeCompare(b.handRaisedAt!))
        .map((p) => p.user.id),
      speakerCap: config.ROOM_SPEAKER_CAP,
      peers: Object.fromEntries(people.map((p) => [p.user.id, p.connId])),
    };
  }

  /** Sends the new state to everyone in the room, and the new summary to the lobby. */
  async function publish(room: RoomRow) {
    const state = await stateOf(room);
    io.to(rooms.voiceRoom(room.id)).emit('room:state', state);
    if (room.visibility === 'open') io.emit('lobby:updated', state.room);
    return state;
  }

  /** Announces a closed room and takes every socket out of its rooms. */
  function announceClosed(room: RoomRow, reason: 'ended' | 'empty') {
    const payload = { roomId: room.id, reason };
    if (room.visibility === 'open') io.emit('room:closed', payload);
    else io.to(rooms.voiceRoom(room.id)).emit('room:closed', payload);
    io.in(rooms.voiceRoom(room.id)).socketsLeave([rooms.voiceRoom(room.id), rooms.conversation(room.conversation_id)]);
  }

  /** Takes one connection out of a room's channels (left, removed, or replaced by another tab). */
  function detach(connId: string, room: RoomRow) {
    io.in(connId).socketsLeave([rooms.voiceRoom(room.id), rooms.conversation(room.conversation_id)]);
  }

  // ---- HTTP
  http.route('listRooms', { auth: true }, () => store.lobby());

  http.route('createRoom', { auth: true, status: 201 }, async ({ body, principal }) => {
    if (body.capacity > config.ROOM_MAX_CAPACITY) {
      throw new AppError(ErrorCode.INVALID_PAYLOAD, `Capacity is at most ${config.ROOM_MAX_CAPACITY}`, {
        details: [{ path: 'capacity', message: `at most ${config.ROOM_MAX_CAPACITY}` }],
      });
    }
    const room = await store.create(principal.userId, body);
    const summary = store.summarize(room, []);
    if (room.visibility === 'open') io.emit('lobby:updated', summary);
    return { ...summary, inviteToken: room.invite_token };
  });

  http.route('getRoom', { auth: true }, async ({ params, query, principal }) => {
    const room = await store.get(params.id);
    if (room.visibility === 'invite' && query.token !== room.invite_token) {
      const seated = await store.member(room.id, principal.userId).catch(() => null);
      if (!seated) throw new AppError(ErrorCode.FORBIDDEN, 'This room is invite-only');
    }
    return store.summarize(room, await store.participants(room.id));
  });

  http.route('rtcConfig', { auth: true }, async ({ principal }): Promise<RtcConfig> => {
    const iceServers: RtcConfig['iceServers'] = [...config.ICE_SERVERS];
    if (config.TURN_URLS.length > 0 && config.TURN_STATIC_AUTH_SECRET) {
      // coturn's "use-auth-secret" (TURN REST API): username = expiry:user, credential = HMAC-SHA1.
      const username = `${Math.floor(Date.now() / 1000) + TURN_TTL_SECONDS}:${principal.userId}`;
      const credential = createHmac('sha1', config.TURN_STATIC_AUTH_SECRET).update(username).digest('base64');
      iceServers.push({ urls: config.TURN_URLS, username, credential });
    }
    return { iceServers };
  });

  // ---- sockets
  sockets.on(
    'room:join',
    async ({ roomId, token }, { socket, user }) => {
      seatedConns.add(socket.id);
      const { room, replacedConn } = await store.join(roomId, user.userId, socket.id, token);
      if (replacedConn) {
        io.to(replacedConn).emit('room:left', { roomId, reason: 'replaced' });
        detach(replacedConn, room);
      }
      await socket.join([rooms.voiceRoom(roomId), rooms.conversation(room.conversation_id)]);
      return publish(room);
    },
    { rate: JOIN_RATE },
  );

  sockets.on(
    'room:leave',
    async ({ roomId }, { socket, user }) => {
      const room = await store.leave(roomId, user.userId);
      if (room) {
        detach(socket.id, room);
        await publish(room);
      }
      return null;
    },
    { rate: JOIN_RATE },
  );

  sockets.on('room:hand', async ({ roomId, raised }, { user }) => {
    await publish(await store.hand(roomId, user.userId, raised));
    return null;
  }, { rate: ACTION_RATE });

  sockets.on('room:mute', async ({ roomId, muted }, { user }) => {
    await publish(await store.muteSelf(roomId, user.userId, muted));
    return null;
  }, { rate: ACTION_RATE });

  sockets.on('room:step-down', async ({ roomId }, { user }) => {
    await publish(await store.stepDown(roomId, user.userId));
    return null;
  }, { rate: ACTION_RATE });

  sockets.on('room:moderate', async ({ roomId, userId, action }, { user }) => {
    const { room, targetConn } = await store.moderate(roomId, { userId: user.userId, role: user.role }, userId, action);
    if (action === 'remove') {
      io.to(targetConn).emit('room:left', { roomId, reason: 'removed' });
      detach(targetConn, room);
    }
    await publish(room);
    return null;
  }, { rate: ACTION_RATE });

  sockets.on('room:lower-hands', async ({ roomId }, { user }) => {
    await publish(await store.lowerHands(roomId, { userId: user.userId, role: user.role }));
    return null;
  }, { rate: ACTION_RATE });

  sockets.on('room:end', async ({ roomId }, { user }) => {
    const { room } = await store.end(roomId, user.userId, user.role);
    announceClosed(room, 'ended');
    return null;
  });

  sockets.on(
    'room:speaking',
    async ({ roomId, speaking }, { user }) => {
      const seat = await store.member(roomId, user.userId);
      if (seat.role === 'listener') throw new AppError(ErrorCode.FORBIDDEN, 'Only speakers speak');
      if (seat.muted && speaking) return null; // a muted speaker is not heard, whatever their meter says
      io.to(rooms.voiceRoom(roomId)).except(rooms.user(user.userId)).emit('room:speaking-updated', { roomId, userId: user.userId, speaking });
      return null;
    },
    { rate: SPEAKING_RATE },
  );

  // Signals from one connection are relayed in the order they came: an answer must not overtake
  // its offer while the two wait on their membership lookups.
  const signalQueues = new WeakMap<object, Promise<unknown>>();
  sockets.on(
    'rtc:signal',
    (input, hctx) => {
      const prev = signalQueues.get(hctx.socket) ?? Promise.resolve();
      const run = prev.then(() => relaySignal(input, hctx));
      signalQueues.set(hctx.socket, run.catch(() => undefined));
      return run;
    },
    { rate: SIGNAL_RATE },
  );

  async function relaySignal(
    { roomId, to, description, candidate }: ClientPayload<'rtc:signal'>,
    { socket, user }: HandlerContext,
  ) {
      // Both ends must be seated in this room right now; the sender from this very connection.
      const from = await store.member(roomId, user.userId);
      if (from.conn_id !== socket.id) throw new AppError(ErrorCode.FORBIDDEN, 'Your seat is held by another tab');
      const target = await store.member(roomId, to).catch(() => {
        throw new AppError(ErrorCode.NOT_FOUND, 'That person is not in this room');
      });
      io.to(target.conn_id).emit('rtc:signal', {
        roomId,
        from: user.userId,
        ...(description ? { description } : {}),
        ...(candidate !== undefined ? { candidate } : {}),
      });
      return null;
  }

  sockets.on('presence:active', async (_input, { user }) => {
    await presence.touch(user.userId);
    return null;
  });

  // A closed tab or lost network frees the seat as soon as Socket.IO notices.
  sockets.onDisconnect((socket) => {
    // Most connections never take a seat: no query for them (a reconnect storm of 10k sockets
    // would otherwise cost 10k lookups).
    if (!seatedConns.delete(socket.id)) return;
    void (async () => {
      for (const seat of await store.roomsOfConn(socket.id)) {
        const room = await store.leave(seat.roomId, seat.userId, socket.id);
        if (room) await publish(room);
      }
    })().catch((err) => log.warn({ err }, 'room leave on disconnect failed'));
  });

  // Leases and sweeps. Every node renews its own sockets' seats; every node sweeps, and the
  // database hands each lapsed seat and each expired room to exactly one of them.
  const renew = setInterval(() => {
    void store.renew([...seatedConns]).catch((err) => log.warn({ err }, 'seat renew failed'));
  }, config.LEASE_TTL_MS / 3);
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void (async () => {
      for (const room of await store.sweepExpired()) await publish(room);
      for (const room of await store.closeEmpty(config.ROOM_EMPTY_GRACE_SECONDS)) announceClosed(room, 'empty');
    })()
      .catch((err) => log.warn({ err }, 'room sweep failed'))
      .finally(() => (sweeping = false));
  }, SWEEP_MS);
  renew.unref();
  sweep.unref();
  ctx.app.addHook('preClose', async () => {
    clearInterval(renew);
    clearInterval(sweep);
  });
  return store;
}
