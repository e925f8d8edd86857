import { ErrorCode, type Community, type CommunityRole } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import type { Queryable } from '../../infra/db.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';
import { summaryColumns, toSummary } from '../accounts/store.js';
import type { CardStore } from '../cards/store.js';
import type { ChatService } from '../chat/index.js';
import type { MeetupStore } from '../meetups/store.js';
import type { RoomStore } from '../rooms/store.js';

const VIEW = `
  SELECT c.*, ${summaryColumns('o')},
         (SELECT count(*)::int FROM community_members x WHERE x.community_id = c.id) AS member_count,
         me.role AS my_role
    FROM communities c JOIN users o ON o.id = c.owner_id
    LEFT JOIN community_members me ON me.community_id = c.id AND me.user_id = $1`;

type Row = Record<string, unknown> & {
  id: string; name: string; description: string; tag: string; conversation_id: string; created_at: Date;
  member_count: number; my_role: CommunityRole | null;
};

const toCommunity = (r: Row): Community => ({
  id: r.id,
  name: r.name,
  description: r.description,
  tag: r.tag,
  owner: toSummary(r, 'o'),
  memberCount: r.member_count,
  myRole: r.my_role,
  conversationId: r.conversation_id,
  createdAt: new Date(r.created_at).toISOString(),
});

/**
 * Interest communities: a channel anyone can read and members post in (the shared chat
 * mechanism), a feed of everything carrying the tag, and owner / moderator / member roles.
 */
