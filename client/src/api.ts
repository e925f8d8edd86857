import {
  ErrorCode,
  httpRoutes,
  type Ack,
  type ErrorBody,
  type HttpBody,
  type HttpQuery,
  type HttpResponse,
  type HttpRouteName,
} from '@hackmeshi/shared';

/** Names of the `:params` in a path template, e.g. `'/api/users/:handle'` → `'handle'`. */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** Path parameters a route needs (an empty object type for routes without any). */
export type HttpParams<R extends HttpRouteName> = { [K in ParamNames<(typeof httpRoutes)[R]['path']>]: string };

/**
 * The options after the body: `params` is required when the path has `:name` segments; `query`
 * is accepted (and optional) only for routes whose table entry has a `query` schema.
 */
type ApiOptions<R extends HttpRouteName> = ([ParamNames<(typeof httpRoutes)[R]['path']>] extends [never]
  ? { params?: never }
  : { params: HttpParams<R> }) &
  (HttpQuery<R> extends undefined ? { query?: never } : { query?: HttpQuery<R> });

type BodyArg<R extends HttpRouteName> = HttpBody<R> extends undefined ? [] : [body: HttpBody<R>];
type OptionsArg<R extends HttpRouteName> = [ParamNames<(typeof httpRoutes)[R]['path']>] extends [never]
  ? HttpQuery<R> extends undefined
    ? []
    : [options?: ApiOptions<R>]
  : [options: ApiOptions<R>];

/**
 * The arguments after the route name: the body (omitted for bodiless routes), then
 * `{ params, query }` when the route has path parameters or a query schema. The compiler
 * therefore rejects a missing `id`, a body sent to a GET, or a query for a route without one.
 */
type ApiArgs<R extends HttpRouteName> = [...BodyArg<R>, ...OptionsArg<R>];

const localError = (code: ErrorCode, message: string, details?: unknown): { ok: false; error: ErrorBody } => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});

function isEnvelope(value: unknown): value is Ack<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  if (value.ok === true) return 'data' in value;
  if (value.ok !== false || !('error' in value)) return false;
  const error = value.error;
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string';
}

function fillPath(template: string, params: Record<string, string> | undefined): string {
  return template.replace(/:([A-Za-z_]\w*)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`api: missing path parameter "${name}" for ${template}`);
    return encodeURIComponent(value);
  });
}

/**
 * Serializes a query object: `undefined` and `null` values are left out, everything else is
 * sent as its string form (the route's schema coerces numbers back on the server).
 */
export function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    search.append(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * Calls an HTTP route from `httpRoutes` and resolves to its envelope. It never rejects: a network
 * failure or a proxy's non-JSON 5xx becomes `UNAVAILABLE` (safe to retry), and an answer that
 * does not match the route's response schema becomes `INTERNAL` (a client/server contract bug,
 * logged to the console), so callers switch on `ok` and `error.code` only.
 */
export async function api<R extends HttpRouteName>(route: R, ...args: ApiArgs<R>): Promise<Ack<HttpResponse<R>>> {
  const spec = httpRoutes[route];
  const hasBody = spec.body !== null;
  const body: unknown = hasBody ? args[0] : undefined;
  const options = (hasBody ? args[1] : args[0]) as { params?: Record<string, string>; query?: Record<string, unknown> } | undefined;
  const init: RequestInit = {
    method: spec.method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (hasBody) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }

  let res: Response;
  try {
    res = await fetch(fillPath(spec.path, options?.params) + queryString(options?.query), init);
  } catch (err) {
    return localError(ErrorCode.UNAVAILABLE, err instanceof Error ? err.message : 'network error', { local: true });
  }

  let json: unknown;
  try {
    const text = await res.text();
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }

  if (!isEnvelope(json)) {
    // Empty 2xx (e.g. 204) is fine for routes whose data is null.
    if (res.ok && json === undefined && spec.response.safeParse(null).success) {
      return { ok: true, data: null as HttpResponse<R> };
    }
    const code = res.status >= 500 || res.status === 0 ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL;
    return localError(code, `unexpected ${res.status} response from ${spec.path}`, { status: res.status, local: true });
  }
  if (!json.ok) return json;

  const parsed = spec.response.safeParse(json.data);
  if (!parsed.success) {
    console.error(`api(${route}): response does not match the shared schema`, parsed.error.issues);
    return localError(ErrorCode.INTERNAL, `response of ${route} does not match the protocol`, { local: true });
  }
  return { ok: true, data: parsed.data as HttpResponse<R> };
}
