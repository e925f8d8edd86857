/**
 * S5, reconnect storm: V "victim" clients, each in a match chat with one of V/10 "sender"
 * clients, lose their connections at the same instant (the generator drops every socket without
 * a close handshake, as a network failure would). Each comes back by itself the way
 * socket.io-client does (after 1 s ± 50 %, doubling up to 5 s), and on the project resyncs every
 * conversation with `chat:sync` from the last seq it saw without a gap. The senders keep
 * sending throughout, so messages land while victims are away.
 *
 * Measured: time from the drop until 99 % are connected and (project) resynced, handshakes/s
 * during the storm, and messages missed: acked messages the victim never saw, live or by sync.
 * The bare Socket.IO baseline has no history, so what it misses is simply lost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addRow,
  clientSpecs,
  connectClients,
  median,
  protocolOf,
  SATURATED_PCT,
  sendersByGenerator,
  size,
  spawnGenerators,
  stopGenerators,
  withServer,
  type Ctx,
  type Generator,
  type SenderSpec,
  type ServerKind,
} from '../lib/harness.js';
import { nextSourceAddress } from '../lib/proc.js';

interface StormResult {
  victims: number;
  connected: number;
  synced: number;
  t99ConnectedMs: number | null;
  t99SyncedMs: number | null;
  handshakesPerSec: number;
  failedAttempts: number;
  failureReasons: Record<string, number>;
  sent: number;
  acked: number;
  missed: number;
  senderErrors: Record<string, number>;
  /** CPU of the generators over the storm, summed (they share one core), % of a core. */
  genCpuPct: number;
}

const at99 = (times: number[], n: number) => {
  const need = Math.ceil(n * 0.99);
  if (times.length < need) return null;
  return [...times].sort((a, b) => a - b)[need - 1]!;
};

