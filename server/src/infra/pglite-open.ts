import fs from 'node:fs/promises';
import path from 'node:path';

/** How many times creating a brand-new embedded database is tried before the error stands. */
export const FRESH_ATTEMPTS = 3;

/**
 * Opens the embedded database in `dir` with `create`. PGlite's initdb (the first open of an empty
 * directory) now and then dies inside the WASM with a `RuntimeError` (upstream, intermittent; see
 * decisions.md). When the directory held no database before this call, that crash lost nothing:
 * the half-made files are removed and initdb runs again. An existing database is never removed.
 */
export async function openPglite<T>(dir: string, create: (dir: string) => Promise<T>, attempts = FRESH_ATTEMPTS): Promise<T> {
  const fresh = !(await exists(path.join(dir, 'PG_VERSION')));
  for (let attempt = 1; ; attempt++) {
    try {
      return await create(dir);
    } catch (err) {
      if (!fresh || !isWasmTrap(err) || attempt >= attempts) throw err;
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
    }
  }
}

/** A WebAssembly trap (`WebAssembly.RuntimeError`; the server's types have no DOM lib to name it). */
function isWasmTrap(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError';
}

/** Whether `file` exists (also used by the tests' PGlite template). */
export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
