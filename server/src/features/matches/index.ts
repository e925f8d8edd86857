import { ErrorCode, type Match, type Presence } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';
import { toPresence } from '../../infra/presence.js';
import type { CardStore } from '../cards/store.js';
import type { ChatService } from '../chat/index.js';
import type { Notifier } from '../notifications/index.js';
import { matchStore, type MatchView } from './store.js';

/** How long presence transitions gather before their partners are looked up together, in ms. */
const PRESENCE_GATHER_MS = 50;
/** Most users in one partner lookup. */
const PRESENCE_LOOKUP_MAX = 500;

/** Interest (気になる), matches, blocks and reports. */
export function registerMatches(ctx: AppContext, deps: { chat: ChatService; cards: CardStore; notifier: Notifier }) {
  const { http, io, presence } = ctx;
  const { chat, cards } = deps;
  const store = matchStore(ctx.db, chat.store);

  async function withPresence(views: MatchView[]): Promise<Match[]> {
    const status = await presence.status(views.map((v) => v.otherId));
    return views.map((v) => {
      const otherPresence = toPresence(status.get(v.otherId));
      const mineIsA = v.row.user_a !== v.otherId;
      const ref = (id: string | null, title: string | null) => (id && title !== null ? { id, title } : null);
      return {
        id: v.row.id,
        conversationId: v.row.conversation_id,
        other: v.other,
        otherPresence,
        myCard: mineIsA ? ref(v.row.card_of_a, v.row.card_of_a_title) : ref(v.row.card_of_b, v.row.card_of_b_title),
        theirCard: mineIsA ? ref(v.row.card_of_b, v.row.card_of_b_title) : ref(v.row.card_of_a, v.row.card_of_a_title),
        createdAt: new Date(v.row.created_at).toISOString(),
        lastActivityAt: new Date(v.lastActivityAt).toISOString(),
        lastMessage: v.lastMessage,
        lastSeq: v.lastSeq,
        unread: Math.max(0, v.lastSeq - v.myLastRead),
        otherLastReadSeq: v.otherLastRead,
      };
    });
  }

  // Presence transitions, from whichever node saw them, go to the user's match partners (on
  // any node, through their user rooms). They gather for a moment and are looked up together: a
  // network blip drops and brings back thousands of users at once, and a query each would queue
  // the reconnecting handshakes behind them. A user who flaps within the moment is sent the
  // last state only.
  const changed = new Map<string, Presence>();
  let flushTimer: NodeJS.Timeout | null = null;
  ctx.presenceFeed.on((userId, p) => {
    changed.set(userId, p);
    flushTimer ??= setTimeout(flushPresence, PRESENCE_GATHER_MS);
  });
  ctx.app.addHook('onClose', async () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
  });
  function flushPresence() {
    flushTimer = null;
    const batch = [...changed];
    changed.clear();
    for (let i = 0; i < batch.length; i += PRESENCE_LOOKUP_MAX) {
      const part = batch.slice(i, i + PRESENCE_LOOKUP_MAX);
      void store.partnersOf(part.map(([userId]) => userId)).then(
        (partners) => {
          for (const [userId, presence] of part) {
            for (const other of partners.get(userId) ?? []) io.to(rooms.user(other)).emit('presence:changed', { userId, presence });
          }
        },
        (err) => ctx.log.warn({ err, users: part.length }, 'presence fan-out failed'),
      );
    }
  }

  async function matchFor(userId: string, matchId: string): Promise<Match> {
    const view = await store.get(userId, matchId);
    if (!view) throw new AppError(ErrorCode.NOT_FOUND, 'No such match');
    return (await withPresence([view]))[0]!;
  }

  /** A new match: both members' sockets join its chat, and each is told from their side. */
  async function announce(matchId: string, userIds: [string, string], conversationId: string) {
    chat.joinRoom(conversationId, userIds);
    for (const uid of userIds) {
      const match = await matchFor(uid, matchId);
      io.to(rooms.user(uid)).emit('match:created', match);
      await deps.notifier.send([uid], { kind: 'match', matchId, other: match.other });
    }
  }

  /** Tells a card owner, live, that someone pressed interested on one of their cards. */
  async function pushInterest(ownerId: string, userId: string, cardId: string) {
    const [interest] = await store.incoming(ownerId, { userId, cardId });
    if (interest) io.to(rooms.user(ownerId)).emit('interest:changed', { interest, active: true });
  }

  /** Ends a match for both: the chat is gone; the other side learns only that it ended. */
  function announceEnd(userId: string, otherId: string, ended: { id: string; conversationId: string }) {
    chat.leaveRoom(ended.conversationId, [userId, otherId]);
    io.to([rooms.user(otherId), rooms.user(userId)]).emit('match:ended', { matchId: ended.id, conversationId: ended.conversationId });
  }

  http.route('addInterest', { auth: true }, async ({ params, principal }) => {
    const r = await store.addInterest(principal.userId, params.id);
    if (r.added) await pushInterest(r.ownerId, principal.userId, params.id);
    if (r.match?.created) await announce(r.match.id, [principal.userId, r.ownerId], r.match.conversationId);
    return { interested: true, matchId: r.match?.id ?? null };
  });

  http.route('removeInterest', { auth: true }, async ({ params, principal }) => {
    const removed = await store.removeInterest(principal.userId, params.id);
    if (removed) io.to(rooms.user(removed.ownerId)).emit('interest:changed', { interest: removed.interest, active: false });
    return { interested: false, matchId: null };
  });

  http.route('interestedInMe', { auth: true }, ({ principal }) => store.incoming(principal.userId));

  http.route('acceptInterest', { auth: true }, async ({ params, principal }) => {
    const m = await store.accept(principal.userId, params.id);
    if (m.created) await announce(m.id, [principal.userId, params.id], m.conversationId);
    return matchFor(principal.userId, m.id);
  });

  http.route('listMatches', { auth: true }, async ({ principal }) => withPresence(await store.list(principal.userId)));

  http.route('getMatch', { auth: true }, ({ params, principal }) => matchFor(principal.userId, params.id));

  http.route('unmatch', { auth: true }, async ({ params, principal }) => {
    const ended = await store.unmatch(principal.userId, params.id);
    if (!ended) throw new AppError(ErrorCode.NOT_FOUND, 'No such match');
    announceEnd(principal.userId, ended.otherId, ended);
    return null;
  });

  http.route('blockUser', { auth: true }, async ({ params, principal }) => {
    const ended = await store.block(principal.userId, params.id);
    if (ended) announceEnd(principal.userId, params.id, ended);
    // Each side's open feeds drop the other's cards.
    for (const [viewer, owner] of [
      [principal.userId, params.id],
      [params.id, principal.userId],
    ] as const) {
      for (const cardId of await cards.activeIdsOf(owner)) io.to(rooms.user(viewer)).emit('card:removed', { cardId });
    }
    return null;
  });

  http.route('unblockUser', { auth: true }, async ({ params, principal }) => {
    await store.unblock(principal.userId, params.id);
    return null;
  });

  http.route('myBlocks', { auth: true }, ({ principal }) => store.blocks(principal.userId));

  http.route('createReport', { auth: true, status: 201 }, async ({ body, principal, req }) => {
    const id = await store.report(principal.userId, body);
    req.log.info({ reportId: id, reported: body.userId, reason: body.reason }, 'user reported');
    return { id };
  });

  http.route('listReports', { auth: true }, async ({ principal }) => {
    if (principal.role === 'member') throw new AppError(ErrorCode.FORBIDDEN, 'Moderators only');
    return store.reports();
  });
}
