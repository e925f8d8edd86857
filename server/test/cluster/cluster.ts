import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { io as ioc, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll } from 'vitest';
import { PROTOCOL_VERSION, type ClientToServerEvents, type ServerToClientEvents } from '@hackmeshi/shared';
import { TEST_DATABASE_URL, TEST_REDIS_URL, deleteKeysAt, dropTestSchema } from '../../src/test/services.js';
export { nextEvent } from '../../src/test/next-event.js';

/**
 * The multi-node harness: real server processes (the same `main.ts` operators run) on random
 * ports, sharing one Postgres schema and one Redis prefix. Tests kill, drain and restart them,
 * and put a cuttable proxy in front of Postgres or a private redis-server under them.
 */

export type Client = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const rand = () => randomBytes(5).toString('hex');

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
}, 60_000);

/** Runs at the end of the test file, in reverse order of registration. */
export function onCleanup(fn: () => Promise<void>) {
  cleanups.push(fn);
}

/** One server process. */
export interface ServerNode {
  name: string;
  url: string;
  port: number;
  proc: ChildProcess;
  /** Everything the process printed (pino JSON lines), for failure messages. */
  output: string[];
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string>;
  alive(): boolean;
  /** SIGKILL: the process vanishes without closing anything, like a crashed machine. */
  kill(): Promise<void>;
  /** SIGTERM: a deploy; the node drains and exits by itself. */
  terminate(): Promise<number | string>;
  /** The node's Prometheus text. */
  metrics(): Promise<string>;
}

/** Reads one sample from Prometheus text (first series of that name, optionally with labels). */
export function metricValue(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `) || (!labels && l.startsWith(`${name}{`)));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A group of nodes sharing stores. `start()` adds a node with the cluster's environment. */
export interface Cluster {
  env: Record<string, string>;
  nodes: ServerNode[];
  schema: string;
  prefix: string;
  start(extraEnv?: Record<string, string>): Promise<ServerNode>;
}

export interface ClusterOptions {
  /** How many nodes to start now. */
  nodes: number;
  /** Postgres URL (defaults to the test database; pass a proxy's URL to cut it). */
  databaseUrl?: string;
  /** Redis URL (defaults to the shared test Redis). */
  redisUrl?: string;
  env?: Record<string, string>;
}

let nodeCount = 0;

/** Starts a cluster; the schema and keys are dropped, and the processes killed, at file end. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const schema = `c_${rand()}`;
  const prefix = `hmcluster:${rand()}:`;
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    // info: the harness reads the "ready" line (with the port) from the log.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    DATABASE_URL: opts.databaseUrl ?? TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    SESSION_SECRET: randomBytes(32).toString('base64'),
    PASSWORD_HASH_COST: '10',
    SIGNIN_MAX_ATTEMPTS: '10000',
    SHUTDOWN_GRACE_MS: '3000',
    ...opts.env,
  };
  const cluster: Cluster = {
    env,
    nodes: [],
    schema,
    prefix,
    async start(extraEnv = {}) {
      const node = await startNode({ ...env, ...extraEnv });
      cluster.nodes.push(node);
      return node;
    },
  };
  onCleanup(async () => {
    await Promise.all(cluster.nodes.map((n) => n.kill()));
    await dropTestSchema(schema);
    await deleteKeysAt(redisUrl, prefix);
  });
  // The first node migrates; the others start in parallel once the schema exists.
  if (opts.nodes > 0) await cluster.start();
  await Promise.all(Array.from({ length: opts.nodes - 1 }, () => cluster.start()));
  return cluster;
}

/** Spawns `server/src/main.ts` (through tsx) and resolves once it logs "ready" with its port. */
export async function startNode(env: Record<string, string>): Promise<ServerNode> {
  const name = `node${++nodeCount}`;
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If this test process ends without its cleanup (a crash, a kill), take the node with it.
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  const output: string[] = [];
  let exitValue: number | string | null = null;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      process.off('exit', reap);
      exitValue = code ?? signal ?? 'unknown';
      resolve(exitValue);
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output.join('')}`)), 30_000);
    let buffered = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as { msg?: string; port?: number };
          if (rec.msg === 'ready' && rec.port) {
            clearTimeout(timer);
            resolve(rec.port);
          }
        } catch {
          // not JSON; kept in output
        }
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before ready:\n${output.join('')}`));
    });
  });
  // Logging "ready" with a port happens after listen; nothing else to wait for.
  proc.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  const node: ServerNode = {
    name,
    url,
    port,
    proc,
    output,
    exited,
    alive: () => exitValue === null,
    async kill() {
      if (exitValue !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
    async terminate() {
      if (exitValue !== null) return exitValue;
      proc.kill('SIGTERM');
      return exited;
    },
    async metrics() {
      const res = await fetch(`${url}/metrics`);
      return res.text();
    },
  };
  return node;
}

/** A user signed up over real HTTP, able to call the API on any node and open sockets. */
export interface ApiUser {
  id: string;
  handle: string;
  cookie: string;
  /** Calls the API on a node; returns status and parsed body. */
  call(node: ServerNode | string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Opens a socket to a node (no automatic reconnection; tests decide where to go). */
  socket(node: ServerNode | string): Promise<Client>;
}

let handles = 0;
/** Signs a new user up through one node. */
export async function signUp(node: ServerNode): Promise<ApiUser> {
  const handle = `c${process.pid % 10000}_${++handles}_${rand().slice(0, 4)}`.slice(0, 20);
  const res = await fetch(`${node.url}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, displayName: `Name ${handle}`, password: 'a long password' }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('hm_session='))!
    .split(';')[0]!;
  const me = ((await res.json()) as { data: { id: string } }).data;
  const base = (n: ServerNode | string) => (typeof n === 'string' ? n : n.url);
  return {
    id: me.id,
    handle,
    cookie,
    async call(n, method, url, body) {
      const r = await fetch(`${base(n)}${url}`, {
        method,
        headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    },
    socket: (n) => connectTo(base(n), cookie),
  };
}

/** Connects one socket.io-client over WebSocket; rejects with the refusal. Closed at file end. */
export function connectTo(url: string, cookie: string, opts: { localAddress?: string } = {}): Promise<Client> {
  const socket: Client = ioc(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { cookie },
    auth: { protocolVersion: PROTOCOL_VERSION },
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  } as Parameters<typeof ioc>[1]);
  onCleanup(async () => {
    socket.disconnect();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(Object.assign(err, { data: (err as Error & { data?: unknown }).data }));
    });
  });
}

