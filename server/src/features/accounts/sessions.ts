import { createHmac, randomBytes } from 'node:crypto';
import type { Role } from '@hackmeshi/shared';
import { GroupCommit } from '../../infra/batcher.js';
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

/** A resolved session, with the values of the resolver's extra columns in order. */
export interface Resolved {
  principal: Principal;
  values: unknown[];
}

/** Cookie tokens are 43 characters; anything absent or absurdly long is not looked up. */
const validToken = (token: string | undefined): token is string => !!token && token.length <= 100;

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
    if (!validToken(token)) return null;
    const hash = this.hash(token);
    return (await this.lookup([hash], [])).get(hash)?.principal ?? null;
  }

  /**
   * A resolver for socket handshakes. Like `resolve`, and in the same statement it evaluates
   * `columns`, SQL expressions over the session's user `u` (the socket's rooms, see
   * SocketRouter.provideRooms). Tokens that arrive together are looked up together: one statement
   * for up to `maxBatch` of them, at most `lanes` statements in flight, and the rest gather behind
   * them. A reconnect storm of thousands is then a few dozen round trips, not one per socket.
   */
  resolverWith(columns: string[], opts: { maxBatch: number; lanes: number }) {
    const batch = new GroupCommit<string, Resolved | null>(
      async (hashes) => {
        const found = await this.lookup([...new Set(hashes)], columns);
        return hashes.map((h) => ({ ok: true, value: found.get(h) ?? null }));
      },
      (hash) => hash,
      { maxWaitMs: 0, ...opts },
    );
    return (token: string | undefined): Promise<Resolved | null> => (validToken(token) ? batch.submit(this.hash(token)) : Promise.resolve(null));
  }

  /** Live sessions by token hash, each with the values of `columns` in order. */
  private async lookup(hashes: string[], columns: string[]): Promise<Map<string, Resolved>> {
    const extra = columns.map((sql, i) => `, ${sql} AS x${i}`).join('');
    const { rows } = await this.db.query<{ token_hash: string; session_id: string; user_id: string; handle: string; role: Role } & Record<string, unknown>>(
      `SELECT t.h AS token_hash, s.id AS session_id, u.id AS user_id, u.handle, u.role${extra}
         FROM unnest($1::text[]) AS t(h)
         JOIN sessions s ON s.token_hash = t.h
         JOIN users u ON u.id = s.user_id
        WHERE s.revoked_at IS NULL AND s.expires_at > now()`,
      [hashes],
    );
    const out = new Map<string, Resolved>();
    for (const r of rows) {
      const values = columns.map((_, i) => r[`x${i}`]);
      out.set(r.token_hash, { principal: { sessionId: r.session_id, userId: r.user_id, handle: r.handle, role: r.role }, values });
    }
    return out;
  }

  async revoke(sessionId: string) {
    await this.db.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
  }
}
