/**
 * A load generator process. It holds many client connections to one server and, on the runner's
 * commands, connects them, sends timestamped messages at a paced rate, records latencies in HDR
 * histograms, reports its own CPU, and (S5) drops every connection at once and reconnects them.
 *
 * Clients speak the wire protocols directly over `ws`, not through socket.io-client: the
 * Engine.IO v4 / Socket.IO v5 packets a socket.io-client 4.x sends (`0` open, `40{auth}`
 * connect, `2`/`3` ping-pong, `42[...]` events, `42<id>[...]` with ack, `43<id>[...]` acks), so
 * the server does exactly the work it does for a real client, while a generator core can drive
 * several times more traffic. The raw `ws` baseline speaks its own tiny JSON protocol.
 *
 * Every probe message carries `~<send time, ms since epoch>~<sender tag>~` in its body; receivers
 * read it without parsing the rest, so latency is send-to-receipt across processes.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { encodeHistogram, newHistogram } from '../lib/histogram.js';
import { serve } from '../lib/ipc.js';

/** How a generator's clients talk to their server. */
export type Protocol = 'project' | 'socketio' | 'ws';

/** One client to open. */
export interface ClientSpec {
  /** Session cookie (project). */
  cookie?: string;
  /** Rooms to join at the handshake (baselines); the conversations of the user (project). */
  rooms: string[];
}

/** A client that sends, and where. */
export interface SenderSpec {
  client: number;
  room: string;
}

const GEN = process.env.BENCH_GENERATOR_ID ?? 'g';
const now = () => performance.timeOrigin + performance.now();

let protocol: Protocol = 'socketio';
let url = '';
let localAddress: string | undefined;
let clients: Client[] = [];

// Counters of the current window (reset by `mark`).
let received = 0;
let peerReceived = 0;
let delivery = newHistogram();
let peerDelivery = newHistogram();
let ackLatency = newHistogram();
let windowCpu = process.cpuUsage();
let windowStart = performance.now();

type Ack = (ok: boolean, code: string | null, data: unknown) => void;

class Client {
  ws: WebSocket | null = null;
  up = false;
  /** Set when the runner dropped it on purpose (S5): reconnect by itself. */
  reconnecting = false;
  attempts = 0;
  private nextAck = 0;
  private readonly acks = new Map<number, Ack>();
  readonly tag: string;
  /** S5: message keys seen per room (seq for the project, the probe for baselines). */
  seen: Map<string, Set<string>> | null = null;
  onUp: (() => void) | null = null;

