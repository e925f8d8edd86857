import type { Match } from '@hackmeshi/shared';
import { createStore } from './store.js';

/**
 * Pop-ups that appear over whatever screen the user is on ("It's a match!", "You're in!" off a
 * meetup waitlist). Unlike the notice bar they stack, carry a link, and leave by themselves.
 */
export type Toast = { id: string; kind: 'match'; match: Match } | { id: string; kind: 'meetup'; meetupId: string; title: string };

/** How long a toast stays unless dismissed, in milliseconds. */
const TOAST_TTL_MS = 15_000;

/** The toasts shown now, oldest first. */
export const toasts = createStore<readonly Toast[]>([]);
const timers = new Map<string, ReturnType<typeof setTimeout>>();

/** Shows a toast; one with the same id replaces the old one (a repeated event shows once). */
export function showToast(toast: Toast): void {
  const old = timers.get(toast.id);
  if (old !== undefined) clearTimeout(old);
  toasts.set([...toasts.get().filter((t) => t.id !== toast.id), toast]);
  timers.set(
    toast.id,
    setTimeout(() => dismissToast(toast.id), TOAST_TTL_MS),
  );
}

/** Removes a toast. */
export function dismissToast(id: string): void {
  const timer = timers.get(id);
  if (timer !== undefined) clearTimeout(timer);
  timers.delete(id);
  if (toasts.get().some((t) => t.id === id)) toasts.set(toasts.get().filter((t) => t.id !== id));
}

/** Removes every toast (sign-out). */
export function clearToasts(): void {
  for (const timer of timers.values()) clearTimeout(timer);
  timers.clear();
  toasts.set([]);
}
