/**
 * Tells the server the user is around (`presence:active`) when they do something: a pointer
 * press or a key, anywhere in the app. Others then see them "online" rather than "away" (idle
 * after 5 minutes without activity). Sent at most once a minute, and only while connected:
 * activity while offline is not worth queueing, the reconnect itself counts as activity.
 */
import { connection, emit } from './socket.js';

/** Least time between two `presence:active`, in ms (the protocol asks for about once a minute). */
export const ACTIVE_EVERY_MS = 60_000;

let lastSentAt = -Infinity;

function activity(): void {
  if (connection.get().state !== 'connected') return;
  const now = Date.now();
  if (now - lastSentAt < ACTIVE_EVERY_MS) return;
  lastSentAt = now;
  void emit('presence:active', {}, { timeoutMs: 5000 });
}

/** Starts listening for activity (once, at app start). Returns the stop function. */
export function startPresence(): () => void {
  const options = { capture: true, passive: true } as const;
  window.addEventListener('pointerdown', activity, options);
  window.addEventListener('keydown', activity, options);
  return () => {
    window.removeEventListener('pointerdown', activity, options);
    window.removeEventListener('keydown', activity, options);
  };
}
