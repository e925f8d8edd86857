/**
 * The signed-in user's matches, kept live: loaded from `listMatches`, then updated by
 * `match:created`, `match:ended`, every message the chat client hears (order, preview, unread)
 * and read positions (own reads on any device clear unread; the other's move the ticks), and
 * `presence:changed` (the other came online or went offline).
 * Re-fetched after every reconnect, since events missed while away are not replayed.
 */
import type { Ack, ErrorBody, Match, Message } from '@hackmeshi/shared';
import { api } from '../api.js';
import { chat } from '../chat/index.js';
import { showNotice } from '../notices.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { on, onConnected } from '../socket.js';
import { createStore } from '../store.js';
import { clearToasts, dismissToast, showToast } from '../toasts.js';

/** The match list as views read it. */
export interface MatchesState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: ErrorBody | null;
  /** Most recent activity first. */
  items: readonly Match[];
  /** Matches that arrived live and have not been seen in the list yet (the "new" badge). */
  unseen: ReadonlySet<string>;
}

const initial: MatchesState = { status: 'idle', error: null, items: [], unseen: new Set() };

/** The one match list of the app. */
export const matches = createStore<MatchesState>(initial);

const byActivity = (a: Match, b: Match) => (a.lastActivityAt < b.lastActivityAt ? 1 : a.lastActivityAt > b.lastActivityAt ? -1 : 0);

function setItems(items: readonly Match[], extra: Partial<MatchesState> = {}): void {
  matches.set({ ...matches.get(), ...extra, items: [...items].sort(byActivity) });
}

function me(): string | null {
  const s = session.get();
  return s.status === 'signed-in' ? s.me.id : null;
}

let loadToken = 0;

/** Fetches the list (first load, reconnect, or opening the list for fresh presence). */
export async function loadMatches(): Promise<void> {
  const token = ++loadToken;
  const current = matches.get();
  if (current.status !== 'ready') matches.set({ ...current, status: 'loading', error: null });
  const res = await api('listMatches');
  if (token !== loadToken) return;
  if (res.ok) {
    const ids = new Set(res.data.map((m) => m.id));
    const unseen = new Set([...matches.get().unseen].filter((id) => ids.has(id)));
    setItems(res.data, { status: 'ready', error: null, unseen });
  } else if (matches.get().status !== 'ready') {
    matches.set({ ...matches.get(), status: 'error', error: res.error });
  }
}

/** Adds or replaces a match (from `match:created`, accepting, or `getMatch`). */
export function upsertMatch(match: Match): void {
  setItems([...matches.get().items.filter((m) => m.id !== match.id), match]);
}

/** Finds a match by id. */
export const matchById = (id: string) => matches.get().items.find((m) => m.id === id);
/** Finds the match with a user, if any. */
export const matchWithUser = (userId: string) => matches.get().items.find((m) => m.other.id === userId);

/**
 * Takes a match out of the list and drops its chat (unmatch, block, or `match:ended`). If the
 * user is looking at it, they leave the chat; `notice` says why.
 */
export function removeMatch(matchId: string, notice: 'ended' | null): void {
  const match = matchById(matchId);
  const unseen = new Set(matches.get().unseen);
  unseen.delete(matchId);
  matches.set({ ...matches.get(), items: matches.get().items.filter((m) => m.id !== matchId), unseen });
  dismissToast(`match:${matchId}`);
  if (!match) return;
  const wasViewing = window.location.hash === `#/matches/${encodeURIComponent(matchId)}`;
  chat.forget(match.conversationId);
  if (notice) showNotice({ kind: 'info', key: `match.notice.${notice}`, params: { name: match.other.displayName } });
  if (wasViewing) navigate('matches', { replace: true });
}

/** Matches this user is ending (unmatch, block): their `match:ended` echo is expected, not news. */
const endingByMe = new Set<string>();

/**
 * Ends a match from this side: runs the request, then removes the match and says so. The
 * server's `match:ended` (sent to both members) for it is then not reported as "ended by them".
 */
