/**
 * The chat client: one mechanism for every conversation (match chat now; rooms, meetups and
 * community channels later). It follows the invariants in ARCHITECTURE.md, "The path of a chat
 * message":
 *
 * - Per conversation it keeps the confirmed messages by `seq`, a tail cursor (`lastSeq`) and a
 *   change cursor (`rev`), and every member's read position.
 * - Live `chat:sent` / `chat:edited` / `chat:deleted` are merged by seq (a newer `rev` wins), so
 *   nothing shows twice. A message above `lastSeq + 1` means one was missed: `chat:sync` fills
 *   the gap. After every (re)connect each known conversation syncs, looping while `hasMore`.
 * - Outgoing messages go through the `Outbox` (nonce, ack timeout, retry with the same nonce,
 *   persisted). A confirmed copy replaces its pending one by nonce, whichever of the ack, the
 *   broadcast or a sync arrives first.
 * - While a conversation is on screen and the page is visible, new messages are marked read.
 *
 * It talks to the network only through `ChatTransport`, so the app wires it to `socket.ts` and
 * `api.ts` once (see `./index.ts`) and views read plain snapshots from stores.
 */
import {
  ErrorCode,
  type Ack,
  type ClientAckData,
  type ClientEventName,
  type ClientPayloadInput,
  type ErrorBody,
  type HistoryResult,
  type Message,
  type ServerEventName,
  type ServerPayload,
} from '@hackmeshi/shared';
import { createStore, type Store } from '../store.js';
import {
  advanceTail,
  applyHistory,
  emptyConversation,
  hasGap,
  mergeMessage,
  mergeReadState,
  orderedMessages,
  type ConversationData,
} from './conversation-state.js';
import { Outbox, type OutboxStorage, type OutgoingMessage } from './outbox.js';
import { TypingSender, TypingTracker } from './typing.js';

/** The client → server events the chat client uses. */
export type ChatClientEvent = Extract<ClientEventName, `chat:${string}`>;

/** Everything the chat client needs from the outside world. */
export interface ChatTransport {
  /** A `chat:*` request with an ack; never rejects (errors come back in the envelope). */
  emit<E extends ChatClientEvent>(event: E, payload: ClientPayloadInput<E>, opts?: { timeoutMs?: number }): Promise<Ack<ClientAckData<E>>>;
  /** Subscribes to a server event; returns the unsubscribe function. */
  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void;
  /** Runs after every successful (re)connect. */
  onConnected(handler: () => void): () => void;
  /** Connected and online: worth sending now. */
  isConnected(): boolean;
  /** Runs whenever `isConnected()` may have changed. */
  onConnectivityChange(handler: () => void): () => void;
  /** A page of older messages (`beforeSeq` omitted: the newest page). */
  history(conversationId: string, beforeSeq: number | undefined, limit: number): Promise<Ack<HistoryResult>>;
  /** Whether the user can see the page (tab visible). */
  isVisible(): boolean;
  onVisibilityChange(handler: () => void): () => void;
  /** Where the outbox is saved; null keeps it in memory. */
  storage: OutboxStorage | null;
}

/** What a view renders for one conversation. A new object on every change. */
export interface ConversationSnapshot {
  conversationId: string;
  /** `gone`: the conversation no longer exists for this user (ended match, not a member). */
  status: 'loading' | 'ready' | 'error' | 'gone';
  /** Why loading failed (`error`), for a localized message and a retry. */
  error: ErrorBody | null;
  /** Confirmed messages in seq order, tombstones included. */
  messages: readonly Message[];
  /** This user's messages not yet confirmed, in the order written. */
  pending: readonly OutgoingMessage[];
  /** Latest seq seen without a hole. */
  lastSeq: number;
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Read position per member. */
  readStates: ReadonlyMap<string, number>;
  /** Other members typing now. */
  typing: readonly string[];
  /** The signed-in user, to tell own messages apart. */
  me: string | null;
}

/** Delivery state of one of my confirmed messages. */
export type DeliveryState = 'sent' | 'read';

