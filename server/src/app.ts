import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { ErrorCode, errAck, okAck } from '@hackmeshi/shared';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { registerFeatures } from './features/index.js';
import { SessionService } from './features/accounts/sessions.js';
import { openDb } from './infra/db.js';
import { devSessionSecret } from './infra/dev-secret.js';
import { HttpRouter, installHttpBoundary } from './infra/http.js';
import { redisKeys } from './infra/keys.js';
import { createMetrics } from './infra/metrics.js';
import { migrate } from './infra/migrations.js';
import { MemoryPresence, PresenceFeed, RedisPresence } from './infra/presence.js';
import { FailoverRateLimiter, MemoryRateLimiter, RedisRateLimiter, SharedCountRateLimiter } from './infra/rate-limit.js';
import { connectRedis } from './infra/redis.js';
import { createIo } from './realtime/io.js';
import { SocketRouter } from './realtime/socket-router.js';
import { trackUpgraded } from './realtime/upgraded.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The wired application: features, stores and Socket.IO. */
    ctx: AppContext;
  }
}

/** How long a shutdown waits for clients to answer the WebSocket close before cutting them. */
const CLOSE_HANDSHAKE_MS = 1_000;

/** Resolves within `ms` or rejects, so a hung dependency cannot hang /readyz. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}

/**
 * Builds the whole application: storage (migrated), optional Redis, HTTP API, Socket.IO and every
 * feature. It never listens; `main.ts` does. `app.close()` tears everything down in order.
 */
export async function buildApp(config: Config): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.LOG_LEVEL },
    bodyLimit: config.MAX_PAYLOAD_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const log = app.log;
  const metrics = createMetrics();

  const db = await openDb(config, {
    observe: (s, ok) => metrics.dbQuerySeconds.observe({ outcome: ok ? 'ok' : 'error' }, s),
    onMaintenance: (r) => {
      metrics.dbMaintenanceSeconds.observe({ outcome: r.error ? 'error' : 'ok' }, r.ms / 1000);
      if (r.error) log.warn({ table: r.table, statement: r.statement, err: r.error }, 'embedded database maintenance failed');
      // Other requests wait while a step runs, so a long one is worth a line.
      else if (r.ms >= 250) log.info({ table: r.table, statement: r.statement, ms: Math.round(r.ms) }, 'embedded database maintenance step');
      else log.debug({ table: r.table, statement: r.statement, ms: r.ms }, 'embedded database maintenance step');
    },
  });
  app.addHook('onClose', () => db.close());
  const applied = await migrate(db);
  if (applied.length > 0) log.info({ applied, store: db.kind }, 'migrations applied');

  const keys = redisKeys(config.REDIS_PREFIX);
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL, (err) => log.warn({ err }, 'redis error')) : null;
  // HTTP limits (sign-in, sign-up) wait for the exact shared count: a request that hashes a
  // password can afford a round trip, and a burst spread over nodes must not pass N times.
  const rateLimiter = redis
    ? new FailoverRateLimiter(new RedisRateLimiter(redis.cmd, keys), new MemoryRateLimiter(), () => redis.cmd.status === 'ready')
    : new MemoryRateLimiter();
  // Socket events (chat:send, ...) decide at once from this node's count plus the other nodes'
  // hits last learned from the same Redis keys, which are counted in the background.
  let lastUnsharedWarn = 0;
  const eventLimiter = redis
    ? new SharedCountRateLimiter(redis.cmd, keys, {
        onUnshared: (reason, err) => {
          metrics.rateLimitUnshared.inc({ reason });
          if (reason !== 'error' || Date.now() - lastUnsharedWarn < 10_000) return;
          lastUnsharedWarn = Date.now();
          log.warn({ err }, 'rate-limit hit not counted in Redis; deciding on this node');
        },
      })
    : rateLimiter;
  const presence = redis
    ? new RedisPresence(redis.cmd, keys, (err) => log.warn({ err }, 'presence unreadable; showing offline'))
    : new MemoryPresence();

  const secret = config.SESSION_SECRET ?? (await devSessionSecret(config.DATA_DIR));
  const sessions = new SessionService(db, secret, config.SESSION_TTL_DAYS * 24 * 3600 * 1000);

  await app.register(fastifyCookie);
  const { hasClient } = installHttpBoundary(app, {
    allowedOrigins: config.ALLOWED_ORIGINS,
    clientDir: config.CLIENT_DIST_DIR,
    metrics,
  });
  if (hasClient) {
    await app.register(fastifyStatic, { root: config.CLIENT_DIST_DIR, wildcard: false });
  } else {
    log.warn({ dir: config.CLIENT_DIST_DIR }, 'no built client found; run `npm run build` to serve the UI');
  }

  const sockets = new SocketRouter(metrics, eventLimiter);
  const presenceFeed = new PresenceFeed();
  const upgraded = trackUpgraded(app.server);
  const io = createIo({ app, config, log, sessions, router: sockets, presence, presenceFeed, metrics, redis, keys });
  const http = new HttpRouter(app, sessions);
  const ctx: AppContext = { config, log, app, io, db, redis, rateLimiter, presence, presenceFeed, metrics, sessions, http, sockets };
  app.decorate('ctx', ctx);
  registerFeatures(ctx);

  // Probes and scrapes arrive every few seconds; log them only when they fail.
  const quiet = { logLevel: 'warn' as const };
  app.get('/healthz', quiet, async () => okAck({ status: 'alive' }));
  app.get('/readyz', quiet, async (_req, reply) => {
    const check = (p: Promise<unknown>) =>
      within(p, 2_000).then(
        () => 'up' as const,
        () => 'down' as const,
      );
    const [dbState, redisState] = await Promise.all([
      check(db.ping()),
      // Commands wait in ioredis's queue while it reconnects, so a lost link answers at once.
      !redis
        ? Promise.resolve('disabled' as const)
        : ['reconnecting', 'close', 'end'].includes(redis.cmd.status)
          ? Promise.resolve('down' as const)
          : check(redis.cmd.ping()),
    ]);
    const status = { db: dbState, redis: redisState, draining: ctx.sockets.draining };
    if (dbState === 'down' || redisState === 'down' || status.draining) {
      return reply.code(503).send(errAck(ErrorCode.UNAVAILABLE, 'A dependency is down', status));
    }
    return okAck(status);
  });
  app.get('/metrics', quiet, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  // Drain: tell this node's clients to reconnect elsewhere, let in-flight handlers commit, then
  // close every socket so the HTTP server can stop.
  app.addHook('preClose', async () => {
    io.local.emit('server:draining', { reconnectAfterMs: 250 });
    await sockets.drain(config.SHUTDOWN_GRACE_MS);
    io.local.disconnectSockets(true);
    io.engine.close();
    const cut = await upgraded.end(CLOSE_HANDSHAKE_MS);
    if (cut > 0) log.info({ cut }, 'cut WebSocket connections that did not answer the close');
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
    await redis?.close();
  });
  return app;
}
