import { describe, expect, it } from 'vitest';
import { IDLE_AFTER_MS, toPresence } from './presence.js';

describe('toPresence', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('is online when connected and recently active', () => {
    expect(toPresence({ online: true, lastSeen: now, lastActive: now - 1_000 }, now)).toEqual({
      state: 'online',
      lastSeen: '2026-11-22T12:00:00.000Z',
    });
  });
  it('is idle when connected but inactive for 5 minutes', () => {
    expect(toPresence({ online: true, lastSeen: now, lastActive: now - IDLE_AFTER_MS - 1 }, now).state).toBe('idle');
  });
  it('is offline with last seen when no connection holds a lease', () => {
    expect(toPresence({ online: false, lastSeen: now - 60_000, lastActive: now - 60_000 }, now)).toEqual({
      state: 'offline',
      lastSeen: '2026-11-22T11:59:00.000Z',
    });
    expect(toPresence(undefined, now)).toEqual({ state: 'offline', lastSeen: null });
  });
});