  constructor(
    readonly index: number,
    readonly spec: ClientSpec,
  ) {
    this.tag = `${GEN}.${index}`;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const target = protocol === 'ws' ? `${url}/?rooms=${encodeURIComponent(this.spec.rooms.join(','))}` : `${url}/socket.io/?EIO=4&transport=websocket`;
      const ws = new WebSocket(target, {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: 30_000,
        ...(localAddress ? { localAddress } : {}),
        headers: this.spec.cookie ? { cookie: this.spec.cookie } : {},
      });
      this.ws = ws;
      let settled = false;
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      ws.on('open', () => {
        if (protocol === 'ws') {
          this.up = true;
          done();
        }
      });
      ws.on('message', (data) => this.onMessage((data as Buffer).toString(), done));
      ws.on('error', (err) => done(err));
      ws.on('close', () => {
        const wasUp = this.up;
        this.up = false;
        if (this.ws === ws) this.ws = null;
        done(new Error('closed during the handshake'));
        for (const cb of this.acks.values()) cb(false, 'DISCONNECTED', null);
        this.acks.clear();
        if (wasUp && this.reconnecting) scheduleReconnect(this);
      });
    });
  }

  private onMessage(s: string, done: (err?: Error) => void) {
    if (protocol === 'ws') {
      if (s.startsWith('{"a":')) return this.onAck(Number(s.slice(5, -1)), { ok: true });
      return this.onProbe(s, null);
    }
    if (s === '2') return void this.ws?.send('3');
    const c0 = s.charCodeAt(0);
    if (c0 === 52 /* 4: a Socket.IO packet */) {
      const c1 = s.charCodeAt(1);
      if (c1 === 50 /* 2: event */) return this.onProbe(s, s);
      if (c1 === 51 /* 3: ack */) {
        const b = s.indexOf('[');
        return this.onAck(Number(s.slice(2, b)), (JSON.parse(s.slice(b)) as unknown[])[0]);
      }
      if (c1 === 48 /* 0: connected */) {
        this.up = true;
        this.attempts = 0;
        done();
        this.onUp?.();
        return;
      }
      if (c1 === 52 /* 4: refused */) {
        done(new Error(`refused: ${s.slice(2)}`));
        this.ws?.close();
        return;
      }
      if (c1 === 49 /* 1: disconnected by the server */) this.ws?.close();
      return;
    }
    if (c0 === 48 /* 0: Engine.IO open */) {
      const auth = protocol === 'project' ? { protocolVersion: 1 } : { rooms: this.spec.rooms };
      this.ws?.send(`40${JSON.stringify(auth)}`);
    }
  }

  private onAck(id: number, ack: unknown) {
    const cb = this.acks.get(id);
    if (!cb) return;
    this.acks.delete(id);
    const a = ack as { ok?: boolean; data?: unknown; error?: { code?: string } } | undefined;
    if (a?.ok === true) cb(true, null, a.data);
    else cb(false, a?.error?.code ?? 'ERROR', null);
  }

  /** A delivered message: latency from the probe in its body; S5 also records which message. */
  private onProbe(s: string, packet: string | null) {
    const i = s.indexOf('~');
    if (i < 0) return; // not a probe (read receipts, ...)
    const j = s.indexOf('~', i + 1);
    const k = s.indexOf('~', j + 1);
    const us = Math.max(1, Math.round((now() - Number(s.slice(i + 1, j))) * 1000));
    received++;
    delivery.recordValue(us);
    if (s.slice(j + 1, k) !== this.tag) {
      peerReceived++;
      peerDelivery.recordValue(us);
    }
    if (this.seen) {
      if (protocol === 'project' && packet) {
        const m = (JSON.parse(packet.slice(2)) as [string, { conversationId: string; seq: number }])[1];
        this.see(m.conversationId, String(m.seq));
      } else {
        const room = protocol === 'ws' ? (JSON.parse(s) as { r: string }).r : (JSON.parse(s.slice(2)) as string[])[1]!;
        this.see(room, s.slice(i, k));
      }
    }
  }

  see(room: string, key: string) {
    let set = this.seen!.get(room);
    if (!set) this.seen!.set(room, (set = new Set()));
    set.add(key);
  }

  emit(event: string, args: unknown[], cb: Ack) {
    const ws = this.ws;
    if (!ws || !this.up) return cb(false, 'DISCONNECTED', null);
    const id = this.nextAck++;
    this.acks.set(id, cb);
    ws.send(`42${id}${JSON.stringify([event, ...args])}`);
  }

  /** Sends one probe message to a room; `cb` gets the ack. */
  sendProbe(room: string, bodyBytes: number, cb: Ack) {
    const head = `~${now().toFixed(3)}~${this.tag}~`;
    const body = head + 'x'.repeat(Math.max(0, bodyBytes - head.length));
    if (protocol === 'project') return this.emit('chat:send', [{ conversationId: room, nonce: randomUUID(), body }], cb);
    if (protocol === 'socketio') return this.emit('send', [room, body], cb);
    const ws = this.ws;
    if (!ws || !this.up) return cb(false, 'DISCONNECTED', null);
    const id = this.nextAck++;
    this.acks.set(id, cb);
    ws.send(JSON.stringify({ r: room, b: body, a: id }));
  }

  /** Drops the connection abruptly (no close handshake), as a network failure would. */
  drop() {
    this.ws?.terminate();
  }
}

// ---- S5: reconnect like socket.io-client's defaults (1 s, doubling to 5 s, ±50 % jitter) ----
let storm: {
  t0: number;
  connectedAt: number[];
  syncedAt: number[];
  failures: number;
  /** Why attempts failed, counted by message (first 60 characters). */
  failureReasons: Record<string, number>;
  syncErrors: number;
  sync: boolean;
  /** This process's CPU since the drop. */
  cpu0: NodeJS.CpuUsage;
  p0: number;
} | null = null;

