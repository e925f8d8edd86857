import fs from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { freshPgliteDir } from '../test/pglite-template.js';
import { openDb } from './db.js';
import { createDurablePglite } from './pglite-durable.js';
import { MaintenanceScheduler, plan, readTableStats, RULES, statementFor, type MaintenanceReport, type TableStats } from './pglite-maintenance.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function dataDir() {
  const dir = await freshPgliteDir('hm-maint-');
  dirs.push(dir);
  return dir;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, get: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const quiet: TableStats = { table: 'public.t', rows: 10_000, deadRows: 0, insertedSinceVacuum: 0, changedSinceAnalyze: 0, xidAge: 1_000 };

describe('what maintenance finds due (autovacuum rules at PostgreSQL defaults)', () => {
  it('vacuums past 50 + 20 % dead rows or 1,000 + 20 % inserts, and analyzes past 50 + 10 % changes', () => {
    const vacuum = [{ table: 'public.t', action: 'VACUUM' }];
    expect(plan([quiet])).toEqual([]);
    expect(plan([{ ...quiet, deadRows: 2_050 }])).toEqual([]);
    expect(plan([{ ...quiet, deadRows: 2_051 }])).toEqual(vacuum);
    expect(plan([{ ...quiet, insertedSinceVacuum: 3_001 }])).toEqual(vacuum);
    expect(plan([{ ...quiet, changedSinceAnalyze: 1_051 }])).toEqual([{ table: 'public.t', action: 'ANALYZE' }]);
    // A table never measured (reltuples -1, read as 0) is due after the bare thresholds; both
    // are due, as two steps (VACUUM first) so that requests can go between them.
    expect(plan([{ ...quiet, rows: 0, deadRows: 51, changedSinceAnalyze: 51 }]).map(statementFor)).toEqual(['VACUUM public.t', 'ANALYZE public.t']);
    // As autovacuum does: ANALYZE refuses pg_statistic, so asking every minute would be a wasted step.
    expect(plan([{ ...quiet, table: 'pg_catalog.pg_statistic', rows: 0, changedSinceAnalyze: 5_000 }])).toEqual([]);
  });

  it('puts tables nearing wraparound first, oldest first, whatever else they need', () => {
    const old = (table: string, xidAge: number): TableStats => ({ ...quiet, table, xidAge });
    const work = plan([{ ...quiet, table: 'public.busy', deadRows: 1e6 }, old('public.a', RULES.freezeAge + 5), old('public.b', RULES.freezeAge + 9)]);
    expect(work.map(statementFor)).toEqual(['VACUUM public.b', 'VACUUM public.a', 'VACUUM public.busy']);
  });
});

