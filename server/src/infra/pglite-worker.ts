/**
 * The embedded database's own thread. PGlite runs Postgres as WASM on the thread that calls it,
 * so here it blocks only this worker, never the server's event loop. `db.ts` starts it and sends
 * requests; they are answered one at a time, in the order they arrive, which is what lets the
 * main side run a transaction as BEGIN, its queries, COMMIT without anyone else's in between.
 * The worker also does the store's routine VACUUM and ANALYZE (`pglite-maintenance.ts`), as steps
 * on the same queue, outside any transaction.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createDurablePglite } from './pglite-durable.js';
import { MaintenanceScheduler, type MaintenanceReport, type MaintenanceTiming } from './pglite-maintenance.js';
import { openPglite } from './pglite-open.js';

/** What the worker is started with. */
export interface PgliteWorkerData {
  /** Directory of the database files. */
  dir: string;
  /** Schema to create and put first on the search path. */
  schema: string;
  /** When routine VACUUM and ANALYZE look for work and run it (`pglite-maintenance.ts`). */
  maintenance: MaintenanceTiming;
}

/** A request from the main thread. `id` pairs it with its response. */
export type PgliteRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'close' };

/** The fields of a Postgres error worth keeping (SQLSTATE `code` above all). */
export const ERROR_FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const;

/** An error flattened for postMessage, which would otherwise drop `code` and the rest. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  fields: Partial<Record<(typeof ERROR_FIELDS)[number], string>>;
}

/** The answer to a request; id 0 reports start-up. */
export type PgliteResponse = { id: number; ok: true; rows: unknown[] } | { id: number; ok: false; error: WireError };

/** What the worker posts: answers, and a report after each maintenance step. */
export type PgliteMessage = PgliteResponse | { maintenance: MaintenanceReport };

function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: WireError['fields'] = {};
  for (const k of ERROR_FIELDS) {
    const v = (err as unknown as Record<string, unknown>)[k];
    if (typeof v === 'string' || typeof v === 'number') fields[k] = String(v);
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

const port = parentPort;
if (!port) throw new Error('pglite-worker must run in a worker thread');
const { dir, schema, maintenance } = workerData as PgliteWorkerData;

/**
 * Whether an fsync has failed. Postgres then PANICs: the statement that needed it fails, and the
 * instance answers nothing more. The worker reports that failure and exits, so every later call
 * fails at once as UNAVAILABLE instead of waiting forever, and the next start recovers from the
 * WAL, as PostgreSQL does after a PANIC.
 */
let diskFailed = false;
function fsyncOrRemember(fd: number) {
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    diskFailed = true;
    throw err;
  }
}

async function open() {
  const lite = await openPglite(dir, (d) => createDurablePglite(d, fsyncOrRemember));
  await lite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
  return lite;
}

const opening = open();

async function handle(req: PgliteRequest): Promise<PgliteResponse> {
  try {
    const lite = await opening;
    switch (req.op) {
      case 'query':
        return { id: req.id, ok: true, rows: (await lite.query(req.sql, req.params)).rows };
      case 'exec':
        await lite.exec(req.sql);
        return { id: req.id, ok: true, rows: [] };
      case 'close':
        await lite.close();
        return { id: req.id, ok: true, rows: [] };
    }
  } catch (err) {
    return { id: req.id, ok: false, error: toWire(err) };
  }
}

// Strictly one request (or maintenance step) at a time, in arrival order.
let turn: Promise<void> = Promise.resolve();
let pending = 0;
let scheduler: MaintenanceScheduler | null = null;

function enqueue(job: () => Promise<void>) {
  const after = () => {
    if (diskFailed) process.exit(1); // in a worker, this ends the thread only
  };
  // A job that throws must not stall the ones behind it.
  turn = turn.then(job).then(after, after);
}

opening.then(
  (lite) => {
    scheduler = new MaintenanceScheduler(
      lite,
      {
        enqueue,
        pending: () => pending,
        report: (r) => port.postMessage({ maintenance: r } satisfies PgliteMessage),
      },
      maintenance,
    );
    port.postMessage({ id: 0, ok: true, rows: [] } satisfies PgliteResponse);
  },
  (err: unknown) => port.postMessage({ id: 0, ok: false, error: toWire(err) } satisfies PgliteResponse),
);

port.on('message', (req: PgliteRequest) => {
  pending++;
  if (req.op === 'close') scheduler?.stop();
  enqueue(async () => {
    const res = await handle(req);
    pending--;
    try {
      port.postMessage(res);
    } catch (err) {
      // A value structured clone cannot carry: the caller gets the error, not silence.
      port.postMessage({ id: req.id, ok: false, error: toWire(err) } satisfies PgliteResponse);
    }
    if (req.op === 'close' && res.ok) port.close();
    else scheduler?.answered();
  });
});
