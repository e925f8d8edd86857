import type { Ack, ErrorBody } from '@hackmeshi/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Outbox, type OutgoingMessage, type OutboxStorage, type SendAckData } from './outbox.js';
import { CONV } from './test-helpers.js';

/** A `chat:send` whose answers the test hands out one by one. */
class FakeServer {
  calls: OutgoingMessage[] = [];
  private waiting: ((ack: Ack<SendAckData>) => void)[] = [];
  private seq = 0;
  send = (m: OutgoingMessage) => {
    this.calls.push(m);
    return new Promise<Ack<SendAckData>>((resolve) => this.waiting.push(resolve));
  };
  /** Answers the oldest pending send. */
  answer(ack: Ack<SendAckData> | 'ok') {
    const resolve = this.waiting.shift();
    if (!resolve) throw new Error('no send in flight');
    this.seq += 1;
    resolve(ack === 'ok' ? { ok: true, data: { id: crypto.randomUUID(), seq: this.seq, rev: this.seq, createdAt: new Date().toISOString() } } : ack);
  }
  get inFlight() {
    return this.waiting.length;
  }
}

const error = (code: ErrorBody['code'], details?: unknown): Ack<never> => ({ ok: false, error: { code, message: code, details } });

function memoryStorage(): OutboxStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

/** Lets queued promise callbacks run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('outbox', () => {
  let server: FakeServer;
  let storage: ReturnType<typeof memoryStorage>;
  let online: boolean;
  let acked: { nonce: string; seq: number }[];
  let outbox: Outbox;

  beforeEach(() => {
    vi.useFakeTimers();
    server = new FakeServer();
    storage = memoryStorage();
    online = true;
    acked = [];
    outbox = new Outbox({
      send: server.send,
      canSend: () => online,
      onAcked: (m, ack) => acked.push({ nonce: m.nonce, seq: ack.seq }),
      storage,
    });
    outbox.load('user-1');
  });
  afterEach(() => vi.useRealTimers());

  it('sends with a fresh nonce, shows "sending", and leaves once acked', async () => {
    const m = outbox.enqueue(CONV, 'hello');
    expect(m.nonce).toMatch(/^[0-9a-f-]{36}$/);
    expect(outbox.items.get()).toMatchObject([{ nonce: m.nonce, state: 'sending' }]);
    expect(storage.data.get('hackmeshi.outbox.user-1')).toContain(m.nonce);
    await settle();
    expect(server.calls.map((c) => c.nonce)).toEqual([m.nonce]);
    server.answer('ok');
    await settle();
    expect(acked).toEqual([{ nonce: m.nonce, seq: 1 }]);
    expect(outbox.items.get()).toEqual([]);
    expect(storage.data.has('hackmeshi.outbox.user-1')).toBe(false);
  });

  it('retries a timed-out message with the same nonce, at once after a reconnect', async () => {
    const m = outbox.enqueue(CONV, 'hello');
    await settle();
    server.answer(error('UNAVAILABLE', { local: true })); // ack timeout
    await settle();
    expect(outbox.items.get()[0]?.state).toBe('sending');
    expect(server.calls).toHaveLength(1);
    // Back-off: not resent within the first second…
    await vi.advanceTimersByTimeAsync(500);
    expect(server.calls).toHaveLength(1);
    // …but a reconnect does not wait for it.
    outbox.kick({ resetBackoff: true });
    await settle();
    expect(server.calls.map((c) => c.nonce)).toEqual([m.nonce, m.nonce]);
    server.answer('ok');
    await settle();
    expect(outbox.items.get()).toEqual([]);
  });

  it('waits while offline and sends on the next kick', async () => {
    online = false;
    outbox.enqueue(CONV, 'offline message');
    await settle();
    expect(server.calls).toHaveLength(0);
    expect(outbox.items.get()[0]?.state).toBe('sending');
    online = true;
    outbox.kick({ resetBackoff: true });
    await settle();
    expect(server.calls).toHaveLength(1);
  });

  it('waits retryAfterMs after RATE_LIMITED, then sends again', async () => {
    outbox.enqueue(CONV, 'fast');
    await settle();
    server.answer(error('RATE_LIMITED', { retryAfterMs: 700 }));
    await settle();
    // A reconnect does not cut a rate-limit window short.
    outbox.kick({ resetBackoff: true });
    await vi.advanceTimersByTimeAsync(650);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1]?.nonce).toBe(server.calls[0]?.nonce);
  });

  it('marks a message failed on an answer a retry cannot fix; retry reuses the nonce, discard drops it', async () => {
    const m = outbox.enqueue(CONV, 'x');
    await settle();
    server.answer(error('FORBIDDEN'));
    await settle();
    expect(outbox.items.get()).toMatchObject([{ nonce: m.nonce, state: 'failed', error: { code: 'FORBIDDEN' } }]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.calls).toHaveLength(1);

    outbox.retry(m.nonce);
    await settle();
    expect(server.calls.map((c) => c.nonce)).toEqual([m.nonce, m.nonce]);
    server.answer(error('FORBIDDEN'));
    await settle();
    outbox.discard(m.nonce);
    expect(outbox.items.get()).toEqual([]);
  });

  it('sends one at a time, in the order written', async () => {
    const a = outbox.enqueue(CONV, 'a');
    const b = outbox.enqueue(CONV, 'b');
    const c = outbox.enqueue(CONV, 'c');
    await settle();
    expect(server.inFlight).toBe(1);
    server.answer('ok');
    await settle();
    server.answer('ok');
    await settle();
    server.answer('ok');
    await settle();
    expect(acked.map((x) => x.nonce)).toEqual([a.nonce, b.nonce, c.nonce]);
    expect(acked.map((x) => x.seq)).toEqual([1, 2, 3]);
  });

  it('lets a broadcast confirm a message before its ack, without a second onAcked', async () => {
    const m = outbox.enqueue(CONV, 'race');
    await settle();
    expect(outbox.confirm(m.nonce)).toBe(true);
    expect(outbox.items.get()).toEqual([]);
    server.answer('ok');
    await settle();
    expect(acked).toEqual([]);
  });

  it('restores a saved queue for the same user (reload) and sends it with the saved nonce', async () => {
    online = false;
    const m = outbox.enqueue(CONV, 'survives a reload');
    const reloaded = new Outbox({ send: server.send, canSend: () => true, onAcked: () => {}, storage });
    reloaded.load('user-2');
    expect(reloaded.items.get()).toEqual([]);
    reloaded.load('user-1');
    expect(reloaded.items.get()).toMatchObject([{ nonce: m.nonce, body: 'survives a reload', state: 'sending' }]);
    await settle();
    expect(server.calls.map((c) => c.nonce)).toEqual([m.nonce]);
  });

  it('forgets the saved queue on clear (sign-out)', () => {
    outbox.enqueue(CONV, 'x');
    outbox.clear();
    expect(storage.data.size).toBe(0);
    expect(outbox.items.get()).toEqual([]);
  });
});
