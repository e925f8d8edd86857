import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ErrorCode } from '@hackmeshi/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPgliteDir } from '../test/pglite-template.js';
import { toAppError } from './errors.js';
import { createDurablePglite, durableStartParams, syncTree } from './pglite-durable.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});
/** The database directory of a fresh DATA_DIR (a copy of the tests' cached cluster). */
async function cluster() {
  const dataDir = await freshPgliteDir('hm-durable-');
  dirs.push(dataDir);
  return path.join(dataDir, 'pglite');
}

/** A sync that really syncs, and records which file each call was for. */
function watchedSync() {
  const files: string[] = [];
  let fail: NodeJS.ErrnoException | null = null;
  const sync = (fd: number) => {
    files.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    if (fail) throw fail;
    fs.fsyncSync(fd);
  };
  return { sync, files, failWith: (err: NodeJS.ErrnoException) => (fail = err) };
}

describe('embedded PGlite with durable commits', () => {
  it('starts Postgres with fsync on, keeping the rest of PGlite’s own parameters', () => {
    const params = durableStartParams(['--single', '-F', '-O', '-c', 'search_path=public']);
    expect(params).toEqual(['--single', '-O', '-c', 'search_path=public', '-c', 'fsync=on', '-c', 'wal_sync_method=fsync']);
  });

  it('syncs a whole new cluster once, every file and directory, children first', async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'hm-durable-tree-'));
    dirs.push(root);
    await fsp.mkdir(path.join(root, 'base', '1'), { recursive: true });
    await fsp.writeFile(path.join(root, 'PG_VERSION'), '17\n');
    await fsp.writeFile(path.join(root, 'base', '1', '1259'), 'x');
    const watch = watchedSync();
    syncTree(root, watch.sync);
    const order = watch.files.map((f) => path.relative(root, f));
    expect([...order].sort()).toEqual(['', 'PG_VERSION', 'base', path.join('base', '1'), path.join('base', '1', '1259')]);
    const at = (p: string) => order.indexOf(p);
    expect(at(path.join('base', '1', '1259'))).toBeLessThan(at(path.join('base', '1')));
    expect(at(path.join('base', '1'))).toBeLessThan(at('base'));
    expect(order.at(-1)).toBe('');
  });

  it('syncs the WAL to disk before a commit returns, and leaves reads alone', async () => {
    const watch = watchedSync();
    const lite = await createDurablePglite(await cluster(), watch.sync);
    try {
      expect((await lite.query('SHOW fsync')).rows).toEqual([{ fsync: 'on' }]);
      await lite.exec('CREATE TABLE msgs (id serial PRIMARY KEY, body text)');

      watch.files.length = 0;
      await lite.query('INSERT INTO msgs (body) VALUES ($1)', ['hello']);
      expect(watch.files.some((f) => f.includes(`${path.sep}pg_wal${path.sep}`))).toBe(true);

      watch.files.length = 0;
      await lite.transaction(async (tx) => {
        for (const body of ['a', 'b', 'c']) await tx.query('INSERT INTO msgs (body) VALUES ($1)', [body]);
      });
      // One transaction, one WAL sync, whatever it holds: what group commit shares.
      expect(watch.files.filter((f) => f.includes(`${path.sep}pg_wal${path.sep}`))).toHaveLength(1);

      watch.files.length = 0;
      await lite.query('SELECT count(*) FROM msgs');
      expect(watch.files).toEqual([]);
    } finally {
      await lite.close();
    }
  });

  it('fails the commit when the disk cannot sync it, so nothing unsynced is acknowledged', async () => {
    const watch = watchedSync();
    const lite = await createDurablePglite(await cluster(), watch.sync);
    await lite.exec('CREATE TABLE msgs (id serial PRIMARY KEY, body text)');
    watch.failWith(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5 }));
    const err = await lite.query('INSERT INTO msgs (body) VALUES ($1)', ['lost?']).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.stringMatching(/could not fsync/), code: '58030', severity: 'PANIC' });
    // The sender is told to retry (the nonce makes a retry safe), not that the server has a bug.
    expect(toAppError(err).code).toBe(ErrorCode.UNAVAILABLE);
    // Postgres has PANICked; this instance is not used again (the worker exits, see pglite-worker.ts).
  });

  it('recovers after the process is killed with the database open, keeping every commit', { timeout: 60_000 }, async () => {
    const dir = await cluster();
    const fixture = path.resolve(import.meta.dirname, 'pglite-durable.crash-fixture.ts');
    const child = run(process.execPath, ['--conditions=source', '--import', 'tsx', fixture, dir, '50']);
    const killed = await child.then(
      () => null,
      (err: { signal?: string; stdout?: string }) => err,
    );
    expect(killed).toMatchObject({ signal: 'SIGKILL', stdout: 'committed 50\n' });

    // Opening after a crash replays the WAL and, with fsync on, first syncs the whole data directory.
    const watch = watchedSync();
    const lite = await createDurablePglite(dir, watch.sync);
    try {
      expect(watch.files.length).toBeGreaterThan(100);
      expect((await lite.query('SELECT count(*)::int AS n, max(n) AS top FROM kept')).rows).toEqual([{ n: 50, top: 50 }]);
    } finally {
      await lite.close();
    }
  });
});
