import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const sent: unknown[] = [];
let state = 'connected';
vi.mock('./socket.js', () => ({
  connection: { get: () => ({ state }) },
  emit: (event: string, payload: unknown) => {
    sent.push([event, payload]);
    return Promise.resolve({ ok: true, data: null });
  },
}));

const { ACTIVE_EVERY_MS, startPresence } = await import('./presence.js');

describe('presence:active on user activity', () => {
  let target: EventTarget;
  let stop: () => void;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    target = new EventTarget();
    vi.stubGlobal('window', target);
    sent.length = 0;
    state = 'connected';
    stop = startPresence();
  });

  afterEach(() => {
    stop();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('sends on a pointer press or a key, at most once a minute', () => {
    target.dispatchEvent(new Event('pointerdown'));
    target.dispatchEvent(new Event('keydown'));
    expect(sent).toEqual([['presence:active', {}]]);
    vi.advanceTimersByTime(ACTIVE_EVERY_MS - 1);
    target.dispatchEvent(new Event('keydown'));
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    target.dispatchEvent(new Event('keydown'));
    expect(sent).toHaveLength(2);
  });

  it('does not queue activity while disconnected', () => {
    vi.advanceTimersByTime(ACTIVE_EVERY_MS * 3);
    state = 'offline';
    target.dispatchEvent(new Event('pointerdown'));
    expect(sent).toHaveLength(0);
    state = 'connected';
    target.dispatchEvent(new Event('pointerdown'));
    expect(sent).toHaveLength(1);
  });

  it('stops listening when stopped', () => {
    vi.advanceTimersByTime(ACTIVE_EVERY_MS * 6);
    stop();
    target.dispatchEvent(new Event('pointerdown'));
    expect(sent).toHaveLength(0);
    stop = startPresence();
  });
});
