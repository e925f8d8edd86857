/**
 * The signed-in user's notifications, kept live for the header bell: loaded from
 * `listNotifications`, then `notification:created` adds one and `notification:read` (from this or
 * another device) marks some or all read with the server's unread count. Re-fetched after every
 * reconnect, since events missed while away are not replayed. A promotion off a meetup waitlist
 * also pops a "You're in!" toast on whatever screen is open.
 */
import type { ErrorBody, Notification } from '@hackmeshi/shared';
import { api } from './api.js';
import { showNotice } from './notices.js';
import { session } from './session.js';
import { on, onConnected } from './socket.js';
import { createStore } from './store.js';
import { showToast } from './toasts.js';

/** The notification list as the bell reads it. */
export interface NotificationsState {
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: ErrorBody | null;
  /** Newest first. */
  items: readonly Notification[];
  /** The server's unread count (it may cover more than the loaded page). */
  unread: number;
  nextCursor: string | null;
}

const initial: NotificationsState = { status: 'idle', error: null, items: [], unread: 0, nextCursor: null };

/** The one notification list of the app. */
export const notifications = createStore<NotificationsState>(initial);

let loadToken = 0;

const signedIn = () => session.get().status === 'signed-in';

/** Fetches the newest page (sign-in, reconnect). */
export async function loadNotifications(): Promise<void> {
  const token = ++loadToken;
  const current = notifications.get();
  if (current.status !== 'ready') notifications.set({ ...current, status: 'loading', error: null });
  const res = await api('listNotifications', { query: { limit: 30 } });
  if (token !== loadToken) return;
  if (res.ok) notifications.set({ status: 'ready', error: null, items: res.data.items, unread: res.data.unread, nextCursor: res.data.nextCursor });
  else if (notifications.get().status !== 'ready') notifications.set({ ...notifications.get(), status: 'error', error: res.error });
}

/** Loads the next older page. */
export async function loadOlderNotifications(): Promise<void> {
  const cursor = notifications.get().nextCursor;
  if (cursor === null) return;
  const res = await api('listNotifications', { query: { cursor, limit: 30 } });
  if (!res.ok) return showNotice({ kind: 'error', error: res.error });
  const s = notifications.get();
  const known = new Set(s.items.map((n) => n.id));
  notifications.set({ ...s, items: [...s.items, ...res.data.items.filter((n) => !known.has(n.id))], nextCursor: res.data.nextCursor, unread: res.data.unread });
}

function applyRead(ids: readonly string[] | null, unread: number): void {
  const s = notifications.get();
  const now = new Date().toISOString();
  const set = ids === null ? null : new Set(ids);
  const items = s.items.map((n) => (n.readAt === null && (set === null || set.has(n.id)) ? { ...n, readAt: now } : n));
  notifications.set({ ...s, items, unread });
}

/**
 * Marks notifications read (`'all'` for every one). The list changes at once; the server's
 * answer then sets the exact unread count (and other devices hear `notification:read`).
 */
export async function markRead(ids: readonly string[] | 'all'): Promise<void> {
  if (ids !== 'all' && ids.length === 0) return;
  const before = notifications.get();
  const locallyUnread = ids === 'all' ? 0 : Math.max(0, before.unread - before.items.filter((n) => n.readAt === null && ids.includes(n.id)).length);
  applyRead(ids === 'all' ? null : ids, locallyUnread);
  const res = await api('readNotifications', ids === 'all' ? { all: true } : { ids: [...ids].slice(0, 200) });
  if (res.ok) notifications.set({ ...notifications.get(), unread: res.data.unread });
  else {
    showNotice({ kind: 'error', error: res.error });
    void loadNotifications();
  }
}

session.subscribe((s) => {
  if (s.status === 'signed-in') {
    if (notifications.get().status === 'idle') void loadNotifications();
  } else if (s.status === 'signed-out') {
    loadToken++;
    notifications.set(initial);
  }
});

onConnected(() => {
  if (signedIn()) void loadNotifications();
});

on('notification:created', (n) => {
  const s = notifications.get();
  if (s.items.some((x) => x.id === n.id)) return;
  notifications.set({ ...s, items: [n, ...s.items], unread: s.unread + (n.readAt === null ? 1 : 0) });
  if (n.data.kind === 'meetup_promoted') {
    showToast({ id: `meetup:${n.data.meetupId}`, kind: 'meetup', meetupId: n.data.meetupId, title: n.data.title });
  }
});

on('notification:read', ({ ids, unread }) => applyRead(ids, unread));
