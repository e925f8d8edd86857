import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Card, Match } from '@hackmeshi/shared';
import { connect, signUp, type TestClient, type TestServer } from './harness.js';

/** A signed-up user with a cookie, able to call the API and open sockets. */
export interface TestUser {
  id: string;
  handle: string;
  cookie: string;
  /** Calls the API as this user; returns status and parsed JSON body. */
  call(opts: Omit<InjectOptions, 'headers'> & { headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  socket(): Promise<TestClient>;
}

export async function user(srv: TestServer, handle?: string): Promise<TestUser> {
  const s = await signUp(srv.app, handle);
  return asUser(srv.app, srv.url, s.user.id, s.handle, s.cookie);
}

function asUser(app: FastifyInstance, url: string, id: string, handle: string, cookie: string): TestUser {
  return {
    id,
    handle,
    cookie,
    async call(opts) {
      const res = await app.inject({ ...opts, headers: { ...opts.headers, cookie } } as InjectOptions);
      return { status: res.statusCode, body: res.body ? res.json() : undefined };
    },
    socket: () => connect(url, { cookie }),
  };
}

let n = 0;
/** Posts a card as `u` and returns it. */
export async function postCard(u: TestUser, overrides: Partial<{ title: string; body: string; tags: string[] }> = {}): Promise<Card> {
  const res = await u.call({
    method: 'POST',
    url: '/api/cards',
    payload: { title: `Card ${++n}`, body: 'Let us talk about it', tags: ['rust'], ...overrides },
  });
  if (res.status !== 201) throw new Error(`card failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export const interest = (u: TestUser, cardId: string) => u.call({ method: 'PUT', url: `/api/cards/${cardId}/interest` });

/** Two users who posted a card each and pressed interested on each other's: a live match. */
export async function matchedPair(srv: TestServer, existing?: TestUser) {
  const a = existing ?? (await user(srv));
  const b = await user(srv);
  const cardA = await postCard(a);
  const cardB = await postCard(b);
  await interest(a, cardB.id);
  const res = await interest(b, cardA.id);
  const matchId: string = res.body.data.matchId;
  if (!matchId) throw new Error(`no match: ${JSON.stringify(res.body)}`);
  const match: Match = (await a.call({ method: 'GET', url: `/api/matches/${matchId}` })).body.data;
  return { a, b, cardA, cardB, match, conversationId: match.conversationId };
}

/** Sends a chat message and returns the ack. */
export function send(socket: TestClient, conversationId: string, body: string, nonce: string = randomUUID()) {
  return socket.timeout(5_000).emitWithAck('chat:send', { conversationId, nonce, body });
}

/** Collects every payload of a server event on a socket. */
export function collect<E extends Parameters<TestClient['on']>[0]>(socket: TestClient, event: E) {
  const seen: unknown[] = [];
  socket.on(event as never, ((p: unknown) => seen.push(p)) as never);
  return seen as any[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