/** `read` once another member's read position reaches the message. */
export function deliveryState(snapshot: ConversationSnapshot, message: Message): DeliveryState {
  if (!snapshot.me) return 'sent';
  for (const [userId, lastRead] of snapshot.readStates) if (userId !== snapshot.me && lastRead >= message.seq) return 'read';
  return 'sent';
}

/** Newest messages loaded on open, and per "load older". */
const PAGE_SIZE = 50;
/** Ack timeout of `chat:send`, in ms; on timeout the outbox retries with the same nonce. */
const SEND_TIMEOUT_MS = 8000;
/** A gap is given this long to close by itself (events from two paths can cross) before syncing, in ms. */
const GAP_GRACE_MS = 250;
/** Sync answers followed per sync at most, so a misbehaving server cannot loop us for ever. */
const MAX_SYNC_PAGES = 100;

interface Entry {
  id: string;
  data: ConversationData;
  store: Store<ConversationSnapshot>;
  status: ConversationSnapshot['status'];
  error: ErrorBody | null;
  loadingOlder: boolean;
  typing: readonly string[];
  tracker: TypingTracker;
  sender: TypingSender;
  syncing: boolean;
  syncAgain: boolean;
  gapTimer: ReturnType<typeof setTimeout> | null;
  /** Highest seq a `chat:read` was sent for, to send each position once. */
  readSent: number;
}

/** Called when someone's read position in a conversation moves (own reads included). */
export type ReadListener = (conversationId: string, userId: string, lastReadSeq: number) => void;

/**
 * Called for every message the client hears of live (broadcast, own ack, edit or delete answer),
 * in any conversation, loaded or not: enough for list previews and unread counts.
 */
export type MessageListener = (message: Message) => void;

/** See the module comment. One instance per app. */
export class ChatClient {
  /** The unconfirmed messages of the signed-in user (all conversations). */
  readonly outbox: Outbox;
  private readonly entries = new Map<string, Entry>();
  private readonly readListeners = new Set<ReadListener>();
  private readonly messageListeners = new Set<MessageListener>();
  private me: string | null = null;
  private activeId: string | null = null;
  private wasConnected = false;
  private resumeQueued = false;

  constructor(private readonly transport: ChatTransport) {
    this.outbox = new Outbox({
      send: (m) =>
        transport.emit('chat:send', { conversationId: m.conversationId, nonce: m.nonce, body: m.body }, { timeoutMs: SEND_TIMEOUT_MS }),
      canSend: () => transport.isConnected(),
      onAcked: (m, ack) => {
        if (!this.me) return;
        this.receive({
          id: ack.id,
          conversationId: m.conversationId,
          seq: ack.seq,
          rev: ack.rev,
          senderId: this.me,
          body: m.body,
          nonce: m.nonce,
          createdAt: ack.createdAt,
          editedAt: null,
          deletedAt: null,
        });
      },
      storage: transport.storage,
    });
    this.outbox.items.subscribe(() => {
      for (const entry of this.entries.values()) this.publish(entry);
    });

    transport.on('chat:sent', (msg) => this.receive(msg));
    transport.on('chat:edited', (msg) => this.receive(msg));
    transport.on('chat:deleted', (msg) => this.receive(msg));
    transport.on('chat:read-updated', ({ conversationId, userId, lastReadSeq }) => this.readMoved(conversationId, userId, lastReadSeq));
    transport.on('chat:typing-updated', ({ conversationId, userId, typing, ttlMs }) => {
      if (userId === this.me) return;
      this.entries.get(conversationId)?.tracker.update(userId, typing, ttlMs);
    });
    transport.onConnected(() => this.resume());
    this.wasConnected = transport.isConnected();
    transport.onConnectivityChange(() => {
      const now = transport.isConnected();
      // Back online without a new socket (the old one survived): still catch up and flush.
      if (now && !this.wasConnected) this.resume();
      this.wasConnected = now;
    });
    transport.onVisibilityChange(() => {
      const active = this.activeId === null ? undefined : this.entries.get(this.activeId);
      if (active) this.maybeMarkRead(active);
    });
  }

