import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite } from './pglite-open.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});
async function tempDir() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hm-open-'));
  dirs.push(dir);
  return dir;
}

/** A create that leaves half an initdb behind and crashes the first `crashes` times. */
function crashing(crashes: number) {
  const seen: string[][] = [];
  const create = async (dir: string) => {
    seen.push(await fs.readdir(dir));
    if (seen.length <= crashes) {
      await fs.writeFile(path.join(dir, 'PG_VERSION'), '17\n');
      await fs.writeFile(path.join(dir, 'half-made'), '');
      throw new WebAssembly.RuntimeError('memory access out of bounds');
    }
    return 'opened';
  };
  return { create, seen };
}

describe('opening the embedded database', () => {
  it('runs initdb again in a clean directory when a brand-new database crashes in the WASM', async () => {
    const dir = await tempDir();
    const { create, seen } = crashing(2);
    await expect(openPglite(dir, create)).resolves.toBe('opened');
    expect(seen).toEqual([[], [], []]);
  });

  it('gives up after the last attempt with the crash itself', async () => {
    const dir = await tempDir();
    const { create, seen } = crashing(5);
    await expect(openPglite(dir, create, 3)).rejects.toThrow('memory access out of bounds');
    expect(seen).toHaveLength(3);
  });

  it('never removes an existing database, and reports its crash at once', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'PG_VERSION'), '17\n');
    await fs.writeFile(path.join(dir, 'users-data'), 'keep me');
    const { create, seen } = crashing(1);
    await expect(openPglite(dir, create)).rejects.toThrow(WebAssembly.RuntimeError);
    expect(seen).toHaveLength(1);
    expect(await fs.readFile(path.join(dir, 'users-data'), 'utf8')).toBe('keep me');
  });

  it('does not retry an ordinary error (a bad directory, a locked file)', async () => {
    const dir = await tempDir();
    let calls = 0;
    const create = async () => {
      calls++;
      throw new Error('EACCES');
    };
    await expect(openPglite(dir, create)).rejects.toThrow('EACCES');
    expect(calls).toBe(1);
  });
});
