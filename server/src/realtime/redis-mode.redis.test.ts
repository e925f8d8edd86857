import { describe, expect, it } from 'vitest';
import { connect, nextEvent, signUp, startTestServer } from '../test/harness.js';
import { serviceAvailable } from '../test/services.js';

const available = await serviceAvailable('redis');

describe.skipIf(!available)('with REDIS_URL set', () => {
  it('reports Redis in /readyz, delivers user events through the adapter, and keeps presence in Redis', async () => {
    const srv = await startTestServer({ redis: true });
    const ready = await srv.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ ok: true, data: { db: 'up', redis: 'up', draining: false } });

    const { cookie, user } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    const pushed = nextEvent(socket, 'profile:updated');
    await srv.app.inject({ method: 'PATCH', url: '/api/me', headers: { cookie }, payload: { bio: 'via redis' } });
    expect((await pushed).bio).toBe('via redis');

    await expect.poll(async () => (await srv.app.ctx.presence.status([user.id])).get(user.id)?.online).toBe(true);
    socket.disconnect();
    await expect.poll(async () => (await srv.app.ctx.presence.status([user.id])).get(user.id)?.online).toBe(false);
  });
});
