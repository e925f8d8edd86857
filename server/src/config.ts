import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Known weak values that must never be used as a production secret. */
const WEAK_SECRETS = new Set(['secret', 'changeme', 'change-me', 'dev', 'development', 'password', 'test']);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The whole environment the server reads, validated once at start-up. Every variable is listed in
 * the README with its default. Unknown variables are ignored; a bad value names itself in the error.
 */
export const EnvSchema = z.object({
  /** `production` turns on secure cookies and refuses weak or missing secrets. Default `development`. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Interface to listen on. Default `0.0.0.0`. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** TCP port for HTTP and Socket.IO (one port). Default 3000. */
  PORT: intIn(0, 65535).default(3000),
  /** Where the embedded PGlite database keeps its files when DATABASE_URL is unset. Default `./data`. */
  DATA_DIR: z.string().min(1).default('./data'),
  /**
   * How often the embedded store looks for tables that need VACUUM or ANALYZE (by PostgreSQL's
   * autovacuum rules: PGlite has no autovacuum of its own), in seconds. Due work runs a table at
   * a time once the store has been quiet for a second, or between requests after ten intervals.
   * Ignored with DATABASE_URL, where PostgreSQL's autovacuum does it. Default 60.
   */
  PGLITE_MAINTENANCE_INTERVAL_SECONDS: intIn(1, 86_400).default(60),
  /** PostgreSQL connection string. Unset: embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  /** Postgres schema to create tables in (lets several deployments or test runs share a database). Default `public`. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase SQL identifier')
    .default('public'),
  /** Size of the Postgres connection pool per node. Default 10. */
  DATABASE_POOL_SIZE: intIn(1, 200).default(10),
  /**
   * Longest a chat message waits to share its transaction with others (group commit), in ms.
   * Messages arriving while a commit is in flight go together in the next one; 0 commits each
   * message on its own. Acks still come only after the commit. Default 2.
   */
  CHAT_BATCH_MAX_WAIT_MS: intIn(0, 1_000).default(2),
  /**
   * Group-commit lanes per node on Postgres: how many chat transactions one node may have in
   * flight at once (a conversation always uses the same lane, so its messages commit in order).
   * Fewer lanes make bigger batches, and a batch's fixed cost is most of what a small one costs
   * Postgres. At most half of DATABASE_POOL_SIZE is used. PGlite always has one. Default 2 on a
   * single node, 1 when REDIS_URL is set: then every node's lanes add up on the one database.
   */
  CHAT_BATCH_LANES: intIn(1, 64).optional(),
  /** Redis connection string. Set: Socket.IO Redis adapter, presence and rate limits in Redis. Unset: in-process. */
  REDIS_URL: z.url().optional(),
  /**
   * Socket.IO adapter used with REDIS_URL: `pubsub` (@socket.io/redis-adapter, classic PUBLISH),
   * `sharded` (the same over Redis 7 sharded pub/sub, SPUBLISH) or `streams`
   * (@socket.io/redis-streams-adapter). Default `sharded` (needs Redis 7); docs/scaling.md has
   * the measurements.
   */
  REDIS_ADAPTER: z.enum(['pubsub', 'sharded', 'streams']).default('sharded'),
  /**
   * How long presence and room-seat leases live without a heartbeat, in ms. Sockets renew them at
   * a third of this, so a node that dies takes its users offline and out of rooms within it.
   * Default 30000.
   */
  LEASE_TTL_MS: intIn(3_000, 300_000).default(30_000),
  /** Prefix of every Redis key and channel, so deployments can share a Redis. Default `hm:`. */
  REDIS_PREFIX: z.string().min(1).max(64).default('hm:'),
  /**
   * Key for hashing session tokens (HMAC-SHA256) before they are stored. At least 32 characters.
   * Required in production; elsewhere a random one is generated and kept in DATA_DIR.
   */
  SESSION_SECRET: z.string().optional(),
  /** How long a session lasts after sign-in, in days. Default 30. */
  SESSION_TTL_DAYS: intIn(1, 365).default(30),
  /** Send cookies with `Secure` (HTTPS only). Default: true in production, false otherwise. */
  COOKIE_SECURE: bool.optional(),
  /**
   * Extra browser origins allowed to call the API and open sockets, comma-separated
   * (for example the Vite dev server). Same-origin requests are always allowed. Default empty.
   */
  ALLOWED_ORIGINS: csv.default([]),
  /** Trust X-Forwarded-* headers from a reverse proxy (needed behind nginx for client IPs). Default false. */
  TRUST_PROXY: bool.default(false),
  /** pino log level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted HTTP body or socket message, in bytes. Default 65536. */
  MAX_PAYLOAD_BYTES: intIn(1024, 10 * 1024 * 1024).default(64 * 1024),
  /** Sign-in (and sign-up) attempts allowed per IP and per handle in each window. Default 10. */
  SIGNIN_MAX_ATTEMPTS: intIn(1, 10_000).default(10),
  /** Length of the sign-in rate-limit window, in seconds. Default 300. */
  SIGNIN_WINDOW_SECONDS: intIn(1, 86_400).default(300),
  /**
   * Chat messages one user may send per second, across all their conversations, sockets and
   * nodes; more get RATE_LIMITED with a retry-after. An anti-flood policy, not a capacity limit.
   * Default 10.
   */
  CHAT_SEND_MAX_PER_SECOND: intIn(1, 100_000).default(10),
  /**
   * scrypt cost as log2(N). Default 15 (N=32768, about 32 MiB and tens of ms per hash). Production
   * refuses less than 14; tests lower it for speed. Stored hashes carry their own cost.
   */
  PASSWORD_HASH_COST: intIn(10, 20).default(15),
  /** Built client served at `/`. Default `client/dist` in this repository. */
  CLIENT_DIST_DIR: z.string().default(path.join(repoRoot, 'client/dist')),
  /** Largest capacity a room creator may choose (admin setting). Default 50. */
  ROOM_MAX_CAPACITY: intIn(2, 1000).default(50),
  /** Most people on a room's stage (host and speakers) at once; the rest listen. Default 8. */
  ROOM_SPEAKER_CAP: intIn(1, 50).default(8),
  /** A room closes after being empty this long, counted from the last person leaving, in seconds. Default 60. */
  ROOM_EMPTY_GRACE_SECONDS: intIn(1, 86_400).default(60),
  /**
   * STUN/TURN servers handed to browsers for WebRTC, as JSON: `[{"urls":"stun:stun.example.org:3478"}]`.
   * Default `[]` (direct connections only, enough on one network).
   */
  ICE_SERVERS: z
    .string()
    .transform((s, ctx) => {
      try {
        const v = JSON.parse(s) as unknown;
        if (Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && 'urls' in x)) return v as { urls: string | string[] }[];
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {"urls": ...} objects' });
      return z.NEVER;
    })
    .default([]),
  /** TURN URLs (comma-separated, e.g. `turn:turn.example.org:3478`) given short-lived credentials from TURN_STATIC_AUTH_SECRET. */
  TURN_URLS: csv.default([]),
  /** coturn's `static-auth-secret`: signs the time-limited TURN credentials. Required with TURN_URLS. */
  TURN_STATIC_AUTH_SECRET: z.string().min(16).optional(),
  /** How long before a meetup starts its attendees are reminded, in minutes. Default 60. */
  MEETUP_REMINDER_MINUTES: intIn(1, 10_080).default(60),
  /**
   * Socket.IO ping interval, in ms. With the timeout it bounds how fast a vanished client is
   * noticed. Default 25000 (Socket.IO's own): heartbeats are most of an idle server's CPU, and a
   * dead node's users are dropped by leases (LEASE_TTL_MS), not by pings.
   */
  SOCKET_PING_INTERVAL_MS: intIn(200, 120_000).default(25_000),
  /** Socket.IO ping timeout, in ms. Default 20000 (a vanished client is dropped within about 45 s). */
  SOCKET_PING_TIMEOUT_MS: intIn(200, 120_000).default(20_000),
  /** How long a draining node waits for in-flight work on SIGTERM, in milliseconds. Default 10000. */
  SHUTDOWN_GRACE_MS: intIn(0, 120_000).default(10_000),
});

