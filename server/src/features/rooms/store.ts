import { randomBytes } from 'node:crypto';
import { ErrorCode, type Role, type RoomRole, type RoomSummary } from '@hackmeshi/shared';
import type { Db, Queryable } from '../../infra/db.js';
import { AppError } from '../../infra/errors.js';
import { summaryColumns, toSummary } from '../accounts/store.js';
import type { ChatStore } from '../chat/store.js';

interface RoomRow {
  id: string;
  title: string;
  tag: string | null;
  visibility: 'open' | 'invite';
  capacity: number;
  invite_token: string;
  created_by: string;
  conversation_id: string;
  created_at: Date;
  closed_at: Date | null;
  rev: number;
  creator_seated: boolean;
}

/** A participant row with its user, before presence is added. */
export interface ParticipantRow {
  user: ReturnType<typeof toSummary>;
  role: RoomRole;
  muted: boolean;
  handRaisedAt: string | null;
  joinedAt: string;
  connId: string;
}

/** Settings that shape room behaviour, from config. */
export interface RoomLimits {
  speakerCap: number;
  leaseSeconds: number;
}

const PREVIEW = 5;
const onStage = (role: RoomRole) => role === 'host' || role === 'speaker';

/**
 * SQL for voice rooms. Every change to a room's membership or roles runs in one transaction that
 * locks the room row, so capacity, the speaker cap and host hand-over hold under any concurrency,
 * on any number of nodes.
 */
