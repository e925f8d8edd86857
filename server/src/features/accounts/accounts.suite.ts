import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../infra/db.js';
import { SessionService } from './sessions.js';
import { signUp, startTestServer, uniqueHandle, type TestServer, type TestServerOptions } from '../../test/harness.js';

/**
 * The account HTTP contract, run against PGlite (accounts.test.ts) and real Postgres
 * (accounts.pg.test.ts): the same queries must behave the same on both stores.
 */
export function accountSuite(label: string, opts: TestServerOptions) {
  describe(`accounts over HTTP (${label})`, () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer({ ...opts, env: { SIGNIN_MAX_ATTEMPTS: '1000', ...opts.env } });
    });
    const inject = (opts: InjectOptions) => srv.app.inject(opts);

    it('signs up, sets an httpOnly SameSite=Lax session cookie, and never echoes the password', async () => {
      const handle = uniqueHandle('Alice');
      const res = await inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { handle, displayName: '  Alice  ', password: 'a long password' },
      });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body.ok).toBe(true);
      expect(body.data).toMatchObject({ handle: handle.toLowerCase(), displayName: 'Alice', role: 'member', bio: '', tags: [] });
      expect(res.body).not.toContain('a long password');
      expect(res.body).not.toContain('scrypt');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^hm_session=/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
    });

    it('refuses a duplicate handle, whatever its case, with 409 HANDLE_TAKEN', async () => {
      const { handle } = await signUp(srv.app);
      const res = await inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { handle: handle.toUpperCase(), displayName: 'Other', password: 'another password' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ ok: false, error: { code: 'HANDLE_TAKEN' } });
    });

    it('refuses a short password, naming the field', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: { handle: uniqueHandle(), displayName: 'Bob', password: 'short' },
      });
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe('INVALID_PAYLOAD');
      expect(error.details).toEqual([expect.objectContaining({ path: 'password' })]);
    });

    it.each([
      ['malformed JSON', '{"handle": ', 400, 'INVALID_PAYLOAD'],
      ['wrong types', JSON.stringify({ handle: 42, displayName: [], password: true }), 400, 'INVALID_PAYLOAD'],
      ['unknown fields', JSON.stringify({ handle: 'zed_zed', displayName: 'Z', password: 'long password', role: 'admin' }), 400, 'INVALID_PAYLOAD'],
      ['a blank display name', JSON.stringify({ handle: 'blank_name', displayName: '   ', password: 'long password' }), 400, 'INVALID_PAYLOAD'],
      ['an oversize body', JSON.stringify({ handle: 'big_body', displayName: 'x'.repeat(200_000), password: 'long password' }), 413, 'PAYLOAD_TOO_LARGE'],
    ])('answers %s with %i and the error envelope', async (_label, payload, status, code) => {
      const res = await inject({
        method: 'POST',
        url: '/api/auth/signup',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
    });

    it('signs in with the right password and refuses a wrong one or unknown handle alike', async () => {
      const { handle, password } = await signUp(srv.app);
      const ok = await inject({ method: 'POST', url: '/api/auth/signin', payload: { handle, password } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().data.handle).toBe(handle);
      expect(String(ok.headers['set-cookie'])).toMatch(/^hm_session=/);

      const wrong = await inject({ method: 'POST', url: '/api/auth/signin', payload: { handle, password: 'not the password' } });
      const unknown = await inject({ method: 'POST', url: '/api/auth/signin', payload: { handle: 'nobody_here', password } });
      for (const res of [wrong, unknown]) {
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({ ok: false, error: { code: 'INVALID_CREDENTIALS', message: 'Wrong handle or password' } });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('shows and edits the profile only with a session', async () => {
      const { cookie, handle } = await signUp(srv.app);
      const anon = await inject({ method: 'GET', url: '/api/me' });
      expect(anon.statusCode).toBe(401);
      expect(anon.json().error.code).toBe('UNAUTHENTICATED');

      const me = await inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      expect(me.json().data.handle).toBe(handle);

      const patch = await inject({
        method: 'PATCH',
        url: '/api/me',
        headers: { cookie },
        payload: { bio: 'Rust と Postgres が好き', tags: ['Rust', 'postgres', 'rust', '機械学習'], avatarColor: '#3f88c5' },
      });
      expect(patch.statusCode).toBe(200);
      expect(patch.json().data).toMatchObject({
        handle,
        bio: 'Rust と Postgres が好き',
        tags: ['rust', 'postgres', '機械学習'],
        avatarColor: '#3f88c5',
      });
      const again = await inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      expect(again.json().data.tags).toEqual(['rust', 'postgres', '機械学習']);

      const bad = await inject({ method: 'PATCH', url: '/api/me', headers: { cookie }, payload: { avatarColor: 'red' } });
      expect(bad.statusCode).toBe(400);
      const anonPatch = await inject({ method: 'PATCH', url: '/api/me', payload: { bio: 'x' } });
      expect(anonPatch.statusCode).toBe(401);
    });

    it('looks up another user by handle, 404 for an unknown one', async () => {
      const a = await signUp(srv.app);
      const b = await signUp(srv.app);
      const res = await inject({ method: 'GET', url: `/api/users/${b.handle}`, headers: { cookie: a.cookie } });
      expect(res.json().data).toMatchObject({ handle: b.handle, id: b.user.id });
      const none = await inject({ method: 'GET', url: '/api/users/no_such_user', headers: { cookie: a.cookie } });
      expect(none.statusCode).toBe(404);
      expect(none.json().error.code).toBe('NOT_FOUND');
    });

    it('looks up a storm of handshakes together: a few statements for 600 tokens, each answered as its own', async () => {
      const { db } = srv.app.ctx;
      let statements = 0;
      const counting: Db = { ...db, query: (sql: string, params?: unknown[]) => (statements++, db.query(sql, params)) } as Db;
      const sessions = new SessionService(counting, 'a test secret', 3_600_000);
      const people = [await signUp(srv.app), await signUp(srv.app), await signUp(srv.app)];
      const issued = await Promise.all(Array.from({ length: 500 }, (_, i) => sessions.create(people[i % 3]!.user.id, {}).then((s) => ({ ...s, who: people[i % 3]! }))));
      for (const s of issued.slice(0, 50)) await sessions.revoke(s.sessionId);
      const resolve = sessions.resolverWith(['ARRAY[u.handle]', "u.handle || '!'"], { maxBatch: 128, lanes: 2 });
      const asked = [...issued.map((s) => s.token), ...Array.from({ length: 100 }, (_, i) => `not-a-token-${i}`)];
      statements = 0;
      const found = await Promise.all([...asked, issued[60]!.token, undefined, 'x'.repeat(101)].map((t) => resolve(t)));
      expect(statements).toBeLessThanOrEqual(Math.ceil(asked.length / 128) + 2);
      issued.forEach((s, i) => {
        if (i < 50) expect(found[i]).toBeNull();
        else expect(found[i]).toEqual({ principal: { sessionId: s.sessionId, userId: s.who.user.id, handle: s.who.handle.toLowerCase(), role: 'member' }, values: [[s.who.handle.toLowerCase()], `${s.who.handle.toLowerCase()}!`] });
      });
      expect(found.slice(500, 600).every((f) => f === null)).toBe(true);
      expect(found[600]).toEqual(found[60]);
      expect(found.slice(601)).toEqual([null, null]);
      // The HTTP path resolves one token the same way.
      expect(await sessions.resolve(issued[70]!.token)).toEqual((found[70] as { principal: unknown }).principal);
      expect(await sessions.resolve(issued[10]!.token)).toBeNull();
    });

    it('revokes the session on sign-out, so the old cookie stops working', async () => {
      const { cookie } = await signUp(srv.app);
      const out = await inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie } });
      expect(out.statusCode).toBe(200);
      expect(String(out.headers['set-cookie'])).toMatch(/hm_session=;/);
      const me = await inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      expect(me.statusCode).toBe(401);
    });

    it('refuses state-changing requests from another site’s page', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/auth/signin',
        headers: { origin: 'https://evil.example' },
        payload: { handle: 'whoever', password: 'whatever pw' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('ORIGIN_NOT_ALLOWED');
    });
  });
}