/** The validated configuration. */
export type Config = Omit<z.output<typeof EnvSchema>, 'COOKIE_SECURE'> & {
  /** Resolved cookie Secure flag. */
  COOKIE_SECURE: boolean;
};

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates an environment. Throws ConfigError naming each bad variable, including the production
 * rules: a strong SESSION_SECRET and a safe hashing cost.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Treat empty strings as unset, the way shells and compose files often pass them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const production = c.NODE_ENV === 'production';
  const problems: string[] = [];
  if (c.SESSION_SECRET !== undefined && c.SESSION_SECRET.length < 32) {
    problems.push('  SESSION_SECRET: must be at least 32 characters (use `openssl rand -base64 48`)');
  }
  if (production) {
    if (c.SESSION_SECRET === undefined) {
      problems.push('  SESSION_SECRET: required when NODE_ENV=production (use `openssl rand -base64 48`)');
    } else if (
      WEAK_SECRETS.has(c.SESSION_SECRET.toLowerCase()) ||
      /replace|change.?me|example|placeholder/i.test(c.SESSION_SECRET) ||
      new Set(c.SESSION_SECRET).size < 10
    ) {
      problems.push('  SESSION_SECRET: too weak for production; generate a random one');
    }
    if (c.PASSWORD_HASH_COST < 14) problems.push('  PASSWORD_HASH_COST: must be at least 14 in production');
  }
  if (c.TURN_URLS.length > 0 && !c.TURN_STATIC_AUTH_SECRET) {
    problems.push('  TURN_STATIC_AUTH_SECRET: required when TURN_URLS is set');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return { ...c, COOKIE_SECURE: c.COOKIE_SECURE ?? production };
}