function scheduleReconnect(c: Client) {
  const base = Math.min(1_000 * 2 ** c.attempts, 5_000);
  const delay = base * (0.5 + Math.random());
  c.attempts++;
  setTimeout(() => {
    c.connect().then(
      () => onReconnected(c),
      (err: unknown) => {
        if (storm) {
          storm.failures++;
          const reason = String((err as Error).message).slice(0, 60);
          storm.failureReasons[reason] = (storm.failureReasons[reason] ?? 0) + 1;
        }
        if (!c.up) scheduleReconnect(c);
      },
    );
  }, delay).unref();
}

function onReconnected(c: Client) {
  if (!storm) return;
  const s = storm;
  s.connectedAt.push(now() - s.t0);
  if (!s.sync) return void s.syncedAt.push(now() - s.t0);
  // Catch up every conversation from the last seq seen without a gap.
  void (async () => {
    for (const room of c.spec.rooms) {
      let after = contiguous(c.seen?.get(room));
      for (;;) {
        const res = await new Promise<{ ok: boolean; data: unknown }>((resolve) =>
          c.emit('chat:sync', [{ conversationId: room, afterSeq: after }], (ok, _code, data) => resolve({ ok, data })),
        );
        if (!res.ok) throw new Error('sync failed');
        const data = res.data as { messages: { seq: number }[]; hasMore: boolean };
        for (const m of data.messages) c.see(room, String(m.seq));
        if (!data.hasMore || data.messages.length === 0) break;
        after = data.messages[data.messages.length - 1]!.seq;
      }
    }
    s.syncedAt.push(now() - s.t0);
  })().catch(() => {
    s.syncErrors++;
    // The connection broke during the sync: the reconnect will sync again.
  });
}

/** Highest n such that 1..n were all seen. */
function contiguous(set: Set<string> | undefined) {
  let n = 0;
  while (set?.has(String(n + 1))) n++;
  return n;
}

function markWindow() {
  received = 0;
  peerReceived = 0;
  delivery.destroy();
  peerDelivery.destroy();
  ackLatency.destroy();
  delivery = newHistogram();
  peerDelivery = newHistogram();
  ackLatency = newHistogram();
  windowCpu = process.cpuUsage();
  windowStart = performance.now();
}

const cpuPctSince = (cpu0: NodeJS.CpuUsage, t0: number) => {
  const d = process.cpuUsage(cpu0);
  return ((d.user + d.system) / 1000 / (performance.now() - t0)) * 100;
};

