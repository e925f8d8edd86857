import fs from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import type { Config } from '../config.js';
import type { MaintenanceReport } from './pglite-maintenance.js';
import type { PgliteMessage, PgliteRequest, PgliteWorkerData, WireError } from './pglite-worker.js';

/** How to send one statement. */
export interface QueryOptions {
  /**
   * Prepare the statement under this name on each Postgres connection, once, and only bind and
   * execute it afterwards: for hot statements, whose parse and plan would otherwise be paid on
   * every call (docs/decisions.md). One name, one text. PGlite ignores it.
   */
  name?: string;
}

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<{ rows: T[] }>;
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

/** What the server wants to hear from the store. */
export interface DbHooks {
  observe?: QueryObserver;
  /** After each routine VACUUM or ANALYZE step of the embedded store (`pglite-maintenance.ts`). */
  onMaintenance?: (report: MaintenanceReport) => void;
}

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

/** A `pg` query config: named (prepared once per connection) when the options say so. */
const statement = (text: string, values: unknown[], opts?: QueryOptions): pg.QueryConfig =>
  opts?.name ? { name: opts.name, text, values } : { text, values };

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    private readonly observe?: QueryObserver,
  ) {}

  query<T extends object>(sql: string, params: unknown[] = [], opts?: QueryOptions) {
    return timed(this.observe, () => this.pool.query(statement(sql, params, opts))) as Promise<{ rows: T[] }>;
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const q: Queryable = {
      query: <R extends object>(sql: string, params: unknown[] = [], opts?: QueryOptions) =>
        timed(this.observe, () => client.query(statement(sql, params, opts))) as Promise<{ rows: R[] }>,
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

/**
 * First come, first served turns on the one PGlite connection. A plain query holds its turn only
 * while it is handed to the worker (the worker answers in order, so queries still overlap); a
 * transaction holds it from BEGIN to COMMIT, so nobody else's statement lands inside it.
 */
class Turns {
  private tail: Promise<void> = Promise.resolve();
  take(): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const before = this.tail;
    this.tail = before.then(() => done);
    return before.then(() => release);
  }
}

/** Thrown for every call once the worker is gone; toAppError maps it to the retryable UNAVAILABLE. */
function workerGone(why: string) {
  return Object.assign(new Error(`Connection terminated: embedded database ${why}`), { code: '08006' });
}

/** Rebuilds a worker's error on this side, with its SQLSTATE and other fields. */
function fromWire(e: WireError): Error {
  const err = Object.assign(new Error(e.message), e.fields);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * Embedded PGlite in a worker thread (`pglite-worker.ts`): the WASM never runs on the event loop.
 * Every call is a message to the worker and a promise for its answer.
 */
class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private readonly turns = new Turns();
  private readonly pending = new Map<number, { resolve(rows: unknown[]): void; reject(err: Error): void }>();
  private nextId = 1;
  private gone: Error | null = null;

  private readonly observe?: QueryObserver;

  private constructor(
    private readonly worker: Worker,
    hooks: DbHooks,
  ) {
    this.observe = hooks.observe;
    worker.on('message', (res: PgliteMessage) => {
      if ('maintenance' in res) {
        hooks.onMaintenance?.(res.maintenance);
        return;
      }
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (this.pending.size === 0) worker.unref();
      if (res.ok) p.resolve(res.rows);
      else p.reject(fromWire(res.error));
    });
    worker.on('error', (err) => this.fail(workerGone(`failed: ${err.message}`)));
    worker.on('exit', (code) => this.fail(workerGone(`exited (${code})`)));
  }

  /** Starts the worker and waits until the database is open. */
  static async start(data: PgliteWorkerData, hooks: DbHooks): Promise<PgliteDb> {
    const worker = new Worker(workerEntry(), { workerData: data });
    try {
      await new Promise<void>((resolve, reject) => {
        const onMessage = (res: PgliteMessage) => {
          if ('maintenance' in res || res.id !== 0) return;
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          if (res.ok) resolve();
          else reject(fromWire(res.error));
        };
        const onExit = (code: number) => reject(workerGone(`exited during start (${code})`));
        worker.on('message', onMessage);
        worker.once('exit', onExit);
        worker.once('error', reject);
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    worker.unref();
    return new PgliteDb(worker, hooks);
  }

  private fail(err: Error) {
    this.gone ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Sends one request now; the answer comes in the worker's order. */
  private call(req: DistributiveOmit<PgliteRequest, 'id'>): Promise<unknown[]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A pending answer keeps the process alive; an idle worker does not.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...req, id });
    });
  }

  private send<T extends object>(sql: string, params: unknown[]): Promise<{ rows: T[] }> {
    return timed(this.observe, () => this.call({ op: 'query', sql, params }).then((rows) => ({ rows: rows as T[] })));
  }

  async query<T extends object>(sql: string, params: unknown[] = []) {
    const release = await this.turns.take();
    const result = this.send<T>(sql, params);
    release();
    return result;
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const release = await this.turns.take();
    try {
      await this.call({ op: 'query', sql: 'BEGIN', params: [] });
      let result: T;
      try {
        result = await fn({ query: <R extends object>(sql: string, params: unknown[] = []) => this.send<R>(sql, params) });
      } catch (err) {
        await this.call({ op: 'query', sql: 'ROLLBACK', params: [] }).catch(() => {});
        throw err;
      }
      await this.call({ op: 'query', sql: 'COMMIT', params: [] });
      return result;
    } finally {
      release();
    }
  }

  async exec(sql: string) {
    const release = await this.turns.take();
    const done = this.call({ op: 'exec', sql });
    release();
    await done;
  }

  async ping() {
    await this.query('SELECT 1');
  }

  /** Waits for everything already asked, closes the database files, then ends the thread. */
  async close() {
    const release = await this.turns.take();
    try {
      if (!this.gone) await this.call({ op: 'close' });
    } finally {
      this.gone ??= workerGone('closed');
      release();
      await this.worker.terminate();
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Where the worker's code is. Built (`dist/`), it is the compiled `.js` beside this file. From
 * source (tsx, vitest) this file is `.ts`, and a worker thread gets no TypeScript loader of its
 * own: `--import tsx` in its execArgv is too late for the entry module on Node 20, so a two-line
 * bootstrap registers tsx in the worker and then imports the `.ts` entry.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./pglite-worker.js', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./pglite-worker.ts', import.meta.url).href;
  const boot = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/**
 * Opens the store the config asks for: Postgres at DATABASE_URL, else PGlite under DATA_DIR.
 * Tables live in DATABASE_SCHEMA (created if missing).
 */
export async function openDb(config: Config, hooks: DbHooks = {}): Promise<Db> {
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
    const db = new PostgresDb(pool, hooks.observe);
    await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    return db;
  }
  const dir = path.resolve(config.DATA_DIR, 'pglite');
  await fs.mkdir(dir, { recursive: true });
  const intervalMs = config.PGLITE_MAINTENANCE_INTERVAL_SECONDS * 1000;
  const maintenance = { intervalMs, quietMs: 1_000, maxDeferMs: 10 * intervalMs };
  return PgliteDb.start({ dir, schema, maintenance }, hooks);
}
