import fs from 'node:fs';
import path from 'node:path';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ErrorCode,
  errAck,
  httpRoutes,
  okAck,
  type HttpResponse,
  type HttpRouteName,
} from '@hackmeshi/shared';
import type { z } from 'zod';
import { SESSION_COOKIE, type Principal, type SessionService } from '../features/accounts/sessions.js';
import { AppError, httpStatusOf, toAppError } from './errors.js';
import type { Metrics } from './metrics.js';
import { isOriginAllowed } from './origin.js';
import { parseInput } from './validate.js';

type RouteOf<R extends HttpRouteName> = (typeof httpRoutes)[R];
type Parsed<R extends HttpRouteName, K extends 'body' | 'params' | 'query'> = RouteOf<R> extends { [P in K]: z.ZodType }
  ? z.output<RouteOf<R>[K]>
  : undefined;

/** What a route handler receives: validated body, params and query, the caller (when signed in), and the raw pair. */
export interface RouteInput<R extends HttpRouteName, A extends boolean> {
  body: Parsed<R, 'body'>;
  params: Parsed<R, 'params'>;
  query: Parsed<R, 'query'>;
  principal: A extends true ? Principal : Principal | null;
  req: FastifyRequest;
  reply: FastifyReply;
}

/**
 * The one HTTP boundary: every API route is declared in `shared/` and registered here, so its body
 * is validated with the shared schema, its caller authenticated, and its answer wrapped in the
 * envelope. Handlers return data or throw AppError; they never write the reply body.
 */
export class HttpRouter {
  constructor(
    private readonly app: FastifyInstance,
    private readonly sessions: SessionService,
  ) {}

  /** Resolves the session cookie of a request to its principal, or null. */
  principalOf(req: FastifyRequest): Promise<Principal | null> {
    return this.sessions.resolve(req.cookies[SESSION_COOKIE]);
  }

  route<R extends HttpRouteName, A extends boolean>(
    name: R,
    opts: { auth: A; status?: number },
    handler: (input: RouteInput<R, A>) => Promise<HttpResponse<R>>,
  ) {
    const def: { body: z.ZodType | null; params?: z.ZodType; query?: z.ZodType; method: string; path: string } =
      httpRoutes[name];
    this.app.route({
      method: def.method as 'GET',
      url: def.path,
      handler: async (req, reply) => {
        const principal = await this.principalOf(req);
        if (opts.auth && !principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first');
        const input = {
          body: def.body ? parseInput(def.body, req.body ?? {}) : undefined,
          params: def.params ? parseInput(def.params, req.params) : undefined,
          query: def.query ? parseInput(def.query, req.query) : undefined,
        } as Pick<RouteInput<R, A>, 'body' | 'params' | 'query'>;
        const data = await handler({ ...input, principal: principal as RouteInput<R, A>['principal'], req, reply });
        reply.code(opts.status ?? 200);
        return okAck(data ?? null);
      },
    });
  }
}

/** Fastify's own 4xx errors (bad JSON, bad content type) mapped to our codes. */
function fastifyClientError(err: FastifyError): AppError | null {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'Request body too large');
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError(ErrorCode.INVALID_PAYLOAD, err.message);
  }
  return null;
}

/**
 * Installs the error envelope for every HTTP failure, the Origin check for state-changing requests,
 * request metrics, and the static client with its single-page fallback.
 */
export function installHttpBoundary(
  app: FastifyInstance,
  opts: { allowedOrigins: readonly string[]; clientDir: string; metrics: Metrics },
) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const appErr = fastifyClientError(err) ?? toAppError(err);
    const status = fastifyClientError(err) && err.statusCode ? err.statusCode : httpStatusOf[appErr.code];
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: appErr.code, url: req.url }, 'request refused');
    if (appErr.code === ErrorCode.RATE_LIMITED) {
      const after = (appErr.details as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      if (after !== undefined) reply.header('retry-after', Math.ceil(after / 1000));
    }
    const message = status >= 500 && appErr.code === ErrorCode.INTERNAL ? 'Internal error' : appErr.message;
    return reply.code(status).send(errAck(appErr.code, message, appErr.details));
  });

  app.addHook('onRequest', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    if (!isOriginAllowed(req.headers.origin, req.headers.host, opts.allowedOrigins)) {
      throw new AppError(ErrorCode.ORIGIN_NOT_ALLOWED, 'Origin not allowed');
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    opts.metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  const hasClient = fs.existsSync(path.join(opts.clientDir, 'index.html'));
  app.setNotFoundHandler((req, reply) => {
    const isPage = req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/socket.io');
    if (isPage && hasClient) return reply.type('text/html').sendFile('index.html');
    return reply.code(404).send(errAck(ErrorCode.NOT_FOUND, `No route ${req.method} ${req.url.split('?')[0]}`));
  });
  return { hasClient };
}
