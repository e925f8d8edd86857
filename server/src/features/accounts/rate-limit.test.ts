import { describe, expect, it } from 'vitest';
import { signUp, startTestServer } from '../../test/harness.js';

describe('sign-in rate limiting', () => {
  it('refuses attempts past the limit with 429, a retry-after, and no session, even with the right password', async () => {
    const srv = await startTestServer({ env: { SIGNIN_MAX_ATTEMPTS: '3', SIGNIN_WINDOW_SECONDS: '60' } });
    const { handle, password } = await signUp(srv.app);
    const attempt = (pw: string, ip = '10.0.0.1') =>
      srv.app.inject({ method: 'POST', url: '/api/auth/signin', payload: { handle, password: pw }, remoteAddress: ip });
    for (let i = 0; i < 3; i++) expect((await attempt('wrong password')).statusCode).toBe(401);
    const limited = await attempt(password);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['set-cookie']).toBeUndefined();
    // The per-handle limit holds from another IP too: guessing one account from many IPs is slowed.
    expect((await attempt(password, '10.0.0.2')).statusCode).toBe(429);
  });
});
