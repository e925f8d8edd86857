import { TYPING_TTL_MS } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import { rooms } from '../../infra/keys.js';
import { chatStore, type ChatStore } from './store.js';
import { TypingTracker } from './typing.js';
import type { Notifier } from '../notifications/index.js';
import { summaryColumns, toSummary } from '../accounts/store.js';

/** `@handle` mentions in a message body (handles as in the Handle schema). */
export const mentionsIn = (body: string) => [...new Set([...body.matchAll(/(?:^|[^\w@])@([a-zA-Z0-9_]{3,20})\b/g)].map((m) => m[1]!.toLowerCase()))];

/**
 * Group-commit lanes of one node: how many chat transactions it may have in flight at once.
 * Postgres: batches for different conversations commit side by side, on at most half the pool so
 * that handshakes and reads still get connections. Unset, a single node takes two and a node of a
 * cluster (REDIS_URL set) one: the nodes' lanes add up on one database, and more lanes mean
 * smaller batches, each paying a batch's fixed cost. PGlite is one connection, so one batch at a
 * time.
 */
export const chatBatchLanes = (kind: 'postgres' | 'pglite', lanes: number | undefined, poolSize: number, clustered: boolean) =>
  kind === 'postgres' ? Math.min(lanes ?? (clustered ? 1 : 2), Math.max(1, Math.floor(poolSize / 2))) : 1;

/**
 * Messages that must be waiting before a second chat transaction starts beside one in flight.
 * Fewer wait for the commit in flight and go out with whatever else arrived meanwhile. A batch
 * costs Postgres about 0.45 ms whatever its size plus about 0.06 ms a message. When each lane
 * committed its own share of the conversations, the same messages went out in twice as many
 * batches (quick S3 at 3,200 msg/s: Postgres at 57 % of a core then, 37–39 % with this).
 */
export const CHAT_BATCH_SPILL_AT = 32;

/** What other features use to run their conversations. */
export interface ChatService {
  store: ChatStore;
  /** Puts every socket of these users (on any node) into the conversation's room. */
  joinRoom(conversationId: string, userIds: string[]): void;
  /** Takes every socket of these users out of the conversation's room. */
  leaveRoom(conversationId: string, userIds: string[]): void;
}

/**
 * The one chat mechanism, for every kind of conversation. Path of a message: validate (boundary),
 * authorize membership and rate-limit, store with the next seq in one transaction (idempotent on
 * the nonce), ack after commit, fan out to the conversation's room (across nodes with the Redis
 * adapter). Clients catch up with `chat:sync`.
 */
