import type { Ack, HistoryResult, Message, ReadState, ServerEventName, ServerPayload, SyncResult } from '@hackmeshi/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatClient, deliveryState, type ChatClientEvent, type ChatTransport } from './chat-client.js';
import { CONV, ME, OTHER, msg } from './test-helpers.js';

/** Most messages one fake sync answer carries (small, so paging is exercised). */
const SYNC_PAGE = 20;

/**
 * A fake network with a tiny in-memory server behind it: it answers history, sync, send and
 * read the way the protocol describes, and lets the test decide which broadcasts get through.
 */
class FakeNet implements ChatTransport {
  connected = true;
  visible = true;
  storage = null;
  /** The server's copy of the conversation. */
  messages: Message[] = [];
  rev = 0;
  reads = new Map<string, number>([
    [ME, 0],
    [OTHER, 0],
  ]);
  emitted: { event: ChatClientEvent; payload: Record<string, unknown> }[] = [];
  private handlers = new Map<string, Set<(p: never) => void>>();
  private connectedHandlers = new Set<() => void>();
  private connectivityHandlers = new Set<() => void>();
  private visibilityHandlers = new Set<() => void>();

  /** The server stores a message (from the other member unless said otherwise); not broadcast. */
  post(over: Partial<Message> = {}): Message {
    this.rev += 1;
    const m = msg(this.messages.length + 1, { rev: this.rev, ...over });
    this.messages.push(m);
    return m;
  }
  /** The server edits a stored message (bumps its rev); not broadcast. */
  edit(seq: number, body: string): Message {
    this.rev += 1;
    const i = seq - 1;
    const m = { ...this.messages[i]!, body, rev: this.rev, editedAt: new Date().toISOString() };
    this.messages[i] = m;
    return m;
  }
  fire<E extends ServerEventName>(event: E, payload: ServerPayload<E>) {
    for (const h of this.handlers.get(event) ?? []) (h as (p: ServerPayload<E>) => void)(payload);
  }
  reconnect() {
    this.connected = true;
    for (const h of this.connectedHandlers) h();
    for (const h of this.connectivityHandlers) h();
  }
  setVisible(v: boolean) {
    this.visible = v;
    for (const h of this.visibilityHandlers) h();
  }
  calls(event: ChatClientEvent) {
    return this.emitted.filter((e) => e.event === event).map((e) => e.payload);
  }

