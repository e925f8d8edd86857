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
  {
    version: 2,
    name: 'conversations, cards, interest, matches, blocks, reports',
    statements: [
      // The one chat mechanism: every kind of conversation has members, messages numbered by
      // seq without holes, and a rev counter bumped by every post, edit and delete.
      `CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('match', 'room', 'meetup', 'community')),
        last_seq int NOT NULL DEFAULT 0,
        rev int NOT NULL DEFAULT 0,
        last_activity_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
      )`,
      `CREATE TABLE conversation_members (
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        can_post boolean NOT NULL DEFAULT true,
        last_read_seq int NOT NULL DEFAULT 0,
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (conversation_id, user_id)
      )`,
      `CREATE INDEX conversation_members_user_idx ON conversation_members (user_id)`,
      `CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq int NOT NULL,
        rev int NOT NULL,
        sender_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        nonce uuid NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        deleted_at timestamptz,
        UNIQUE (conversation_id, seq),
        UNIQUE (conversation_id, sender_id, nonce)
      )`,
      `CREATE INDEX messages_rev_idx ON messages (conversation_id, rev)`,
      `CREATE TABLE cards (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title text NOT NULL,
        body text NOT NULL,
        tags text[] NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX cards_feed_idx ON cards (created_at DESC, id DESC) WHERE status = 'active'`,
      `CREATE INDEX cards_owner_idx ON cards (owner_id, created_at DESC)`,
      `CREATE INDEX cards_tags_idx ON cards USING gin (tags)`,
      // user_id is interested in owner_id through card_id.
      `CREATE TABLE interests (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        card_id uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, card_id)
      )`,
      `CREATE INDEX interests_owner_idx ON interests (owner_id, created_at DESC)`,
      `CREATE INDEX interests_pair_idx ON interests (user_id, owner_id)`,
      // One live match per pair, enforced here rather than in memory: user_a < user_b, and a
      // partial unique index over live matches.
      `CREATE TABLE matches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_a uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        user_b uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        card_of_a uuid REFERENCES cards (id) ON DELETE SET NULL,
        card_of_a_title text,
        card_of_b uuid REFERENCES cards (id) ON DELETE SET NULL,
        card_of_b_title text,
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        CHECK (user_a < user_b)
      )`,
      `CREATE UNIQUE INDEX matches_live_pair_idx ON matches (user_a, user_b) WHERE ended_at IS NULL`,
      `CREATE INDEX matches_user_b_idx ON matches (user_b) WHERE ended_at IS NULL`,
      `CREATE TABLE blocks (
        blocker_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        blocked_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (blocker_id, blocked_id),
        CHECK (blocker_id <> blocked_id)
      )`,
      `CREATE INDEX blocks_blocked_idx ON blocks (blocked_id)`,
      `CREATE TABLE reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reporter_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        reported_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        reason text NOT NULL,
        message text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX reports_created_idx ON reports (created_at DESC)`,
    ],
  },
  {
    version: 3,
    name: 'voice rooms',
    statements: [
      `CREATE TABLE rooms (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title text NOT NULL,
        tag text,
        visibility text NOT NULL CHECK (visibility IN ('open', 'invite')),
        capacity int NOT NULL CHECK (capacity >= 2),
        invite_token text NOT NULL,
        created_by uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        empty_since timestamptz DEFAULT now(),
        closed_at timestamptz,
        close_reason text,
        rev int NOT NULL DEFAULT 0,
        -- The creator is the host: on their first join they take the role from whoever held it.
        creator_seated boolean NOT NULL DEFAULT false
      )`,
      `CREATE INDEX rooms_live_idx ON rooms (created_at DESC) WHERE closed_at IS NULL`,
      // Live membership: a lease per participant, renewed by the node holding their socket and
      // swept when it lapses, so a dead node's users leave by themselves.
      `CREATE TABLE room_participants (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conn_id text NOT NULL,
        role text NOT NULL CHECK (role IN ('host', 'speaker', 'listener')),
        muted boolean NOT NULL DEFAULT false,
        hand_raised_at timestamptz,
        joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (room_id, user_id)
      )`,
      `CREATE INDEX room_participants_expiry_idx ON room_participants (expires_at)`,
      `CREATE INDEX room_participants_conn_idx ON room_participants (conn_id)`,
      // People the host or a moderator removed; they cannot come back into that room.
      `CREATE TABLE room_bans (
        room_id uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (room_id, user_id)
      )`,
    ],
  },
  {
    version: 4,
    name: 'notifications',
    statements: [
      `CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- Total order for paging: timestamps can tie when several are made at once.
        seq bigint GENERATED ALWAYS AS IDENTITY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        read_at timestamptz
      )`,
      `CREATE INDEX notifications_user_idx ON notifications (user_id, seq DESC)`,
      `CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL`,
    ],
  },
  {
    version: 5,
    name: 'meetups',
    statements: [
      `CREATE TABLE meetups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organizer_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title text NOT NULL,
        description text NOT NULL DEFAULT '',
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        venue text,
        online_url text,
        capacity int NOT NULL CHECK (capacity BETWEEN 1 AND 500),
        tags text[] NOT NULL DEFAULT '{}',
        community_id uuid,
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz,
        reminder_sent_at timestamptz,
        CHECK (ends_at > starts_at)
      )`,
      `CREATE INDEX meetups_upcoming_idx ON meetups (starts_at) WHERE cancelled_at IS NULL`,
      `CREATE INDEX meetups_reminder_idx ON meetups (starts_at) WHERE reminder_sent_at IS NULL AND cancelled_at IS NULL`,
      // One row per person who signed up. The waitlist is ordered by seq, a total order that
      // timestamps cannot give when many RSVP at once.
      `CREATE TABLE meetup_rsvps (
        meetup_id uuid NOT NULL REFERENCES meetups (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('attending', 'waitlisted')),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        created_at timestamptz NOT NULL DEFAULT now(),
        checked_in_at timestamptz,
        PRIMARY KEY (meetup_id, user_id)
      )`,
      `CREATE INDEX meetup_rsvps_queue_idx ON meetup_rsvps (meetup_id, status, seq)`,
      `CREATE INDEX meetup_rsvps_user_idx ON meetup_rsvps (user_id)`,
    ],
  },
  {
    version: 6,
    name: 'communities; public-read conversations and chat moderators',
    statements: [
      // Anyone signed in may read (not post in) a public-read conversation: public community channels.
      `ALTER TABLE conversations ADD COLUMN public_read boolean NOT NULL DEFAULT false`,
      // Members who may delete others' messages (community owners and moderators).
      `ALTER TABLE conversation_members ADD COLUMN can_moderate boolean NOT NULL DEFAULT false`,
      `CREATE TABLE communities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        tag text NOT NULL,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE UNIQUE INDEX communities_name_idx ON communities (lower(name))`,
      `CREATE INDEX communities_tag_idx ON communities (tag)`,
      `CREATE TABLE community_members (
        community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (community_id, user_id)
      )`,
      `CREATE INDEX community_members_user_idx ON community_members (user_id)`,
      `CREATE TABLE community_bans (
        community_id uuid NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (community_id, user_id)
      )`,
    ],
  },
  {
    version: 7,
    name: 'chat: a batch of sends in one function call',
    statements: [
      // One call per batch of chat sends, so one round trip and one plan per connection (see
      // chatStore's sendMany). It locks the batch's open conversations in id order (two nodes
      // sharing conversations cannot deadlock), judges every message in arrival order as a lone
      // send would (unknown or closed conversation, not a member, may not post, nonce already
      // stored, nonce repeated earlier in the batch), numbers the fresh ones from the locked
      // counters, inserts them, and moves the counters and each sender's read position. The
      // counters come from the locked (newest) rows, so seqs never collide. The nonce check reads
      // the statement's snapshot: a retry that another node commits after it was taken makes the
      // insert fail on the unique key, and the caller replays the batch one message at a time.
      // (Version 8 replaces it: its joins could still be planned as scans; see there.)
      `CREATE FUNCTION chat_send_batch(p_conv uuid[], p_sender uuid[], p_nonce uuid[], p_body text[])
       RETURNS TABLE (ord int, status text, conversation_id uuid, sender_id uuid, nonce uuid, id uuid, seq int, rev int,
                      body text, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz, created boolean)
       LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  BEGIN
  RETURN QUERY
    WITH input AS (
      SELECT * FROM unnest(p_conv, p_sender, p_nonce, p_body) WITH ORDINALITY AS i (c, s, n, body, ord)
    ), locked AS (
      SELECT id, last_seq, rev, public_read FROM conversations
       WHERE id = ANY (p_conv) AND closed_at IS NULL ORDER BY id FOR UPDATE
    ), judged AS (
      SELECT i.ord, i.c, i.s, i.n, i.body, l.last_seq, l.rev, e.id AS existing_id,
             CASE
               WHEN l.id IS NULL OR (m.user_id IS NULL AND NOT l.public_read) THEN 'not_found'
               WHEN m.user_id IS NULL THEN 'not_member'
               WHEN NOT m.can_post THEN 'cannot_post'
               WHEN e.id IS NOT NULL THEN 'existing'
               WHEN min(i.ord) OVER (PARTITION BY i.c, i.s, i.n) <> i.ord THEN 'repeat'
               ELSE 'fresh'
             END AS status
        FROM input i
        LEFT JOIN locked l ON l.id = i.c
        LEFT JOIN conversation_members m ON m.conversation_id = i.c AND m.user_id = i.s
        LEFT JOIN messages e ON e.conversation_id = i.c AND e.sender_id = i.s AND e.nonce = i.n
    ), fresh AS (
      SELECT j.c, j.s, j.n, j.body, (j.last_seq + row_number() OVER w)::int AS seq, (j.rev + row_number() OVER w)::int AS rev
        FROM judged j WHERE j.status = 'fresh'
      WINDOW w AS (PARTITION BY j.c ORDER BY j.ord)
    ), ins AS (
      INSERT INTO messages (conversation_id, seq, rev, sender_id, nonce, body)
      SELECT c, seq, rev, s, n, body FROM fresh
      RETURNING id, conversation_id, sender_id, nonce, seq, rev, body, created_at
    ), counters AS (
      UPDATE conversations c SET last_seq = v.seq, rev = v.rev, last_activity_at = now()
        FROM (SELECT f.c, max(f.seq) AS seq, max(f.rev) AS rev FROM fresh f GROUP BY f.c) v
       WHERE c.id = v.c
    ), reads AS (
      UPDATE conversation_members m SET last_read_seq = v.seq
        FROM (SELECT f.c, f.s, max(f.seq) AS seq FROM fresh f GROUP BY f.c, f.s) v
       WHERE m.conversation_id = v.c AND m.user_id = v.s
    )
    SELECT j.ord::int AS ord, j.status, j.c AS conversation_id, j.s AS sender_id, j.n AS nonce,
           COALESCE(i.id, e.id) AS id, COALESCE(i.seq, e.seq) AS seq, COALESCE(i.rev, e.rev) AS rev,
           COALESCE(i.body, e.body) AS body, COALESCE(i.created_at, e.created_at) AS created_at,
           e.edited_at, e.deleted_at, i.id IS NOT NULL AND j.status = 'fresh' AS created
      FROM judged j
      LEFT JOIN ins i ON i.conversation_id = j.c AND i.sender_id = j.s AND i.nonce = j.n
      LEFT JOIN messages e ON e.id = j.existing_id
     ORDER BY j.ord;
  END
  $fn$`,
    ],
  },
  {
    version: 8,
    name: 'chat: the batch function looks rows up by key whatever the statistics say',
    statements: [
      // Version 7 joined the batch to messages and members as sets, so its plan depended on the
      // table statistics when the connection first planned it. Planned on a small or never-analyzed
      // messages table (a new install, PGlite, which has no autovacuum, or Postgres with autovacuum
      // off), the kept plan hashed a scan of all messages into every call, and each send cost more
      // as the store grew (2 ms of Postgres CPU per call at 4,000 messages, 15 ms at 16,000).
      // Here each row is looked up on its own (LATERAL … LIMIT 1) and sequential scans are off
      // inside the function, so every lookup and lock goes through a primary or unique key, as the
      // function's plan is kept for the life of the connection. Same behaviour otherwise.
      `CREATE OR REPLACE FUNCTION chat_send_batch(p_conv uuid[], p_sender uuid[], p_nonce uuid[], p_body text[])
       RETURNS TABLE (ord int, status text, conversation_id uuid, sender_id uuid, nonce uuid, id uuid, seq int, rev int,
                      body text, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz, created boolean)
       LANGUAGE plpgsql SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
  #variable_conflict use_column
  BEGIN
  RETURN QUERY
    WITH input AS (
      SELECT * FROM unnest(p_conv, p_sender, p_nonce, p_body) WITH ORDINALITY AS i (c, s, n, body, ord)
    ), locked AS (
      SELECT id, last_seq, rev, public_read FROM conversations
       WHERE id = ANY (p_conv) AND closed_at IS NULL ORDER BY id FOR UPDATE
    ), judged AS (
      SELECT i.ord, i.c, i.s, i.n, i.body, l.last_seq, l.rev, e.id AS existing_id,
             CASE
               WHEN l.id IS NULL OR (m.user_id IS NULL AND NOT l.public_read) THEN 'not_found'
               WHEN m.user_id IS NULL THEN 'not_member'
               WHEN NOT m.can_post THEN 'cannot_post'
               WHEN e.id IS NOT NULL THEN 'existing'
               WHEN min(i.ord) OVER (PARTITION BY i.c, i.s, i.n) <> i.ord THEN 'repeat'
               ELSE 'fresh'
             END AS status
        FROM input i
        LEFT JOIN locked l ON l.id = i.c
        LEFT JOIN LATERAL (
          SELECT x.user_id, x.can_post FROM conversation_members x WHERE x.conversation_id = i.c AND x.user_id = i.s LIMIT 1
        ) m ON true
        LEFT JOIN LATERAL (
          SELECT x.id FROM messages x WHERE x.conversation_id = i.c AND x.sender_id = i.s AND x.nonce = i.n LIMIT 1
        ) e ON true
    ), fresh AS (
      SELECT j.c, j.s, j.n, j.body, (j.last_seq + row_number() OVER w)::int AS seq, (j.rev + row_number() OVER w)::int AS rev
        FROM judged j WHERE j.status = 'fresh'
      WINDOW w AS (PARTITION BY j.c ORDER BY j.ord)
    ), ins AS (
      INSERT INTO messages (conversation_id, seq, rev, sender_id, nonce, body)
      SELECT c, seq, rev, s, n, body FROM fresh
      RETURNING id, conversation_id, sender_id, nonce, seq, rev, body, created_at
    ), counters AS (
      UPDATE conversations c SET last_seq = v.seq, rev = v.rev, last_activity_at = now()
        FROM (SELECT f.c, max(f.seq) AS seq, max(f.rev) AS rev FROM fresh f GROUP BY f.c) v
       WHERE c.id = v.c
    ), reads AS (
      UPDATE conversation_members m SET last_read_seq = v.seq
        FROM (SELECT f.c, f.s, max(f.seq) AS seq FROM fresh f GROUP BY f.c, f.s) v
       WHERE m.conversation_id = v.c AND m.user_id = v.s
    )
    SELECT j.ord::int AS ord, j.status, j.c AS conversation_id, j.s AS sender_id, j.n AS nonce,
           COALESCE(i.id, e.id) AS id, COALESCE(i.seq, e.seq) AS seq, COALESCE(i.rev, e.rev) AS rev,
           COALESCE(i.body, e.body) AS body, COALESCE(i.created_at, e.created_at) AS created_at,
           e.edited_at, e.deleted_at, i.id IS NOT NULL AND j.status = 'fresh' AS created
      FROM judged j
      LEFT JOIN ins i ON i.conversation_id = j.c AND i.sender_id = j.s AND i.nonce = j.n
      LEFT JOIN LATERAL (SELECT x.* FROM messages x WHERE x.id = j.existing_id LIMIT 1) e ON true
     ORDER BY j.ord;
  END
  $fn$`,
    ],
  },
  {
    version: 9,
    name: 'membership tables: the by-user index also holds the other key',
    statements: [
      // Each of these tables has a two-column primary key, (thing, user), and an index on the
      // user alone. Where most users are in about one thing, the planner took a lookup by both
      // keys through the smaller user-only index and filtered on the other key, so a member of many
      // conversations read their memberships one by one on every chat send, twice (608 rows for a
      // member of 300 in the group-commit suite). With both keys in it, either index is one exact
      // lookup, and lookups by user alone keep theirs. Building an index blocks writes to its
      // table while it runs, once, at startup.
      `CREATE INDEX conversation_members_user_conversation_idx ON conversation_members (user_id, conversation_id)`,
      `DROP INDEX conversation_members_user_idx`,
      `CREATE INDEX community_members_user_community_idx ON community_members (user_id, community_id)`,
      `DROP INDEX community_members_user_idx`,
      `CREATE INDEX meetup_rsvps_user_meetup_idx ON meetup_rsvps (user_id, meetup_id)`,
      `DROP INDEX meetup_rsvps_user_idx`,
      // Blocks: (blocker, blocked), and an index on the blocked alone.
      `CREATE INDEX blocks_blocked_blocker_idx ON blocks (blocked_id, blocker_id)`,
      `DROP INDEX blocks_blocked_idx`,
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
