import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { ErrorCode, PROTOCOL_VERSION } from '@hackmeshi/shared';
import type { AppServer } from '../context.js';
import type { Config } from '../config.js';
import { Admission } from './admission.js';
import { SESSION_COOKIE, type SessionService } from '../features/accounts/sessions.js';
import { rooms, type RedisKeys } from '../infra/keys.js';
import type { Metrics } from '../infra/metrics.js';
import { lazyChild } from '../infra/lazy-logger.js';
import { isOriginAllowed } from '../infra/origin.js';
import type { PresenceFeed, PresenceStore } from '../infra/presence.js';
import type { RedisConnections } from '../infra/redis.js';
import { toAppError } from '../infra/errors.js';
import type { SocketRouter } from './socket-router.js';
import { redisAdapter } from './adapter.js';
import { coalesceQueuedWrites } from './coalesce.js';
import { alignHeartbeats } from './heartbeat.js';

/** A handshake refusal the client can switch on: `err.message` and `err.data.code`. */
function refusal(code: ErrorCode, message: string, details?: unknown) {
  const err = new Error(message) as Error & { data: unknown };
  err.data = { code, message, ...(details === undefined ? {} : { details }) };
  return err;
}

/**
 * Handshakes that may wait for a free slot before the next ones are turned away. Large on
 * purpose: a waiting handshake costs an open socket, while a refused one comes back as a whole
 * new WebSocket handshake (measured: with 256, a 10k storm spent the server on refusals).
 */
const HANDSHAKE_QUEUE = 10_000;
/** Sessions looked up in one statement, and statements in flight at once (see resolverWith). */
const HANDSHAKE_BATCH = 128;
const HANDSHAKE_LANES = 2;

/**
 * Attaches Socket.IO to Fastify's HTTP server (one port) and authenticates every handshake with
 * the same session cookie as HTTP, after checking Origin and protocol version.
 */
