/**
 * An Engine.IO socket (one client's connection), as far as the heartbeat needs it. Only `protocol`,
 * `readyState` and the events are public API; heartbeat.test.ts fails if the rest moves.
 */
interface HeartbeatSocket {
  protocol: number;
  readyState: string;
  pingIntervalTimer: NodeJS.Timeout | null;
  hasRefreshedPingTimeout: boolean;
  sendPacket(type: 'ping', data: undefined, options: typeof PING_OPTIONS): void;
  resetPingTimeout(): void;
  on(event: 'heartbeat' | 'close', listener: (this: HeartbeatSocket) => void): unknown;
  /** The wheel's slot of this socket's next ping (set here). */
  [SLOT]?: number;
}

interface EngineLike {
  on(event: 'connection', listener: (socket: HeartbeatSocket) => void): unknown;
}

const SLOT = Symbol('heartbeat slot');

/**
 * The ping as one WebSocket frame, built once: FIN and text opcode, length 1, Engine.IO's ping
 * packet `2`. Engine.IO writes a packet that carries `wsPreEncodedFrame` as it is (Socket.IO
 * broadcasts use the same path) and encodes it as usual on any other transport. Otherwise each
 * ping built a header and a payload buffer and reached the TCP socket as a corked pair, a
 * `writev`: the largest part of what an idle node spends in JavaScript (docs/benchmarks.md,
 * fifteenth round). `compress` is what Engine.IO sets on every packet's options; set here, the
 * shared object stays as it is.
 */
const PING_OPTIONS = { compress: true, wsPreEncodedFrame: [Buffer.from([0x81, 0x01, 0x32])] };

/** The wheel's slot: the pings due in the same slot leave together. */
export const HEARTBEAT_SLOT_MS = 100;

/**
 * Sends every client's heartbeat ping from one timer that ticks every `slotMs`, instead of one
 * timer per client, so pings due within a slot of each other leave in the same turn of the event
 * loop.
 *
 * Why: Engine.IO pings each client `pingInterval` after its last pong, from a timer of its own.
 * Clients arrive at random moments, so their timers fall due at as many different moments, and
 * on a node holding 20,000 idle clients each ping and each pong woke the process on its own:
 * about 1,600 wake-ups a second at a 25 s interval, which raised the idle CPU of bare
 * Socket.IO and of this server alike by half to double (docs/benchmarks.md, thirteenth round).
 * Here those become ten a second, with ~80 pings per wake-up, and their pongs come back together.
 *
 * What a client sees is unchanged but for up to ±slotMs of jitter: a ping every `pingInterval`
 * after its last pong (the client allows pingInterval + pingTimeout), and a client that stops
 * answering is closed `pingTimeout` after the ping it left unanswered (Engine.IO's own timer,
 * untouched).
 * Sockets of Engine.IO protocol 3 (server pongs the client's pings), or an Engine.IO without
 * these internals, keep Engine.IO's own timers. The tick runs only while some socket waits for a
 * ping.
 */
export function alignHeartbeats(engine: EngineLike, pingIntervalMs: number, slotMs = HEARTBEAT_SLOT_MS) {
  // Slot k is sent at the first tick at or after k × slotMs; a socket waits at most
  // pingIntervalMs / slotMs + 1 slots ahead of the last slot sent, so the ring never wraps onto
  // a slot still waiting.
  const ring = Array.from({ length: Math.ceil(pingIntervalMs / slotMs) + 2 }, () => new Set<HeartbeatSocket>());
  const slotAt = (ms: number) => Math.floor(ms / slotMs);
  let sent = slotAt(performance.now());
  let waiting = 0;
  let ticker: NodeJS.Timeout | null = null;

  const tick = () => {
    const now = slotAt(performance.now());
    while (sent < now) {
      sent++;
      const due = ring[sent % ring.length]!;
      for (const socket of due) {
        due.delete(socket);
        waiting--;
        ping(socket);
      }
    }
    if (waiting === 0 && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  };
  const schedule = (socket: HeartbeatSocket) => {
    if (!ticker) {
      // Slots skipped while nothing waited hold nothing: catch up without walking them.
      sent = slotAt(performance.now());
      ticker = setInterval(tick, slotMs);
      ticker.unref();
    }
    // Slot k goes at the first tick in [k, k + 1) × slotMs, so flooring puts the ping on time on
    // average, and within a slot of it.
    const slot = Math.max(sent + 1, slotAt(performance.now() + pingIntervalMs));
    socket[SLOT] = slot;
    ring[slot % ring.length]!.add(socket);
    waiting++;
  };
  const unschedule = (socket: HeartbeatSocket) => {
    const slot = socket[SLOT];
    if (slot !== undefined && ring[slot % ring.length]!.delete(socket)) waiting--;
  };
  // What Engine.IO's own ping timer does when it fires.
  const ping = (socket: HeartbeatSocket) => {
    if (socket.readyState !== 'open') return;
    socket.hasRefreshedPingTimeout = false;
    socket.sendPacket('ping', undefined, PING_OPTIONS);
    socket.resetPingTimeout();
  };
  // Shared by every socket (no closure per connection). 'heartbeat' is Engine.IO's event for a
  // pong; it has just refreshed the timer this replaced, which is null and so skipped.
  function onPong(this: HeartbeatSocket) {
    unschedule(this);
    schedule(this);
  }
  function onClose(this: HeartbeatSocket) {
    unschedule(this);
  }

  engine.on('connection', (socket) => {
    if (socket.protocol !== 4 || !hasInternals(socket)) return;
    clearTimeout(socket.pingIntervalTimer ?? undefined);
    socket.pingIntervalTimer = null;
    schedule(socket);
    socket.on('heartbeat', onPong);
    socket.on('close', onClose);
  });

  return {
    /** Sockets waiting for their next ping. */
    get waiting() {
      return waiting;
    },
  };
}

const hasInternals = (socket: Partial<HeartbeatSocket>) =>
  typeof socket.sendPacket === 'function' && typeof socket.resetPingTimeout === 'function' && 'pingIntervalTimer' in socket && 'hasRefreshedPingTimeout' in socket;
