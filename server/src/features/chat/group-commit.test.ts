import fs from 'node:fs/promises';
import { afterAll } from 'vitest';
import { loadConfig } from '../../config.js';
import { openDb, type Db } from '../../infra/db.js';
import { migrate } from '../../infra/migrations.js';
import { freshPgliteDir } from '../../test/pglite-template.js';
import { groupCommitSuite } from './group-commit.suite.js';

let db: Db | undefined;
let dir = '';
afterAll(async () => {
  await db?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

groupCommitSuite('PGlite', async () => {
  dir = await freshPgliteDir('hm-gc-');
  db = await openDb(loadConfig({ NODE_ENV: 'test', DATA_DIR: dir }));
  await migrate(db);
  // One connection: the same database plays both nodes, one batch at a time.
  return { db, other: db, lanes: 1 };
});
