/**
 * The pure part of the chat client: one conversation's confirmed messages, kept by `seq`, and
 * the two cursors the server's `chat:sync` understands. No I/O and no timers here, so the rules
 * (dedupe, newest revision wins, gap detection) can be read, and tested, on their own.
 */
import type { Message } from '@hackmeshi/shared';

/** Mutable per-conversation state. The chat client owns one per conversation it knows. */
export interface ConversationData {
  /** Confirmed messages by seq. Only seqs ≥ `oldestSeq` are kept, so the shown list has no holes above it. */
  readonly bySeq: Map<number, Message>;
  /** Lowest seq loaded (the top of the shown list); `Infinity` while nothing is loaded. */
  oldestSeq: number;
  /**
   * The tail cursor: every seq from `oldestSeq` up to `lastSeq` is present. A message above
   * `lastSeq + 1` means a gap, which `chat:sync` from `lastSeq` fills.
   */
  lastSeq: number;
  /** The change cursor: edits and deletions with a higher `rev` have not been seen yet. */
  rev: number;
  /** Older messages exist before `oldestSeq`. */
  hasOlder: boolean;
  /** Each member's read position. */
  readonly readStates: Map<string, number>;
}

/** A conversation with nothing loaded yet. */
export function emptyConversation(): ConversationData {
  return { bySeq: new Map(), oldestSeq: Infinity, lastSeq: 0, rev: 0, hasOlder: false, readStates: new Map() };
}

/**
 * Stores `msg` unless a copy at least as new is already there (a later `rev` wins, so a late
 * `chat:sent` cannot undo an edit or a deletion). An old message below the loaded window (a
 * sync reports every changed message, loaded or not) only updates a copy we hold; it never
 * starts an older range with holes in it. Returns whether anything changed.
 *
 * The `rev` cursor is deliberately not moved here: live events can skip a change (a blip in
 * the connection), so only a sync answer, which is complete, may advance it.
 */
export function mergeMessage(data: ConversationData, msg: Message): boolean {
  const existing = data.bySeq.get(msg.seq);
  if (existing && existing.rev >= msg.rev) return false;
  if (!existing && msg.seq < data.oldestSeq && msg.seq <= data.lastSeq) return false;
  data.bySeq.set(msg.seq, msg);
  if (msg.seq < data.oldestSeq) data.oldestSeq = msg.seq;
  return true;
}

/** Moves `lastSeq` up over every seq that is now present without a hole. */
export function advanceTail(data: ConversationData): void {
  while (data.bySeq.has(data.lastSeq + 1)) data.lastSeq += 1;
}

/** Highest seq held, or 0. */
export function maxSeq(data: ConversationData): number {
  let max = 0;
  for (const seq of data.bySeq.keys()) if (seq > max) max = seq;
  return max;
}

/** True when a message above `lastSeq + 1` is held: something in between was missed. */
export function hasGap(data: ConversationData): boolean {
  return maxSeq(data) > data.lastSeq;
}

/**
 * Applies a page of history (messages in seq order, older than anything shown, or the newest
 * page on first open). The window grows downwards to the page's first seq.
 */
export function applyHistory(data: ConversationData, messages: readonly Message[], hasMore: boolean, initial: boolean): void {
  const first = messages[0];
  if (first && first.seq < data.oldestSeq) data.oldestSeq = first.seq;
  for (const msg of messages) mergeMessage(data, msg);
  data.hasOlder = hasMore;
  if (initial) {
    // The newest page: the tail cursor starts at its end (anything above arrived live meanwhile).
    const last = messages[messages.length - 1];
    if (last && last.seq > data.lastSeq) data.lastSeq = last.seq;
    for (const msg of messages) data.rev = Math.max(data.rev, msg.rev);
  }
  advanceTail(data);
}

/** Raises read positions (they never move backwards). Returns whether anything changed. */
export function mergeReadState(data: ConversationData, userId: string, lastReadSeq: number): boolean {
  const current = data.readStates.get(userId) ?? 0;
  if (lastReadSeq <= current) return false;
  data.readStates.set(userId, lastReadSeq);
  return true;
}

/** The held messages in seq order. */
export function orderedMessages(data: ConversationData): Message[] {
  return [...data.bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Whether some member other than `me` has read up to `seq` (a "read" tick on my message). */
export function readByOthers(data: ConversationData, me: string, seq: number): boolean {
  for (const [userId, lastRead] of data.readStates) if (userId !== me && lastRead >= seq) return true;
  return false;
}
