import { describe, expect, it } from 'vitest';
import {
  advanceTail,
  applyHistory,
  emptyConversation,
  hasGap,
  mergeMessage,
  mergeReadState,
  orderedMessages,
} from './conversation-state.js';
import { msg, range } from './test-helpers.js';

describe('conversation state', () => {
  it('keeps one copy per seq, and a later rev wins over an earlier one', () => {
    const data = emptyConversation();
    expect(mergeMessage(data, msg(1))).toBe(true);
    expect(mergeMessage(data, msg(1))).toBe(false);
    expect(mergeMessage(data, msg(1, { rev: 5, body: 'edited', editedAt: '2026-01-01T00:01:00.000Z' }))).toBe(true);
    // A late copy of the original (e.g. a re-broadcast) does not undo the edit.
    expect(mergeMessage(data, msg(1))).toBe(false);
    expect(orderedMessages(data).map((m) => m.body)).toEqual(['edited']);
  });

  it('starts the tail at the end of the newest page and keeps messages that arrived live meanwhile', () => {
    const data = emptyConversation();
    mergeMessage(data, msg(101)); // arrived while the history request was in flight
    applyHistory(data, range(51, 100), true, true);
    expect(data.oldestSeq).toBe(51);
    expect(data.lastSeq).toBe(101);
    expect(data.hasOlder).toBe(true);
    expect(data.rev).toBe(100);
    expect(hasGap(data)).toBe(false);
  });

  it('detects a gap and closes it when the missing message comes', () => {
    const data = emptyConversation();
    applyHistory(data, range(1, 5), false, true);
    mergeMessage(data, msg(7));
    advanceTail(data);
    expect(data.lastSeq).toBe(5);
    expect(hasGap(data)).toBe(true);
    mergeMessage(data, msg(6));
    advanceTail(data);
    expect(data.lastSeq).toBe(7);
    expect(hasGap(data)).toBe(false);
  });

  it('treats a first live message above 1 in an empty conversation as a gap, and fills it', () => {
    const data = emptyConversation();
    applyHistory(data, [], false, true);
    mergeMessage(data, msg(3));
    advanceTail(data);
    expect(data.lastSeq).toBe(0);
    expect(hasGap(data)).toBe(true);
    for (const m of range(1, 2)) mergeMessage(data, m);
    advanceTail(data);
    expect(data.lastSeq).toBe(3);
    expect(orderedMessages(data).map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('ignores changes to messages below the loaded window, but applies them inside it', () => {
    const data = emptyConversation();
    applyHistory(data, range(51, 100), true, true);
    expect(mergeMessage(data, msg(10, { rev: 120, body: 'old edit' }))).toBe(false);
    expect(mergeMessage(data, msg(60, { rev: 121, body: '' , deletedAt: '2026-01-01T01:00:00.000Z' }))).toBe(true);
    expect(data.bySeq.has(10)).toBe(false);
    expect(data.bySeq.get(60)?.deletedAt).not.toBeNull();
  });

  it('grows the window downwards with older pages', () => {
    const data = emptyConversation();
    applyHistory(data, range(51, 100), true, true);
    applyHistory(data, range(1, 50), false, false);
    expect(data.oldestSeq).toBe(1);
    expect(data.hasOlder).toBe(false);
    expect(orderedMessages(data)).toHaveLength(100);
    expect(data.lastSeq).toBe(100);
  });

  it('never moves a read position backwards', () => {
    const data = emptyConversation();
    expect(mergeReadState(data, 'u', 5)).toBe(true);
    expect(mergeReadState(data, 'u', 3)).toBe(false);
    expect(data.readStates.get('u')).toBe(5);
  });
});
