import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { signUp, startTestServer } from './test/harness.js';

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, 'cli.ts');

describe('admin command', () => {
  // Two CLI processes from source (tsx) and three opens of the embedded store: 12–15 s here, so
  // more room than the unit project's 20 s default on a slower or busier machine.
  it('grants admin to an existing user, and says so when the handle is unknown', { timeout: 60_000 }, async () => {
    const srv = await startTestServer({ env: { SESSION_SECRET: '' } });
    const { handle, cookie } = await signUp(srv.app);
    await srv.close(); // PGlite allows one process at a time on a DATA_DIR
    const env = { ...process.env, DATA_DIR: srv.dataDir, LOG_LEVEL: 'silent' };
    // Runs from source: `source` makes @hackmeshi/shared resolve to shared/src, so no build is needed.
    const node = (args: string[]) => run(process.execPath, ['--conditions=source', '--import', 'tsx', cli, ...args], { env });
    const out = await node(['grant-admin', handle]);
    expect(out.stdout).toContain(`${handle} is now admin`);
    await expect(node(['grant-admin', 'nobody_at_all'])).rejects.toMatchObject({ code: 1 });

    const again = await startTestServer({ dataDir: srv.dataDir, env: { SESSION_SECRET: '' } });
    const me = await again.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.json().data.role).toBe('admin');
  });
});
