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
});
