import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll } from 'vitest';
import type { Db } from '../infra/db.js';

/** Where tests find the real services; override for another machine. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    sock.setTimeout(1_000);
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
    sock.once('error', () => resolve(false));
  });
}

/**
 * Whether a service-dependent suite should run. On a laptop without the service it returns false
 * and the suite is skipped; under CI=true a missing service throws, so the suite fails instead of
 * silently skipping.
 */
export async function serviceAvailable(name: 'postgres' | 'redis'): Promise<boolean> {
  const ok = name === 'postgres' ? await reachable(TEST_DATABASE_URL, 5432) : await reachable(TEST_REDIS_URL, 6379);
  if (!ok && process.env.CI) {
    throw new Error(`${name} is required under CI=true but is not reachable (${name === 'postgres' ? TEST_DATABASE_URL : TEST_REDIS_URL})`);
  }
  return ok;
}

/** Removes every key under a prefix (a run's cleanup). A Redis that is already gone has nothing to clean. */
export async function deleteKeysAt(redisUrl: string, prefix: string) {
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // nothing reachable to clean
  } finally {
    r.disconnect();
  }
}

/**
 * A Postgres schema of its own for one test file: `schema` to open Dbs in, `opened` to record
 * them, and after the file's tests every recorded Db is closed and the schema dropped. Call at the
 * top level of the file.
 */
export function ownPostgresSchema() {
  const schema = `t_${randomBytes(5).toString('hex')}`;
  const opened: Db[] = [];
  afterAll(async () => {
    for (const db of opened) await db.close();
    if (opened.length > 0) await dropTestSchema(schema);
  });
  return { schema, opened };
}

/** Drops a test's Postgres schema and everything in it. */
export async function dropTestSchema(schema: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}
