/**
 * Routine maintenance (VACUUM and ANALYZE) for the embedded database.
 *
 * PGlite runs Postgres as a single-user backend. It reports `autovacuum = on`, but there is no
 * launcher and no worker process, so nothing ever runs it. Left alone, an embedded store:
 * - never freezes old rows, and single-user mode does not stop at the transaction-id wraparound
 *   limit, so rows acked long ago would one day read as "in the future" (lost);
 * - keeps dead row versions and their index entries (every room-seat renewal, every edit);
 * - never gathers planner statistics.
 *
 * The worker thread (`pglite-worker.ts`) runs this instead. It applies autovacuum's own rules with
 * PostgreSQL's default settings ({@link RULES}), one table per step, and prefers quiet moments,
 * because a step holds the one connection: requests that arrive meanwhile wait for it.
 */
import type { PGlite } from '@electric-sql/pglite';

/** PostgreSQL's autovacuum defaults (`autovacuum_*` settings), applied as autovacuum applies them. */
export const RULES = {
  /** VACUUM when dead rows exceed this plus the scale factor times the table's rows. */
  vacuumThreshold: 50,
  vacuumScaleFactor: 0.2,
  /** VACUUM (to mark pages all-visible and freeze them) after this many inserts, plus the scale factor. */
  insertThreshold: 1000,
  insertScaleFactor: 0.2,
  /** ANALYZE when rows changed since the last one exceed this plus the scale factor. */
  analyzeThreshold: 50,
  analyzeScaleFactor: 0.1,
  /**
   * VACUUM any table whose oldest unfrozen transaction id is this old (`vacuum_freeze_table_age`):
   * past it, a plain VACUUM scans the whole table and freezes it, which keeps wraparound away.
   */
  freezeAge: 150_000_000,
} as const;

/** A table's activity since its last maintenance, from `pg_stat_all_tables` and `pg_class`. */
export interface TableStats {
  /** Schema-qualified and quoted, ready to put in a statement. */
  table: string;
  /** The planner's row count (0 when never measured). */
  rows: number;
  deadRows: number;
  insertedSinceVacuum: number;
  changedSinceAnalyze: number;
  /** Age in transactions of the oldest unfrozen row id, the table's or its TOAST table's. */
  xidAge: number;
}

/**
 * One step of maintenance: one statement on one table. A table due for both gets two steps, VACUUM
 * then ANALYZE, so requests can go between them: together they held a busy store twice as long.
 */
export interface Work {
  table: string;
  action: 'VACUUM' | 'ANALYZE';
}

/** The statement a step runs. */
export function statementFor(w: Work): string {
  return `${w.action} ${w.table}`;
}

/**
 * What is due, by {@link RULES}: the tables nearest wraparound first, then the rest in the order
 * given. Tables with nothing due are left out.
 */
export function plan(tables: readonly TableStats[]): Work[] {
  const urgent: TableStats[] = [];
  const rest: TableStats[] = [];
  for (const t of tables) (t.xidAge > RULES.freezeAge ? urgent : rest).push(t);
  urgent.sort((a, b) => b.xidAge - a.xidAge);
  return [...urgent, ...rest].flatMap((t): Work[] => {
    const vacuum =
      t.xidAge > RULES.freezeAge ||
      t.deadRows > RULES.vacuumThreshold + RULES.vacuumScaleFactor * t.rows ||
      t.insertedSinceVacuum > RULES.insertThreshold + RULES.insertScaleFactor * t.rows;
    // ANALYZE skips pg_statistic (statistics about statistics), so its count would never reset.
    const analyze =
      t.table !== 'pg_catalog.pg_statistic' && t.changedSinceAnalyze > RULES.analyzeThreshold + RULES.analyzeScaleFactor * t.rows;
    return [
      ...(vacuum ? [{ table: t.table, action: 'VACUUM' as const }] : []),
      ...(analyze ? [{ table: t.table, action: 'ANALYZE' as const }] : []),
    ];
  });
}

/** The part of PGlite maintenance uses. */
export type MaintainedDb = Pick<PGlite, 'query' | 'exec' | 'isInTransaction'>;

/**
 * Every permanent table and materialized view of this database, catalogs included (autovacuum
 * keeps them too). TOAST tables go with their parent: VACUUM of a table processes its TOAST table.
 */
const STATS_SQL = `
  SELECT format('%I.%I', s.schemaname, s.relname) AS table,
         greatest(c.reltuples, 0)::float8 AS rows,
         s.n_dead_tup::float8 AS dead_rows,
         s.n_ins_since_vacuum::float8 AS inserted_since_vacuum,
         s.n_mod_since_analyze::float8 AS changed_since_analyze,
         greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0))::float8 AS xid_age
    FROM pg_stat_all_tables s
    JOIN pg_class c ON c.oid = s.relid
    LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
   WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p'
   ORDER BY s.schemaname, s.relname`;

