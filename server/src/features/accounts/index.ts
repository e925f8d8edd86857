import { AVATAR_COLORS, ErrorCode } from '@hackmeshi/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';
import { hashPassword, verifyPassword } from './password.js';
import { SESSION_COOKIE } from './sessions.js';
import { accountStore } from './store.js';

/** Deterministic starting colour, so a new avatar is not always the same. */
function defaultColor(handle: string) {
  let h = 0;
  for (const ch of handle) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return AVATAR_COLORS[h % AVATAR_COLORS.length]!;
}

/** Accounts: sign-up, sign-in, sign-out, profile. Sessions live in ./sessions.ts. */
export function registerAccounts(ctx: AppContext) {
  const { config, http, sockets, io, rateLimiter } = ctx;
  const store = accountStore(ctx.db);
  const windowMs = config.SIGNIN_WINDOW_SECONDS * 1000;
  // Hashing a throwaway value when the handle is unknown keeps sign-in timing from revealing
  // which handles exist.
  const dummyHash = hashPassword('not-a-real-password', config.PASSWORD_HASH_COST);

  async function limit(buckets: string[]) {
    for (const b of buckets) {
      const d = await rateLimiter.hit(b, config.SIGNIN_MAX_ATTEMPTS, windowMs);
      if (!d.allowed) {
        throw new AppError(ErrorCode.RATE_LIMITED, 'Too many attempts, try again later', {
          details: { retryAfterMs: d.retryAfterMs },
        });
      }
    }
  }

  async function startSession(userId: string, req: FastifyRequest, reply: FastifyReply) {
    const s = await ctx.sessions.create(userId, { userAgent: req.headers['user-agent'], ip: req.ip });
    reply.setCookie(SESSION_COOKIE, s.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.COOKIE_SECURE,
      path: '/',
      expires: s.expiresAt,
    });
  }

  http.route('signUp', { auth: false, status: 201 }, async ({ body, req, reply }) => {
    await limit([`signup:ip:${req.ip}`]);
    const passwordHash = await hashPassword(body.password, config.PASSWORD_HASH_COST);
    const user = await store.create({
      handle: body.handle,
      displayName: body.displayName,
      passwordHash,
      avatarColor: defaultColor(body.handle),
    });
    await startSession(user.id, req, reply);
    req.log.info({ userId: user.id }, 'signed up');
    return user;
  });

  http.route('signIn', { auth: false }, async ({ body, req, reply }) => {
    await limit([`signin:ip:${req.ip}`, `signin:handle:${body.handle}`]);
    const found = await store.findCredentials(body.handle);
    const ok = found
      ? await verifyPassword(body.password, found.passwordHash)
      : (await verifyPassword(body.password, await dummyHash), false);
    if (!found || !ok) throw new AppError(ErrorCode.INVALID_CREDENTIALS, 'Wrong handle or password');
    await startSession(found.user.id, req, reply);
    req.log.info({ userId: found.user.id }, 'signed in');
    return found.user;
  });

  http.route('signOut', { auth: false }, async ({ principal, reply }) => {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (principal) {
      await ctx.sessions.revoke(principal.sessionId);
      // This session's sockets, on any node, among the user's: told why, then cut off. The user's
      // other sessions (devices) stay. (No room per session: that would cost every socket one.)
      try {
        const mine = (await io.in(rooms.user(principal.userId)).fetchSockets()).filter((s) => s.data.sessionId === principal.sessionId);
        for (const s of mine) {
          s.emit('session:ended', { reason: 'signed_out' });
          s.disconnect(true);
        }
      } catch (err) {
        // A node that did not answer: its sockets of this session fail their next handshake.
        ctx.log.warn({ err }, 'could not reach every socket of a signed-out session');
      }
    }
    return null;
  });

  http.route('getMe', { auth: true }, async ({ principal }) => {
    const me = await store.byId(principal.userId);
    if (!me) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first');
    return me;
  });

  http.route('updateMe', { auth: true }, async ({ body, principal }) => {
    const me = await store.update(principal.userId, body);
    // Every open tab and device of this user sees the change at once.
    io.to(rooms.user(principal.userId)).emit('profile:updated', me);
    return me;
  });

  http.route('getUser', { auth: true }, async ({ params: { handle } }) => {
    const user = await store.byHandle(handle);
    if (!user) throw new AppError(ErrorCode.NOT_FOUND, 'No such user');
    return user;
  });

  sockets.on('session:whoami', async (_input, { user }) => {
    const me = await store.byId(user.userId);
    if (!me) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first');
    return me;
  });
}
