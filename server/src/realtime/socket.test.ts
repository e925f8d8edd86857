import { beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@hackmeshi/shared';
import { connect, nextEvent, sessionCookie, signUp, startTestServer, type TestServer } from '../test/harness.js';

const refusalOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the handshake to be refused');
    },
    (err: { data?: { code?: string } }) => err.data,
  );

describe('socket handshake and boundary', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });

  it('connects with the session cookie and knows who it is', async () => {
    const { cookie, user } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    const ack = await socket.timeout(3_000).emitWithAck('session:whoami', {});
    expect(ack).toEqual({ ok: true, data: expect.objectContaining({ id: user.id, handle: user.handle }) });
  });

  it('sorts out a crowd of simultaneous handshakes: each socket is its own user, a signed-out cookie is refused', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => signUp(srv.app)));
    const gone = await signUp(srv.app);
    await srv.app.inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie: gone.cookie } });
    const [refused, ...sockets] = await Promise.all([
      refusalOf(connect(srv.url, { cookie: gone.cookie })),
      ...users.flatMap(({ cookie }) => [connect(srv.url, { cookie }), connect(srv.url, { cookie })]),
    ]);
    expect(refused).toMatchObject({ code: 'UNAUTHENTICATED' });
    const whoami = await Promise.all(sockets.map((s) => (s as Awaited<ReturnType<typeof connect>>).timeout(3_000).emitWithAck('session:whoami', {})));
    expect(whoami.map((a) => (a as { data: { id: string } }).data.id)).toEqual(users.flatMap(({ user }) => [user.id, user.id]));
  });

  it('accepts a same-origin browser page', async () => {
    const { cookie } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie, origin: srv.url });
    expect(socket.connected).toBe(true);
  });

  it('refuses a socket without a session, with UNAUTHENTICATED', async () => {
    expect(await refusalOf(connect(srv.url))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await refusalOf(connect(srv.url, { cookie: 'hm_session=forged-token' }))).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses a page from an origin not on the allowlist, even with a valid session', async () => {
    const { cookie } = await signUp(srv.app);
    expect(await refusalOf(connect(srv.url, { cookie, origin: 'https://evil.example' }))).toMatchObject({
      code: 'ORIGIN_NOT_ALLOWED',
    });
  });

  it('refuses a client speaking another protocol version, saying which', async () => {
    const { cookie } = await signUp(srv.app);
    const data = await refusalOf(connect(srv.url, { cookie, protocolVersion: PROTOCOL_VERSION + 1 }));
    expect(data).toMatchObject({ code: 'PROTOCOL_MISMATCH', details: { server: PROTOCOL_VERSION } });
  });

  it('answers bad payloads and unknown events with INVALID_PAYLOAD and stays up', async () => {
    const { cookie } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    const bad = await socket.timeout(3_000).emitWithAck('session:whoami', { extra: 1 } as never);
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const unknown = await (socket as unknown as { timeout(ms: number): { emitWithAck(e: string, p: unknown): Promise<unknown> } })
      .timeout(3_000)
      .emitWithAck('no:such-event', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const fine = await socket.timeout(3_000).emitWithAck('session:whoami', {});
    expect(fine.ok).toBe(true);
  });

  it('rate-limits a flood on one socket with RATE_LIMITED and a retry-after', async () => {
    const { cookie } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    const acks = await Promise.all(Array.from({ length: 80 }, () => socket.timeout(5_000).emitWithAck('session:whoami', {})));
    const limited = acks.filter((a) => !a.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ error: { code: 'RATE_LIMITED', details: { retryAfterMs: expect.any(Number) } } });
    expect(acks.filter((a) => a.ok).length).toBeGreaterThanOrEqual(50);
  });

  it('pushes a profile edit to the user’s other devices', async () => {
    const { cookie } = await signUp(srv.app);
    const other = await connect(srv.url, { cookie });
    const pushed = nextEvent(other, 'profile:updated');
    await srv.app.inject({ method: 'PATCH', url: '/api/me', headers: { cookie }, payload: { bio: 'new bio' } });
    expect((await pushed).bio).toBe('new bio');
  });

  it('ends the session’s sockets on sign-out, and refuses them on reconnect', async () => {
    const { cookie } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    const ended = nextEvent(socket, 'session:ended');
    const gone = new Promise((r) => socket.once('disconnect', r));
    await srv.app.inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie } });
    expect(await ended).toEqual({ reason: 'signed_out' });
    await gone;
    expect(await refusalOf(connect(srv.url, { cookie }))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('on sign-out ends only that session’s sockets: the same user’s other device stays connected', async () => {
    const { cookie, handle, password } = await signUp(srv.app);
    const res = await srv.app.inject({ method: 'POST', url: '/api/auth/signin', payload: { handle, password } });
    const otherCookie = sessionCookie(res.headers['set-cookie']);
    const leaving = await connect(srv.url, { cookie });
    const staying = await connect(srv.url, { cookie: otherCookie });
    let stayingEnded = false;
    staying.on('session:ended', () => (stayingEnded = true));
    const gone = new Promise((r) => leaving.once('disconnect', r));
    await srv.app.inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie } });
    await gone;
    // Still there, and still answering, after the other session's sockets were cut.
    const who = await staying.timeout(2_000).emitWithAck('session:whoami', {});
    expect(who).toMatchObject({ ok: true });
    expect(staying.connected).toBe(true);
    expect(stayingEnded).toBe(false);
  });

  it('counts connected sockets in /metrics and reports ready', async () => {
    const { cookie } = await signUp(srv.app);
    await connect(srv.url, { cookie });
    const metrics = await srv.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/hm_connected_sockets \d+/);
    expect(metrics.body).toMatch(/hm_socket_events_total\{event="session:whoami",outcome="ok"\} \d+/);
    expect(metrics.body).toMatch(/hm_socket_event_duration_seconds_count\{event="session:whoami"\} [1-9]/);
    // Earlier tests in this file sent bad payloads: refusals are counted by their code.
    expect(metrics.body).toMatch(/hm_socket_events_total\{event="[a-z:]+",outcome="INVALID_PAYLOAD"\} [1-9]/);
    expect(metrics.body).toMatch(/hm_db_query_duration_seconds_bucket/);
    const ready = await srv.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ ok: true, data: { db: 'up', redis: 'disabled', draining: false } });
    expect((await srv.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
