import { describe } from 'vitest';
import { loadConfig } from '../../config.js';
import { openDb } from '../../infra/db.js';
import { migrate } from '../../infra/migrations.js';
import { ownPostgresSchema, serviceAvailable, TEST_DATABASE_URL } from '../../test/services.js';
import { groupCommitSuite } from './group-commit.suite.js';

const { schema, opened } = ownPostgresSchema();

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