/** Two users with a live match, signed up and matched through the given nodes. */
export async function matchedPair(nodeA: ServerNode, nodeB: ServerNode) {
  const a = await signUp(nodeA);
  const b = await signUp(nodeB);
  const card = (u: ApiUser, n: ServerNode) =>
    u.call(n, 'POST', '/api/cards', { title: `Topic ${rand()}`, body: 'Let us talk', tags: ['rust'] }).then((r) => {
      if (r.status !== 201) throw new Error(`card failed: ${JSON.stringify(r.body)}`);
      return r.body.data.id as string;
    });
  const cardA = await card(a, nodeA);
  const cardB = await card(b, nodeB);
  await a.call(nodeA, 'PUT', `/api/cards/${cardB}/interest`);
  const res = await b.call(nodeB, 'PUT', `/api/cards/${cardA}/interest`);
  const matchId = res.body?.data?.matchId as string | undefined;
  if (!matchId) throw new Error(`no match: ${JSON.stringify(res.body)}`);
  const match = (await a.call(nodeA, 'GET', `/api/matches/${matchId}`)).body.data;
  return { a, b, matchId, conversationId: match.conversationId as string };
}

/** Pub/sub channels (plain and sharded) the nodes hold under a prefix: a leaked room shows here. */
export async function countChannels(redisUrl: string, prefix: string): Promise<number> {
  const r = new Redis(redisUrl);
  try {
    const plain = (await r.call('PUBSUB', 'CHANNELS', `${prefix}*`)) as string[];
    const sharded = (await r.call('PUBSUB', 'SHARDCHANNELS', `${prefix}*`)) as string[];
    return plain.length + sharded.length;
  } finally {
    r.disconnect();
  }
}

/** Counts keys under a prefix (leaving out those matching `exclude`). */
export async function countKeys(redisUrl: string, prefix: string, exclude?: RegExp): Promise<number> {
  const r = new Redis(redisUrl);
  try {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      n += exclude ? keys.filter((k) => !exclude.test(k)).length : keys.length;
      cursor = next;
    } while (cursor !== '0');
    return n;
  } finally {
    r.disconnect();
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A private redis-server (no persistence) that a test may stop and start again on the same port. */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hm-redis-'));
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await sleep(50);
    }
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  await start();
  onCleanup(async () => {
    await stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}

/**
 * A TCP proxy in front of Postgres that a test can cut: `cut()` resets every open connection and
 * refuses new ones, as a database restart or a network partition looks to the server.
 */
export interface CuttableProxy {
  url: string;
  cut(): void;
  restore(): void;
}

export async function postgresProxy(): Promise<CuttableProxy> {
  const target = new URL(TEST_DATABASE_URL);
  const open = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  onCleanup(async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const url = new URL(TEST_DATABASE_URL);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    cut() {
      down = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      down = false;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true, or throws after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A fresh nonce. */
export const nonce = () => randomUUID();
