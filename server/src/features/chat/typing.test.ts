import { afterEach, describe, expect, it } from 'vitest';
import { TypingTracker } from './typing.js';

describe('TypingTracker', () => {
  const events: [string, string, boolean][] = [];
  const tracker = new TypingTracker((c, u, t) => events.push([c, u, t]));
  afterEach(() => {
    tracker.close();
    events.length = 0;
  });

  it('a message stops the sender’s indicator in that conversation only', () => {
    tracker.set('c1', 'u1', true);
    tracker.set('c2', 'u1', true);
    tracker.set('c1', 'u2', true);
    events.length = 0;
    tracker.clearUser('u1', 'c1');
    expect(events).toEqual([['c1', 'u1', false]]);
    tracker.clearUser('u1', 'c1');
    expect(events).toHaveLength(1);
  });

  it('a closed last socket stops the user’s indicators everywhere, and no one else’s', () => {
    tracker.set('c1', 'u1', true);
    tracker.set('c2', 'u1', true);
    tracker.set('c1', 'u2', true);
    events.length = 0;
    tracker.clearUser('u1');
    expect(events.sort()).toEqual([
      ['c1', 'u1', false],
      ['c2', 'u1', false],
    ]);
  });

  it('a user who was not typing gets no "stopped" broadcast', () => {
    tracker.clearUser('u3', 'c1');
    tracker.clearUser('u3');
    expect(events).toEqual([]);
  });
});
