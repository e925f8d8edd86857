/**
 * S4, cross-node: P match pairs whose two members are connected to different nodes (two server
 * processes, one Postgres schema, one Redis prefix), so every `chat:sent` to the peer crosses
 * the Socket.IO Redis adapter. Measured: the sustainable rate of the two nodes, and peer
 * delivery latency at 50 % load, as added p50/p99 over the single node (no Redis) at the same
 * rate. Full runs compare at 50 % of the single node's sustainable rate and again at 50 % of the
 * two nodes'; the quick pass once, at 50 % of the lower of the two. Each adapter of `--adapter`
 * runs in turn (REDIS_ADAPTER). Full runs and `--s4-rate` also run the two nodes with each pair's
 * members on the same node, so split against co-located pairs gives what the crossing itself adds,
 * and report how far the one-node p99 moved between its first and last run (`S4 repeat`).
 *
 * Baseline: bare Socket.IO with @socket.io/redis-adapter across two processes, against one bare
 * Socket.IO process, at the same rate. The second node runs on the generators' core, so each node
 * has a core of its own (two nodes pinned to one core spend the added latency waiting for each
 * other's time slices, which says more about the pinning than about the adapter).
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  addRow,
  clientSpecs,
  connectClients,
  median,
  protocolOf,
  ramp,
  runStage,
  sendersByGenerator,
  servicesNote,
  size,
  spawnGenerators,
  startServer,
  stageFailure,
  stopGenerators,
  prepareProject,
  rand,
  type Ctx,
  type Generator,
  type ProjectStore,
  type RampResult,
  type Server,
  type ServerKind,
  type StageResult,
} from '../lib/harness.js';
import { GENERATOR_CPU, SERVER_CPU } from '../lib/proc.js';
import { REDIS_URL, deleteRedisKeys } from '../lib/seed.js';

interface Setup {
  kind: ServerKind;
  nodes: 1 | 2;
  adapter?: string;
  /** Redis configured on a single node (rate limits, presence and adapter in Redis, no second node). */
  redis?: boolean;
  /**
   * Two nodes with both members of each pair on the same node: the same processes, cores, Redis
   * and load per node as split pairs, with nothing crossing. Split against co-located is what
   * the crossing itself adds.
   */
  colocated?: boolean;
}

