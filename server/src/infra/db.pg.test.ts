import { randomBytes } from 'node:crypto';
import { ErrorCode } from '@hackmeshi/shared';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { serviceAvailable, TEST_DATABASE_URL } from '../test/services.js';
import { openDb, type Db } from './db.js';
import { toAppError } from './errors.js';

const schema = `t_${randomBytes(5).toString('hex')}`;
const opened: Db[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
  if (opened.length === 0) return;
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
});

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
});