export async function endMatch<T>(match: Match, how: 'unmatched' | 'blocked', request: () => Promise<Ack<T>>): Promise<Ack<T>> {
  endingByMe.add(match.id);
  try {
    const res = await request();
    if (res.ok || (how === 'unmatched' && res.error.code === 'NOT_FOUND')) {
      removeMatch(match.id, null);
      showNotice({ kind: 'info', key: `match.notice.${how}`, params: { name: match.other.displayName } });
      if (window.location.hash === `#/matches/${encodeURIComponent(match.id)}`) navigate('matches', { replace: true });
    }
    return res;
  } finally {
    endingByMe.delete(match.id);
  }
}

/** One match was opened: it is no longer new. */
export function markMatchSeen(matchId: string): void {
  const unseen = matches.get().unseen;
  if (!unseen.has(matchId)) return;
  const next = new Set(unseen);
  next.delete(matchId);
  matches.set({ ...matches.get(), unseen: next });
}

/** The list was looked at: the "new" badge goes. */
export function markMatchesSeen(): void {
  if (matches.get().unseen.size > 0) matches.set({ ...matches.get(), unseen: new Set() });
}

/** Unread messages over all matches (the nav badge). */
export function totalUnread(state: MatchesState): number {
  return state.items.reduce((sum, m) => sum + Math.max(0, m.unread), 0);
}

function update(conversationId: string, change: (m: Match) => Match | null): void {
  const items = matches.get().items;
  const index = items.findIndex((m) => m.conversationId === conversationId);
  const current = items[index];
  if (!current) return;
  const next = change(current);
  if (!next || next === current) return;
  setItems(items.map((m, i) => (i === index ? next : m)));
}

function messageArrived(msg: Message): void {
  update(msg.conversationId, (m) => {
    if (msg.seq > m.lastSeq) {
      const counts = msg.senderId !== me() && !chat.isViewing(msg.conversationId);
      return {
        ...m,
        lastSeq: msg.seq,
        lastActivityAt: msg.createdAt > m.lastActivityAt ? msg.createdAt : m.lastActivityAt,
        lastMessage: msg.deletedAt ? '' : msg.body,
        unread: counts ? m.unread + (msg.seq - m.lastSeq) : m.unread,
      };
    }
    // An edit or deletion of the newest message changes the preview.
    const preview = msg.deletedAt ? '' : msg.body;
    if (msg.seq === m.lastSeq && preview !== m.lastMessage) return { ...m, lastMessage: preview };
    return null;
  });
}

function readMoved(conversationId: string, userId: string, lastReadSeq: number): void {
  update(conversationId, (m) => {
    if (userId === me()) {
      const unread = Math.max(0, m.lastSeq - lastReadSeq);
      return unread < m.unread ? { ...m, unread } : null;
    }
    return lastReadSeq > m.otherLastReadSeq ? { ...m, otherLastReadSeq: lastReadSeq } : null;
  });
}

on('match:created', (match) => {
  if (!matchById(match.id)) {
    const unseen = new Set(matches.get().unseen);
    unseen.add(match.id);
    matches.set({ ...matches.get(), unseen });
  }
  upsertMatch(match);
  showToast({ id: `match:${match.id}`, kind: 'match', match });
});

on('match:ended', ({ matchId }) => removeMatch(matchId, endingByMe.has(matchId) ? null : 'ended'));
on('presence:changed', ({ userId, presence }) => {
  const items = matches.get().items;
  if (!items.some((m) => m.other.id === userId)) return;
  setItems(items.map((m) => (m.other.id === userId ? { ...m, otherPresence: presence } : m)));
});
chat.onMessage(messageArrived);
chat.onRead(readMoved);

onConnected(() => {
  if (me()) void loadMatches();
});

// A new user (sign-in) starts from their own list; signing out forgets it.
let listUser: string | null = null;
session.subscribe((s) => {
  if (s.status === 'signed-in' && s.me.id !== listUser) {
    listUser = s.me.id;
    matches.set(initial);
    void loadMatches();
  } else if (s.status === 'signed-out' && listUser !== null) {
    listUser = null;
    loadToken++;
    matches.set(initial);
    clearToasts();
  }
});
