/**
 * S3, match chat with persistence: P pairs, both members sending `chat:send` to their match
 * conversation at a ramped rate; the metric is acked messages/s with ack p99 ≤ 100 ms (the ack
 * comes only after the commit) and 100 % delivered to both members.
 *
 * The project runs four ways in the same run: Postgres and PGlite, each with group commit on (the
 * server's default CHAT_BATCH_MAX_WAIT_MS) and off (CHAT_BATCH_MAX_WAIT_MS=0, one commit per
 * message). The baseline is bare Socket.IO doing the same pairs with ack-after-broadcast and no
 * persistence: S2's non-persisted path, in the pair shape.
 */
import {
  addRow,
  contentionNote,
  notes,
  clientSpecs,
  connectClients,
  latencyAtCommonRate,
  median,
  protocolOf,
  ramp,
  sendersByGenerator,
  size,
  withGenerators,
  withServer,
  type Ctx,
  type RampResult,
  type ServerKind,
} from '../lib/harness.js';

interface Variant {
  label: string;
  kind: ServerKind;
  store?: 'postgres' | 'pglite';
  batch?: boolean;
}

const BASE: Variant = { label: 'socket.io', kind: 'socketio' };
const PROJECT: Variant[] = [
  { label: 'postgres batched', kind: 'project', store: 'postgres', batch: true },
  { label: 'postgres 1 commit/msg', kind: 'project', store: 'postgres', batch: false },
  { label: 'pglite batched', kind: 'project', store: 'pglite', batch: true },
  { label: 'pglite 1 commit/msg', kind: 'project', store: 'pglite', batch: false },
];

export async function s3(ctx: Ctx) {
  const pairs = size(ctx, { smoke: 4, quick: 500, full: 2_000 });
  const stage = size(ctx, {
    smoke: { start: 10, durationMs: 700, factor: 2, maxStages: 1, refine: 0 },
    quick: { start: 400, durationMs: 1_000, factor: 2, maxStages: 10, refine: 1 },
    full: { start: 50, durationMs: 5_000, factor: 1.5, maxStages: 16, refine: 2 },
  });
  const users = pairs * 2;
  const plan = { users, conversations: Array.from({ length: pairs }, (_, i) => ({ kind: 'match' as const, members: [2 * i, 2 * i + 1] })) };
  const order: Variant[] = ctx.opts.full ? [BASE, ...PROJECT, BASE, ...PROJECT, BASE] : ctx.opts.smoke ? [BASE, PROJECT[0]!, PROJECT[3]!] : [BASE, ...PROJECT, BASE];

  const runs: { variant: Variant; kind: ServerKind; ramp: RampResult }[] = [];
  for (const variant of order) {
    ctx.log(`  S3 on ${variant.label}`);
    const env: Record<string, string> = variant.batch === false ? { CHAT_BATCH_MAX_WAIT_MS: '0' } : {};
    const name = `s3-${variant.label.replace(/[^a-z0-9]+/gi, '-')}-${runs.length}`;
    const result = await withServer(
      ctx,
      variant.kind,
      { name, plan, store: variant.store, env, profile: ctx.opts.profile && variant.kind === 'project' },
      (server, store) =>
        withGenerators(ctx, users, `s3-${variant.kind}`, async (gens) => {
          const roomIds = variant.kind === 'project' ? store!.seeded.conversationIds : plan.conversations.map((_, r) => `pair${r}`);
          const roomsOfUser = Array.from({ length: users }, (_, u) => [roomIds[Math.floor(u / 2)]!]);
          const conn = await connectClients(gens, { protocol: protocolOf(variant.kind), port: server.port }, clientSpecs(variant.kind, roomsOfUser, store));
          if (conn.failed) throw new Error(`S3: ${conn.failed} clients failed to connect: ${conn.errors.join('; ')}`);
          const senders = sendersByGenerator(gens, conn.placements, Array.from({ length: users }, (_, u) => ({ client: u, room: roomIds[Math.floor(u / 2)]! })));
          // Quick ramps start nearer each target's knee: one commit per message gives out a few
          // doublings before group commit, bare Socket.IO a few after. On PGlite one commit per
          // message starts a doubling lower again: its one worker waits out an fsync per message
          // (since the twenty-first round), and its knee here is near 280 msg/s.
          const oneCommitStart = stage.start / (variant.store === 'pglite' ? 4 : 2);
          const start = ctx.opts.full || ctx.opts.smoke ? stage.start : variant.batch === false ? oneCommitStart : variant.kind === 'socketio' ? stage.start * 4 : stage.start;
          return ramp(ctx, { gens, senders, roomSize: () => 2, servers: [server] }, { ...stage, start, latency: 'ack', label: variant.label });
        }),
    );
    runs.push({ variant, kind: variant.kind, ramp: result });
  }
  ctx.details.S3 = { pairs, runs: runs.map((r) => ({ variant: r.variant.label, ramp: r.ramp })) };

  const rate = (label: string) => median(runs.filter((r) => r.variant.label === label).map((r) => r.ramp.best?.ackedPerSec ?? 0));
  const bounded = (label: string) => runs.some((r) => r.variant.label === label && r.ramp.generatorBound);
  const base = rate(BASE.label);
  for (const v of PROJECT) {
    const p = rate(v.label);
    if (!Number.isFinite(p)) continue;
    const note = notes(
      bounded(v.label) && 'project ramp ended on a saturated generator',
      bounded(BASE.label) && 'baseline ramp ended on a saturated generator (lower bound)',
      contentionNote(runs.filter((r) => r.variant.label === v.label).flatMap((r) => r.ramp.stages)),
    );
    addRow(ctx, {
      scenario: `S3 ${v.label}`,
      metric: 'acked msgs/s (ack p99 ≤ 100 ms, 100 %)',
      unit: '/s',
      baselineName: 'socket.io',
      baseline: base,
      project: p,
      ...(v.batch ? { target: '≥ 0.7×', pass: base > 0 && !bounded(BASE.label) ? p / base >= 0.7 : null } : {}),
      note,
    });
  }
  for (const store of ['postgres', 'pglite'] as const) {
    const batched = rate(`${store} batched`);
    const single = rate(`${store} 1 commit/msg`);
    if (!Number.isFinite(batched) || !Number.isFinite(single)) continue;
    addRow(ctx, {
      scenario: `S3 ${store}`,
      metric: 'group commit vs one commit per message, acked msgs/s',
      unit: '/s',
      baselineName: '1 commit/msg',
      baseline: single,
      project: batched,
      target: '≥ 5×',
      pass: single > 0 ? batched / single >= 5 : null,
    });
  }
  const pgRuns = runs.filter((r) => r.kind === 'socketio' || r.variant.label === 'postgres batched');
  latencyAtCommonRate(ctx, 'S3 postgres batched', pgRuns, 'ack');
  const errors: Record<string, number> = {};
  for (const r of runs) for (const s of r.ramp.stages) for (const [k, v] of Object.entries(s.errors)) errors[`${r.variant.label}: ${k}`] = (errors[`${r.variant.label}: ${k}`] ?? 0) + v;
  if (Object.keys(errors).length) ctx.log(`  S3 refused sends (all stages): ${JSON.stringify(errors)}`);
  (ctx.details.S3 as Record<string, unknown>).refused = errors;
}
