/**
 * The outbox: messages the user has written that the server has not yet confirmed.
 *
 * Each message gets a nonce (a UUID) once, when it is written, and keeps it across every retry,
 * reconnect and page reload. The server stores messages idempotently on (conversation, sender,
 * nonce), so a retry of a message whose first attempt did reach the server returns the original
 * instead of storing it twice. That is what lets the outbox retry freely after a timeout.
 *
 * Messages go out one at a time, in the order they were written, so they are stored in that
 * order too. The queue is saved to storage on every change, so a reload re-sends what was
 * still pending.
 */
import { ErrorCode, type Ack, type ClientAckData, type ErrorBody } from '@hackmeshi/shared';
import { createStore, type Store } from '../store.js';

/** A message on its way out. */
export interface OutgoingMessage {
  /** Idempotency key, fixed for the message's whole life. */
  nonce: string;
  conversationId: string;
  /** The text as it will be stored (trimmed). */
  body: string;
  /** When the user sent it (ISO time), to show beside it. */
  queuedAt: string;
  /**
   * `sending` until the server confirms it (it may be waiting for a connection, a rate-limit
   * window or an answer). `failed` after an answer that a plain retry cannot fix; the user
   * then chooses to retry or discard it.
   */
  state: 'sending' | 'failed';
  /** Why it failed (only when `failed`). */
  error: ErrorBody | null;
}

/** The ack data of `chat:send`. */
export type SendAckData = ClientAckData<'chat:send'>;

/** The little of `Storage` the outbox needs (localStorage in the app; a map in tests). */
export type OutboxStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** What the outbox needs from its surroundings. */
export interface OutboxDeps {
  /** Sends one message (`chat:send` with an ack timeout); never rejects. */
  send(message: OutgoingMessage): Promise<Ack<SendAckData>>;
  /** Whether sending now has a chance (connected and online). */
  canSend(): boolean;
  /** Called with the ack before the message leaves the outbox, so the confirmed copy can take its place. */
  onAcked(message: OutgoingMessage, ack: SendAckData): void;
  /** Where the queue is saved; null keeps it in memory only. */
  storage: OutboxStorage | null;
}

/** Retry delay after a timeout or UNAVAILABLE while connected: 1 s, 2 s, 4 s… up to 15 s. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 15_000;
/** Used when RATE_LIMITED comes without `details.retryAfterMs`. */
const DEFAULT_RETRY_AFTER_MS = 1000;

const STORAGE_PREFIX = 'hackmeshi.outbox.';

/** Per-message bookkeeping that is not shown and not saved. */
interface Attempt {
  /** Do not send before this time (epoch ms): rate limit or back-off. */
  notBefore: number;
  failures: number;
}

function retryAfterMs(error: ErrorBody): number {
  const details = error.details as { retryAfterMs?: unknown } | undefined;
  return typeof details?.retryAfterMs === 'number' && details.retryAfterMs >= 0 ? details.retryAfterMs : DEFAULT_RETRY_AFTER_MS;
}

/**
 * How long a failed message is kept for the user to retry or discard, in ms (7 days). One whose
 * chat is gone (the match ended while it waited) would otherwise sit in storage for ever.
 */
const FAILED_KEEP_MS = 7 * 24 * 3600_000;

/** Reads a saved queue, dropping anything that does not look like an outgoing message. */
function parseSaved(text: string | null): OutgoingMessage[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: OutgoingMessage[] = [];
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const m = item as Record<string, unknown>;
    if (typeof m['nonce'] !== 'string' || typeof m['conversationId'] !== 'string' || typeof m['body'] !== 'string') continue;
    const failed = m['state'] === 'failed';
    const queuedAt = typeof m['queuedAt'] === 'string' ? Date.parse(m['queuedAt']) : NaN;
    if (failed && !(Date.now() - queuedAt < FAILED_KEEP_MS)) continue;
    out.push({
      nonce: m['nonce'],
      conversationId: m['conversationId'],
      body: m['body'],
      queuedAt: typeof m['queuedAt'] === 'string' ? m['queuedAt'] : new Date().toISOString(),
      state: failed ? 'failed' : 'sending',
      error: failed && typeof m['error'] === 'object' && m['error'] !== null ? (m['error'] as ErrorBody) : null,
    });
  }
  return out;
}

