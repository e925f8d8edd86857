import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { seed, dropSchema, DATABASE_URL } from './lib/seed.js';
import { serviceTicks, serviceCpuPct } from './lib/services-cpu.js';

const schema = `probe_${Date.now()}`;
const pairs = 500;
const s = await seed({ databaseUrl: DATABASE_URL, schema, dataDir: '/tmp/pgprobe' }, 'x'.repeat(32), { users: pairs * 2, conversations: Array.from({ length: pairs }, (_, i) => ({ kind: 'match', members: [2 * i, 2 * i + 1] })) });
const c = new pg.Client({ connectionString: DATABASE_URL });
await c.connect();
await c.query(`SET search_path TO ${schema}`);
const body = 'x'.repeat(200);
async function measure(label: string, n: number, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await fn(i);
  const a = serviceTicks(); const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const b = serviceTicks(); const ms = performance.now() - t;
  const pct = serviceCpuPct(a, b)!;
  console.log(`${label}: ${(ms / n * 1000).toFixed(0)} µs wall/call, postgres CPU ${((pct.postgres / 100) * ms * 1000 / n).toFixed(0)} µs/call`);
}
const SQL = 'SELECT * FROM chat_send_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])';
const batch = (k: number, i: number) => {
  const items = Array.from({ length: k }, (_, j) => { const p = (i * k + j) % pairs; return { c: s.conversationIds[p]!, u: s.userIds[2 * p]! }; });
  return [items.map((x) => x.c), items.map((x) => x.u), items.map(() => randomUUID()), items.map(() => body)];
};
const N = Number(process.argv[2] ?? 1000);
await measure('BEGIN;SELECT 1;COMMIT (3 round trips)', N, async () => { await c.query('BEGIN'); await c.query('SELECT 1'); await c.query('COMMIT'); });
await measure('SELECT 1', N, () => c.query('SELECT 1'));
await measure('BEGIN; UPDATE conversations; COMMIT (one statement, autocommit)', N, (i) => c.query('UPDATE conversations SET last_activity_at = now() WHERE id = $1', [s.conversationIds[i % pairs]]));
await measure('chat_send_batch x1', N, (i) => c.query(SQL, batch(1, i)));
await measure('chat_send_batch x1 (named prepared)', N, (i) => c.query({ name: 'send', text: SQL, values: batch(1, i) }));
await measure('chat_send_batch x4', N / 2, (i) => c.query(SQL, batch(4, i)));
await measure('chat_send_batch x16', N / 4, (i) => c.query(SQL, batch(16, i)));
await measure('chat_send_batch x64', N / 8, (i) => c.query(SQL, batch(64, i)));
await c.query('ALTER FUNCTION chat_send_batch(uuid[], uuid[], uuid[], text[]) RESET ALL');
await measure('x1 named, no SET clauses', N, (i) => c.query({ name: 'send2', text: SQL, values: batch(1, i) }));
await measure('x16 named, no SET clauses', N / 4, (i) => c.query({ name: 'send2', text: SQL, values: batch(16, i) }));
await c.query('SET synchronous_commit = off');
await measure('chat_send_batch x1, synchronous_commit off', N, (i) => c.query(SQL, batch(1, i)));
await c.end();
await dropSchema(schema);
