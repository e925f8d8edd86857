/** The parts of Engine.IO's WebSocket transport this relies on; none of them is public API. */
interface WsTransport {
  name: string;
  writable: boolean;
  /** Sends the packets; Engine.IO does not touch the array afterwards. */
  send(packets: unknown[]): void;
  socket?: { _socket?: Partial<Corkable> };
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** An Engine.IO socket (one client's connection), as far as this needs it; `flush` is not public API. */
interface EngineSocket {
  readyState: string;
  transport: unknown;
  flush(): void;
  close(discard?: boolean): unknown;
  on(event: 'upgrade', listener: (transport: unknown) => void): unknown;
}

/** An Engine.IO server (`io.engine`) and its sockets, as far as this needs them. */
interface EngineLike {
  on(event: 'connection', listener: (socket: EngineSocket) => void): unknown;
}

/**
 * Fewer write system calls per client, which on a small VM are much of what a busy node spends
 * (docs/benchmarks.md, eighth and ninth rounds). Same bytes, same order, same callbacks.
 *
 * - **Within a packet batch.** Engine.IO hands a client's queued packets to `ws` in one
 *   `transport.send`, and `ws` writes each to the TCP socket on its own. Corking the TCP socket
 *   around the call sends the lot in one `writev`.
 * - **Within a tick.** Engine.IO writes a client's first packet at once and queues the rest until
 *   that write is done, so a chat send's `chat:sent` to the sender and its ack, emitted a few
 *   microtasks apart, took two writes. Each socket's flush now waits for the end of the current
 *   tick (`process.nextTick`, after the microtasks that are queued), so whatever one piece of work
 *   emits to one client (a batch of commits completing, a read from Redis) leaves together.
 *
 * - **Nothing sent stays reachable.** Each batch of packets is emptied once sent, so a dead queue
 *   in the old generation does not keep its packets alive through young collections (corkedSend).
 *
 * Transports it does not recognise (long-polling, or a future Engine.IO without these internals)
 * are left as they are; coalesce.test.ts fails if the internals move.
 */
export function coalesceQueuedWrites(engine: EngineLike) {
  // Looked up once, on the first connection: null when this Engine.IO lacks the internals (then
  // nothing is deferred). Every socket and transport shares these functions, so a connection
  // costs a few property slots, no closures.
  let deferred: Deferred | null | undefined;
  let send: WsTransport['send'] | null | undefined;
  const wrap = (transport: unknown) => {
    if (!isWebSocket(transport)) return;
    if (send === undefined) send = corkedSend(Object.getPrototypeOf(transport) as Partial<WsTransport>);
    if (send) transport.send = send;
  };
  engine.on('connection', (socket) => {
    wrap(socket.transport);
    socket.on('upgrade', wrap);
    if (deferred === undefined) deferred = deferredFlush(Object.getPrototypeOf(socket) as Partial<EngineSocket>);
    if (deferred) {
      socket.flush = deferred.flush;
      socket.close = deferred.close;
    }
  });
}

const corkable = (x: Partial<Corkable> | undefined): x is Corkable => typeof x?.cork === 'function' && typeof x.uncork === 'function';
const isWebSocket = (t: unknown): t is WsTransport => (t as Partial<WsTransport> | undefined)?.name === 'websocket';

/**
 * The transport's own `send`, with its TCP socket corked around a batch of two or more packets,
 * and the batch emptied once sent.
 *
 * Emptying it is for the garbage collector. Engine.IO starts a client's next queue (a new array)
 * when it hands the current one to `send`. On a connection that gets a message every second or
 * so, that empty array lives through two young-generation collections and is moved to the old
 * generation; the packets queued into it later are young. Once sent, the array is dead, but a
 * young collection still counts what an old object points to as alive, so every packet was
 * copied and promoted along with everything it held, until the next full collection. At 2,000
 * chat pairs that was about three quarters of what each collection copied (docs/benchmarks.md,
 * twelfth round). `send` is done with the packets when it returns: it encodes each one and hands
 * it to `ws` synchronously.
 */
function corkedSend(proto: Partial<WsTransport>): WsTransport['send'] | null {
  const send = proto.send;
  if (typeof send !== 'function') return null;
  return function (this: WsTransport, packets) {
    const tcp = this.socket?._socket;
    if (packets.length < 2 || !corkable(tcp)) send.call(this, packets);
    else {
      tcp.cork();
      try {
        send.call(this, packets);
      } finally {
        tcp.uncork();
      }
    }
    packets.length = 0;
  };
}

/** Marks an Engine.IO socket whose flush waits for the end of the tick (deferredFlush). */
const FLUSH_PENDING = Symbol('flushPending');

interface Deferred {
  flush(this: EngineSocket): void;
  close(this: EngineSocket, discard?: boolean): unknown;
}

/**
 * Functions shared by every socket of a server (nothing allocated per connection) in place of
 * Engine.IO's `flush` and `close`. The sockets that have something to send are collected, and the
 * original `flush` runs once for each at the end of the tick, however many packets each queued
 * meanwhile. A socket closed before then is flushed first: a server shutting down says "reconnect
 * elsewhere" and closes every socket in the same tick, and a discarding close drops whatever is
 * still queued.
 */
function deferredFlush(proto: Partial<EngineSocket>): Deferred | null {
  const { flush, close } = proto;
  if (typeof flush !== 'function' || typeof close !== 'function') return null;
  // The sockets to flush at the end of this tick, in order, each marked while it waits. An array,
  // not a Set: a Set filled and emptied every tick is rebuilt as it grows and shrinks, and V8
  // keeps each replaced table linked to the next, so once one is old, young collections copy
  // every later one (fourteenth round in docs/benchmarks.md).
  const pending: (EngineSocket & { [FLUSH_PENDING]?: boolean })[] = [];
  const flushPending = () => {
    // A socket queued by one of these flushes is flushed in the same pass, as the loop reads the
    // length each time.
    for (let i = 0; i < pending.length; i++) {
      const socket = pending[i]!;
      pending[i] = undefined as never;
      // Skipped when a close has flushed it already.
      if (!socket[FLUSH_PENDING]) continue;
      socket[FLUSH_PENDING] = false;
      flush.call(socket);
    }
    pending.length = 0;
  };
  return {
    flush(this: EngineSocket & { [FLUSH_PENDING]?: boolean }) {
      // Opening, closing and upgrading keep Engine.IO's own timing; so does long-polling.
      if (this.readyState !== 'open' || !isWebSocket(this.transport)) return flush.call(this);
      // A write is in flight: the queue goes when it is done (Engine.IO flushes again then).
      if (!this.transport.writable || this[FLUSH_PENDING]) return;
      if (pending.length === 0) process.nextTick(flushPending);
      this[FLUSH_PENDING] = true;
      pending.push(this);
    },
    close(this: EngineSocket & { [FLUSH_PENDING]?: boolean }, discard) {
      if (this[FLUSH_PENDING]) {
        this[FLUSH_PENDING] = false;
        flush.call(this);
      }
      return close.call(this, discard);
    },
  };
}
