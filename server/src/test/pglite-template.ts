/**
 * Embedded clusters for tests and the bench. PGlite's initdb (the first open of an empty
 * directory) costs 5–6 s of WASM on a 2-vCPU VM, and applying the migrations about 1 s more,
 * while most tests only need a database of their own. So one cluster per PGlite version (empty,
 * or migrated, then also per migration set) is built once per machine, kept under `cacheDir`, and
 * copied (about 0.1 s) into each new DATA_DIR. Tests about the first start itself still run
 * initdb (restart.test.ts, pglite-open.test.ts) and every migration (restart.test.ts), as does
 * building a template.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { openDb, type Db } from '../infra/db.js';
import { migrate, migrations } from '../infra/migrations.js';
import { exists } from '../infra/pglite-open.js';

/** Where tests keep the cached cluster; the bench passes its own `bench/results/cache`. */
const TEST_PGLITE_CACHE = path.join(os.tmpdir(), 'hm-pglite-template');

/** Gives `dataDir` (empty) an empty cluster, building the cached one first if this machine has none. */
export async function withEmptyPgliteCluster(dataDir: string, cacheDir = TEST_PGLITE_CACHE) {
  await withCachedCluster(dataDir, cacheDir, `pglite-${pgliteVersion()}`, async () => {});
}

/**
 * Gives `dataDir` (empty) a cluster with every migration applied in the default schema, as a
 * server leaves it after its first start. The cache is keyed by the migrations' text, so a
 * changed or added migration builds a new one.
 */
export async function withMigratedPgliteCluster(dataDir: string, cacheDir = TEST_PGLITE_CACHE) {
  const key = createHash('sha256').update(JSON.stringify(migrations)).digest('hex').slice(0, 12);
  await withCachedCluster(dataDir, cacheDir, `pglite-${pgliteVersion()}-migrated-${key}`, async (db) => {
    await migrate(db);
  });
}

async function withCachedCluster(dataDir: string, cacheDir: string, name: string, build: (db: Db) => Promise<void>) {
  const cached = path.join(cacheDir, name);
  if (!(await exists(path.join(cached, 'pglite', 'PG_VERSION')))) {
    // Built beside the cache and renamed into place, so a run cut short leaves no half cluster.
    await fs.mkdir(cacheDir, { recursive: true });
    const building = await fs.mkdtemp(path.join(cacheDir, 'building-'));
    try {
      const db = await openDb(loadConfig({ NODE_ENV: 'test', DATA_DIR: building }));
      try {
        await build(db);
      } finally {
        await db.close();
      }
      await fs.rename(building, cached).catch((err: NodeJS.ErrnoException) => {
        // Another process cached it first: keep theirs.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await fs.rm(building, { recursive: true, force: true });
    }
  }
  await fs.cp(cached, dataDir, { recursive: true });
}

/** A fresh temporary DATA_DIR holding a cluster with every migration applied. */
export async function freshPgliteDir(prefix: string) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await withMigratedPgliteCluster(dir);
  return dir;
}

/** The installed PGlite's version (its package.json is not in its exports map). */
function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@electric-sql/pglite');
  const root = entry.slice(0, entry.lastIndexOf(`${path.sep}pglite${path.sep}`) + '/pglite'.length);
  return (require(path.join(root, 'package.json')) as { version: string }).version;
}
