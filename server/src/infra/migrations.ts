import type { Db } from './db.js';

/**
 * A versioned schema change. Statements run in order inside one transaction, on PGlite and
 * Postgres alike. Never edit a migration that has shipped: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Every migration, oldest first. Feature issues append here. */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'accounts and sessions',
    statements: [
      `CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        handle text NOT NULL UNIQUE,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        bio text NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{}',
        avatar_color text NOT NULL,
        role text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash text NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        user_agent text,
        ip text
      )`,
      `CREATE INDEX sessions_user_idx ON sessions (user_id)`,
    ],
  },
];

/**
 * Applies every migration not yet recorded, in one transaction. A transaction-scoped advisory lock
 * makes nodes that start together take turns, so each migration runs exactly once.
 */
export async function migrate(db: Db, list: Migration[] = migrations): Promise<number[]> {
  return db.tx(async (q) => {
    await q.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':migrations'))`);
    await q.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await q.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const sql of m.statements) await q.query(sql);
      await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
