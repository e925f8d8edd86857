import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Server } from 'socket.io';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from '@hackmeshi/shared';
import type { Config } from './config.js';
import type { Db } from './infra/db.js';
import type { Metrics } from './infra/metrics.js';
import type { PresenceFeed, PresenceStore } from './infra/presence.js';
import type { RateLimiter } from './infra/rate-limit.js';
import type { RedisConnections } from './infra/redis.js';
import type { Principal, SessionService } from './features/accounts/sessions.js';
import type { HttpRouter } from './infra/http.js';
import type { SocketRouter } from './realtime/socket-router.js';

/** Per-connection identity, typed, in `socket.data`. Plain data only: it crosses nodes. */
export type SocketData = Principal;

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Everything a feature needs to register itself. Built once per app by buildApp. */
export interface AppContext {
  config: Config;
  log: FastifyBaseLogger;
  app: FastifyInstance;
  io: AppServer;
  db: Db;
  redis: RedisConnections | null;
  /** Exact shared limits for HTTP routes (waits for Redis when configured); socket events use the router's own. */
  rateLimiter: RateLimiter;
  presence: PresenceStore;
  /** Presence transitions (online, offline) seen by this node, for features to pass on. */
  presenceFeed: PresenceFeed;
  metrics: Metrics;
  sessions: SessionService;
  /** Registers typed, validated HTTP routes from `httpRoutes`. */
  http: HttpRouter;
  /** Registers typed, validated socket handlers from `clientEvents`. */
  sockets: SocketRouter;
}
