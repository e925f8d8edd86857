/** The parts of Engine.IO's WebSocket transport this relies on; none of them is public API. */
interface WsTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: Partial<Corkable> };
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** An Engine.IO server (`io.engine`) and its sockets, as far as this needs them. */
interface EngineLike {
  on(event: 'connection', listener: (socket: { transport: unknown; on(event: 'upgrade', listener: (transport: unknown) => void): unknown }) => void): unknown;
}

/**
 * Engine.IO writes a client's packet at once when nothing is being written to that client; packets
 * emitted meanwhile wait, and go to `ws` together in one `transport.send` when that write is done
 * (a busy room, or a batch of chat commits completing at once). `ws` still writes each of them to
 * the TCP socket on its own: one write system call per packet. Corking the TCP socket around the
 * call sends the lot in one `writev`: same bytes, same order, same callbacks, fewer system calls,
 * which on a small VM are much of what a busy node spends (docs/benchmarks.md, eighth round).
 *
 * Transports it does not recognise (long-polling, or a future Engine.IO without these internals)
 * are left as they are; coalesce.test.ts fails if the internals move.
 */
export function coalesceQueuedWrites(engine: EngineLike) {
  engine.on('connection', (socket) => {
    wrap(socket.transport as WsTransport);
    socket.on('upgrade', (transport) => wrap(transport as WsTransport));
  });
}

const corkable = (x: Partial<Corkable> | undefined): x is Corkable => typeof x?.cork === 'function' && typeof x.uncork === 'function';

function wrap(transport: WsTransport) {
  const tcp = transport.socket?._socket;
  if (transport.name !== 'websocket' || !corkable(tcp)) return;
  const send = transport.send.bind(transport);
  transport.send = (packets) => {
    if (packets.length < 2) return send(packets);
    tcp.cork();
    try {
      send(packets);
    } finally {
      tcp.uncork();
    }
  };
}
