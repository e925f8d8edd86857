/**
 * Typing indicators, both ways. Both halves are leases: the sender refreshes "typing" while
 * keys keep coming, and the receiver lets an indicator lapse after the server's `ttlMs` unless
 * it is refreshed, so a lost "stop" (closed tab, dropped connection) never leaves anyone
 * "typing…" for ever.
 */

/** How often an ongoing "typing" is refreshed, in ms (the server's lease lasts 5 s). */
export const TYPING_REFRESH_MS = 3000;
/** After this long without a keystroke, the user is no longer typing, in ms. */
export const TYPING_IDLE_MS = 4000;

/** Outgoing: turns keystrokes into a throttled typing=true, and idle/blur/send into typing=false. */
export class TypingSender {
  private active = false;
  private lastSentAt = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  /** `send` emits `chat:typing`; it is fire-and-forget. */
  constructor(private readonly send: (typing: boolean) => void) {}

  /** A keystroke in the composer. */
  input(): void {
    const now = Date.now();
    if (!this.active || now - this.lastSentAt >= TYPING_REFRESH_MS) {
      this.active = true;
      this.lastSentAt = now;
      this.send(true);
    }
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), TYPING_IDLE_MS);
  }

  /** Sent, blurred, idle, or the composer emptied: stop now if we said we were typing. */
  stop(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.active) return;
    this.active = false;
    this.send(false);
  }
}

/** Incoming: who is typing now, each entry expiring by itself after its `ttlMs`. */
export class TypingTracker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** `onChange` gets the user ids typing now, in the order they started. */
  constructor(private readonly onChange: (userIds: readonly string[]) => void) {}

  /** Applies a `chat:typing-updated`. */
  update(userId: string, typing: boolean, ttlMs: number): void {
    const had = this.timers.has(userId);
    const old = this.timers.get(userId);
    if (old !== undefined) clearTimeout(old);
    if (typing) {
      this.timers.set(
        userId,
        setTimeout(() => this.clear(userId), Math.max(0, ttlMs)),
      );
      if (!had) this.emit();
    } else if (had) {
      this.timers.delete(userId);
      this.emit();
    }
  }

  /** Removes a user's indicator (their message arrived, or the lease ran out). */
  clear(userId: string): void {
    const timer = this.timers.get(userId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(userId);
    this.emit();
  }

  /** Removes every indicator (reconnect: any "stop" may have been missed; refreshes will come again). */
  reset(): void {
    if (this.timers.size === 0) return;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.emit();
  }

  private emit(): void {
    this.onChange([...this.timers.keys()]);
  }
}
