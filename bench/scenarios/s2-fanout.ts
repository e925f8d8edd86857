/**
 * S2, room fan-out: R rooms of M members, every member sending 200-byte messages to its room at a
 * rate ramped stage by stage; the sustained rate is the highest stage with p99 (send to receipt,
 * every member) ≤ 100 ms and 100 % delivered.
 *
 * On the project a room is a conversation (the mechanism of community channels, meetup and room
 * chats) and a message is `chat:send`: validated, authorized, rate-limited, persisted in Postgres
 * with the next seq, acked after commit, then `chat:sent` to the room.
 * The baselines only broadcast. So this is "what the project costs over a bare broadcast", not a
 * comparison of equal work; S3 separates out the persistence.
 */
import {
  addRow,
  contentionNote,
  notes,
  latencyAtCommonRate,
  clientSpecs,
  connectClients,
  median,
  protocolOf,
  ramp,
  sendersByGenerator,
  size,
  targetOrder,
  withGenerators,
  withServer,
  type Ctx,
  type RampResult,
  type ServerKind,
} from '../lib/harness.js';

interface Shape {
  label: string;
  rooms: number;
  members: number;
  start: number;
}

export async function s2(ctx: Ctx) {
  const shapes: Shape[] = size(ctx, {
    smoke: [{ label: '2x3', rooms: 2, members: 3, start: 20 }],
    // Quick mode starts two doublings below where this machine's knees have been, to stay short.
    quick: [
      { label: '100x10', rooms: 100, members: 10, start: 800 },
      { label: '5x250', rooms: 5, members: 250, start: 64 },
    ],
    full: [
      { label: '100x10', rooms: 100, members: 10, start: 100 },
      { label: '5x500', rooms: 5, members: 500, start: 8 },
    ],
  });
  const stage = size(ctx, {
    smoke: { durationMs: 700, factor: 2, maxStages: 1, refine: 0 },
    quick: { durationMs: 1_000, factor: 2, maxStages: 10, refine: 1 },
    full: { durationMs: 5_000, factor: 1.5, maxStages: 16, refine: 2 },
  });
  const out: Record<string, unknown> = {};
  for (const shape of shapes) {
    const users = shape.rooms * shape.members;
    const roomOf = (u: number) => Math.floor(u / shape.members);
    const plan = {
      users,
      conversations: Array.from({ length: shape.rooms }, (_, r) => ({
        kind: 'community' as const,
        members: Array.from({ length: shape.members }, (_, k) => r * shape.members + k),
      })),
    };
    const runs: { kind: ServerKind; ramp: RampResult }[] = [];
    for (const kind of targetOrder(ctx)) {
      ctx.log(`  S2 ${shape.label} on ${kind}`);
      const result = await withServer(ctx, kind, { name: `s2-${shape.label}-${kind}-${runs.length}`, plan, profile: ctx.opts.profile && kind === 'project' }, (server, store) =>
        withGenerators(ctx, users, `s2-${kind}`, async (gens) => {
          const roomIds = kind === 'project' ? store!.seeded.conversationIds : plan.conversations.map((_, r) => `room${r}`);
          const roomsOfUser = Array.from({ length: users }, (_, u) => [roomIds[roomOf(u)]!]);
          const conn = await connectClients(gens, { protocol: protocolOf(kind), port: server.port }, clientSpecs(kind, roomsOfUser, store));
          if (conn.failed) throw new Error(`S2: ${conn.failed} clients failed to connect: ${conn.errors.join('; ')}`);
          const senders = sendersByGenerator(
            gens,
            conn.placements,
            Array.from({ length: users }, (_, u) => ({ client: u, room: roomIds[roomOf(u)]! })),
          );
          // The quick pass starts the baselines one doubling up (the same grid of rates): they have
          // always passed the first two stages, and the project's ramp still shares rates with theirs.
          const start = kind !== 'project' && !ctx.opts.full && !ctx.opts.smoke ? shape.start * 2 : shape.start;
          return ramp(ctx, { gens, senders, roomSize: () => shape.members, servers: [server] }, { ...stage, start, latency: 'delivery', label: kind });
        }),
      );
      runs.push({ kind, ramp: result });
    }
    out[shape.label] = runs;
    const sustained = (kind: ServerKind) => median(runs.filter((r) => r.kind === kind).map((r) => r.ramp.best?.deliveriesPerSec ?? 0));
    const bound = (kind: ServerKind) => runs.some((r) => r.kind === kind && r.ramp.generatorBound);
    const note = notes(
      ...(['socketio', 'ws', 'project'] as const).filter(bound).map((k) => `${k} ramp ended on a saturated generator (lower bound)`),
      contentionNote(runs.flatMap((r) => r.ramp.stages)),
    );
    const base = { scenario: `S2 ${shape.label}`, metric: 'sustained deliveries/s (p99 ≤ 100 ms, 100 %)', unit: '/s' };
    addRow(ctx, {
      ...base,
      baselineName: 'socket.io',
      baseline: sustained('socketio'),
      project: sustained('project'),
      target: '≥ 0.8×',
      // A generator-bound baseline is only a lower bound: the ratio is then not judged.
      pass: sustained('socketio') > 0 && !bound('socketio') && !bound('project') ? sustained('project') / sustained('socketio') >= 0.8 : null,
      note,
    });
    addRow(ctx, { ...base, baselineName: 'raw ws', baseline: sustained('ws'), project: sustained('project') });
    latencyAtCommonRate(ctx, `S2 ${shape.label}`, runs, 'delivery');
  }
  ctx.details.S2 = out;
}
