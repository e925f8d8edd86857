import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { io as ioc, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll } from 'vitest';
import {
  PROTOCOL_VERSION,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@hackmeshi/shared';
import { buildApp } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { freshPgliteDir } from './pglite-template.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, deleteKeysAt, dropTestSchema } from './services.js';

export type TestClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

/** A running server for a test, listening on 127.0.0.1 at a random port. */
export interface TestServer {
  app: FastifyInstance;
  config: Config;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra environment for loadConfig. */
  env?: Record<string, string>;
  /** Reuse a data directory (restart tests). Not deleted at teardown. */
  dataDir?: string;
  /** Use the real Postgres in a fresh schema instead of PGlite. */
  postgres?: boolean;
  /** Use the real Redis with a fresh key prefix. */
  redis?: boolean;
  /** A second node: the same Postgres schema and Redis prefix as this server (which owns their cleanup). */
  sameStoreAs?: TestServer;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const rand = () => randomBytes(5).toString('hex');

/** Builds and starts the real app; teardown is registered for the end of the test file. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const ownDir = !opts.dataDir;
  // An embedded store starts from the cached empty cluster (see pglite-template.ts).
  const dataDir = opts.dataDir ?? (opts.postgres ? await fs.mkdtemp(path.join(os.tmpdir(), 'hm-test-')) : await freshPgliteDir('hm-test-'));
  const shared = opts.sameStoreAs?.config;
  const schema = shared?.DATABASE_SCHEMA ?? `t_${rand()}`;
  const prefix = shared?.REDIS_PREFIX ?? `hmtest:${rand()}:`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: dataDir,
    PASSWORD_HASH_COST: '10',
    // Tests sign many users up from one address; the rate-limit test sets its own limit.
    SIGNIN_MAX_ATTEMPTS: '10000',
    SESSION_SECRET: 'test-secret-'.padEnd(48, 'x'),
    ...(opts.postgres ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
    ...(opts.redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix } : {}),
    ...opts.env,
  });
  const app = await buildApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  cleanups.push(async () => {
    await close();
    if (shared) return; // the first node cleans up the shared schema and keys
    if (opts.postgres) await dropTestSchema(config.DATABASE_SCHEMA);
    if (opts.redis) await deleteKeys(config.REDIS_PREFIX);
    if (ownDir) await fs.rm(dataDir, { recursive: true, force: true });
  });
  return { app, config, url: `http://127.0.0.1:${port}`, dataDir, close };
}

/** Removes every Redis key under a prefix of the test Redis. */
export const deleteKeys = (prefix: string) => deleteKeysAt(TEST_REDIS_URL, prefix);

let seq = 0;
/** A handle no other test uses. */
export const uniqueHandle = (base = 'user') => `${base}_${process.pid % 1000}_${++seq}`.slice(0, 20);

/** Signs up through the real HTTP API and returns the session cookie and the user. */
export async function signUp(app: FastifyInstance, handle = uniqueHandle(), password = 'a long password') {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { handle, displayName: `Name of ${handle}`, password },
  });
  if (res.statusCode !== 201) throw new Error(`sign-up failed: ${res.statusCode} ${res.body}`);
  return { cookie: sessionCookie(res.headers['set-cookie']), user: res.json().data, handle, password };
}

/** Extracts `hm_session=…` from Set-Cookie headers for reuse in a Cookie header. */
export function sessionCookie(setCookie: string | string[] | undefined): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const c = all.find((h) => h.startsWith('hm_session='));
  if (!c) throw new Error('no session cookie set');
  return c.split(';')[0]!;
}

/** Connects a real socket.io-client; resolves on connect, rejects with the refusal's data. */
export function connect(
  url: string,
  opts: { cookie?: string; origin?: string; protocolVersion?: number } = {},
): Promise<TestClient> {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.origin) headers.origin = opts.origin;
  const socket: TestClient = ioc(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: headers,
    auth: { protocolVersion: opts.protocolVersion ?? PROTOCOL_VERSION },
  });
  cleanups.push(async () => {
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

export { nextEvent } from './next-event.js';
