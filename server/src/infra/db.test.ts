import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { ErrorCode } from '@hackmeshi/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openDb, type Db } from './db.js';
import { toAppError } from './errors.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function open(dataDir?: string) {
  const dir = dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'hm-db-')));
  if (!dataDir) dirs.push(dir);
  return { dir, db: await openDb(loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, DATABASE_SCHEMA: 'app' })) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('embedded PGlite in a worker thread', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await open()).db;
    await db.exec(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL UNIQUE);
                   CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);`);
  });
  afterAll(() => db.close());

  it('returns the same values as PGlite on the calling thread', async () => {
    const sql = `SELECT now() AS at, 42 AS n, 9007199254740993::bigint AS big, count(*) AS cnt, 12.50::numeric AS money,
                        true AS yes, NULL::text AS nothing, ARRAY['a', 'b "c"'] AS tags, '{"k": [1, {"z": null}]}'::jsonb AS doc,
                        '\\x00ff'::bytea AS bytes, gen_random_uuid() IS NOT NULL AS has_uuid, interval '1 day' AS span
                   FROM generate_series(1, 3)`;
    const direct = await PGlite.create();
    try {
      const here = (await direct.query<Record<string, unknown>>(sql)).rows[0]!;
      const there = (await db.query<Record<string, unknown>>(sql)).rows[0]!;
      expect(there.at).toBeInstanceOf(Date);
      expect({ ...there, at: null }).toEqual({ ...here, at: null });
      expect(there.tags).toEqual(['a', 'b "c"']);
      expect(there.doc).toEqual({ k: [1, { z: null }] });
      // Parameters cross too: arrays, dates, JSON, null.
      const when = new Date('2030-01-02T03:04:05.678Z');
      const { rows } = await db.query<{ d: Date; a: string[]; j: unknown; n: null }>(
        'SELECT $1::timestamptz AS d, $2::text[] AS a, $3::jsonb AS j, $4::int AS n',
        [when, ['x', 'NULL', '{}'], JSON.stringify({ ok: true }), null],
      );
      expect(rows[0]).toEqual({ d: when, a: ['x', 'NULL', '{}'], j: { ok: true }, n: null });
    } finally {
      await direct.close();
    }
  });

  it('keeps the SQLSTATE and fields of errors, so unique violations are recognised', async () => {
    await db.query('INSERT INTO items VALUES (1, $1)', ['one']);
    const err = await db.query('INSERT INTO items VALUES (2, $1)', ['one']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', constraint: 'items_name_key', table: 'items', message: expect.stringContaining('duplicate key') });
    const syntax = await db.query('SELEC 1').catch((e: unknown) => e);
    expect(syntax).toMatchObject({ code: '42601' });
    // Inside a transaction too, and the transaction is rolled back.
    const inTx = await db
      .tx(async (q) => {
        await q.query('INSERT INTO items VALUES (3, $1)', ['three']);
        await q.query('INSERT INTO items VALUES (4, $1)', ['one']);
      })
      .catch((e: unknown) => e);
    expect(inTx).toMatchObject({ code: '23505' });
    expect((await db.query('SELECT id FROM items ORDER BY id')).rows).toEqual([{ id: 1 }]);
  });

  it('never runs another caller’s statement inside an open transaction', async () => {
    let outside: Promise<unknown> | undefined;
    const rolledBack = db
      .tx(async (q) => {
        await q.query('INSERT INTO items VALUES (10, $1)', ['inside']);
        // Someone else writes while this transaction is open, then it rolls back.
        outside = db.query('INSERT INTO items VALUES (11, $1)', ['outside']);
        await sleep(50);
        const { rows } = await q.query('SELECT id FROM items WHERE id >= 10 ORDER BY id');
        expect(rows).toEqual([{ id: 10 }]);
        throw new Error('changed my mind');
      })
      .catch((e: unknown) => e);
    expect(await rolledBack).toMatchObject({ message: 'changed my mind' });
    await outside;
    expect((await db.query('SELECT id FROM items WHERE id >= 10 ORDER BY id')).rows).toEqual([{ id: 11 }]);
  });

  it('runs concurrent transactions one after another', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.tx(async (q) => {
          const { rows } = await q.query<{ n: number }>('SELECT n FROM counter');
          await sleep(1);
          await q.query('UPDATE counter SET n = $1', [rows[0]!.n + 1]);
        }),
      ),
    );
    expect((await db.query('SELECT n FROM counter')).rows).toEqual([{ n: 20 }]);
  });

  it('leaves the event loop free while a slow query runs', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    try {
      await db.query('SELECT count(*) FROM generate_series(1, 3000000)');
    } finally {
      clearInterval(timer);
    }
    const took = Date.now() - started;
    expect(took).toBeGreaterThan(100); // slow enough to show anything
    expect(ticks).toBeGreaterThan(took / 5 / 4);
  });
});

describe('closing the embedded store', () => {
  it('ends the worker, refuses later calls as unavailable, and reopens the same files', async () => {
    const { dir, db } = await open();
    await db.exec('CREATE TABLE kept (v text)');
    await db.tx((q) => q.query('INSERT INTO kept VALUES ($1)', ['survives']));
    await db.close();
    const after = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(toAppError(after).code).toBe(ErrorCode.UNAVAILABLE);
    const again = (await open(dir)).db;
    try {
      expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'survives' }]);
    } finally {
      await again.close();
    }
  });
});