describe('the embedded store maintains itself', () => {
  it('reclaims dead rows and gathers planner statistics without being asked', async () => {
    const reports: MaintenanceReport[] = [];
    const db = await openDb(loadConfig({ NODE_ENV: 'test', DATA_DIR: await dataDir(), PGLITE_MAINTENANCE_INTERVAL_SECONDS: '1' }), {
      onMaintenance: (r) => reports.push(r),
    });
    try {
      await db.exec(`CREATE TABLE seats (id int PRIMARY KEY, expires_at timestamptz NOT NULL);
                     CREATE INDEX ON seats (expires_at);
                     INSERT INTO seats SELECT g, now() FROM generate_series(1, 200) g;`);
      // Lease renewals: each one leaves a dead row version behind (the index on expires_at
      // rules out HOT updates), which only VACUUM removes.
      for (let i = 0; i < 5; i++) await db.query(`UPDATE seats SET expires_at = now() + interval '30 seconds'`);

      const analyzed = await until('an ANALYZE of seats', () => reports.find((r) => r.statement === 'ANALYZE public.seats'));
      expect(reports.filter((r) => r.table === 'public.seats').map((r) => r.statement)).toEqual(['VACUUM public.seats', 'ANALYZE public.seats']);
      expect(analyzed.error).toBeUndefined();
      const { rows } = await db.query<{ dead: number; vacuumed: boolean; analyzed: boolean }>(
        `SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
           FROM pg_stat_user_tables WHERE relname = 'seats'`,
      );
      expect(rows[0]).toEqual({ dead: 0, vacuumed: true, analyzed: true });
      const stats = await db.query<{ attname: string }>(`SELECT attname FROM pg_stats WHERE tablename = 'seats' ORDER BY attname`);
      expect(stats.rows.map((r) => r.attname)).toEqual(['expires_at', 'id']);
      expect(reports.filter((r) => r.error)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('maintenance shares the one connection fairly', () => {
  let lite: PGlite | undefined;
  let scheduler: MaintenanceScheduler | undefined;
  afterEach(async () => {
    scheduler?.stop();
    await lite?.close();
    lite = scheduler = undefined;
  });

  /** A worker's request queue in miniature: the scheduler's steps and the test's requests share it. */
  async function start(timing: { quietMs: number; maxDeferMs: number }) {
    const l = (lite = await createDurablePglite(path.join(await dataDir(), 'pglite')));
    await l.exec(`CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
                  INSERT INTO notes (body) SELECT 'x' FROM generate_series(1, 100);`);
    let turn = Promise.resolve();
    let pending = 0;
    const reports: MaintenanceReport[] = [];
    const events: string[] = [];
    const s = (scheduler = new MaintenanceScheduler(
      l,
      {
        enqueue: (job) => void (turn = turn.then(job)),
        pending: () => pending,
        report: (r) => {
          reports.push(r);
          events.push(`step ${r.table}`);
        },
      },
      { intervalMs: 100, ...timing },
    ));
    const request = (sql: string) => {
      pending++;
      return new Promise<void>((resolve, reject) => {
        turn = turn.then(() =>
          l.exec(sql).then(
            () => {
              pending--;
              events.push(`answered ${sql}`);
              s.answered();
              resolve();
            },
            (err: unknown) => {
              pending--;
              s.answered();
              reject(err as Error);
            },
          ),
        );
      });
    };
    return { lite: l, reports, events, request };
  }

  it('looks at every table, catalogs included, and at TOAST tables through their parents', async () => {
    const { lite: l } = await start({ quietMs: 50, maxDeferMs: 200 });
    const tables = (await readTableStats(l)).map((t) => t.table);
    expect(tables).toEqual(expect.arrayContaining(['pg_catalog.pg_class', 'pg_catalog.pg_statistic', 'public.notes', 'public.messages']));
    expect(tables.filter((t) => t.startsWith('pg_toast.'))).toEqual([]);
  });

  it('never runs inside a transaction the server holds open, and catches up after it commits', async () => {
    const { reports, events, request } = await start({ quietMs: 500, maxDeferMs: 1_000 });
    await request(`UPDATE notes SET body = 'z'`); // 100 dead rows: notes is due
    await sleep(300); // found due (it looks every 100 ms), not yet run (it waits for 500 ms of quiet)
    await request('BEGIN');
    await request(`INSERT INTO notes (body) SELECT 'y' FROM generate_series(1, 2000)`);
    await sleep(1_500); // past the quiet wait and the longest deferral, with the transaction open
    await request('COMMIT');
    await until('a step on notes', () => reports.find((r) => r.table === 'public.notes'));
    const during = events.slice(events.indexOf('answered BEGIN'), events.indexOf('answered COMMIT'));
    expect(during.filter((e) => e.startsWith('step'))).toEqual([]);
    expect(reports.filter((r) => r.error)).toEqual([]);
  });

  it('runs between requests once due work has waited too long for a quiet moment', async () => {
    const { reports, request } = await start({ quietMs: 300, maxDeferMs: 1_500 });
    await request(`UPDATE notes SET body = 'z'`);
    const began = Date.now();
    // A steady trickle, never 300 ms apart: nothing runs until the work has waited 1.5 s.
    while (Date.now() - began < 5_000 && !reports.some((r) => r.table === 'public.notes')) {
      await request(`INSERT INTO notes (body) VALUES ('tick')`);
      await sleep(40);
    }
    const waited = Date.now() - began;
    expect(reports.some((r) => r.table === 'public.notes')).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(1_500);
    expect(reports.filter((r) => r.error)).toEqual([]);
  });

  it('starts due work once the store has been quiet for a while', async () => {
    const { reports, request } = await start({ quietMs: 400, maxDeferMs: 60_000 });
    await request(`UPDATE notes SET body = 'w'`);
    const answered = Date.now();
    await until('a step on notes', () => reports.find((r) => r.table === 'public.notes'));
    expect(Date.now() - answered).toBeGreaterThanOrEqual(400);
  });
});