  /** Switches to a signed-in user (or none): forgets every conversation and loads that user's outbox. */
  setUser(userId: string | null): void {
    if (userId === this.me) return;
    for (const entry of this.entries.values()) this.dispose(entry);
    this.entries.clear();
    this.activeId = null;
    this.me = userId;
    this.outbox.load(userId);
  }

  /** The signed-in user, as the chat client knows it. */
  get userId(): string | null {
    return this.me;
  }

  /** The live snapshot of a conversation; loads it (newest page, then a sync) the first time. */
  conversation(conversationId: string): Store<ConversationSnapshot> {
    return this.entry(conversationId).store;
  }

  /** Tries loading again after an error. */
  reload(conversationId: string): void {
    const entry = this.entries.get(conversationId);
    if (entry && (entry.status === 'error' || entry.status === 'gone')) void this.open(entry);
  }

  /** Drops a conversation (its match ended): its state, its typing timers and its unsent messages. */
  forget(conversationId: string): void {
    const entry = this.entries.get(conversationId);
    if (entry) {
      this.dispose(entry);
      this.entries.delete(conversationId);
    }
    if (this.activeId === conversationId) this.activeId = null;
    this.outbox.dropConversation(conversationId);
  }

  /** Sends a message through the outbox. Returns false for a blank message. */
  send(conversationId: string, text: string): boolean {
    const body = text.trim();
    if (body === '') return false;
    this.entries.get(conversationId)?.sender.stop();
    this.outbox.enqueue(conversationId, body);
    return true;
  }

  /** Tries a failed message again (same nonce). */
  retry(nonce: string): void {
    this.outbox.retry(nonce);
  }

  /** Gives up on a failed message. */
  discard(nonce: string): void {
    this.outbox.discard(nonce);
  }

  /** Edits one of my messages; the answer carries the error to show, if any. */
  async edit(conversationId: string, messageId: string, text: string): Promise<Ack<Message>> {
    const res = await this.transport.emit('chat:edit', { conversationId, messageId, body: text.trim() });
    if (res.ok) this.receive(res.data);
    return res;
  }

  /** Deletes one of my messages (it becomes a tombstone). */
  async remove(conversationId: string, messageId: string): Promise<Ack<Message>> {
    const res = await this.transport.emit('chat:delete', { conversationId, messageId });
    if (res.ok) this.receive(res.data);
    return res;
  }

  /** Loads the page of messages before the oldest one shown. */
  async loadOlder(conversationId: string): Promise<void> {
    const entry = this.entries.get(conversationId);
    if (!entry || entry.status !== 'ready' || !entry.data.hasOlder || entry.loadingOlder) return;
    if (!Number.isFinite(entry.data.oldestSeq)) return;
    entry.loadingOlder = true;
    this.publish(entry);
    const res = await this.transport.history(conversationId, entry.data.oldestSeq, PAGE_SIZE);
    if (this.entries.get(conversationId) !== entry) return;
    entry.loadingOlder = false;
    if (res.ok) applyHistory(entry.data, res.data.messages, res.data.hasMore, false);
    this.publish(entry);
  }

  /**
   * Which conversation is on screen (null when none). While one is, and the page is visible,
   * its new messages are marked read.
   */
  setActive(conversationId: string | null): void {
    if (this.activeId === conversationId) return;
    const previous = this.activeId === null ? undefined : this.entries.get(this.activeId);
    previous?.sender.stop();
    this.activeId = conversationId;
    const entry = conversationId === null ? undefined : this.entries.get(conversationId);
    if (entry) this.maybeMarkRead(entry);
  }

  /** Whether the user is looking at this conversation right now (open and the tab visible). */
  isViewing(conversationId: string): boolean {
    return this.activeId === conversationId && this.transport.isVisible();
  }

  /** A keystroke in the composer of a conversation (throttled typing=true). */
  typingInput(conversationId: string): void {
    this.entries.get(conversationId)?.sender.input();
  }

  /** The composer was blurred or emptied (typing=false if we had said true). */
  typingStop(conversationId: string): void {
    this.entries.get(conversationId)?.sender.stop();
  }

  /** Subscribes to read-position changes (e.g. for unread counts). Returns the unsubscribe function. */
  onRead(listener: ReadListener): () => void {
    this.readListeners.add(listener);
    return () => this.readListeners.delete(listener);
  }

