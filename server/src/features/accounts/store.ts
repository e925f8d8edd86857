import { AppError } from '../../infra/errors.js';
import type { Queryable } from '../../infra/db.js';
import { ErrorCode, type Me, type Role, type UserSummary } from '@hackmeshi/shared';

interface UserRow {
  id: string;
  handle: string;
  display_name: string;
  bio: string;
  tags: string[];
  avatar_color: string;
  role: Role;
  created_at: Date;
  attended_count: number;
}

const USER_COLUMNS = `id, handle, display_name, bio, tags, avatar_color, role, created_at,
  (SELECT count(*)::int FROM meetup_rsvps r WHERE r.user_id = users.id AND r.checked_in_at IS NOT NULL) AS attended_count`;

/** Maps a row to the wire shape. */
export function toProfile(r: UserRow): Me {
  return {
    id: r.id,
    handle: r.handle,
    displayName: r.display_name,
    bio: r.bio,
    tags: r.tags,
    avatarColor: r.avatar_color as Me['avatarColor'],
    role: r.role,
    createdAt: new Date(r.created_at).toISOString(),
    attendedCount: r.attended_count,
  };
}

/** SQL for users. Handlers call this; nothing else touches the users table. */
export function accountStore(db: Queryable) {
  return {
    async create(u: { handle: string; displayName: string; passwordHash: string; avatarColor: string }): Promise<Me> {
      try {
        const { rows } = await db.query<UserRow>(
          `INSERT INTO users (handle, display_name, password_hash, avatar_color)
           VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
          [u.handle, u.displayName, u.passwordHash, u.avatarColor],
        );
        return toProfile(rows[0]!);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw new AppError(ErrorCode.HANDLE_TAKEN, 'That handle is already taken', { cause: err });
        }
        throw err;
      }
    },

    /** The user and their password hash, for sign-in. */
    async findCredentials(handle: string): Promise<{ user: Me; passwordHash: string } | null> {
      const { rows } = await db.query<UserRow & { password_hash: string }>(
        `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE handle = $1`,
        [handle],
      );
      const r = rows[0];
      return r ? { user: toProfile(r), passwordHash: r.password_hash } : null;
    },

    async byId(id: string): Promise<Me | null> {
      const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
      return rows[0] ? toProfile(rows[0]) : null;
    },

    async byHandle(handle: string): Promise<Me | null> {
      const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE handle = $1`, [handle]);
      return rows[0] ? toProfile(rows[0]) : null;
    },

    /** Applies only the fields present in `patch`. */
    async update(
      id: string,
      patch: { displayName?: string; bio?: string; tags?: string[]; avatarColor?: string },
    ): Promise<Me> {
      const { rows } = await db.query<UserRow>(
        `UPDATE users SET
           display_name = COALESCE($2, display_name),
           bio = COALESCE($3, bio),
           tags = COALESCE($4::text[], tags),
           avatar_color = COALESCE($5, avatar_color),
           updated_at = now()
         WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [id, patch.displayName ?? null, patch.bio ?? null, patch.tags ?? null, patch.avatarColor ?? null],
      );
      if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, 'User not found');
      return toProfile(rows[0]);
    },

    /** Sets a role by handle (admin command). Returns false when no such user. */
    async setRole(handle: string, role: Role): Promise<boolean> {
      const { rows } = await db.query<{ id: string }>('UPDATE users SET role = $2 WHERE handle = $1 RETURNING id', [
        handle,
        role,
      ]);
      return rows.length > 0;
    },
  };
}
export type AccountStore = ReturnType<typeof accountStore>;

/** Columns for a UserSummary of the users table aliased `alias`, prefixed `<alias>_`. */
export const summaryColumns = (alias: string) =>
  ['id', 'handle', 'display_name', 'avatar_color', 'role'].map((c) => `${alias}.${c} AS ${alias}_${c}`).join(', ');

/** Reads a UserSummary selected with `summaryColumns(alias)`. */
export function toSummary(row: Record<string, unknown>, alias: string): UserSummary {
  return {
    id: row[`${alias}_id`] as string,
    handle: row[`${alias}_handle`] as string,
    displayName: row[`${alias}_display_name`] as string,
    avatarColor: row[`${alias}_avatar_color`] as UserSummary['avatarColor'],
    role: row[`${alias}_role`] as Role,
  };
}

/** SQL condition: no block between the users whose ids are the expressions `a` and `b`, either way. */
export const notBlocked = (a: string, b: string) =>
  `NOT EXISTS (SELECT 1 FROM blocks bl WHERE (bl.blocker_id = ${a} AND bl.blocked_id = ${b}) OR (bl.blocker_id = ${b} AND bl.blocked_id = ${a}))`;
