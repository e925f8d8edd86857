import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config.js';

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * The store of record. One interface over embedded PGlite and real PostgreSQL: the same SQL, with
 * `$n` parameters, runs on both.
 */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: commit when it resolves, roll back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Cheap liveness round trip, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Called after every query with its duration, for the DB latency histogram. */
export type QueryObserver = (seconds: number, ok: boolean) => void;

function timed<T>(observe: QueryObserver | undefined, run: () => Promise<T>): Promise<T> {
  if (!observe) return run();
  const start = process.hrtime.bigint();
  return run().then(
    (v) => {
      observe(Number(process.hrtime.bigint() - start) / 1e9, true);
      return v;
    },
    (e: unknown) => {
      observe(Number(process.hrtime.bigint() - start) / 1e9, false);
      throw e;
    },
  );
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    private readonly observe?: QueryObserver,
  ) {}

  query<T extends object>(sql: string, params: unknown[] = []) {
    return timed(this.observe, () => this.pool.query(sql, params)) as Promise<{ rows: T[] }>;
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const q: Queryable = {
      query: <R extends object>(sql: string, params: unknown[] = []) =>
        timed(this.observe, () => client.query(sql, params)) as Promise<{ rows: R[] }>,
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(q);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      // A connection that could not even roll back is discarded rather than reused.
      client.release(broken);
    }
  }

  async exec(sql: string) {
    await this.pool.query(sql);
  }

  async ping() {
    await this.pool.query('SELECT 1');
  }

  close() {
    return this.pool.end();
  }
}

/** The subset of PGlite this module uses, so its (large) types stay out of the interface. */
interface PGliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(
    private readonly lite: PGliteLike,
    private readonly observe?: QueryObserver,
  ) {}

  query<T extends object>(sql: string, params: unknown[] = []) {
    return timed(this.observe, () => this.lite.query<T>(sql, params));
  }

  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.lite.transaction((t) =>
      fn({ query: <R extends object>(sql: string, params: unknown[] = []) => timed(this.observe, () => t.query<R>(sql, params)) }),
    );
  }

  async exec(sql: string) {
    await this.lite.exec(sql);
  }

  async ping() {
    await this.lite.query('SELECT 1');
  }

  close() {
    return this.lite.close();
  }
}

/**
 * Opens the store the config asks for: Postgres at DATABASE_URL, else PGlite under DATA_DIR.
 * Tables live in DATABASE_SCHEMA (created if missing).
 */
export async function openDb(config: Config, observe?: QueryObserver): Promise<Db> {
  const schema = config.DATABASE_SCHEMA;
  if (config.DATABASE_URL) {
    const pool = new pg.Pool({
      connectionString: config.DATABASE_URL,
      max: config.DATABASE_POOL_SIZE,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${schema}`,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const db = new PostgresDb(pool, observe);
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    return db;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = path.resolve(config.DATA_DIR, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const lite = (await PGlite.create(dir)) as unknown as PGliteLike;
  await lite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
  return new PgliteDb(lite, observe);
}
