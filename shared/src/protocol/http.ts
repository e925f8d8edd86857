import { z } from 'zod';
import { Me, PublicProfile, SignInBody, SignUpBody, UpdateProfileBody } from './accounts.js';

/**
 * Every HTTP API route, defined once. The server registers each with its body schema; the client's
 * `api()` helper is typed from the same entries. Responses are wrapped in the ack envelope
 * (`{ok:true,data}` / `{ok:false,error}`), and `response` is the schema of `data`.
 */
export const httpRoutes = {
  /** Create an account and sign in (sets the session cookie). 201; 409 HANDLE_TAKEN. */
  signUp: { method: 'POST', path: '/api/auth/signup', body: SignUpBody, response: Me },
  /** Sign in (sets the session cookie). 401 INVALID_CREDENTIALS; 429 RATE_LIMITED. */
  signIn: { method: 'POST', path: '/api/auth/signin', body: SignInBody, response: Me },
  /** Revoke the current session and clear the cookie. Its sockets are disconnected. */
  signOut: { method: 'POST', path: '/api/auth/signout', body: null, response: z.null() },
  /** The signed-in user. 401 UNAUTHENTICATED without a session. */
  getMe: { method: 'GET', path: '/api/me', body: null, response: Me },
  /** Update bio, display name, tags or avatar colour. */
  updateMe: { method: 'PATCH', path: '/api/me', body: UpdateProfileBody, response: Me },
  /** Someone's public profile, by handle. 404 NOT_FOUND. */
  getUser: { method: 'GET', path: '/api/users/:handle', body: null, response: PublicProfile },
} as const satisfies Record<
  string,
  { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body: z.ZodType | null; response: z.ZodType }
>;

/** Names of the HTTP routes. */
export type HttpRouteName = keyof typeof httpRoutes;
/** What a caller sends as the body of a route (`undefined` for bodiless routes). */
export type HttpBody<R extends HttpRouteName> = (typeof httpRoutes)[R]['body'] extends z.ZodType
  ? z.input<(typeof httpRoutes)[R]['body']>
  : undefined;
/** The `data` of a successful response. */
export type HttpResponse<R extends HttpRouteName> = z.output<(typeof httpRoutes)[R]['response']>;