export function registerChat(ctx: AppContext, deps: { notifier: Notifier }): ChatService {
  const { io, sockets } = ctx;
  const store = chatStore(ctx.db, {
    batchMaxWaitMs: ctx.config.CHAT_BATCH_MAX_WAIT_MS,
    batchLanes: chatBatchLanes(ctx.db.kind, ctx.config.CHAT_BATCH_LANES, ctx.config.DATABASE_POOL_SIZE, Boolean(ctx.config.REDIS_URL)),
    batchSpillAt: CHAT_BATCH_SPILL_AT,
  });
  const room = (conversationId: string) => io.to(rooms.conversation(conversationId));
  const typing = new TypingTracker((conversationId, userId, isTyping) => {
    io.to(rooms.conversation(conversationId))
      .except(rooms.user(userId))
      .emit('chat:typing-updated', { conversationId, userId, typing: isTyping, ttlMs: TYPING_TTL_MS });
  });
  ctx.app.addHook('onClose', async () => typing.close());

  sockets.provideRooms(
    `ARRAY(SELECT c.id::text FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.user_id = u.id AND c.closed_at IS NULL)`,
    rooms.conversation,
  );
  sockets.onDisconnect((socket) => {
    // Only this user's last socket on this node ends their typing here; others keep theirs.
    // The socket has already left its rooms, so the user room counts the ones still here.
    const stillHere = io.of('/').adapter.rooms.get(rooms.user(socket.data.userId))?.size ?? 0;
    if (stillHere === 0) typing.clearUser(socket.data.userId);
  });

  /** Members of the conversation named as `@handle` get a mention notification. */
  async function notifyMentions(conversationId: string, senderId: string, body: string) {
    const handles = mentionsIn(body);
    if (handles.length === 0) return;
    const { rows } = await ctx.db.query<Record<string, unknown>>(
      `SELECT u.id FROM users u JOIN conversation_members m ON m.user_id = u.id AND m.conversation_id = $1
        WHERE u.handle = ANY($2::text[]) AND u.id <> $3`,
      [conversationId, handles, senderId],
    );
    if (rows.length === 0) return;
    const { rows: from } = await ctx.db.query<Record<string, unknown>>(`SELECT ${summaryColumns('u')} FROM users u WHERE u.id = $1`, [senderId]);
    await deps.notifier.send(
      rows.map((r) => r.id as string),
      { kind: 'mention', conversationId, from: toSummary(from[0]!, 'u'), excerpt: body.slice(0, 140) },
    );
  }

  sockets.on(
    'chat:send',
    async (input, { user }) => {
      const { message, created } = await store.send({
        conversationId: input.conversationId,
        senderId: user.userId,
        nonce: input.nonce,
        body: input.body,
      });
      typing.clearUser(user.userId, input.conversationId);
      if (created) await notifyMentions(input.conversationId, user.userId, message.body);
      // Re-broadcast on a retry too: if the first fan-out was lost with a node, this repairs it;
      // clients drop duplicates by seq.
      // It also says the sender has read up to here (the store moved their read position in the
      // same transaction): clients move the sender's read state on it, so no second broadcast.
      room(input.conversationId).emit('chat:sent', message);
      return { id: message.id, seq: message.seq, rev: message.rev, createdAt: message.createdAt };
    },
    // Chat messages a user may send per second, across all conversations and nodes.
    { rate: { limit: ctx.config.CHAT_SEND_MAX_PER_SECOND, windowMs: 1_000 } },
  );

  sockets.on('chat:edit', async (input, { user }) => {
    const message = await store.edit(input.conversationId, input.messageId, user.userId, input.body);
    room(input.conversationId).emit('chat:edited', message);
    return message;
  });

  sockets.on('chat:delete', async (input, { user }) => {
    const message = await store.remove(input.conversationId, input.messageId, user.userId);
    room(input.conversationId).emit('chat:deleted', message);
    return message;
  });

  sockets.on('chat:sync', (input, { user }) =>
    store.sync(input.conversationId, user.userId, input.afterSeq, input.afterRev),
  );

  sockets.on('chat:history', (input, { user }) =>
    store.history(input.conversationId, user.userId, input.beforeSeq, input.limit),
  );

  sockets.on('chat:read', async (input, { user }) => {
    const { lastReadSeq, moved } = await store.markRead(input.conversationId, user.userId, input.seq);
    if (moved) room(input.conversationId).emit('chat:read-updated', { conversationId: input.conversationId, userId: user.userId, lastReadSeq });
    return { lastReadSeq };
  });

  sockets.on('chat:typing', async (input, { user }) => {
    await store.membership(input.conversationId, user.userId);
    typing.set(input.conversationId, user.userId, input.typing);
    return null;
  });

  sockets.on('chat:watch', async (input, { socket, user }) => {
    const m = await store.access(input.conversationId, user.userId);
    if (input.watching) await socket.join(rooms.conversation(input.conversationId));
    // Members stay in their conversations' rooms; only a reader's watch ends.
    else if (!m.member) await socket.leave(rooms.conversation(input.conversationId));
    return null;
  });

  ctx.http.route('chatHistory', { auth: true }, ({ params, query, principal }) =>
    store.history(params.id, principal.userId, query.beforeSeq, query.limit),
  );

  return {
    store,
    joinRoom(conversationId, userIds) {
      io.in(userIds.map(rooms.user)).socketsJoin(rooms.conversation(conversationId));
    },
    leaveRoom(conversationId, userIds) {
      io.in(userIds.map(rooms.user)).socketsLeave(rooms.conversation(conversationId));
    },
  };
}
