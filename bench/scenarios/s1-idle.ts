/**
 * S1, idle density: N authenticated connections, each in 2 rooms of 10, doing nothing. Measured
 * on the server: heap and RSS per connection after a forced GC (growth over the empty server ÷
 * N), idle CPU over a window, event-loop delay p99 and utilisation.
 *
 * The project's sockets are real sessions (cookie → HMAC lookup) whose users belong to 2
 * conversations; the project also puts every socket in its user and session rooms, keeps a
 * presence lease and renews room seats on timers, which is part of what idle costs here.
 *
 * "20k": one process can hold at most ~19,900 sockets (open-files hard limit 20,000 on this
 * machine), so the full size is 19,500.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../server/src/config.js';
import {
  addRow,
  clientSpecs,
  connectClients,
  median,
  protocolOf,
  size,
  targetOrder,
  withGenerators,
  withServer,
  type Ctx,
  type ServerKind,
} from '../lib/harness.js';

interface Point {
  connections: number;
  heapPerConnKiB: number;
  rssPerConnKiB: number;
  idleCpuPct: number;
  /** The kernel's part of idleCpuPct. */
  idleSysCpuPct: number;
  /** Share of the idle window the server waited for a core (shared machine). */
  cpuWaitPct: number;
  eldP99Ms: number;
  elu: number;
  /** Garbage collections in the idle window, by kind, and the main thread's time in them. */
  gcs: Record<string, number>;
  gcMs: number;
  handshakesPerSec: number;
  generatorCpuPct: number;
}

