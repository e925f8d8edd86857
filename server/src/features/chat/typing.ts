import { TYPING_TTL_MS } from '@hackmeshi/shared';

/**
 * Typing indicators that expire by themselves. A "typing" signal starts (or restarts) a timer on
 * the node holding the typist's socket; when it runs out, or the socket goes, "stopped" is
 * broadcast. Clients also drop the indicator after `ttlMs`, which covers a node that dies.
 */
export class TypingTracker {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly broadcast: (conversationId: string, userId: string, typing: boolean) => void) {}

  private key(conversationId: string, userId: string) {
    return `${conversationId}\u0000${userId}`;
  }

  set(conversationId: string, userId: string, typing: boolean) {
    const key = this.key(conversationId, userId);
    const had = this.timers.get(key);
    if (had) clearTimeout(had);
    if (!typing) {
      this.timers.delete(key);
      if (had) this.broadcast(conversationId, userId, false);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.broadcast(conversationId, userId, false);
    }, TYPING_TTL_MS);
    timer.unref();
    this.timers.set(key, timer);
    this.broadcast(conversationId, userId, true);
  }

  /**
   * Stops a user's indicator in one conversation (they sent a message there: a key lookup, as it
   * runs on every send), or in all of them (their last socket closed).
   */
  clearUser(userId: string, conversationId?: string) {
    if (conversationId !== undefined) {
      if (this.timers.has(this.key(conversationId, userId))) this.set(conversationId, userId, false);
      return;
    }
    for (const key of [...this.timers.keys()]) {
      const [conv, user] = key.split('\u0000');
      if (user === userId) this.set(conv!, user, false);
    }
  }

  close() {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
