import { createHmac, randomBytes } from 'node:crypto';
import type { Role } from '@hackmeshi/shared';
import type { Db } from '../../infra/db.js';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'hm_session';

/** Who a request or socket is, once its session is resolved. */
export interface Principal {
  sessionId: string;
  userId: string;
  handle: string;
  role: Role;
}

/**
 * Server-side sessions. The cookie carries a random 256-bit token; the database keeps only its
 * HMAC under SESSION_SECRET, so neither a database leak nor the secret alone can forge a session.
 * Revocation is a row update, effective on the next request and handshake.
 */
export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {}

  private hash(token: string) {
    return createHmac('sha256', this.secret).update(token).digest('base64url');
  }

  async create(userId: string, meta: { userAgent?: string; ip?: string }) {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.ttlMs);
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO sessions (token_hash, user_id, expires_at, user_agent, ip)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [this.hash(token), userId, expiresAt, meta.userAgent?.slice(0, 300) ?? null, meta.ip ?? null],
    );
    return { token, sessionId: rows[0]!.id, expiresAt };
  }

  /** The live session behind a token, or null when unknown, expired or revoked. */
  async resolve(token: string | undefined): Promise<Principal | null> {
    return (await this.resolveWith(token, []))?.principal ?? null;
  }

  /**
   * Like `resolve`, and in the same statement evaluates `columns`, SQL expressions over the
   * session's user `u` (the socket handshake's rooms, see SocketRouter.provideRooms).
   */
  async resolveWith(token: string | undefined, columns: string[]): Promise<{ principal: Principal; values: unknown[] } | null> {
    if (!token || token.length > 100) return null;
    const extra = columns.map((sql, i) => `, ${sql} AS x${i}`).join('');
    const { rows } = await this.db.query<{ session_id: string; user_id: string; handle: string; role: Role } & Record<string, unknown>>(
      `SELECT s.id AS session_id, u.id AS user_id, u.handle, u.role${extra}
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [this.hash(token)],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      principal: { sessionId: r.session_id, userId: r.user_id, handle: r.handle, role: r.role },
      values: columns.map((_, i) => r[`x${i}`]),
    };
  }

  async revoke(sessionId: string) {
    await this.db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
  }
}
