/**
 * Seeds the project's store before its server starts: users, sessions and conversation
 * memberships written with SQL (signing 20k users up over HTTP would cost an scrypt each). The
 * schema comes from the server's own `migrate()`; session rows store HMAC-SHA256(SESSION_SECRET,
 * token) exactly as `server/src/features/accounts/sessions.ts` does, and the cookie carries the
 * token. PGlite is single-process, so its directory is seeded and closed before the server opens it.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig } from '../../server/src/config.js';
import { openDb } from '../../server/src/infra/db.js';
import { migrate } from '../../server/src/infra/migrations.js';

/** Where the services the bench needs live (the same defaults as the test suite). */
export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const SESSION_COOKIE = 'hm_session';
const AVATAR = '#3f88c5';

/** What to create: users, and conversations given by their members' indexes. */
export interface SeedPlan {
  users: number;
  conversations: { kind: 'match' | 'room' | 'meetup' | 'community'; members: number[] }[];
}

export interface Seeded {
  userIds: string[];
  /** `hm_session=<token>`, one per user. */
  cookies: string[];
  conversationIds: string[];
}

export interface StoreLocation {
  /** Postgres URL, or undefined for PGlite under `dataDir`. */
  databaseUrl?: string;
  schema: string;
  dataDir: string;
}

/** Rows per INSERT … SELECT FROM unnest(...). */
const CHUNK = 5_000;

export async function seed(store: StoreLocation, secret: string, plan: SeedPlan): Promise<Seeded> {
  const db = await openDb(
    loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: store.databaseUrl,
      DATABASE_SCHEMA: store.schema,
      DATABASE_POOL_SIZE: '2',
      DATA_DIR: store.dataDir,
    }),
  );
  try {
    await migrate(db);
    const userIds = Array.from({ length: plan.users }, () => randomUUID());
    const tokens = userIds.map(() => randomBytes(32).toString('base64url'));
    const expires = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    for (let i = 0; i < plan.users; i += CHUNK) {
      const ids = userIds.slice(i, i + CHUNK);
      const handles = ids.map((_, k) => `bench${i + k}`);
      await db.query(
        `INSERT INTO users (id, handle, display_name, password_hash, avatar_color)
         SELECT id, h, h, 'bench$no-password', $3 FROM unnest($1::uuid[], $2::text[]) AS t(id, h)`,
        [ids, handles, AVATAR],
      );
      const hashes = tokens.slice(i, i + CHUNK).map((t) => createHmac('sha256', secret).update(t).digest('base64url'));
      await db.query(
        `INSERT INTO sessions (token_hash, user_id, expires_at)
         SELECT h, u, $3 FROM unnest($1::text[], $2::uuid[]) AS t(h, u)`,
        [hashes, ids, expires],
      );
    }
    const conversationIds = plan.conversations.map(() => randomUUID());
    for (let i = 0; i < plan.conversations.length; i += CHUNK) {
      const part = plan.conversations.slice(i, i + CHUNK);
      await db.query(`INSERT INTO conversations (id, kind) SELECT * FROM unnest($1::uuid[], $2::text[])`, [
        conversationIds.slice(i, i + CHUNK),
        part.map((c) => c.kind),
      ]);
    }
    const pairs: [string, string][] = [];
    plan.conversations.forEach((c, i) => {
      for (const m of c.members) pairs.push([conversationIds[i]!, userIds[m]!]);
    });
    for (let i = 0; i < pairs.length; i += CHUNK) {
      const part = pairs.slice(i, i + CHUNK);
      await db.query(`INSERT INTO conversation_members (conversation_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`, [
        part.map((p) => p[0]),
        part.map((p) => p[1]),
      ]);
    }
    // A live database of this size has planner statistics (autovacuum analyzes it); freshly
    // bulk-loaded tables do not until autovacuum's next round, a minute or so into the run, and
    // until then every handshake's lookups may be planned as scans.
    await db.exec('ANALYZE users, sessions, conversations, conversation_members');
    return { userIds, cookies: tokens.map((t) => `${SESSION_COOKIE}=${t}`), conversationIds };
  } finally {
    await db.close();
  }
}

/** Drops a Postgres schema the bench created. */
export async function dropSchema(schema: string) {
  const c = new pg.Client({ connectionString: DATABASE_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** Removes every Redis key under a prefix (the adapter's channels leave no keys; streams do). */
export async function deleteRedisKeys(prefix: string) {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
