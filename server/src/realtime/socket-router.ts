import type { FastifyBaseLogger } from 'fastify';
import type { Socket } from 'socket.io';
import {
  clientEvents,
  ErrorCode,
  errAck,
  okAck,
  type Ack,
  type ClientAckData,
  type ClientEventName,
  type ClientPayload,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
} from '@hackmeshi/shared';
import type { SocketData } from '../context.js';
import { AppError, toAppError } from '../infra/errors.js';
import type { Metrics } from '../infra/metrics.js';
import { MemoryRateLimiter, type RateLimiter } from '../infra/rate-limit.js';
import { parseInput } from '../infra/validate.js';

export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What a socket handler gets besides its validated input. */
export interface HandlerContext {
  socket: AppSocket;
  user: SocketData;
  log: FastifyBaseLogger;
}

export type SocketHandler<E extends ClientEventName> = (
  input: ClientPayload<E>,
  ctx: HandlerContext,
) => Promise<ClientAckData<E>>;

/** A per-user limit for one event, shared across nodes through the app's RateLimiter. */
export interface EventRateLimit {
  limit: number;
  windowMs: number;
  /** Events naming the same bucket share one budget (join and leave, say); default the event's own. */
  bucket?: string;
}

interface Entry {
  handler: SocketHandler<ClientEventName>;
  rate?: EventRateLimit;
  /** Metric labels, made once per event rather than once per call. */
  labels: { event: string };
  okLabels: { event: string; outcome: string };
}

/** Flood guard applied to every event of every socket, before any handler work. Per socket. */
const FLOOD = { limit: 60, windowMs: 1_000 };

/**
 * The one boundary for socket events. Features declare handlers once with `on(event, handler)`;
 * each connection gets them all. For every event it parses the payload with the shared schema,
 * applies rate limits, runs the handler, maps errors to codes, records metrics, and always
 * answers through the ack envelope. Handlers never touch the callback.
 */
export class SocketRouter {
  private readonly entries = new Map<string, Entry>();
  private readonly disconnectHooks: ((socket: AppSocket) => void)[] = [];
  /** Handlers running now, and what `drain` waits on when it reaches none. */
  private inflight = 0;
  private onIdle: (() => void) | null = null;
  private readonly flood = new MemoryRateLimiter();
  private readonly roomProviders: { sql: string; toRoom: (value: string) => string }[] = [];

  constructor(
    private readonly metrics: Metrics,
    private readonly limiter: RateLimiter,
  ) {}

  on<E extends ClientEventName>(event: E, handler: SocketHandler<E>, opts: { rate?: EventRateLimit } = {}) {
    if (this.entries.has(event)) throw new Error(`socket event ${event} registered twice`);
    this.entries.set(event, {
      handler: handler as unknown as SocketHandler<ClientEventName>,
      ...opts,
      labels: { event },
      okLabels: { event, outcome: 'ok' },
    });
  }

  /**
   * Adds rooms a user's sockets must be in from the first moment (their conversations, say), as
   * a SQL expression of type text[] over the connecting user's id, `u.id`, and how each value
   * names a room. The expressions are folded into the handshake's session lookup, so a handshake
   * costs one database round trip however many features add rooms. The rooms are joined
   * synchronously as the connection opens, so no broadcast can slip between "connected" and "in
   * the room".
   */
  provideRooms(sql: string, toRoom: (value: string) => string) {
    this.roomProviders.push({ sql, toRoom });
  }

  /** The providers' expressions, for the handshake query (see `roomsFrom`). */
  roomColumns(): string[] {
    return this.roomProviders.map((p) => p.sql);
  }

  /** The rooms named by the values the handshake query returned for `roomColumns()`, in order. */
  roomsFrom(values: unknown[]): string[] {
    return this.roomProviders.flatMap((p, i) => ((values[i] as string[] | null) ?? []).map(p.toRoom));
  }