  // ---- ChatTransport
  emit: ChatTransport['emit'] = (event, payload) => {
    this.emitted.push({ event, payload: payload as Record<string, unknown> });
    return Promise.resolve(this.answer(event, payload as Record<string, unknown>)) as never;
  };
  private answer(event: ChatClientEvent, p: Record<string, unknown>): Ack<unknown> {
    switch (event) {
      case 'chat:sync': {
        const afterSeq = p['afterSeq'] as number;
        const afterRev = p['afterRev'] as number | undefined;
        const fresh = this.messages.filter((m) => m.seq > afterSeq);
        const changed = afterRev === undefined ? [] : this.messages.filter((m) => m.seq <= afterSeq && m.rev > afterRev);
        const readStates: ReadState[] = [...this.reads].map(([userId, lastReadSeq]) => ({ userId, lastReadSeq }));
        const data: SyncResult = {
          messages: [...changed, ...fresh.slice(0, SYNC_PAGE)],
          lastSeq: this.messages.length,
          rev: this.rev,
          hasMore: fresh.length > SYNC_PAGE,
          readStates,
        };
        return { ok: true, data };
      }
      case 'chat:send': {
        const existing = this.messages.find((m) => m.nonce === p['nonce']);
        const m = existing ?? this.post({ senderId: ME, nonce: p['nonce'] as string, body: p['body'] as string });
        return { ok: true, data: { id: m.id, seq: m.seq, rev: m.rev, createdAt: m.createdAt } };
      }
      case 'chat:read': {
        const seq = Math.max(this.reads.get(ME) ?? 0, p['seq'] as number);
        this.reads.set(ME, seq);
        return { ok: true, data: { lastReadSeq: seq } };
      }
      case 'chat:typing':
        return { ok: true, data: null };
      default:
        return { ok: false, error: { code: 'INTERNAL', message: 'not faked' } };
    }
  }
  history: ChatTransport['history'] = (_id, beforeSeq, limit) => {
    const older = this.messages.filter((m) => beforeSeq === undefined || m.seq < beforeSeq);
    const page = older.slice(-limit);
    const data: HistoryResult = { messages: page, hasMore: older.length > page.length };
    return Promise.resolve({ ok: true, data });
  };
  on: ChatTransport['on'] = (event, handler) => {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as (p: never) => void);
    return () => set.delete(handler as (p: never) => void);
  };
  onConnected = (h: () => void) => (this.connectedHandlers.add(h), () => this.connectedHandlers.delete(h));
  isConnected = () => this.connected;
  onConnectivityChange = (h: () => void) => (this.connectivityHandlers.add(h), () => this.connectivityHandlers.delete(h));
  isVisible = () => this.visible;
  onVisibilityChange = (h: () => void) => (this.visibilityHandlers.add(h), () => this.visibilityHandlers.delete(h));
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('chat client', () => {
  let net: FakeNet;
  let chat: ChatClient;
  const snap = () => chat.conversation(CONV).get();
  const seqs = () => snap().messages.map((m) => m.seq);

  beforeEach(async () => {
    vi.useFakeTimers();
    net = new FakeNet();
    for (let i = 0; i < 60; i++) net.post();
    chat = new ChatClient(net);
    chat.setUser(ME);
  });
  afterEach(() => vi.useRealTimers());

  it('opens with the newest page, then syncs for read states; older pages load on demand', async () => {
    net.reads.set(OTHER, 58);
    chat.conversation(CONV);
    await settle();
    expect(snap().status).toBe('ready');
    expect(seqs()).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
    expect(snap().hasOlder).toBe(true);
    expect(snap().readStates.get(OTHER)).toBe(58);
    expect(net.calls('chat:sync')).toEqual([{ conversationId: CONV, afterSeq: 60, afterRev: 60 }]);

    await chat.loadOlder(CONV);
    expect(seqs()).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(snap().hasOlder).toBe(false);
  });

  it('shows a live message once, however many times it arrives', async () => {
    chat.conversation(CONV);
    await settle();
    const m = net.post();
    net.fire('chat:sent', m);
    net.fire('chat:sent', m);
    await settle();
    expect(seqs().filter((s) => s === 61)).toHaveLength(1);
    expect(snap().lastSeq).toBe(61);
  });

  it('fills a gap with chat:sync from its cursors', async () => {
    chat.conversation(CONV);
    await settle();
    net.post(); // 61: its broadcast is lost
    const m62 = net.post();
    net.fire('chat:sent', m62);
    await settle();
    expect(snap().lastSeq).toBe(60);
    await vi.advanceTimersByTimeAsync(300);
    expect(net.calls('chat:sync').at(-1)).toEqual({ conversationId: CONV, afterSeq: 60, afterRev: 60 });
    expect(seqs().slice(-3)).toEqual([60, 61, 62]);
    expect(snap().lastSeq).toBe(62);
  });

  it('catches up after a reconnect, following hasMore, edits included, with no holes', async () => {
    chat.conversation(CONV);
    await settle();
    net.connected = false;
    for (let i = 0; i < 45; i++) net.post(); // 61..105, more than one sync page
    net.edit(30, 'edited while away');
    net.reconnect();
    await settle();
    await settle();
    const syncs = net.calls('chat:sync').slice(1);
    expect(syncs.map((s) => s['afterSeq'])).toEqual([60, 80, 100]);
    expect(seqs()).toEqual(Array.from({ length: 95 }, (_, i) => i + 11));
    expect(snap().messages.find((m) => m.seq === 30)?.body).toBe('edited while away');
    expect(snap().lastSeq).toBe(105);
  });

  it('replaces the pending copy with the confirmed one by nonce, when the broadcast beats the ack', async () => {
    chat.conversation(CONV);
    await settle();
    net.connected = false; // hold the send back, so the broadcast can come first
    chat.send(CONV, '  hi there  ');
    expect(snap().pending).toMatchObject([{ body: 'hi there', state: 'sending' }]);
    const nonce = snap().pending[0]!.nonce;
    const stored = net.post({ senderId: ME, nonce, body: 'hi there' });
    net.fire('chat:sent', stored);
    await settle();
    expect(snap().pending).toEqual([]);
    net.reconnect();
    await settle();
    expect(net.calls('chat:send')).toHaveLength(0);
    expect(snap().messages.filter((m) => m.body === 'hi there')).toHaveLength(1);
  });

  it('sends through the outbox and shows "read" once the other member read it', async () => {
    chat.conversation(CONV);
    await settle();
    chat.send(CONV, 'hello');
    await settle();
    const mine = snap().messages.find((m) => m.body === 'hello')!;
    expect(mine.senderId).toBe(ME);
    expect(snap().pending).toEqual([]);
    expect(deliveryState(snap(), mine)).toBe('sent');
    net.fire('chat:read-updated', { conversationId: CONV, userId: OTHER, lastReadSeq: mine.seq });
    expect(deliveryState(snap(), mine)).toBe('read');
  });

  it('takes a reply as a read receipt: whoever sends has read up to their message', async () => {
    chat.conversation(CONV);
    await settle();
    chat.send(CONV, 'hello');
    await settle();
    const mine = snap().messages.find((m) => m.body === 'hello')!;
    expect(deliveryState(snap(), mine)).toBe('sent');
    net.fire('chat:sent', net.post({ senderId: OTHER, body: 'hi back' }));
    await settle();
    expect(deliveryState(snap(), mine)).toBe('read');
    expect(snap().readStates.get(OTHER)).toBe(mine.seq + 1);
  });

  it('marks read only while the chat is open and the page visible', async () => {
    chat.conversation(CONV);
    await settle();
    expect(net.calls('chat:read')).toEqual([]);
    chat.setActive(CONV);
    await settle();
    expect(net.calls('chat:read')).toEqual([{ conversationId: CONV, seq: 60 }]);

    net.setVisible(false);
    net.fire('chat:sent', net.post());
    await settle();
    expect(net.calls('chat:read')).toHaveLength(1);
    net.setVisible(true);
    await settle();
    expect(net.calls('chat:read').at(-1)).toEqual({ conversationId: CONV, seq: 61 });

    chat.setActive(null);
    net.fire('chat:sent', net.post());
    await settle();
    expect(net.calls('chat:read')).toHaveLength(2);
  });

  it('lets a typing indicator expire by itself after ttlMs, and ignores my own', async () => {
    chat.conversation(CONV);
    await settle();
    net.fire('chat:typing-updated', { conversationId: CONV, userId: ME, typing: true, ttlMs: 5000 });
    expect(snap().typing).toEqual([]);
    net.fire('chat:typing-updated', { conversationId: CONV, userId: OTHER, typing: true, ttlMs: 5000 });
    expect(snap().typing).toEqual([OTHER]);
    await vi.advanceTimersByTimeAsync(3000);
    net.fire('chat:typing-updated', { conversationId: CONV, userId: OTHER, typing: true, ttlMs: 5000 }); // refresh
    await vi.advanceTimersByTimeAsync(4000);
    expect(snap().typing).toEqual([OTHER]);
    await vi.advanceTimersByTimeAsync(1100);
    expect(snap().typing).toEqual([]);

    // A message from them ends their indicator at once.
    net.fire('chat:typing-updated', { conversationId: CONV, userId: OTHER, typing: true, ttlMs: 5000 });
    net.fire('chat:sent', net.post());
    expect(snap().typing).toEqual([]);
  });

  it('throttles outgoing typing and stops it when idle', async () => {
    chat.conversation(CONV);
    await settle();
    chat.typingInput(CONV);
    chat.typingInput(CONV);
    await vi.advanceTimersByTimeAsync(1000);
    chat.typingInput(CONV);
    expect(net.calls('chat:typing')).toEqual([{ conversationId: CONV, typing: true }]);
    await vi.advanceTimersByTimeAsync(2100);
    chat.typingInput(CONV); // 3.1 s after the first: refresh
    expect(net.calls('chat:typing')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(4100); // idle
    expect(net.calls('chat:typing').at(-1)).toEqual({ conversationId: CONV, typing: false });
  });

  it('reports live messages of conversations it has not loaded (for list previews)', () => {
    const seen: number[] = [];
    chat.onMessage((m) => seen.push(m.seq));
    net.fire('chat:sent', msg(7, { conversationId: '00000000-0000-4000-8000-0000000000ff' }));
    expect(seen).toEqual([7]);
  });
});