export async function s5(ctx: Ctx) {
  const victims = size(ctx, { smoke: 10, quick: 1_000, full: 10_000 });
  const perSender = 10;
  const senders = Math.ceil(victims / perSender);
  const users = victims + senders;
  // Senders stay well under the project's 10 messages/s per user.
  const sendRate = size(ctx, { smoke: 5, quick: 100, full: 500 });
  const timeoutMs = size(ctx, { smoke: 20_000, quick: 30_000, full: 60_000 });
  // Conversation j: victim j and sender victims + floor(j / perSender).
  const plan = { users, conversations: Array.from({ length: victims }, (_, j) => ({ kind: 'match' as const, members: [j, victims + Math.floor(j / perSender)] })) };
  const order: ServerKind[] = ctx.opts.full ? ['socketio', 'project', 'socketio', 'project', 'socketio'] : ctx.opts.smoke ? ['socketio', 'project'] : ['socketio', 'project', 'socketio'];

  const runs: { kind: ServerKind; result: StormResult }[] = [];
  for (const kind of order) {
    ctx.log(`  S5 on ${kind}: ${victims} clients dropped at once`);
    const result = await withServer(ctx, kind, { name: `s5-${kind}-${runs.length}`, plan, profile: ctx.opts.profile && kind === 'project' }, async (server, store) => {
      let victimGens: Generator[] = [];
      let senderGens: Generator[] = [];
      try {
        victimGens = await spawnGenerators(ctx, Math.max(1, Math.ceil(victims / 5_000)), `s5-${kind}-victims`);
        senderGens = await spawnGenerators(ctx, 1, `s5-${kind}-senders`);
        const roomIds = kind === 'project' ? store!.seeded.conversationIds : plan.conversations.map((_, r) => `pair${r}`);
        const roomsOfUser = Array.from({ length: users }, (_, u) =>
          u < victims ? [roomIds[u]!] : roomIds.slice((u - victims) * perSender, (u - victims + 1) * perSender),
        );
        const specs = clientSpecs(kind, roomsOfUser, store);
        const target = { protocol: protocolOf(kind), port: server.port };
        const cv = await connectClients(victimGens, target, specs.slice(0, victims));
        const cs = await connectClients(senderGens, target, specs.slice(victims));
        if (cv.failed || cs.failed) throw new Error(`S5: clients failed to connect: ${[...cv.errors, ...cs.errors].join('; ')}`);
        await Promise.all(victimGens.map((g) => g.child.call('track')));
        // Sender s writes to its conversations in turn.
        const senderList: SenderSpec[][] = sendersByGenerator(
          senderGens,
          cs.placements,
          roomIds.map((room, j) => ({ client: Math.floor(j / perSender), room })),
        );
        const loadMs = Math.min(timeoutMs, size(ctx, { smoke: 2_500, quick: 6_000, full: 20_000 }));
        const load = senderGens[0]!.child.call<{ issued: number; acked: number; ackedByRoom: Record<string, number>; errors: Record<string, number>; cpuPct: number }>(
          'load',
          { rate: sendRate, durationMs: loadMs, senders: senderList[0], bodyBytes: 200 },
          loadMs + 60_000,
        );
        await sleep(1_000);
        await Promise.all(victimGens.map((g) => g.child.call('drop', { sync: kind === 'project', localAddress: nextSourceAddress() })));
        const deadline = Date.now() + timeoutMs;
        let status: { up: number; connectedAt: number[]; syncedAt: number[]; failures: number; failureReasons: Record<string, number>; cpuPct: number }[] = [];
        for (;;) {
          await sleep(200);
          status = await Promise.all(victimGens.map((g) => g.child.call<(typeof status)[number]>('stormStatus')));
          const synced = status.reduce((a, s) => a + s.syncedAt.length, 0);
          if (synced >= victims || Date.now() > deadline) break;
        }
        const sent = await load;
        await sleep(1_500); // last deliveries
        const seen = await Promise.all(victimGens.map((g) => g.child.call<Record<string, number>>('seenByRoom')));
        const seenByRoom: Record<string, number> = Object.assign({}, ...seen);
        let missed = 0;
        for (const [room, n] of Object.entries(sent.ackedByRoom)) missed += Math.max(0, n - (seenByRoom[room] ?? 0));
        const connectedAt = status.flatMap((s) => s.connectedAt);
        const syncedAt = status.flatMap((s) => s.syncedAt);
        const span = connectedAt.length > 1 ? Math.max(...connectedAt) - Math.min(...connectedAt) : 0;
        const r: StormResult = {
          victims,
          connected: connectedAt.length,
          synced: syncedAt.length,
          t99ConnectedMs: at99(connectedAt, victims),
          t99SyncedMs: at99(syncedAt, victims),
          handshakesPerSec: span > 0 ? (connectedAt.length / span) * 1000 : 0,
          failedAttempts: status.reduce((a, s) => a + s.failures, 0),
          failureReasons: status.reduce<Record<string, number>>((acc, s) => {
            for (const [k, v] of Object.entries(s.failureReasons)) acc[k] = (acc[k] ?? 0) + v;
            return acc;
          }, {}),
          sent: sent.issued,
          acked: sent.acked,
          missed,
          senderErrors: sent.errors,
          genCpuPct: status.reduce((a, s) => a + s.cpuPct, 0) + sent.cpuPct,
        };
        ctx.log(
          `    99% back in ${r.t99ConnectedMs?.toFixed(0) ?? '-'} ms, resynced in ${r.t99SyncedMs?.toFixed(0) ?? '-'} ms, ${Math.round(r.handshakesPerSec)} handshakes/s, ` +
            `${r.failedAttempts} failed attempts ${JSON.stringify(r.failureReasons)}, ${r.acked}/${r.sent} messages acked, ${r.missed} missed, generators ${r.genCpuPct.toFixed(0)}% of their core`,
        );
        return r;
      } finally {
        await stopGenerators([...victimGens, ...senderGens]);
      }
    });
    runs.push({ kind, result });
  }
  ctx.details.S5 = { victims, senders, sendRate, runs };
  const m = (kind: ServerKind, key: keyof StormResult) => median(runs.filter((r) => r.kind === kind).map((r) => (r.result[key] as number | null) ?? NaN));
  const scenario = `S5 ${victims.toLocaleString('en-US')} dropped`;
  const resynced = m('project', 't99SyncedMs');
  const busyNote = (['socketio', 'project'] as const)
    .map((kind) => ({ kind, pct: Math.max(...runs.filter((r) => r.kind === kind).map((r) => r.result.genCpuPct)) }))
    .filter((b) => b.pct > SATURATED_PCT)
    .map((b) => `; ${b.kind === 'project' ? 'project' : 'baseline'} generators reached ${b.pct.toFixed(0)} % of their core (its time is an upper bound)`)
    .join('');
  addRow(ctx, { scenario, metric: 'time until 99 % reconnected', unit: 'ms', baselineName: 'socket.io', baseline: m('socketio', 't99ConnectedMs'), project: m('project', 't99ConnectedMs') });
  addRow(ctx, {
    scenario,
    metric: 'time until 99 % reconnected and resynced',
    unit: 'ms',
    baselineName: 'socket.io',
    baseline: m('socketio', 't99SyncedMs'),
    project: resynced,
    target: '≤ 30 s',
    pass: Number.isFinite(resynced) && resynced <= 30_000,
    note: `the baseline has nothing to resync${busyNote}`,
  });
  addRow(ctx, { scenario, metric: 'handshakes/s during the storm', unit: '/s', baselineName: 'socket.io', baseline: m('socketio', 'handshakesPerSec'), project: m('project', 'handshakesPerSec') });
  const missed = runs.filter((r) => r.kind === 'project').reduce((a, r) => a + r.result.missed, 0);
  addRow(ctx, {
    scenario,
    metric: 'acked messages missed after resync',
    unit: '',
    baselineName: 'socket.io (lost)',
    baseline: m('socketio', 'missed'),
    project: missed,
    ratio: null,
    target: '0',
    pass: missed === 0,
  });
}