  /**
   * Runs when an authenticated connection closes (it has already left its rooms). One listener per
   * socket calls every hook (see `disconnected`), rather than one closure per feature per socket.
   */
  onDisconnect(hook: (socket: AppSocket) => void) {
    this.disconnectHooks.push(hook);
  }

  /** Called once by the socket's own disconnect listener. A failing hook does not stop the rest. */
  disconnected(socket: AppSocket, log: FastifyBaseLogger) {
    for (const hook of this.disconnectHooks) {
      try {
        hook(socket);
      } catch (err) {
        log.error({ err }, 'disconnect hook failed');
      }
    }
  }

  /**
   * Wires the handlers onto a new connection: one packet middleware dispatches every event, so a
   * socket costs one closure rather than one listener per event type (dozens, times 20k sockets).
   */
  attach(socket: AppSocket, log: FastifyBaseLogger) {
    socket.use(([event, ...args]) => {
      const ack = args[args.length - 1];
      const entry = this.entries.get(event as ClientEventName);
      if (!entry) {
        if (typeof ack === 'function') (ack as (a: Ack<never>) => void)(errAck(ErrorCode.INVALID_PAYLOAD, `Unknown event ${event}`));
        this.metrics.socketEvents.inc({ event: 'unknown', outcome: ErrorCode.INVALID_PAYLOAD });
        return;
      }
      if (typeof ack !== 'function') {
        log.debug({ event }, 'event without ack ignored');
        return;
      }
      const payload = args.length > 1 ? args[0] : undefined;
      void this.handle(event as ClientEventName, entry, payload, socket, log, ack as (a: Ack<unknown>) => void);
      // `next` is never called: the event is handled here and goes no further.
    });
  }

  /** Runs one event and answers its ack; never rejects. */
  private async handle(
    event: ClientEventName,
    entry: Entry,
    payload: unknown,
    socket: AppSocket,
    log: FastifyBaseLogger,
    ack: (a: Ack<unknown>) => void,
  ): Promise<void> {
    this.inflight++;
    const started = performance.now();
    let answer: Ack<unknown>;
    let outcome: string = 'ok';
    try {
      const flood = this.flood.hitNow(socket.id, FLOOD.limit, FLOOD.windowMs);
      if (!flood.allowed) throw rateLimited(flood.retryAfterMs);
      const input = parseInput(clientEvents[event].payload, payload);
      if (entry.rate) {
        const bucket = `ev:${entry.rate.bucket ?? event}:${socket.data.userId}`;
        const d = await this.limiter.hit(bucket, entry.rate.limit, entry.rate.windowMs);
        if (!d.allowed) throw rateLimited(d.retryAfterMs);
      }
      const data = await entry.handler(input as ClientPayload<ClientEventName>, { socket, user: socket.data, log });
      answer = okAck(data);
    } catch (err) {
      const e = toAppError(err);
      outcome = e.code;
      if (e.code === ErrorCode.INTERNAL) log.error({ err, event }, 'handler failed');
      else log.debug({ event, code: e.code }, 'event refused');
      answer = errAck(e.code, e.message, e.details);
    }
    this.metrics.socketEventSeconds.observe(entry.labels, (performance.now() - started) / 1_000);
    this.metrics.socketEvents.inc(outcome === 'ok' ? entry.okLabels : { event, outcome });
    try {
      ack(answer);
    } catch (err) {
      log.error({ err, event }, 'ack failed');
    } finally {
      if (--this.inflight === 0) this.onIdle?.();
    }
  }

  /** True once the node began shutting down: new connections are turned away, /readyz fails. */
  draining = false;

  /** Waits (bounded) for handlers still running, so a draining node finishes its writes. */
  async drain(timeoutMs: number) {
    this.draining = true;
    if (this.inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.onIdle = resolve;
      timer = setTimeout(resolve, timeoutMs).unref();
    });
    clearTimeout(timer);
    this.onIdle = null;
  }
}

function rateLimited(retryAfterMs: number) {
  return new AppError(ErrorCode.RATE_LIMITED, 'Too many requests, slow down', { details: { retryAfterMs } });
}
