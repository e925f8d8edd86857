import { ErrorCode } from '@hackmeshi/shared';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { ownPostgresSchema, serviceAvailable, TEST_DATABASE_URL } from '../test/services.js';
import { openDb } from './db.js';
import { toAppError } from './errors.js';

const { schema, opened } = ownPostgresSchema();

const available = await serviceAvailable('postgres');
describe.skipIf(!available)('Postgres pool', () => {
  it('answers a caller who waited too long for a free connection with the retryable UNAVAILABLE, not INTERNAL', async () => {
    const db = await openDb(loadConfig({ NODE_ENV: 'test', DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: '1' }));
    opened.push(db);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The one connection stays busy, as every connection does in a reconnect storm.
    const busy = db.tx(() => held);
    const waited = await db.query('SELECT 1').catch((e: unknown) => e);
    release();
    await busy;
    expect((waited as Error).message).toMatch(/timeout/i);
    expect(toAppError(waited).code).toBe(ErrorCode.UNAVAILABLE);
    // And the pool works again once the connection is free.
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  }, 15_000);

  it('prepares a named statement once per connection, inside transactions too, and answers it as before', async () => {
    const db = await openDb(loadConfig({ NODE_ENV: 'test', DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: '1' }));
    opened.push(db);
    const sql = 'SELECT $1::int + 1 AS n';
    expect((await db.query<{ n: number }>(sql, [1], { name: 'probe_add' })).rows).toEqual([{ n: 2 }]);
    expect((await db.query<{ n: number }>(sql, [41], { name: 'probe_add' })).rows).toEqual([{ n: 42 }]);
    expect(await db.tx(async (q) => (await q.query<{ n: number }>(sql, [9], { name: 'probe_add' })).rows)).toEqual([{ n: 10 }]);
    // The pool's one connection holds it under that name; an unnamed statement leaves nothing.
    await db.query('SELECT $1::int AS unnamed', [1]);
    const { rows } = await db.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements');
    expect(rows).toEqual([{ name: 'probe_add', statement: sql }]);
  });
});