export async function s1(ctx: Ctx) {
  const sizes = size(ctx, { smoke: [20], quick: [1_000, 2_000], full: [10_000, 19_500] });
  // The quick pass gives every server (baselines and project alike) a 10 s heartbeat, so its idle
  // window, one whole interval, is 10 s rather than 25; it judges no idle target. The full run
  // keeps the configured interval (the project's default is 25 s), as does --server-env.
  const quickPing = ctx.opts.full || ctx.opts.smoke || ctx.opts.serverEnv.SOCKET_PING_INTERVAL_MS ? null : 10_000;
  const ping = quickPing ?? Number(ctx.opts.serverEnv.SOCKET_PING_INTERVAL_MS ?? loadConfig({}).SOCKET_PING_INTERVAL_MS);
  const env: Record<string, string> = quickPing ? { SOCKET_PING_INTERVAL_MS: String(quickPing) } : {};
  // A whole number of heartbeat intervals, at least 30 s at full size: every socket is pinged the
  // same number of times in the window, whichever phase of the cycle it starts in (pings bunch up
  // the way the connections did).
  const windowMs = size(ctx, { smoke: 500, quick: ping, full: Math.ceil(30_000 / ping) * ping });
  const users = sizes.at(-1)!;
  const roomsPerSet = Math.ceil(users / 10);
  // Room A groups users 0-9, 10-19, ...; room B takes every roomsPerSet-th user: 2 rooms of 10 each.
  const roomsOf = (u: number) => [Math.floor(u / 10), roomsPerSet + (u % roomsPerSet)];
  const plan = {
    users,
    conversations: Array.from({ length: 2 * roomsPerSet }, () => ({ kind: 'community' as const, members: [] as number[] })),
  };
  for (let u = 0; u < users; u++) for (const r of roomsOf(u)) plan.conversations[r]!.members.push(u);

  const runs: { kind: ServerKind; points: Point[] }[] = [];
  for (const kind of targetOrder(ctx)) {
    ctx.log(`  S1 on ${kind}`);
    const name = `s1-${kind}-${runs.length}`;
    // --profile: the idle windows only (a whole-process profile would be mostly the connects).
    const profile = ctx.opts.profile && kind === 'project';
    const points = await withServer(ctx, kind, { name, plan, env }, (server, store) =>
      withGenerators(ctx, users, `s1-${kind}`, async (gens) => {
        const roomIds = kind === 'project' ? store!.seeded.conversationIds : plan.conversations.map((_, r) => `room${r}`);
        const specs = clientSpecs(kind, Array.from({ length: users }, (_, u) => roomsOf(u).map((r) => roomIds[r]!)), store);
        await sleep(500);
        const empty = await server.stats(true);
        const points: Point[] = [];
        let done = 0;
        for (const n of sizes) {
          // Full runs connect each size's clients at an even pace over one heartbeat interval, so
          // their pings are spread over it as on a server whose clients came and went over hours
          // (clients that all arrive within seconds are pinged in bunches, which cost both servers
          // about half as much: thirteenth round), then let them settle for one more interval.
          // Raw ws only gives the memory floor, and the quick pass judges no idle target.
          const paced = ctx.opts.full && kind !== 'ws';
          const perSec = paced ? ((n - done) * 1000) / ping : undefined;
          const conn = await connectClients(gens, { protocol: protocolOf(kind), port: server.port }, specs.slice(done, n), perSec);
          if (conn.failed) throw new Error(`S1: ${conn.failed} of ${n - done} clients failed to connect: ${conn.errors.join('; ')}`);
          const handshakesPerSec = paced ? NaN : ((n - done) / conn.ms) * 1000;
          done = n;
          await sleep(paced ? ping : Math.min(1_000, windowMs));
          const mem = await server.stats(true);
          if (mem.connections !== n) throw new Error(`S1: server holds ${mem.connections} connections, expected ${n}`);
          // Idle CPU in the quick pass only at the largest size and on each target's first run;
          // the window spans a whole ping interval, or the share of heartbeats it happens to catch
          // decides the number. Raw ws is only the memory floor here: no table row uses its idle
          // CPU, so it skips the window.
          const measureIdle = (ctx.opts.full || (n === sizes.at(-1) && !runs.some((r) => r.kind === kind))) && kind !== 'ws';
          await Promise.all([server.mark(), ...gens.map((g) => g.child.call('mark'))]);
          if (measureIdle && profile) await server.cpuProfileStart();
          if (measureIdle) await sleep(windowMs);
          const idle = await server.stats(false);
          if (measureIdle && profile) await server.cpuProfileStop(path.join(ctx.profileDir, name, `idle-${n}.cpuprofile`));
          const genCpu = await Promise.all(gens.map((g) => g.child.call<{ cpuPct: number }>('collect')));
          if (!measureIdle) Object.assign(idle.window, { cpuPct: NaN, cpuSysPct: NaN, cpuWaitPct: NaN, eldP99Ms: NaN, elu: NaN });
          const point: Point = {
            connections: n,
            heapPerConnKiB: (mem.heapUsed - empty.heapUsed) / n / 1024,
            rssPerConnKiB: (mem.rss - empty.rss) / n / 1024,
            idleCpuPct: idle.window.cpuPct,
            idleSysCpuPct: idle.window.cpuSysPct,
            cpuWaitPct: idle.window.cpuWaitPct,
            eldP99Ms: idle.window.eldP99Ms,
            elu: idle.window.elu,
            gcs: idle.window.gcs,
            gcMs: idle.window.gcTotalMs,
            handshakesPerSec,
            generatorCpuPct: Math.max(...genCpu.map((g) => g.cpuPct)),
          };
          ctx.log(
            `    ${n} connections: heap ${point.heapPerConnKiB.toFixed(2)} KiB/conn, rss ${point.rssPerConnKiB.toFixed(2)} KiB/conn, cpu ${point.idleCpuPct.toFixed(2)}% ` +
              `(system ${point.idleSysCpuPct.toFixed(2)}%, event loop busy ${(point.elu * 100).toFixed(2)}%, waited ${point.cpuWaitPct.toFixed(0)}%), ` +
              `eld p99 ${point.eldP99Ms.toFixed(2)} ms, ` +
              (measureIdle ? `GC ${Object.entries(point.gcs).map(([k, v]) => `${v} ${k}`).join(' ') || 'none'} (${point.gcMs.toFixed(0)} ms), ` : '') +
              (perSec ? `connected at an even ${Math.round(perSec)}/s` : `${Math.round(handshakesPerSec)} handshakes/s while connecting`),
          );
          points.push(point);
        }
        return points;
      }),
    );
    runs.push({ kind, points });
  }
  ctx.details.S1 = { sizes, windowMs, runs };
  for (const [i, n] of sizes.entries()) {
    const m = (kind: ServerKind, key: Exclude<keyof Point, 'gcs'>) => median(runs.filter((r) => r.kind === kind).map((r) => r.points[i]![key]));
    const scenario = `S1 ${n.toLocaleString('en-US')} idle`;
    const note = n === 19_500 ? '"20k": 19,500 is the most one process can hold under the 20,000 open-files limit' : undefined;
    const heapRatio = m('project', 'heapPerConnKiB') / m('socketio', 'heapPerConnKiB');
    const rssRatio = m('project', 'rssPerConnKiB') / m('socketio', 'rssPerConnKiB');
    addRow(ctx, { scenario, metric: 'heap per connection after GC', unit: 'KiB', baselineName: 'socket.io', baseline: m('socketio', 'heapPerConnKiB'), project: m('project', 'heapPerConnKiB'), target: '≤ 1.2×', pass: heapRatio <= 1.2, note });
    addRow(ctx, { scenario, metric: 'RSS per connection after GC', unit: 'KiB', baselineName: 'socket.io', baseline: m('socketio', 'rssPerConnKiB'), project: m('project', 'rssPerConnKiB'), target: '≤ 1.2×', pass: rssRatio <= 1.2 });
    addRow(ctx, { scenario, metric: 'heap per connection after GC', unit: 'KiB', baselineName: 'raw ws', baseline: m('ws', 'heapPerConnKiB'), project: m('project', 'heapPerConnKiB') });
    const isLargest = i === sizes.length - 1;
    if (!Number.isFinite(m('project', 'idleCpuPct'))) {
      addRow(ctx, { scenario, metric: 'handshakes/s while connecting', unit: '/s', baselineName: 'socket.io', baseline: m('socketio', 'handshakesPerSec'), project: m('project', 'handshakesPerSec') });
      continue;
    }
    addRow(ctx, {
      scenario,
      metric: 'idle CPU, % of a core',
      unit: '%',
      baselineName: 'socket.io',
      baseline: m('socketio', 'idleCpuPct'),
      project: m('project', 'idleCpuPct'),
      ...(isLargest && !quickPing ? { target: '≤ 5 % (project)', pass: m('project', 'idleCpuPct') <= 5 } : {}),
      ...(quickPing ? { note: `quick pass: ${quickPing / 1000} s heartbeat on every server (configured: ${loadConfig({}).SOCKET_PING_INTERVAL_MS / 1000} s)` } : {}),
    });
    addRow(ctx, { scenario, metric: 'event-loop delay p99', unit: 'ms', baselineName: 'socket.io', baseline: m('socketio', 'eldP99Ms'), project: m('project', 'eldP99Ms') });
    if (Number.isFinite(m('project', 'handshakesPerSec'))) {
      addRow(ctx, { scenario, metric: 'handshakes/s while connecting', unit: '/s', baselineName: 'socket.io', baseline: m('socketio', 'handshakesPerSec'), project: m('project', 'handshakesPerSec') });
    }
  }
}
