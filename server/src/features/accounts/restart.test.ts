import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signUp, startTestServer } from '../../test/harness.js';

describe('embedded store survives a restart', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('keeps accounts, profiles and sessions on the same DATA_DIR, with a generated dev secret', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hm-restart-'));
    dirs.push(dataDir);
    // No SESSION_SECRET: the development secret is generated into DATA_DIR and reused.
    const env = { SESSION_SECRET: '' };

    const first = await startTestServer({ dataDir, env });
    const { cookie, handle, password } = await signUp(first.app);
    await first.app.inject({ method: 'PATCH', url: '/api/me', headers: { cookie }, payload: { bio: 'persisted' } });
    await first.close();
    expect((await fs.stat(path.join(dataDir, 'session-secret'))).mode & 0o777).toBe(0o600);

    const second = await startTestServer({ dataDir, env });
    const signIn = await second.app.inject({ method: 'POST', url: '/api/auth/signin', payload: { handle, password } });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json().data).toMatchObject({ handle, bio: 'persisted' });
    const stillIn = await second.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(stillIn.statusCode).toBe(200);
    await second.close();
  });
});