/** The queue of unconfirmed messages of one signed-in user. */
export class Outbox {
  /** The queue, in the order written. Views read it through the chat client. */
  readonly items: Store<readonly OutgoingMessage[]> = createStore<readonly OutgoingMessage[]>([]);
  private readonly attempts = new Map<string, Attempt>();
  private storageKey: string | null = null;
  private running = false;
  private again = false;
  private wakeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: OutboxDeps) {}

  /** Switches to a user's saved queue (after sign-in), or to none (`null`, after sign-out). */
  load(userId: string | null): void {
    this.clearWake();
    this.attempts.clear();
    this.storageKey = userId === null ? null : STORAGE_PREFIX + userId;
    let saved: OutgoingMessage[] = [];
    if (this.storageKey && this.deps.storage) {
      try {
        saved = parseSaved(this.deps.storage.getItem(this.storageKey));
      } catch {
        saved = [];
      }
    }
    this.items.set(saved);
    this.kick();
  }

  /** Queues a new message with a fresh nonce and starts sending it. */
  enqueue(conversationId: string, body: string, nonce: string = crypto.randomUUID()): OutgoingMessage {
    const message: OutgoingMessage = {
      nonce,
      conversationId,
      body,
      queuedAt: new Date().toISOString(),
      state: 'sending',
      error: null,
    };
    this.write([...this.items.get(), message]);
    this.kick();
    return message;
  }

  /** Whether `nonce` is still waiting for confirmation. */
  has(nonce: string): boolean {
    return this.items.get().some((m) => m.nonce === nonce);
  }

  /**
   * The server has the message (its broadcast or a sync arrived, possibly before the ack):
   * it leaves the queue. Returns whether it was queued.
   */
  confirm(nonce: string): boolean {
    if (!this.has(nonce)) return false;
    this.attempts.delete(nonce);
    this.write(this.items.get().filter((m) => m.nonce !== nonce));
    return true;
  }

  /** Tries a failed message again, with its original nonce. */
  retry(nonce: string): void {
    this.attempts.delete(nonce);
    this.write(this.items.get().map((m) => (m.nonce === nonce ? { ...m, state: 'sending' as const, error: null } : m)));
    this.kick();
  }

  /** Gives up on a message. */
  discard(nonce: string): void {
    this.confirm(nonce);
  }

  /** Drops every queued message of a conversation (it ended). */
  dropConversation(conversationId: string): void {
    const keep = this.items.get().filter((m) => m.conversationId !== conversationId);
    if (keep.length !== this.items.get().length) this.write(keep);
  }

  /** Forgets the whole queue, saved copy included (explicit sign-out). */
  clear(): void {
    if (this.storageKey && this.deps.storage) {
      try {
        this.deps.storage.removeItem(this.storageKey);
      } catch {
        // Storage blocked: nothing was saved either.
      }
    }
    this.storageKey = null;
    this.attempts.clear();
    this.clearWake();
    this.items.set([]);
  }

  /**
   * Sends what can be sent now. Call it after (re)connecting: a reconnect cancels any back-off,
   * because the reason for waiting (no connection) is gone.
   */
  kick({ resetBackoff = false }: { resetBackoff?: boolean } = {}): void {
    if (resetBackoff) {
      // Rate-limit windows still hold: they are the server's word, not a guess.
      for (const attempt of this.attempts.values()) if (attempt.failures > 0) attempt.notBefore = 0;
    }
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.drain();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  /** Sends queued messages one by one until the queue is empty, blocked, or waiting. */
  private async drain(): Promise<void> {
    for (;;) {
      if (!this.deps.canSend()) return;
      const next = this.items.get().find((m) => m.state === 'sending');
      if (!next) return;
      const attempt = this.attempts.get(next.nonce) ?? { notBefore: 0, failures: 0 };
      this.attempts.set(next.nonce, attempt);
      const wait = attempt.notBefore - Date.now();
      if (wait > 0) {
        this.wakeIn(wait);
        return;
      }

      const res = await this.deps.send(next);
      // Confirmed by a broadcast, discarded, or the user switched meanwhile: nothing to do.
      if (!this.has(next.nonce)) continue;
      if (res.ok) {
        this.deps.onAcked(next, res.data);
        this.confirm(next.nonce);
        continue;
      }
      const error = res.error;
      if (error.code === ErrorCode.RATE_LIMITED) {
        attempt.notBefore = Date.now() + retryAfterMs(error);
      } else if (error.code === ErrorCode.UNAVAILABLE || this.isLocalDisconnect(error)) {
        // Timed out, dropped by a disconnect, or the server is briefly unavailable. The message
        // may or may not be stored; the same nonce makes the retry safe either way.
        attempt.failures += 1;
        attempt.notBefore = Date.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt.failures - 1));
      } else {
        this.attempts.delete(next.nonce);
        this.write(this.items.get().map((m) => (m.nonce === next.nonce ? { ...m, state: 'failed' as const, error } : m)));
      }
    }
  }

  /** The socket module's own "not connected" answer (no server involved). */
  private isLocalDisconnect(error: ErrorBody): boolean {
    const details = error.details as { local?: unknown } | undefined;
    return error.code === ErrorCode.UNAUTHENTICATED && details?.local === true;
  }

  private wakeIn(ms: number): void {
    this.clearWake();
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      void this.flush();
    }, ms);
  }

  private clearWake(): void {
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  private write(next: readonly OutgoingMessage[]): void {
    this.items.set(next);
    if (!this.storageKey || !this.deps.storage) return;
    try {
      if (next.length === 0) this.deps.storage.removeItem(this.storageKey);
      else this.deps.storage.setItem(this.storageKey, JSON.stringify(next));
    } catch {
      // Storage full or blocked: the queue still works for this tab's lifetime.
    }
  }
}
