import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as ioc } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@hackmeshi/shared';
import { serviceAvailable } from '../../src/test/services.js';
import {
  eventually,
  freePort,
  matchedPair,
  metricValue,
  nextEvent,
  nonce,
  onCleanup,
  sleep,
  startCluster,
  type Client,
  type ServerNode,
} from './cluster.js';

/**
 * The deployment's own nginx.conf, rendered for local ports by deploy/local-nginx.sh, run by the
 * real nginx from Debian in front of two nodes. Two users reach different nodes through it, one
 * over WebSocket and one over long-polling (which only works if the upstream is sticky), and chat.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const nginxBin = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p)) ?? null;
if (!nginxBin && process.env.CI) throw new Error('nginx is required under CI=true (apt-get install nginx)');
const services = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));

/** Starts nginx on a rendered copy of deploy/nginx.conf; stopped at the end of the file. */
async function startNginx(upstreams: [string, string]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hm-nginx-'));
  // Workers may run as an unprivileged user when the test runs as root.
  await fs.chmod(dir, 0o755);
  const port = await freePort();
  execFileSync('bash', [path.join(repoRoot, 'deploy/local-nginx.sh'), dir, String(port), ...upstreams]);
  await fs.chmod(path.join(dir, 'temp'), 0o777);
  const proc = spawn(nginxBin!, ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', path.join(dir, 'logs/error.log'), '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  onCleanup(async () => {
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGQUIT');
    await Promise.race([gone, sleep(3_000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  });
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    10_000,
    'nginx to listen',
  );
  return `http://127.0.0.1:${port}`;
}

/** A socket through nginx from a chosen loopback source address (nginx hashes on it). */
function connectVia(url: string, cookie: string, from: string, transports: ('websocket' | 'polling')[]): Promise<Client> {
  const agent = new http.Agent({ localAddress: from, keepAlive: true });
  const socket: Client = ioc(url, {
    transports,
    upgrade: false,
    reconnection: false,
    forceNew: true,
    extraHeaders: { cookie },
    auth: { protocolVersion: PROTOCOL_VERSION },
    // engine.io-client hands `agent` to Node's http/ws; its type only describes the browser.
    agent: agent as unknown as string,
  });
  onCleanup(async () => {
    socket.disconnect();
    agent.destroy();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => (socket.disconnect(), reject(err)));
  });
}

const socketsOn = async (node: ServerNode) => metricValue(await node.metrics(), 'hm_connected_sockets');

describe.runIf(services && nginxBin)('behind the real nginx', () => {
  it('two users on different nodes chat through it, over WebSocket and over sticky long-polling', async () => {
    const cluster = await startCluster({ nodes: 2, env: { TRUST_PROXY: 'true' } });
    const [n1, n2] = cluster.nodes as [ServerNode, ServerNode];
    const proxy = await startNginx([`127.0.0.1:${n1.port}`, `127.0.0.1:${n2.port}`]);
    const p = await matchedPair(n1, n2);

    // The HTTP API answers through nginx too.
    const match = await p.a.call(proxy, 'GET', `/api/matches/${p.matchId}`);
    expect(match.status).toBe(200);

    // nginx hashes the client address: find a source address that lands on each node.
    const landing = new Map<ServerNode, string>();
    for (let i = 2; i < 64 && landing.size < 2; i++) {
      const from = `127.0.0.${i}`;
      const probe = await connectVia(proxy, p.a.cookie, from, ['websocket']);
      const [c1, c2] = [await socketsOn(n1), await socketsOn(n2)];
      const on = c1 === 1 ? n1 : c2 === 1 ? n2 : null;
      if (on && !landing.has(on)) landing.set(on, from);
      probe.disconnect();
      await eventually(async () => (await socketsOn(n1)) + (await socketsOn(n2)) === 0, 5_000, 'probe to close');
    }
    expect(landing.size).toBe(2);

    const a = await connectVia(proxy, p.a.cookie, landing.get(n1)!, ['websocket']);
    // Long-polling is a series of requests; each must reach the node holding the session.
    const b = await connectVia(proxy, p.b.cookie, landing.get(n2)!, ['polling']);
    expect([await socketsOn(n1), await socketsOn(n2)]).toEqual([1, 1]);

    const toB = nextEvent(b, 'chat:sent', 10_000, (m) => m.body === 'こんにちは via nginx');
    const sent = await a.timeout(10_000).emitWithAck('chat:send', { conversationId: p.conversationId, nonce: nonce(), body: 'こんにちは via nginx' });
    expect(sent.ok).toBe(true);
    expect((await toB).body).toBe('こんにちは via nginx');

    // (A also hears its own first message; wait for B's.)
    const toA = nextEvent(a, 'chat:sent', 10_000, (m) => m.body === 'polling reply');
    const reply = await b.timeout(10_000).emitWithAck('chat:send', { conversationId: p.conversationId, nonce: nonce(), body: 'polling reply' });
    expect(reply.ok).toBe(true);
    expect((await toA).body).toBe('polling reply');
    // Still one socket per node: the polling client never got "Session ID unknown" and reconnected.
    expect([await socketsOn(n1), await socketsOn(n2)]).toEqual([1, 1]);
  });
});
