import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { loadConfig } from '../../config.js';
import { openDb, type Db } from '../../infra/db.js';
import { migrate } from '../../infra/migrations.js';
import { serviceAvailable, TEST_DATABASE_URL } from '../../test/services.js';
import { groupCommitSuite } from './group-commit.suite.js';

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
describe.skipIf(!available)('on real Postgres', () => {
  groupCommitSuite('Postgres', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema });
    // Two pools on one schema: two server nodes sharing the database.
    const db = await openDb(config);
    opened.push(db);
    await migrate(db);
    const other = await openDb(config);
    opened.push(other);
    return { db, other, lanes: 3 };
  });
});
