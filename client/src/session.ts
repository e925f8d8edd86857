import type { Ack, Me } from '@hackmeshi/shared';
import { api } from './api.js';
import { chat } from './chat/index.js';
import { showNotice } from './notices.js';
import { navigate } from './router.js';
import { emit, on, onConnected, onSessionLost, startSocket, stopSocket } from './socket.js';
import { createStore } from './store.js';

/** Who is using the app. `unreachable`: the first check could not reach the server. */
export type Session =
  | { status: 'loading' }
  | { status: 'unreachable' }
  | { status: 'signed-out' }
  | { status: 'signed-in'; me: Me };

/** The session store: the one copy of "me" that every view reads. */
export const session = createStore<Session>({ status: 'loading' });

/** Replaces "me" if the update is about the signed-in user. */
function updateMe(me: Me): void {
  const current = session.get();
  if (current.status === 'signed-in' && current.me.id === me.id) session.set({ status: 'signed-in', me });
}

/** Marks the user signed in (after sign-up, sign-in or a successful `getMe`) and opens the socket. */
export function signedIn(me: Me): void {
  session.set({ status: 'signed-in', me });
  startSocket();
}

/** Asks the server who we are (the session cookie is httpOnly, so only the server knows). */
export async function loadSession(): Promise<void> {
  session.set({ status: 'loading' });
  const res = await api('getMe');
  if (res.ok) signedIn(res.data);
  else if (res.error.code === 'UNAVAILABLE' || res.error.code === 'INTERNAL') session.set({ status: 'unreachable' });
  else session.set({ status: 'signed-out' });
}

/**
 * Ends the session on the server, then locally. The socket is closed first so the server's
 * `session:ended` for this very tab is not mistaken for a remote sign-out. On failure the user
 * stays signed in (the cookie is still valid) and the error is returned.
 */
export async function signOut(): Promise<Ack<null>> {
  stopSocket();
  const res = await api('signOut');
  if (res.ok || res.error.code === 'UNAUTHENTICATED') {
    // A deliberate sign-out also forgets unsent messages, so none wait on a shared computer.
    chat.outbox.clear();
    session.set({ status: 'signed-out' });
    navigate('signIn', { replace: true });
    return { ok: true, data: null };
  }
  startSocket();
  return res;
}

// The chat client follows the signed-in user (its outbox is saved per user).
session.subscribe((s) => {
  if (s.status === 'signed-in') chat.setUser(s.me.id);
  else if (s.status === 'signed-out') chat.setUser(null);
});

// A change made on another device arrives live.
on('profile:updated', updateMe);

// After any (re)connect, catch up on changes missed while disconnected.
onConnected(() => {
  void emit('session:whoami', {}).then((res) => {
    if (res.ok) updateMe(res.data);
  });
});

// Signed out elsewhere, revoked, or expired: back to the sign-in screen, saying why.
onSessionLost((reason) => {
  if (session.get().status !== 'signed-in') return;
  session.set({ status: 'signed-out' });
  showNotice({ kind: 'info', key: `session.ended.${reason}` });
  navigate('signIn', { replace: true });
});
