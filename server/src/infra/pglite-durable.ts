/**
 * Embedded PGlite whose commits reach the disk before they return.
 *
 * As shipped, PGlite in Node does not make a commit durable, for two reasons:
 * - it starts Postgres with `-F` (`fsync = off`);
 * - the Emscripten file system it mounts for a directory (NODEFS) has no fsync. Postgres's
 *   `fdatasync` is a no-op there, and `fsync` reaches a stream operation that NODEFS lacks.
 *
 * So a committed row reached the OS's page cache and no further. It survived the process dying,
 * but not a kernel crash or a power cut, after the client had its ack. Here Postgres runs with
 * `fsync = on` and `wal_sync_method = fsync`, and NODEFS gets the missing operation, a real
 * `fsync(2)` on the file's descriptor. A commit then costs one WAL fsync, which group commit
 * shares among a batch, as it does on PostgreSQL (docs/decisions.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** The Postgres settings that make a commit wait for its WAL to be on disk. */
const DURABLE_SETTINGS = ['-c', 'fsync=on', '-c', 'wal_sync_method=fsync'] as const;

/** PGlite's own start parameters, without `-F` (fsync off), plus {@link DURABLE_SETTINGS}. */
export function durableStartParams(defaults: readonly string[] = PGlite.defaultStartParams): string[] {
  return [...defaults.filter((p) => p !== '-F'), ...DURABLE_SETTINGS];
}

/** The part of an Emscripten NODEFS stream this file uses: the host descriptor. */
interface NodefsStream {
  nfd: number;
}

/** The part of Emscripten's NODEFS this file touches. */
interface Nodefs {
  stream_ops: { fsync?: (stream: NodefsStream) => number };
  tryFSOperation<T>(op: () => T): T;
}

/** NODEFS with an fsync that calls `sync` (a real `fs.fsyncSync` unless a test watches it). */
class DurableNodeFS extends NodeFS {
  constructor(
    dir: string,
    private readonly sync: (fd: number) => void,
  ) {
    super(dir);
  }

  override async init(...args: Parameters<NodeFS['init']>): ReturnType<NodeFS['init']> {
    const result = await super.init(...args);
    const preRun = result.emscriptenOpts.preRun ?? [];
    preRun.push((mod) => {
      const nodefs = mod.NODEFS as unknown as Nodefs;
      // Errors come back as Emscripten's ErrnoError, which Postgres sees as a failed fsync
      // (it then stops rather than carry on with data it could not make durable).
      nodefs.stream_ops.fsync = (stream) =>
        nodefs.tryFSOperation(() => {
          this.sync(stream.nfd);
          return 0;
        });
    });
    result.emscriptenOpts.preRun = preRun;
    return result;
  }
}

/**
 * Opens the PGlite database in `dir` with durable commits. An empty `dir` gets a new cluster
 * first (PGlite's initdb, whose own final sync is a no-op on NODEFS), which is then synced whole.
 */
export async function createDurablePglite(dir: string, sync: (fd: number) => void = fs.fsyncSync): Promise<PGlite> {
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  const lite = await PGlite.create({ fs: new DurableNodeFS(dir, sync), startParams: durableStartParams() });
  if (fresh) syncTree(dir, sync);
  return lite;
}

/** Syncs every file and directory under `dir`, children before their directory. */
export function syncTree(dir: string, sync: (fd: number) => void = fs.fsyncSync) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) syncTree(p, sync);
    else if (entry.isFile()) syncPath(p, sync);
  }
  syncPath(dir, sync);
}

function syncPath(p: string, sync: (fd: number) => void) {
  const fd = fs.openSync(p, 'r');
  try {
    sync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