export function registerCommunities(
  ctx: AppContext,
  deps: { chat: ChatService; cards: CardStore; rooms: RoomStore; meetups: MeetupStore },
) {
  const { db, http, io } = ctx;
  const { chat } = deps;

  async function view(viewerId: string, id: string) {
    const { rows } = await db.query<Row>(`${VIEW} WHERE c.id = $2`, [viewerId, id]);
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'No such community');
    return toCommunity(rows[0]);
  }

  async function roleOf(q: Queryable, id: string, userId: string): Promise<CommunityRole | null> {
    const { rows } = await q.query<{ role: CommunityRole }>(
      'SELECT role FROM community_members WHERE community_id = $1 AND user_id = $2',
      [id, userId],
    );
    return rows[0]?.role ?? null;
  }

  async function pushCount(id: string) {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM community_members WHERE community_id = $1', [id]);
    io.emit('community:count', { communityId: id, memberCount: rows[0]!.n });
  }

  http.route('listCommunities', { auth: true }, async ({ query, principal }) => {
    const params: unknown[] = [principal.userId];
    const where: string[] = ['true'];
    if (query.q) where.push(`c.name ILIKE $${params.push(`%${query.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`)}`);
    if (query.tag) where.push(`c.tag = $${params.push(query.tag)}`);
    if (query.mine === 'true') where.push('me.role IS NOT NULL');
    const { rows } = await db.query<Row>(`${VIEW} WHERE ${where.join(' AND ')} ORDER BY member_count DESC, c.created_at DESC LIMIT 200`, params);
    return rows.map(toCommunity);
  });

  http.route('createCommunity', { auth: true, status: 201 }, async ({ body, principal }) => {
    const id = await db.tx(async (q) => {
      const { rows: taken } = await q.query('SELECT 1 FROM communities WHERE lower(name) = lower($1)', [body.name]);
      if (taken[0]) throw new AppError(ErrorCode.CONFLICT, 'A community with that name exists');
      const conversationId = await chat.store.create(q, 'community', []);
      await q.query('UPDATE conversations SET public_read = true WHERE id = $1', [conversationId]);
      const { rows } = await q.query<{ id: string }>(
        'INSERT INTO communities (name, description, tag, owner_id, conversation_id) VALUES ($1, $2, $3, $4, $5) RETURNING id',
        [body.name, body.description, body.tag, principal.userId, conversationId],
      );
      await q.query("INSERT INTO community_members (community_id, user_id, role) VALUES ($1, $2, 'owner')", [rows[0]!.id, principal.userId]);
      await q.query(
        'INSERT INTO conversation_members (conversation_id, user_id, can_moderate) VALUES ($1, $2, true)',
        [conversationId, principal.userId],
      );
      return rows[0]!.id;
    });
    const community = await view(principal.userId, id);
    chat.joinRoom(community.conversationId, [principal.userId]);
    return community;
  });

  http.route('getCommunity', { auth: true }, ({ params, principal }) => view(principal.userId, params.id));

  http.route('joinCommunity', { auth: true }, async ({ params, principal }) => {
    const c = await view(principal.userId, params.id);
    const role = await db.tx(async (q) => {
      const { rows: banned } = await q.query('SELECT 1 FROM community_bans WHERE community_id = $1 AND user_id = $2', [params.id, principal.userId]);
      if (banned[0]) throw new AppError(ErrorCode.FORBIDDEN, 'You were removed from this community');
      await q.query(
        "INSERT INTO community_members (community_id, user_id, role) VALUES ($1, $2, 'member') ON CONFLICT DO NOTHING",
        [params.id, principal.userId],
      );
      await q.query('INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        c.conversationId,
        principal.userId,
      ]);
      return (await roleOf(q, params.id, principal.userId))!;
    });
    chat.joinRoom(c.conversationId, [principal.userId]);
    await pushCount(params.id);
    return { role };
  });

  http.route('leaveCommunity', { auth: true }, async ({ params, principal }) => {
    const c = await view(principal.userId, params.id);
    if (c.myRole === 'owner') throw new AppError(ErrorCode.CONFLICT, 'The owner cannot leave their community');
    if (!c.myRole) throw new AppError(ErrorCode.NOT_FOUND, 'You are not a member');
    await db.tx(async (q) => {
      await q.query('DELETE FROM community_members WHERE community_id = $1 AND user_id = $2', [params.id, principal.userId]);
      await q.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [c.conversationId, principal.userId]);
    });
    chat.leaveRoom(c.conversationId, [principal.userId]);
    await pushCount(params.id);
    return null;
  });

  http.route('members', { auth: true }, async ({ params, principal }) => {
    await view(principal.userId, params.id);
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT m.role, m.joined_at, ${summaryColumns('u')} FROM community_members m JOIN users u ON u.id = m.user_id
        WHERE m.community_id = $1 ORDER BY (m.role = 'owner') DESC, (m.role = 'moderator') DESC, m.joined_at`,
      [params.id],
    );
    return rows.map((r) => ({ user: toSummary(r, 'u'), role: r.role as CommunityRole, joinedAt: new Date(r.joined_at as Date).toISOString() }));
  });

  http.route('setCommunityRole', { auth: true }, async ({ params, body, principal }) => {
    const c = await view(principal.userId, params.id);
    if (c.myRole !== 'owner') throw new AppError(ErrorCode.FORBIDDEN, 'Only the owner appoints moderators');
    await db.tx(async (q) => {
      const target = await roleOf(q, params.id, params.userId);
      if (!target) throw new AppError(ErrorCode.NOT_FOUND, 'Not a member');
      if (target === 'owner') throw new AppError(ErrorCode.CONFLICT, 'The owner stays the owner');
      await q.query('UPDATE community_members SET role = $3 WHERE community_id = $1 AND user_id = $2', [params.id, params.userId, body.role]);
      await q.query('UPDATE conversation_members SET can_moderate = $3 WHERE conversation_id = $1 AND user_id = $2', [
        c.conversationId,
        params.userId,
        body.role === 'moderator',
      ]);
    });
    return null;
  });

  http.route('removeMember', { auth: true }, async ({ params, principal }) => {
    const c = await view(principal.userId, params.id);
    if (c.myRole !== 'owner' && c.myRole !== 'moderator') throw new AppError(ErrorCode.FORBIDDEN, 'Only the owner or a moderator can remove members');
    await db.tx(async (q) => {
      const target = await roleOf(q, params.id, params.userId);
      if (!target) throw new AppError(ErrorCode.NOT_FOUND, 'Not a member');
      if (target === 'owner' || (target === 'moderator' && c.myRole !== 'owner')) {
        throw new AppError(ErrorCode.FORBIDDEN, 'You cannot remove that member');
      }
      await q.query('DELETE FROM community_members WHERE community_id = $1 AND user_id = $2', [params.id, params.userId]);
      await q.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [c.conversationId, params.userId]);
      await q.query('INSERT INTO community_bans (community_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [params.id, params.userId]);
    });
    chat.leaveRoom(c.conversationId, [params.userId]);
    io.to(rooms.user(params.userId)).emit('community:removed', { communityId: params.id });
    await pushCount(params.id);
    return null;
  });

  http.route('communityFeed', { auth: true }, async ({ params, principal }) => {
    const c = await view(principal.userId, params.id);
    const [cards, lobby, meetups] = await Promise.all([
      deps.cards.feed(principal.userId, { sort: 'new', tag: c.tag, limit: 20 }),
      deps.rooms.lobby(),
      deps.meetups.list(principal.userId, { range: 'upcoming', tag: c.tag, communityId: c.id, limit: 20 }),
    ]);
    return { cards: cards.items, rooms: lobby.filter((r) => r.tag === c.tag), meetups: meetups.items };
  });
}