serve({
  /**
   * Opens clients against a server, `concurrency` handshakes at a time; with `perSec`, also no
   * faster than that many handshakes started per second.
   */
  async connect(req: { protocol: Protocol; host: string; port: number; localAddress?: string; clients: ClientSpec[]; concurrency?: number; perSec?: number }) {
    protocol = req.protocol;
    url = `ws://${req.host}:${req.port}`;
    localAddress = req.localAddress;
    const start = clients.length;
    const fresh = req.clients.map((spec, i) => new Client(start + i, spec));
    clients.push(...fresh);
    const t0 = now();
    const cpu0 = process.cpuUsage();
    const p0 = performance.now();
    let failed = 0;
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < fresh.length) {
        const k = next++;
        const c = fresh[k]!;
        if (req.perSec) {
          const due = p0 + (k * 1000) / req.perSec - performance.now();
          if (due > 0) await sleep(due);
        }
        for (let attempt = 0; ; attempt++) {
          try {
            await c.connect();
            break;
          } catch (err) {
            if (attempt >= 2) {
              failed++;
              if (errors.length < 5) errors.push(String((err as Error).message));
              break;
            }
            await sleep(200 * (attempt + 1));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(req.concurrency ?? 100, fresh.length) }, worker));
    return { connected: fresh.length - failed, failed, errors, ms: now() - t0, cpuPct: cpuPctSince(cpu0, p0), first: start };
  },

  /** Starts a measurement window: counters, histograms and CPU from zero. */
  mark: () => markWindow(),

  /**
   * Sends probes for `durationMs` at `rate` messages/s in total, round-robin over `senders`, then
   * waits (bounded) for their acks. Messages that fail or time out are counted by code.
   */
  async load(req: { rate: number; durationMs: number; senders: SenderSpec[]; bodyBytes: number; ackTimeoutMs?: number }) {
    const issuedByRoom: Record<string, number> = {};
    const ackedByRoom: Record<string, number> = {};
    const lastSeqByRoom: Record<string, number> = {};
    const errors: Record<string, number> = {};
    let issued = 0;
    let acked = 0;
    let outstanding = 0;
    let rr = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const total = req.senders.length > 0 ? Math.floor((req.rate * req.durationMs) / 1000) : 0;
    let allAcked: () => void = () => {};
    const onAck = (room: string, sentAt: number): Ack => (ok, code, data) => {
      outstanding--;
      if (ok) {
        acked++;
        ackedByRoom[room] = (ackedByRoom[room] ?? 0) + 1;
        ackLatency.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
        const seq = (data as { seq?: number } | null)?.seq;
        if (typeof seq === 'number' && seq > (lastSeqByRoom[room] ?? 0)) lastSeqByRoom[room] = seq;
      } else {
        errors[code ?? 'ERROR'] = (errors[code ?? 'ERROR'] ?? 0) + 1;
      }
      if (outstanding === 0 && issued >= total) allAcked();
    };
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - t0;
        const due = Math.min(total, Math.floor((req.rate * elapsed) / 1000));
        while (issued < due) {
          const s = req.senders[rr++ % req.senders.length]!;
          issued++;
          issuedByRoom[s.room] = (issuedByRoom[s.room] ?? 0) + 1;
          outstanding++;
          clients[s.client]!.sendProbe(s.room, req.bodyBytes, onAck(s.room, performance.now()));
        }
        if (elapsed >= req.durationMs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 2);
    });
    const sendMs = performance.now() - t0;
    const cpuPct = cpuPctSince(cpu0, t0);
    if (outstanding > 0) {
      await Promise.race([new Promise<void>((r) => (allAcked = r)), sleep(req.ackTimeoutMs ?? 10_000)]);
    }
    if (outstanding > 0) errors.TIMEOUT = (errors.TIMEOUT ?? 0) + outstanding;
    return { planned: total, issued, acked, issuedByRoom, ackedByRoom, lastSeqByRoom, errors, sendMs, cpuPct, ackHist: encodeHistogram(ackLatency) };
  },

  /** Deliveries counted so far in this window (the runner polls it while draining). */
  count: () => ({ received, peerReceived }),

  /** Everything recorded since `mark`. */
  collect: () => ({
    received,
    peerReceived,
    hist: encodeHistogram(delivery),
    peerHist: encodeHistogram(peerDelivery),
    ackHist: encodeHistogram(ackLatency),
    cpuPct: cpuPctSince(windowCpu, windowStart),
    up: clients.filter((c) => c.up).length,
  }),

  /** S5: start recording which messages each client has seen. */
  track() {
    for (const c of clients) c.seen ??= new Map();
  },

  /**
   * S5: drops every connection at once; each comes back by itself and (project) syncs, from
   * `localAddress` when given. A fresh source address matters: the dropped sockets' ports sit in
   * TIME_WAIT on the old one, and binding thousands more beside them makes the kernel search its
   * port table on every connect (seen as most of the generator's CPU in `internalConnect`), so
   * the generator, not the server, would set the storm's pace.
   */
  drop(req: { sync: boolean; localAddress?: string }) {
    if (req.localAddress) localAddress = req.localAddress;
    storm = { t0: now(), connectedAt: [], syncedAt: [], failures: 0, failureReasons: {}, syncErrors: 0, sync: req.sync, cpu0: process.cpuUsage(), p0: performance.now() };
    for (const c of clients) {
      c.reconnecting = true;
      c.attempts = 0;
      c.drop();
    }
    return { dropped: clients.length, t0: storm.t0 };
  },

  /** S5: progress of the reconnect storm. */
  stormStatus: () => ({
    up: clients.filter((c) => c.up).length,
    connectedAt: storm?.connectedAt ?? [],
    syncedAt: storm?.syncedAt ?? [],
    failures: storm?.failures ?? 0,
    failureReasons: storm?.failureReasons ?? {},
    syncErrors: storm?.syncErrors ?? 0,
    cpuPct: storm ? cpuPctSince(storm.cpu0, storm.p0) : 0,
  }),

  /** S5: how many distinct messages each client saw, per room. */
  seenByRoom() {
    const out: Record<string, number> = {};
    for (const c of clients) for (const [room, set] of c.seen ?? []) out[room] = (out[room] ?? 0) + set.size;
    return out;
  },

  /** Closes every client. */
  close() {
    for (const c of clients) {
      c.reconnecting = false;
      c.ws?.terminate();
    }
    clients = [];
  },

  exit() {
    setImmediate(() => process.exit(0));
  },
});