export function roomStore(db: Db, chat: ChatStore, limits: RoomLimits) {
  /** Locks the room row for a change, and counts the change in `rev` (rolled back if the change fails). */
  async function lockRoom(q: Queryable, roomId: string): Promise<RoomRow> {
    const { rows } = await q.query<RoomRow>('UPDATE rooms SET rev = rev + 1 WHERE id = $1 RETURNING *', [roomId]);
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such room');
    if (rows[0].closed_at) throw new AppError(ErrorCode.ROOM_CLOSED, 'This room has closed');
    return rows[0];
  }

  async function participants(q: Queryable, roomId: string): Promise<ParticipantRow[]> {
    const { rows } = await q.query<Record<string, unknown>>(
      `SELECT p.role, p.muted, p.hand_raised_at, p.joined_at, p.conn_id, ${summaryColumns('u')}
         FROM room_participants p JOIN users u ON u.id = p.user_id
        WHERE p.room_id = $1 ORDER BY p.joined_at, p.user_id`,
      [roomId],
    );
    return rows.map((r) => ({
      user: toSummary(r, 'u'),
      role: r.role as RoomRole,
      muted: r.muted as boolean,
      handRaisedAt: r.hand_raised_at ? new Date(r.hand_raised_at as Date).toISOString() : null,
      joinedAt: new Date(r.joined_at as Date).toISOString(),
      connId: r.conn_id as string,
    }));
  }

  async function member(q: Queryable, roomId: string, userId: string) {
    const { rows } = await q.query<{ role: RoomRole; conn_id: string; muted: boolean }>(
      'SELECT role, conn_id, muted FROM room_participants WHERE room_id = $1 AND user_id = $2',
      [roomId, userId],
    );
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'You are not in this room');
    return rows[0];
  }

  /**
   * After someone left: if the room has no host, the longest-present speaker becomes host, else
   * the longest-present participant; if nobody is left, the empty grace period starts now.
   */
  async function settle(q: Queryable, roomId: string) {
    const { rows } = await q.query<{ user_id: string; role: RoomRole }>(
      `SELECT user_id, role FROM room_participants WHERE room_id = $1
        ORDER BY (role = 'host') DESC, (role = 'speaker') DESC, joined_at, user_id`,
      [roomId],
    );
    if (rows.length === 0) {
      await q.query('UPDATE rooms SET empty_since = COALESCE(empty_since, now()) WHERE id = $1', [roomId]);
      return;
    }
    if (rows[0]!.role !== 'host') {
      await q.query(
        "UPDATE room_participants SET role = 'host', hand_raised_at = NULL WHERE room_id = $1 AND user_id = $2",
        [roomId, rows[0]!.user_id],
      );
    }
  }

  async function removeParticipant(q: Queryable, room: RoomRow, userId: string) {
    await q.query('DELETE FROM room_participants WHERE room_id = $1 AND user_id = $2', [room.id, userId]);
    // The side chat is for current participants only.
    await q.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [room.conversation_id, userId]);
  }

  function summarize(room: RoomRow, people: ParticipantRow[]): RoomSummary {
    return {
      id: room.id,
      title: room.title,
      tag: room.tag,
      visibility: room.visibility,
      host: people.find((p) => p.role === 'host')?.user ?? null,
      capacity: room.capacity,
      participantCount: people.length,
      full: people.length >= room.capacity,
      preview: people.slice(0, PREVIEW).map((p) => p.user),
      createdAt: new Date(room.created_at).toISOString(),
    };
  }

  return {
    summarize,
    participants: (roomId: string) => participants(db, roomId),

    async create(userId: string, input: { title: string; tag?: string; visibility: 'open' | 'invite'; capacity: number }) {
      return db.tx(async (q) => {
        const conversationId = await chat.create(q, 'room', []);
        const { rows } = await q.query<RoomRow>(
          `INSERT INTO rooms (title, tag, visibility, capacity, invite_token, created_by, conversation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
          [input.title, input.tag ?? null, input.visibility, input.capacity, randomBytes(18).toString('base64url'), userId, conversationId],
        );
        return rows[0]!;
      });
    },

    /** A live room, or NOT_FOUND; with ROOM_CLOSED for a closed one. */
    async get(roomId: string): Promise<RoomRow> {
      const { rows } = await db.query<RoomRow>('SELECT * FROM rooms WHERE id = $1', [roomId]);
      if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such room');
      if (rows[0].closed_at) throw new AppError(ErrorCode.ROOM_CLOSED, 'This room has closed');
      return rows[0];
    },

    /** Open (listed) live rooms, newest first. */
    async lobby(): Promise<RoomSummary[]> {
      const { rows } = await db.query<RoomRow>(
        "SELECT * FROM rooms WHERE closed_at IS NULL AND visibility = 'open' ORDER BY created_at DESC LIMIT 200",
      );
      return Promise.all(rows.map(async (r) => summarize(r, await participants(db, r.id))));
    },

    /**
     * Joins (or re-joins from a new connection). Refuses closed rooms (ROOM_CLOSED), invite-only
     * rooms without the token (FORBIDDEN), removed users (FORBIDDEN) and full rooms (ROOM_FULL).
     * Newcomers take a seat on stage while there is one, else join the audience.
     */
    async join(roomId: string, userId: string, connId: string, token: string | undefined) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        const { rows: existing } = await q.query<{ conn_id: string }>(
          'SELECT conn_id FROM room_participants WHERE room_id = $1 AND user_id = $2',
          [roomId, userId],
        );
        const replacedConn = existing[0] && existing[0].conn_id !== connId ? existing[0].conn_id : null;
        if (existing[0]) {
          await q.query(
            `UPDATE room_participants SET conn_id = $3, expires_at = now() + make_interval(secs => $4) WHERE room_id = $1 AND user_id = $2`,
            [roomId, userId, connId, limits.leaseSeconds],
          );
          return { room, replacedConn };
        }
        const { rows: banned } = await q.query('SELECT 1 FROM room_bans WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
        if (banned[0]) throw new AppError(ErrorCode.FORBIDDEN, 'You were removed from this room', { details: { reason: 'removed' } });
        if (room.visibility === 'invite' && token !== room.invite_token) {
          throw new AppError(ErrorCode.FORBIDDEN, 'This room is invite-only', { details: { reason: 'invite_only' } });
        }
        const { rows: counts } = await q.query<{ total: number; stage: number; hosts: number }>(
          `SELECT count(*)::int AS total, count(*) FILTER (WHERE role <> 'listener')::int AS stage,
                  count(*) FILTER (WHERE role = 'host')::int AS hosts
             FROM room_participants WHERE room_id = $1`,
          [roomId],
        );
        const c = counts[0]!;
        if (c.total >= room.capacity) throw new AppError(ErrorCode.ROOM_FULL, 'This room is full');
        const creatorArrives = userId === room.created_by && !room.creator_seated;
        if (creatorArrives && c.hosts > 0) {
          // Someone slipped in before the creator and was acting host; the creator takes over.
          await q.query("UPDATE room_participants SET role = 'speaker' WHERE room_id = $1 AND role = 'host'", [roomId]);
        }
        if (creatorArrives) await q.query('UPDATE rooms SET creator_seated = true WHERE id = $1', [roomId]);
        const role: RoomRole =
          creatorArrives || c.hosts === 0 ? 'host' : c.stage < limits.speakerCap ? 'speaker' : 'listener';
        await q.query(
          `INSERT INTO room_participants (room_id, user_id, conn_id, role, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
          [roomId, userId, connId, role, limits.leaseSeconds],
        );
        await q.query('UPDATE rooms SET empty_since = NULL WHERE id = $1', [roomId]);
        await q.query(
          'INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [room.conversation_id, userId],
        );
        return { room, replacedConn };
      });
    },

    /** Leaves a room. With `connId`, only if that connection still holds the seat (a stale tab does not evict the new one). */
    async leave(roomId: string, userId: string, connId?: string) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        const { rows } = await q.query<{ conn_id: string }>(
          'SELECT conn_id FROM room_participants WHERE room_id = $1 AND user_id = $2',
          [roomId, userId],
        );
        if (!rows[0] || (connId !== undefined && rows[0].conn_id !== connId)) return null;
        await removeParticipant(q, room, userId);
        await settle(q, roomId);
        return room;
      });
    },

    /** Rooms a connection holds a seat in (to leave them when it disconnects). */
    async roomsOfConn(connId: string): Promise<{ roomId: string; userId: string }[]> {
      const { rows } = await db.query<{ room_id: string; user_id: string }>(
        'SELECT room_id, user_id FROM room_participants WHERE conn_id = $1',
        [connId],
      );
      return rows.map((r) => ({ roomId: r.room_id, userId: r.user_id }));
    },

    /** Renews the leases of this node's connections. */
    async renew(connIds: string[]) {
      if (connIds.length === 0) return;
      await db.query(
        'UPDATE room_participants SET expires_at = now() + make_interval(secs => $2) WHERE conn_id = ANY($1::text[])',
        [connIds, limits.leaseSeconds],
      );
    },

    /** Removes participants whose lease lapsed (their node died); returns the rooms that changed. */
    async sweepExpired(): Promise<RoomRow[]> {
      const { rows } = await db.query<{ room_id: string }>(
        'SELECT DISTINCT room_id FROM room_participants WHERE expires_at < now()',
      );
      const changed: RoomRow[] = [];
      for (const { room_id } of rows) {
        const room = await db.tx(async (q) => {
          const { rows: locked } = await q.query<RoomRow>('UPDATE rooms SET rev = rev + 1 WHERE id = $1 RETURNING *', [room_id]);
          const r = locked[0]!;
          const { rows: gone } = await q.query<{ user_id: string }>(
            'DELETE FROM room_participants WHERE room_id = $1 AND expires_at < now() RETURNING user_id',
            [room_id],
          );
          if (gone.length === 0) return null;
          for (const g of gone) {
            await q.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [r.conversation_id, g.user_id]);
          }
          await settle(q, room_id);
          return r;
        });
        if (room) changed.push(room);
      }
      return changed;
    },

    /**
     * Closes rooms empty for longer than the grace period. The UPDATE … RETURNING hands each room
     * to exactly one node, so the close is announced once however many nodes sweep.
     */
    async closeEmpty(graceSeconds: number): Promise<RoomRow[]> {
      const { rows } = await db.query<RoomRow>(
        `UPDATE rooms SET closed_at = now(), close_reason = 'empty'
          WHERE closed_at IS NULL AND empty_since IS NOT NULL AND empty_since < now() - make_interval(secs => $1)
          RETURNING *`,
        [graceSeconds],
      );
      for (const r of rows) await chat.close(db, r.conversation_id);
      return rows;
    },

    /** Ends a room for everyone (host or moderator). */
    async end(roomId: string, actorId: string, actorRole: Role) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        await assertCanModerate(q, roomId, actorId, actorRole);
        const people = await participants(q, roomId);
        await q.query("UPDATE rooms SET closed_at = now(), close_reason = 'ended' WHERE id = $1", [roomId]);
        await q.query('DELETE FROM room_participants WHERE room_id = $1', [roomId]);
        await chat.close(q, room.conversation_id);
        return { room, people };
      });
    },

    /** Raises or lowers your own hand. Only the audience raises hands. */
    async hand(roomId: string, userId: string, raised: boolean) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        const m = await member(q, roomId, userId);
        if (raised && m.role !== 'listener') throw new AppError(ErrorCode.CONFLICT, 'You are already on stage');
        await q.query(
          `UPDATE room_participants SET hand_raised_at = CASE WHEN $3 THEN COALESCE(hand_raised_at, clock_timestamp()) END
            WHERE room_id = $1 AND user_id = $2`,
          [roomId, userId, raised],
        );
        return room;
      });
    },

    async muteSelf(roomId: string, userId: string, muted: boolean) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        await member(q, roomId, userId);
        await q.query('UPDATE room_participants SET muted = $3 WHERE room_id = $1 AND user_id = $2', [roomId, userId, muted]);
        return room;
      });
    },

    /** A speaker goes back to the audience. The host hands over first by leaving. */
    async stepDown(roomId: string, userId: string) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        const m = await member(q, roomId, userId);
        if (m.role === 'host') throw new AppError(ErrorCode.CONFLICT, 'The host stays on stage');
        await q.query("UPDATE room_participants SET role = 'listener' WHERE room_id = $1 AND user_id = $2", [roomId, userId]);
        return room;
      });
    },

    /** Host or moderator actions on a participant. */
    async moderate(
      roomId: string,
      actor: { userId: string; role: Role },
      targetId: string,
      action: 'invite_to_speak' | 'move_to_listener' | 'mute' | 'remove',
    ) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        await assertCanModerate(q, roomId, actor.userId, actor.role);
        const target = await member(q, roomId, targetId).catch(() => {
          throw new AppError(ErrorCode.NOT_FOUND, 'That person is not in this room');
        });
        if (target.role === 'host' && action !== 'mute') throw new AppError(ErrorCode.FORBIDDEN, 'The host cannot be moved or removed');
        if (action === 'invite_to_speak') {
          if (onStage(target.role)) throw new AppError(ErrorCode.CONFLICT, 'Already on stage');
          const { rows } = await q.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM room_participants WHERE room_id = $1 AND role <> 'listener'",
            [roomId],
          );
          if (rows[0]!.n >= limits.speakerCap) throw new AppError(ErrorCode.CONFLICT, 'The stage is full');
          await q.query(
            "UPDATE room_participants SET role = 'speaker', hand_raised_at = NULL WHERE room_id = $1 AND user_id = $2",
            [roomId, targetId],
          );
        } else if (action === 'move_to_listener') {
          await q.query("UPDATE room_participants SET role = 'listener' WHERE room_id = $1 AND user_id = $2", [roomId, targetId]);
        } else if (action === 'mute') {
          await q.query('UPDATE room_participants SET muted = true WHERE room_id = $1 AND user_id = $2', [roomId, targetId]);
        } else {
          await removeParticipant(q, room, targetId);
          await q.query('INSERT INTO room_bans (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [roomId, targetId]);
        }
        return { room, targetConn: target.conn_id };
      });
    },

    async lowerHands(roomId: string, actor: { userId: string; role: Role }) {
      return db.tx(async (q) => {
        const room = await lockRoom(q, roomId);
        await assertCanModerate(q, roomId, actor.userId, actor.role);
        await q.query('UPDATE room_participants SET hand_raised_at = NULL WHERE room_id = $1', [roomId]);
        return room;
      });
    },

    /** The caller's seat, or NOT_FOUND. */
    member: (roomId: string, userId: string) => member(db, roomId, userId),
  };

  /** The host of the room, or a site moderator or admin who is in it. */
  async function assertCanModerate(q: Queryable, roomId: string, userId: string, role: Role) {
    const m = await member(q, roomId, userId).catch(() => null);
    if (!m || (m.role !== 'host' && role === 'member')) {
      throw new AppError(ErrorCode.FORBIDDEN, 'Only the host or a moderator can do that');
    }
  }
}
export type RoomStore = ReturnType<typeof roomStore>;
export type { RoomRow };