export function createIo(deps: {
  app: FastifyInstance;
  config: Config;
  log: FastifyBaseLogger;
  sessions: SessionService;
  router: SocketRouter;
  presence: PresenceStore;
  presenceFeed: PresenceFeed;
  metrics: Metrics;
  redis: RedisConnections | null;
  keys: RedisKeys;
}): AppServer {
  const { config, sessions, router, presence, metrics, log } = deps;
  const io: AppServer = new Server(deps.app.server, {
    serveClient: false,
    transports: ['websocket', 'polling'],
    perMessageDeflate: false,
    maxHttpBufferSize: config.MAX_PAYLOAD_BYTES,
    pingInterval: config.SOCKET_PING_INTERVAL_MS,
    pingTimeout: config.SOCKET_PING_TIMEOUT_MS,
    cors: config.ALLOWED_ORIGINS.length > 0 ? { origin: config.ALLOWED_ORIGINS, credentials: true } : undefined,
  });
  // Several packets queued for one client leave in one write system call (coalesce.ts).
  coalesceQueuedWrites(io.engine);
  // Heartbeat pings due within the same 100 ms leave together (heartbeat.ts).
  alignHeartbeats(io.engine, config.SOCKET_PING_INTERVAL_MS);
  if (deps.redis) {
    let lastWarned = 0;
    io.adapter(
      redisAdapter(config.REDIS_ADAPTER, deps.redis, deps.keys, (err) => {
        metrics.redisPublishErrors.inc();
        // One line per few seconds is enough to say Redis is down; /readyz says it too.
        if (Date.now() - lastWarned > 5_000) {
          lastWarned = Date.now();
          log.warn({ err }, 'cross-node publish failed; remote clients will catch up by sync');
        }
      }),
    );
    // Broadcasts published while Redis was away are gone for good (pub/sub keeps nothing). When
    // it is back, and the adapter has resubscribed, this node's clients resync: the store of
    // record has everything that was acked.
    const { sub } = deps.redis;
    let lost = false;
    let resyncTimer: NodeJS.Timeout | null = null;
    sub.on('close', () => {
      lost = true;
    });
    sub.on('ready', () => {
      if (!lost) return;
      lost = false;
      if (resyncTimer) clearTimeout(resyncTimer);
      resyncTimer = setTimeout(() => {
        log.info('redis is back; asking clients to resync');
        io.local.emit('server:resync', { reason: 'redis_reconnected' });
      }, 500);
      resyncTimer.unref();
    });
  }
  metrics.countRoomsWith(() => io.of('/').adapter.rooms.size);
  const leaseMs = config.LEASE_TTL_MS;

  // Rooms loaded during the handshake, joined when the connection opens (see SocketRouter.provideRooms).
  const preloaded = new Map<string, string[]>();
  // Handshakes look their sessions up together (SessionService.resolverWith): a few statements in
  // flight, each for up to HANDSHAKE_BATCH sockets. The ones beyond what those can carry wait
  // their turn, up to HANDSHAKE_QUEUE, and beyond that get UNAVAILABLE (clients back off and retry).
  const lookup = { maxBatch: HANDSHAKE_BATCH, lanes: HANDSHAKE_LANES };
  const admission = new Admission(2 * lookup.maxBatch * lookup.lanes, HANDSHAKE_QUEUE);
  // Made at the first handshake: features register their rooms after this function returns.
  let resolve: ReturnType<SessionService['resolverWith']> | null = null;
  io.use(async (socket, next) => {
    if (router.draining) return next(refusal(ErrorCode.UNAVAILABLE, 'This server is restarting; reconnect'));
    const headers = socket.handshake.headers;
    if (!isOriginAllowed(headers.origin, headers.host, config.ALLOWED_ORIGINS)) {
      return next(refusal(ErrorCode.ORIGIN_NOT_ALLOWED, 'Origin not allowed'));
    }
    const version = (socket.handshake.auth as { protocolVersion?: unknown }).protocolVersion;
    if (version !== PROTOCOL_VERSION) {
      return next(
        refusal(ErrorCode.PROTOCOL_MISMATCH, 'Client and server protocol versions differ; reload the page', {
          server: PROTOCOL_VERSION,
          client: version ?? null,
        }),
      );
    }
    if (!(await admission.enter())) {
      metrics.handshakesRefused.inc();
      return next(refusal(ErrorCode.UNAVAILABLE, 'Server busy; reconnect shortly'));
    }
    try {
      const token = deps.app.parseCookie(headers.cookie ?? '')[SESSION_COOKIE];
      // One lookup: the session, and every room the features want the socket in.
      resolve ??= sessions.resolverWith(router.roomColumns(), lookup);
      const found = await resolve(token);
      if (!found) return next(refusal(ErrorCode.UNAUTHENTICATED, 'Sign in first'));
      socket.data = found.principal;
      preloaded.set(socket.id, router.roomsFrom(found.values));
      next();
    } catch (err) {
      const e = toAppError(err);
      if (e.code === ErrorCode.INTERNAL) log.error({ err }, 'handshake failed');
      else log.warn({ err }, 'handshake failed');
      next(refusal(e.code, e.code === ErrorCode.INTERNAL ? 'Internal error' : e.message));
    } finally {
      admission.leave();
    }
  });

  io.on('connection', (socket) => {
    // The upgrade request (headers, parser state) would otherwise live as long as the socket;
    // everything needed from it is in socket.handshake and socket.data by now.
    (socket.conn as unknown as { request: unknown }).request = null;
    const slog = lazyChild(log, { socketId: socket.id, userId: socket.data.userId });
    metrics.connectedSockets.inc();
    const extra = preloaded.get(socket.id) ?? [];
    preloaded.delete(socket.id);
    void socket.join([rooms.user(socket.data.userId), ...extra]);
    const userId = socket.data.userId;
    void Promise.all([presence.refresh(userId, socket.id, leaseMs), presence.touch(userId)]).then(
      ([cameOnline]) => {
        if (cameOnline) deps.presenceFeed.emit(userId, { state: 'online', lastSeen: new Date().toISOString() });
      },
      (err) => slog.warn({ err }, 'presence refresh failed'),
    );
    slog.debug('socket connected');
    socket.on('disconnect', (reason) => {
      metrics.connectedSockets.dec();
      void presence.release(userId, socket.id).then(
        (wentOffline) => {
          if (wentOffline) deps.presenceFeed.emit(userId, { state: 'offline', lastSeen: new Date().toISOString() });
        },
        (err) => slog.warn({ err }, 'presence release failed'),
      );
      slog.debug({ reason }, 'socket disconnected');
      router.disconnected(socket, slog);
    });
    router.attach(socket, slog);
  });

  // Renew the leases of this node's sockets; if the node dies, they lapse within LEASE_TTL_MS.
  // Every node also sweeps for users whose leases all lapsed (a dead node's); each is claimed
  // by one sweep only, and that node announces them offline.
  const timer = setInterval(() => {
    const byUser = new Map<string, string[]>();
    for (const s of io.of('/').sockets.values()) {
      const list = byUser.get(s.data.userId);
      if (list) list.push(s.id);
      else byUser.set(s.data.userId, [s.id]);
    }
    void presence.renewAll(byUser, leaseMs).catch((err) => log.warn({ err }, 'presence renew failed'));
    void presence.sweep().then(
      (gone) => {
        const at = new Date(Date.now() - leaseMs).toISOString();
        for (const userId of gone) deps.presenceFeed.emit(userId, { state: 'offline', lastSeen: at });
      },
      (err) => log.warn({ err }, 'presence sweep failed'),
    );
  }, leaseMs / 3);
  timer.unref();
  deps.app.addHook('onClose', async () => clearInterval(timer));
  return io;
}