  /** Subscribes to live messages of all conversations. Returns the unsubscribe function. */
  onMessage(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  // ---- internals

  private entry(conversationId: string): Entry {
    const existing = this.entries.get(conversationId);
    if (existing) return existing;
    const entry: Entry = {
      id: conversationId,
      data: emptyConversation(),
      store: createStore<ConversationSnapshot>(this.snapshotOf(conversationId)),
      status: 'loading',
      error: null,
      loadingOlder: false,
      typing: [],
      tracker: new TypingTracker((userIds) => {
        entry.typing = userIds;
        this.publish(entry);
      }),
      sender: new TypingSender((typing) => {
        if (this.transport.isConnected()) void this.transport.emit('chat:typing', { conversationId, typing }, { timeoutMs: 5000 });
      }),
      syncing: false,
      syncAgain: false,
      gapTimer: null,
      readSent: 0,
    };
    this.entries.set(conversationId, entry);
    void this.open(entry);
    return entry;
  }

  /** First load: the newest page over HTTP, then a sync for read states and anything newer. */
  private async open(entry: Entry): Promise<void> {
    entry.status = 'loading';
    entry.error = null;
    this.publish(entry);
    const res = await this.transport.history(entry.id, undefined, PAGE_SIZE);
    if (this.entries.get(entry.id) !== entry) return;
    if (!res.ok) {
      this.failed(entry, res.error);
      return;
    }
    applyHistory(entry.data, res.data.messages, res.data.hasMore, true);
    entry.status = 'ready';
    this.afterChange(entry);
    await this.sync(entry);
  }

  private failed(entry: Entry, error: ErrorBody): void {
    entry.status = error.code === ErrorCode.NOT_FOUND || error.code === ErrorCode.FORBIDDEN ? 'gone' : 'error';
    entry.error = error;
    this.publish(entry);
  }

  /** After a (re)connect or coming back online: flush the outbox, catch up every conversation. */
  private resume(): void {
    // A reconnect is reported twice (the connect event and the connection store); act once.
    if (this.resumeQueued) return;
    this.resumeQueued = true;
    queueMicrotask(() => {
      this.resumeQueued = false;
      this.resumeNow();
    });
  }

  private resumeNow(): void {
    this.outbox.kick({ resetBackoff: true });
    for (const entry of this.entries.values()) {
      // Any "stop typing" may have been missed while away; live refreshes will bring back the real ones.
      entry.tracker.reset();
      entry.readSent = 0;
      if (entry.status === 'ready') void this.sync(entry);
      else if (entry.status === 'error') void this.open(entry);
    }
  }

  /**
   * `chat:sync` from the tail cursor (and the change cursor), repeated while the server says
   * `hasMore`. Concurrent calls collapse into one more round after the current one.
   */
  private async sync(entry: Entry): Promise<void> {
    if (entry.status !== 'ready') return;
    if (entry.syncing) {
      entry.syncAgain = true;
      return;
    }
    entry.syncing = true;
    try {
      do {
        entry.syncAgain = false;
        const afterRev = entry.data.rev;
        let afterSeq = entry.data.lastSeq;
        for (let page = 0; page < MAX_SYNC_PAGES; page++) {
          if (!this.transport.isConnected()) return;
          const res = await this.transport.emit('chat:sync', { conversationId: entry.id, afterSeq, afterRev });
          if (this.entries.get(entry.id) !== entry) return;
          if (!res.ok) {
            if (res.error.code === ErrorCode.NOT_FOUND || res.error.code === ErrorCode.FORBIDDEN) this.failed(entry, res.error);
            // Anything else (timeout, unavailable): the next reconnect or gap tries again.
            return;
          }
          const { messages, hasMore, readStates } = res.data;
          for (const msg of messages) this.merge(entry, msg);
          for (const state of readStates) this.readMoved(entry.id, state.userId, state.lastReadSeq);
          advanceTail(entry.data);
          const highest = messages.reduce((max, m) => Math.max(max, m.seq), afterSeq);
          if (hasMore && highest > afterSeq) {
            afterSeq = highest;
            continue;
          }
          // Complete: the cursors may move to the server's. `lastSeq` only if no hole is left.
          if (entry.data.lastSeq >= res.data.lastSeq) entry.data.rev = Math.max(entry.data.rev, res.data.rev);
          break;
        }
        this.afterChange(entry, { checkGap: false });
      } while (entry.syncAgain);
    } finally {
      entry.syncing = false;
    }
  }

  /** A message from any path: broadcast, ack, edit/delete answer. */
  private receive(msg: Message): void {
    for (const listener of [...this.messageListeners]) listener(msg);
    const entry = this.entries.get(msg.conversationId);
    if (!entry) {
      if (msg.senderId === this.me) this.outbox.confirm(msg.nonce);
      this.readMoved(msg.conversationId, msg.senderId, msg.seq);
      return;
    }
    entry.tracker.clear(msg.senderId);
    if (this.merge(entry, msg)) this.afterChange(entry);
    // Whoever sent a message has read the conversation up to it (the server stored that with the
    // message and sends no separate chat:read-updated for it).
    this.readMoved(msg.conversationId, msg.senderId, msg.seq);
  }

  private merge(entry: Entry, msg: Message): boolean {
    if (msg.senderId === this.me) this.outbox.confirm(msg.nonce);
    return mergeMessage(entry.data, msg);
  }

  private readMoved(conversationId: string, userId: string, lastReadSeq: number): void {
    const entry = this.entries.get(conversationId);
    if (entry && !mergeReadState(entry.data, userId, lastReadSeq)) return;
    for (const listener of [...this.readListeners]) listener(conversationId, userId, lastReadSeq);
    if (entry) this.publish(entry);
  }

  private afterChange(entry: Entry, { checkGap = true }: { checkGap?: boolean } = {}): void {
    advanceTail(entry.data);
    if (checkGap && entry.status === 'ready' && hasGap(entry.data)) this.scheduleGapSync(entry);
    this.publish(entry);
    this.maybeMarkRead(entry);
  }

  private scheduleGapSync(entry: Entry): void {
    if (entry.gapTimer !== null) return;
    entry.gapTimer = setTimeout(() => {
      entry.gapTimer = null;
      if (this.entries.get(entry.id) === entry && hasGap(entry.data)) void this.sync(entry);
    }, GAP_GRACE_MS);
  }

  private maybeMarkRead(entry: Entry): void {
    if (!this.me || entry.status !== 'ready' || !this.isViewing(entry.id) || !this.transport.isConnected()) return;
    const target = entry.data.lastSeq;
    const mine = entry.data.readStates.get(this.me) ?? 0;
    if (target <= mine || target <= entry.readSent) return;
    entry.readSent = target;
    void this.transport.emit('chat:read', { conversationId: entry.id, seq: target }).then((res) => {
      if (res.ok && this.me) this.readMoved(entry.id, this.me, res.data.lastReadSeq);
      else if (!res.ok && entry.readSent === target) entry.readSent = 0;
    });
  }

  private snapshotOf(conversationId: string, entry?: Entry): ConversationSnapshot {
    const messages = entry ? orderedMessages(entry.data) : [];
    const confirmed = new Set<string>();
    for (const m of messages) if (m.senderId === this.me) confirmed.add(m.nonce);
    return {
      conversationId,
      status: entry?.status ?? 'loading',
      error: entry?.error ?? null,
      messages,
      pending: this.outbox.items.get().filter((m) => m.conversationId === conversationId && !confirmed.has(m.nonce)),
      lastSeq: entry?.data.lastSeq ?? 0,
      hasOlder: entry?.data.hasOlder ?? false,
      loadingOlder: entry?.loadingOlder ?? false,
      readStates: new Map(entry?.data.readStates ?? []),
      typing: entry?.typing ?? [],
      me: this.me,
    };
  }

  private publish(entry: Entry): void {
    entry.store.set(this.snapshotOf(entry.id, entry));
  }

  private dispose(entry: Entry): void {
    if (entry.gapTimer !== null) clearTimeout(entry.gapTimer);
    entry.gapTimer = null;
    entry.tracker.reset();
    entry.sender.stop();
  }
}