export async function s4(ctx: Ctx) {
  const pairs = size(ctx, { smoke: 4, quick: 250, full: 2_000 });
  const stage = size(ctx, {
    smoke: { start: 10, durationMs: 700, factor: 2, maxStages: 1, refine: 0 },
    quick: { start: 100, durationMs: 1_000, factor: 2, maxStages: 8, refine: 1 },
    full: { start: 50, durationMs: 5_000, factor: 1.5, maxStages: 14, refine: 2 },
  });
  const fixedMs = size(ctx, { smoke: 1_000, quick: 2_000, full: 10_000 });
  // Full runs measure each setup over several windows and compare medians over all of them: on a
  // shared machine one stall of 100 ms decides a 10 s window's p99 at these rates.
  const fixedWindows = size(ctx, { smoke: 1, quick: 1, full: 3 });
  const users = pairs * 2;
  const plan = { users, conversations: Array.from({ length: pairs }, (_, i) => ({ kind: 'match' as const, members: [2 * i, 2 * i + 1] })) };

  /**
   * Starts the setup, connects its clients (split pairs: side A, the even users, to node 0 and
   * side B to the last node; co-located pairs: pair i to node i mod 2), runs `fn`.
   */
  async function withSetup<T>(setup: Setup, fn: (load: Parameters<typeof runStage>[0]) => Promise<T>): Promise<T> {
    const label = `s4-${setup.kind}-${setup.nodes}n${setup.redis ? '-redis' : ''}${setup.colocated ? '-colocated' : ''}${setup.adapter ? `-${setup.adapter}` : ''}`;
    let store: ProjectStore | null = null;
    const servers: Server[] = [];
    let gens: Generator[] = [];
    const prefix = `hmbench:${rand()}:`;
    const redis = setup.nodes === 2 || setup.redis === true;
    try {
      if (setup.kind === 'project') store = await prepareProject(ctx, { store: 'postgres', plan, redis });
      const env: Record<string, string> = { ...store?.env };
      if (redis && setup.kind === 'project') env.REDIS_ADAPTER = setup.adapter ?? 'pubsub';
      if (redis && setup.kind !== 'project') Object.assign(env, { REDIS_URL, REDIS_PREFIX: prefix });
      const profile = ctx.opts.profile && setup.kind === 'project';
      // Node 0 on the server core, node 1 on the other core (beside the generators, which use
      // ~10 % of it at these rates): each node has a core of its own, as in a deployment.
      const started = await Promise.allSettled(
        Array.from({ length: setup.nodes }, (_, n) =>
          startServer(ctx, setup.kind, { name: `${label}-node${n}-${rand()}`, env, profile, cpu: n === 0 ? SERVER_CPU : GENERATOR_CPU }),
        ),
      );
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      // A node's Redis subscriber can take a moment (a reconnect after a failed ready check) before
      // it hears the other node; the bench measures the steady state, so let both settle.
      if (setup.nodes === 2) await sleep(ctx.opts.smoke ? 1_000 : 2_000);
      gens = await spawnGenerators(ctx, 2, label);
      const roomIds = setup.kind === 'project' ? store!.seeded.conversationIds : plan.conversations.map((_, r) => `pair${r}`);
      const specs = clientSpecs(setup.kind, Array.from({ length: users }, (_, u) => [roomIds[Math.floor(u / 2)]!]), store);
      // Side A (even users) is on generator 0 and side B on generator 1. Split pairs put side A on
      // node 0 and side B on the last node; co-located pairs put both members of pair i on node
      // i mod 2, so each node carries the same load and nothing has to cross.
      const nodeOf = (u: number) => (setup.colocated ? Math.floor(u / 2) % servers.length : u % 2 === 0 ? 0 : servers.length - 1);
      const placements: { gen: number; index: number }[] = [];
      await Promise.all(
        [0, 1].map(async (side) => {
          for (let node = 0; node < servers.length; node++) {
            const group = specs.map((_, u) => u).filter((u) => u % 2 === side && nodeOf(u) === node);
            if (group.length === 0) continue;
            const c = await connectClients([gens[side]!], { protocol: protocolOf(setup.kind), port: servers[node]!.port }, group.map((u) => specs[u]!));
            if (c.failed) throw new Error(`S4: ${c.failed} clients failed to connect: ${c.errors.join('; ')}`);
            group.forEach((u, k) => (placements[u] = { gen: side, index: c.placements[k]!.index }));
          }
        }),
      );
      // What the connections just allocated is still in the young generation, and the first
      // scavenge copies all of it: a pause of 50-80 ms, seconds into the first window at these
      // rates (thirteenth round). A server whose clients arrived over time never has it, so
      // collect it before measuring, on every server alike.
      if (!ctx.opts.smoke) await Promise.all(servers.map((s) => s.stats(true)));
      // Both members of a pair send, so every user stays far below the project's 10 messages/s each.
      const senders = sendersByGenerator(
        gens,
        placements,
        Array.from({ length: users }, (_, u) => ({ client: u, room: roomIds[Math.floor(u / 2)]! })),
      );
      return await fn({ gens, senders, roomSize: () => 2, servers });
    } finally {
      await stopGenerators(gens);
      for (const s of servers) await (ctx.opts.profile ? s.stop() : s.kill());
      await store?.cleanup();
      if (redis && setup.kind !== 'project') await deleteRedisKeys(prefix);
    }
  }

  /** Every window of every fixed-rate run; `run` numbers the runs (a setup started afresh). */
  const fixedRuns: { setup: Setup; rate: number; run: number; stage: StageResult; failure: string | null }[] = [];
  let runs = 0;
  const runFixed = async (setup: Setup, rate: number) => {
    const run = ++runs;
    ctx.log(
      `  S4 ${setup.kind} ${setup.nodes} node(s)${setup.redis ? ' with Redis' : ''}${setup.colocated ? ', pairs co-located' : ''}${setup.adapter ? ` ${setup.adapter}` : ''} at ${Math.round(rate)} msg/s`,
    );
    try {
      const windows = await withSetup(setup, async (load) => {
        if (!ctx.opts.smoke) await runStage(load, rate, ctx.opts.full ? 1_000 : 500); // warm-up
        const out: StageResult[] = [];
        for (let w = 0; w < fixedWindows; w++) {
          if (ctx.opts.survivors) await Promise.all(load.servers.map((s) => s.survivorsStart()));
          out.push(await runStage(load, rate, fixedMs));
          if (ctx.opts.survivors) {
            fs.mkdirSync(ctx.profileDir, { recursive: true });
            await Promise.all(load.servers.map((s) => s.survivorsStop(path.join(ctx.profileDir, `${s.name}-w${w + 1}.heapprofile`))));
          }
        }
        return out;
      });
      for (const s of windows) {
        const failure = stageFailure(s, 'ack', Infinity);
        const gc = s.serverGcMaxMs.map((ms, i) => `${ms.toFixed(0)} ms${s.serverGcMaxKind[i] ? ` ${s.serverGcMaxKind[i]}` : ''}`).join(' / ');
        ctx.log(
          `    peer p50 ${s.peer.p50} p99 ${s.peer.p99} ms, ack p50 ${s.ack.p50} p99 ${s.ack.p99} ms, reach ${(s.reach * 100).toFixed(2)}%, ` +
            `server cpu ${s.serverCpuPct.map((c) => c.toFixed(0)).join('/')}% (waited ${s.serverCpuWaitPct.map((c) => c.toFixed(0)).join('/')}%)${servicesNote(s)}, longest gc ${gc}${failure ? ` -- ${failure}` : ''}`,
        );
        fixedRuns.push({ setup, rate, run, stage: s, failure });
      }
    } catch (err) {
      ctx.log(`    failed: ${err instanceof Error ? err.message : String(err)}`);
      fixedRuns.push({ setup, rate, run, stage: null as unknown as StageResult, failure: String(err) });
    }
  };

  // 1. The single node's sustainable rate (peer delivery p99 ≤ 100 ms).
  // (The smoke test skips the ramp and uses the starting rate.)
  let single: RampResult | null = null;
  const given = ctx.opts.s4Rate;
  if (!ctx.opts.smoke && given === null) {
    ctx.log('  S4 project 1 node: ramp');
    // The quick ramp of one node starts two doublings up, nearer its knee than two nodes' is.
    const start = ctx.opts.full ? stage.start : stage.start * 4;
    single = await withSetup({ kind: 'project', nodes: 1 }, (load) => ramp(ctx, load, { ...stage, start, latency: 'delivery', label: '1 node' }));
  }
  // 2. Throughput of two nodes, per adapter. The quick pass measures it first: on this machine
  //    two nodes, Postgres, Redis and the generators share two cores, so half of one node's rate
  //    can be more than the pair sustains, and a comparison there measures a queue. The quick
  //    pass compares at half the lower of the two rates instead; full runs compare at both.
  const twoNode: Record<string, RampResult | string> = {};
  const rampTwoNodes = async () => {
    for (const adapter of ctx.opts.smoke || given !== null ? [] : ctx.opts.adapters) {
      ctx.log(`  S4 project 2 nodes ${adapter}: ramp`);
      try {
        twoNode[adapter] = await withSetup({ kind: 'project', nodes: 2, adapter }, (load) => ramp(ctx, load, { ...stage, latency: 'delivery', label: `2 nodes ${adapter}` }));
      } catch (err) {
        twoNode[adapter] = String(err);
        ctx.log(`    failed: ${String(err)}`);
      }
    }
  };
  const quick = !ctx.opts.full && !ctx.opts.smoke;
  if (quick) await rampTwoNodes();
  const singleRate = single?.best?.ackedPerSec ?? stage.start;
  const twoRates = Object.values(twoNode).flatMap((t) => (typeof t === 'object' && t.best ? [t.best.ackedPerSec] : []));
  const lowerIsTwo = quick && twoRates.length > 0 && Math.min(...twoRates) < singleRate;
  const rate = given ?? Math.max(1, (lowerIsTwo ? Math.min(...twoRates) : singleRate) * 0.5);
  const rateOf = given !== null ? 'given by --s4-rate' : lowerIsTwo ? "50 % of two nodes' rate" : "50 % of one node's rate";

  // 3. At that rate: single node, baselines, each adapter, single node again.
  await runFixed({ kind: 'project', nodes: 1 }, rate);
  // One node with Redis: separates what Redis on the send path costs from what crossing nodes
  // costs (full runs only, to keep the quick pass short).
  if (ctx.opts.full || given !== null) await runFixed({ kind: 'project', nodes: 1, redis: true, adapter: 'pubsub' }, rate);
  // Two nodes with co-located pairs: full runs, --s4-rate and the smoke test; not the quick pass,
  // to keep it short.
  const colocated = ctx.opts.full || ctx.opts.smoke || given !== null;
  await runFixed({ kind: 'socketio', nodes: 1 }, rate);
  await runFixed({ kind: 'socketio', nodes: 2 }, rate);
  if (colocated) await runFixed({ kind: 'socketio', nodes: 2, colocated: true }, rate);
  for (const adapter of ctx.opts.adapters) {
    await runFixed({ kind: 'project', nodes: 2, adapter }, rate);
    if (colocated) await runFixed({ kind: 'project', nodes: 2, adapter, colocated: true }, rate);
  }
  if (!ctx.opts.smoke) {
    await runFixed({ kind: 'socketio', nodes: 1 }, rate);
    await runFixed({ kind: 'project', nodes: 1 }, rate);
  }

  if (ctx.opts.full) await rampTwoNodes();

  // 4. Full runs: the same comparison at 50 % of what the two nodes sustain. On this machine two
  //    nodes, Postgres, Redis and the generators share two cores, so half of one node's rate can
  //    be more than the pair sustains, and the first comparison then measures a queue.
  const halfOfTwo: Record<string, number> = {};
  if (ctx.opts.full) {
    for (const adapter of ctx.opts.adapters) {
      const t = twoNode[adapter];
      const best = typeof t === 'object' ? t.best?.ackedPerSec : undefined;
      if (!best) continue;
      const r = best * 0.5;
      halfOfTwo[adapter] = r;
      await runFixed({ kind: 'project', nodes: 1 }, r);
      await runFixed({ kind: 'socketio', nodes: 1 }, r);
      await runFixed({ kind: 'socketio', nodes: 2 }, r);
      await runFixed({ kind: 'socketio', nodes: 2, colocated: true }, r);
      await runFixed({ kind: 'project', nodes: 2, adapter }, r);
      await runFixed({ kind: 'project', nodes: 2, adapter, colocated: true }, r);
      await runFixed({ kind: 'socketio', nodes: 1 }, r);
      await runFixed({ kind: 'project', nodes: 1 }, r);
    }
  }
  ctx.details.S4 = { pairs, rate, single, fixedRuns, twoNode, halfOfTwo };

  const fixed = (kind: ServerKind, nodes: number, adapter?: string, redis = false, at = rate, colocatedPairs = false) =>
    fixedRuns
      .filter(
        (r) =>
          r.stage &&
          r.rate === at &&
          r.setup.kind === kind &&
          r.setup.nodes === nodes &&
          (adapter === undefined || r.setup.adapter === adapter) &&
          (r.setup.redis ?? false) === redis &&
          (r.setup.colocated ?? false) === colocatedPairs,
      )
      .map((r) => r.stage);
  const lat = (runs: StageResult[], p: 'p50' | 'p99') => median(runs.map((s) => s.peer[p]));
  const reachOk = (runs: StageResult[]) => runs.length > 0 && runs.every((s) => s.reach >= 1);
  const withRedis = fixed('project', 1, undefined, true);
  if (withRedis.length) {
    for (const p of ['p50', 'p99'] as const) {
      addRow(ctx, {
        scenario: 'S4 1 node + Redis',
        metric: `added peer ${p}, Redis configured vs not, 1 node, at ${Math.round(rate)} msg/s`,
        unit: 'ms',
        baselineName: '',
        baseline: null,
        project: lat(withRedis, p) - lat(fixed('project', 1), p),
        ratio: null,
        note: p === 'p50' ? 'rate limits, presence and the adapter in Redis, without a second node; one group-commit lane, as with Redis by default' : undefined,
      });
    }
  }
  for (const adapter of ctx.opts.adapters) {
    const points = [{ at: rate, of: rateOf }];
    if (halfOfTwo[adapter] !== undefined) points.push({ at: halfOfTwo[adapter], of: "50 % of two nodes' rate" });
    for (const { at, of } of points) {
      const two = fixed('project', 2, adapter, false, at);
      if (two.length === 0) {
        addRow(ctx, { scenario: `S4 ${adapter}`, metric: 'FAILED (see log)', unit: '', baselineName: '', baseline: null, project: null });
        continue;
      }
      for (const p of ['p50', 'p99'] as const) {
        const added = lat(two, p) - lat(fixed('project', 1, undefined, false, at), p);
        const baseAdded = lat(fixed('socketio', 2, undefined, false, at), p) - lat(fixed('socketio', 1, undefined, false, at), p);
        addRow(ctx, {
          scenario: `S4 ${adapter}`,
          metric: `added peer ${p}, 2 nodes vs 1, at ${Math.round(at)} msg/s (${of})`,
          unit: 'ms',
          baselineName: 'socket.io+redis',
          baseline: baseAdded,
          project: added,
          ratio: null,
          ...(p === 'p99' ? { target: '≤ 5 ms (project)', pass: reachOk(two) && added <= 5 } : {}),
          note: reachOk(two) ? undefined : 'not every message reached the peer',
        });
      }
      // The crossing alone: split pairs against co-located ones on the same two nodes.
      const together = fixed('project', 2, adapter, false, at, true);
      const baseTogether = fixed('socketio', 2, undefined, false, at, true);
      if (together.length === 0) continue;
      for (const p of ['p50', 'p99'] as const) {
        const added = lat(two, p) - lat(together, p);
        addRow(ctx, {
          scenario: `S4 ${adapter}`,
          metric: `added peer ${p}, pairs split vs co-located on the same 2 nodes, at ${Math.round(at)} msg/s (${of})`,
          unit: 'ms',
          baselineName: 'socket.io+redis',
          baseline: baseTogether.length ? lat(fixed('socketio', 2, undefined, false, at), p) - lat(baseTogether, p) : null,
          project: added,
          ratio: null,
          note: reachOk(together) ? undefined : 'not every message reached the peer (co-located)',
        });
      }
    }
    const t = twoNode[adapter];
    if (t === undefined) continue;
    const tput = typeof t === 'object' ? (t.best?.ackedPerSec ?? 0) : null;
    addRow(ctx, {
      scenario: `S4 ${adapter}`,
      metric: 'sustained msgs/s, 2 nodes (peer p99 ≤ 100 ms)',
      unit: '/s',
      baselineName: '1 node',
      baseline: single?.best?.ackedPerSec ?? 0,
      project: tput,
      note: typeof t === 'object' && t.generatorBound ? 'ramp ended on a saturated generator' : undefined,
    });
  }
  // The one-node setups run first and last at each rate, minutes apart, with nothing changed in
  // between: how far their p99 moves is the yardstick for the added-latency rows above, which are
  // differences of the same kind.
  for (const at of new Set(fixedRuns.map((r) => r.rate))) {
    const drift = (kind: ServerKind) => {
      const byRun = new Map<number, StageResult[]>();
      for (const r of fixedRuns) {
        if (r.stage && r.rate === at && r.setup.kind === kind && r.setup.nodes === 1 && !r.setup.redis) byRun.set(r.run, [...(byRun.get(r.run) ?? []), r.stage]);
      }
      const ids = [...byRun.keys()].sort((a, b) => a - b);
      return ids.length < 2 ? null : lat(byRun.get(ids[ids.length - 1]!)!, 'p99') - lat(byRun.get(ids[0]!)!, 'p99');
    };
    const project = drift('project');
    if (project === null) continue;
    addRow(ctx, {
      scenario: 'S4 repeat',
      metric: `peer p99, 1 node, last run − first run, at ${Math.round(at)} msg/s`,
      unit: 'ms',
      baselineName: 'socket.io',
      baseline: drift('socketio'),
      project,
      ratio: null,
      note: 'the same setup minutes apart: how far a p99 moves with nothing changed',
    });
  }
}
