/**
 * What one call of the chat send batch costs Postgres, by batch size: the CPU of the machine's
 * Postgres processes (from /proc) over N sequential calls, divided by N, beside a round trip and a
 * one-statement commit for scale. Runs in a schema of its own with 500 seeded match pairs, and
 * drops it afterwards. Nothing else should use Postgres meanwhile.
 *
 *   npx tsx bench/probes/send-cost.ts [calls]        (default 1,000)
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DATABASE_URL, dropSchema, seed } from '../lib/seed.js';
import { serviceCpuPct, serviceTicks } from '../lib/services-cpu.js';

const calls = Number(process.argv[2] ?? 1_000);
const pairs = 500;
const schema = `send_cost_${Date.now()}`;
const seeded = await seed({ databaseUrl: DATABASE_URL, schema, dataDir: '/tmp/unused' }, randomUUID(), {
  users: pairs * 2,
  conversations: Array.from({ length: pairs }, (_, i) => ({ kind: 'match' as const, members: [2 * i, 2 * i + 1] })),
});
const client = new pg.Client({ connectionString: DATABASE_URL });
await client.connect();
try {
  await client.query(`SET search_path TO ${schema}`);
  const body = 'x'.repeat(200);
  const SQL = 'SELECT * FROM chat_send_batch($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])';
  /** k messages, each from the first member of the next pair in turn. */
  const batch = (k: number, i: number) => {
    const pairsOf = Array.from({ length: k }, (_, j) => (i * k + j) % pairs);
    return [pairsOf.map((p) => seeded.conversationIds[p]), pairsOf.map((p) => seeded.userIds[2 * p]), pairsOf.map(() => randomUUID()), pairsOf.map(() => body)];
  };
  const measure = async (label: string, n: number, perCall: number, fn: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 50; i++) await fn(i); // warm: plans, caches, JIT
    const from = serviceTicks();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    const ms = performance.now() - t0;
    const cpu = serviceCpuPct(from, serviceTicks());
    const pgUs = cpu ? ((cpu.postgres / 100) * ms * 1_000) / n : NaN;
    console.log(
      `${label.padEnd(44)} ${((ms / n) * 1_000).toFixed(0).padStart(6)} µs wall  ${pgUs.toFixed(0).padStart(6)} µs Postgres CPU per call` +
        (perCall > 1 ? `, ${(pgUs / perCall).toFixed(0)} per message` : ''),
    );
  };
  await measure('SELECT 1', calls, 1, () => client.query('SELECT 1'));
  await measure('one UPDATE, committed', calls, 1, (i) =>
    client.query('UPDATE conversations SET last_activity_at = now() WHERE id = $1', [seeded.conversationIds[i % pairs]]),
  );
  await measure('send batch of 1, unnamed statement', calls, 1, (i) => client.query(SQL, batch(1, i)));
  for (const k of [1, 4, 16, 64]) {
    await measure(`send batch of ${k}, named statement`, Math.max(50, Math.round(calls / Math.sqrt(k))), k, (i) =>
      client.query({ name: 'send', text: SQL, values: batch(k, i) }),
    );
  }
} finally {
  await client.end();
  await dropSchema(schema);
}