/** Reads {@link TableStats} for every table, after making the backend publish its counts. */
export async function readTableStats(db: MaintainedDb): Promise<TableStats[]> {
  // A backend publishes its counters at most once a second; this makes the next chance count.
  await db.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await db.query<{
    table: string;
    rows: number;
    dead_rows: number;
    inserted_since_vacuum: number;
    changed_since_analyze: number;
    xid_age: number;
  }>(STATS_SQL);
  return rows.map((r) => ({
    table: r.table,
    rows: r.rows,
    deadRows: r.dead_rows,
    insertedSinceVacuum: r.inserted_since_vacuum,
    changedSinceAnalyze: r.changed_since_analyze,
    xidAge: r.xid_age,
  }));
}

/** What a step did, for the server's log and metrics. */
export interface MaintenanceReport {
  /** The table, or `*` when reading the statistics failed. */
  table: string;
  statement: string;
  /** How long it held the database, in ms. */
  ms: number;
  /** The error's message when it failed. */
  error?: string;
}

/** When maintenance looks and how long it waits for a quiet moment. */
export interface MaintenanceTiming {
  /** How often the statistics are read to find due work, in ms. */
  intervalMs: number;
  /** How long the database must have answered nothing before due work starts, in ms. */
  quietMs: number;
  /** Past this many ms after it became due, work runs between requests even when none is quiet. */
  maxDeferMs: number;
}

/** How the scheduler reaches the worker's one queue of requests. */
export interface MaintenanceHost {
  /** Puts a job at the end of the queue: it runs after every request already received. */
  enqueue(job: () => Promise<void>): void;
  /** Requests received and not yet answered. */
  pending(): number;
  report(r: MaintenanceReport): void;
}

/**
 * Finds due work every `intervalMs` and runs it a step at a time: in quiet moments, or between
 * requests once it has waited `maxDeferMs`. Never inside a transaction the server has open.
 */
export class MaintenanceScheduler {
  private due: Work[] = [];
  private dueSince = 0;
  private lastAnswer = 0;
  private looking = false;
  private stepQueued = false;
  private quietTimer: NodeJS.Timeout | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: MaintainedDb,
    private readonly host: MaintenanceHost,
    private readonly timing: MaintenanceTiming,
  ) {
    this.timer = setInterval(() => this.look(), timing.intervalMs);
  }

  /** Called after each request is answered. */
  answered() {
    this.lastAnswer = performance.now();
    if (this.due.length === 0) return;
    if (performance.now() - this.dueSince >= this.timing.maxDeferMs) this.queueStep();
    else this.waitForQuiet();
  }

  stop() {
    clearInterval(this.timer);
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    this.due = [];
  }

  private look() {
    if (this.due.length > 0 || this.looking) return;
    this.looking = true;
    this.host.enqueue(async () => {
      const start = performance.now();
      try {
        if (this.db.isInTransaction()) return;
        this.due = plan(await readTableStats(this.db));
        this.dueSince = performance.now();
      } catch (err) {
        this.host.report({ table: '*', statement: 'read statistics', ms: performance.now() - start, error: messageOf(err) });
      } finally {
        this.looking = false;
      }
      if (this.due.length > 0) this.waitForQuiet();
    });
  }

  private waitForQuiet() {
    if (this.quietTimer || this.stepQueued) return;
    const wait = Math.max(0, this.timing.quietMs - (performance.now() - this.lastAnswer));
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      this.continueIfQuiet();
    }, wait);
  }

  private continueIfQuiet() {
    if (this.due.length === 0) return;
    if (this.host.pending() === 0 && performance.now() - this.lastAnswer >= this.timing.quietMs) this.queueStep();
    else this.waitForQuiet();
  }

  private queueStep() {
    if (this.stepQueued) return;
    this.stepQueued = true;
    this.host.enqueue(async () => {
      this.stepQueued = false;
      const work = this.due[0];
      // A transaction the server has open (BEGIN answered, COMMIT not yet sent) must not see it.
      if (!work || this.db.isInTransaction()) return;
      this.due.shift();
      const statement = statementFor(work);
      const start = performance.now();
      try {
        await this.db.exec(statement);
        this.host.report({ table: work.table, statement, ms: performance.now() - start });
      } catch (err) {
        this.host.report({ table: work.table, statement, ms: performance.now() - start, error: messageOf(err) });
      }
      // The next step waits for the event loop, so requests that came in meanwhile go first.
      if (this.due.length > 0) setImmediate(() => this.continueIfQuiet());
    });
  }
}

function messageOf(err: unknown) {
  return err instanceof Error ? err.message : String(err);
}
