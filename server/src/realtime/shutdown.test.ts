import { describe, expect, it } from 'vitest';
import { connect, nextEvent, signUp, startTestServer } from '../test/harness.js';

describe('graceful shutdown', () => {
  it('tells connected clients to reconnect elsewhere, then closes', async () => {
    const srv = await startTestServer();
    const { cookie } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    const draining = nextEvent(socket, 'server:draining');
    const gone = new Promise((r) => socket.once('disconnect', r));
    await srv.close();
    expect(await draining).toEqual({ reconnectAfterMs: expect.any(Number) });
    await gone;
    await expect(fetch(`${srv.url}/healthz`)).rejects.toThrow();
  });
});
