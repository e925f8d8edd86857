import { describe, expect, it } from 'vitest';
import { connect, nextEvent, signUp, startTestServer } from '../test/harness.js';
import { matchedPair, send, sleep } from '../test/fixtures.js';

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

  it('closes in time when a client has stopped reading, without waiting out the WebSocket close', async () => {
    const srv = await startTestServer();
    const { cookie } = await signUp(srv.app);
    const socket = await connect(srv.url, { cookie });
    // Like a phone that lost its network: no reads, so no answer to the closing handshake.
    const transport = socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; destroy(): void } } };
    transport.ws._socket.pause();
    const started = Date.now();
    await srv.close();
    // `ws` would wait 30 s for the answer; main.ts exits by force after SHUTDOWN_GRACE_MS + 5 s.
    expect(Date.now() - started).toBeLessThan(5_000);
    transport.ws._socket.destroy();
  });

  it('lets a message already sent commit and be acked before it closes, and keeps it', async () => {
    // A long batch wait holds the message in flight while the node starts shutting down.
    const env = { CHAT_BATCH_MAX_WAIT_MS: '300' };
    const srv = await startTestServer({ env });
    const { a, conversationId } = await matchedPair(srv);
    const sa = await a.socket();
    const acked = send(sa, conversationId, 'sent as the node drains');
    await sleep(50);
    await srv.close();
    expect(await acked).toMatchObject({ ok: true, data: { seq: 1 } });

    const again = await startTestServer({ env, dataDir: srv.dataDir });
    const history = await again.app.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages`, headers: { cookie: a.cookie } });
    expect(history.json().data.messages.map((m: { body: string }) => m.body)).toEqual(['sent as the node drains']);
  });
});
