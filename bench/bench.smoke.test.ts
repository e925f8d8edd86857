/**
 * Smoke test of `npm run bench`: every scenario at a tiny size (a few clients, a second or two
 * each) against real server processes, Postgres and Redis. It asserts that each produces numbers
 * and that everything sent was delivered (reach 100 %, nothing missed after a resync), never how
 * fast: timings on a shared machine are not a test. Skipped without Postgres or Redis, except
 * under CI=true, where a missing service fails it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serviceAvailable } from '../server/src/test/services.js';
import { SERVER_NODE_FLAGS, sendersByGenerator } from './lib/harness.js';
import { REPO_DIR, liveChildren, setSourceMode } from './lib/proc.js';
import { runBench, SCENARIOS } from './run.js';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));

/** Every `reach` anywhere in a scenario's details (stage results). */
function reaches(x: unknown, out: number[] = []): number[] {
  if (Array.isArray(x)) for (const v of x) reaches(v, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'reach' && typeof v === 'number') out.push(v);
      else reaches(v, out);
    }
  }
  return out;
}

it('runs the servers with the Node flags of `npm start`, which the Dockerfile repeats', () => {
  const cmd = /^CMD \[(.*)\]$/m.exec(readFileSync(`${REPO_DIR}/Dockerfile`, 'utf8'))![1]!;
  const dockerFlags = (JSON.parse(`[${cmd}]`) as string[]).filter((w) => w.startsWith('--'));
  expect(SERVER_NODE_FLAGS).toContain('--max-semi-space-size=64');
  expect(dockerFlags).toEqual(SERVER_NODE_FLAGS);
});

it('sends from each generator in an order of its own, so the members of a pair do not send together', () => {
  // 200 pairs as S3 places them (both members on one generator, side by side) and as S4 does
  // (one member on each generator, at the same index).
  const senders = Array.from({ length: 400 }, (_, u) => ({ client: u, room: `pair${Math.floor(u / 2)}` }));
  const gens = [{}, {}] as Parameters<typeof sendersByGenerator>[0];
  const s3 = sendersByGenerator(gens, senders.map((_, u) => ({ gen: u < 200 ? 0 : 1, index: u % 200 })), senders);
  const s4 = sendersByGenerator(gens, senders.map((_, u) => ({ gen: u % 2, index: Math.floor(u / 2) })), senders);
  for (const lists of [s3, s4]) {
    // Every sender once.
    expect(lists.flat().length).toBe(400);
    expect(new Set(lists.flatMap((l, g) => l.map((s) => `${g}:${s.client}`))).size).toBe(400);
  }
  // S3: the pair's two members are rarely next to each other in their generator's round.
  const adjacent = s3.flatMap((l) => l.slice(1).filter((s, i) => s.room === l[i]!.room)).length;
  expect(adjacent).toBeLessThan(10);
  // S4: the same position on both generators (sent at the same instant) is rarely the same pair.
  expect(s4[0]!.filter((s, i) => s.room === s4[1]![i]!.room).length).toBeLessThan(10);
  // The same order in every run, for every target.
  expect(sendersByGenerator(gens, senders.map((_, u) => ({ gen: u % 2, index: Math.floor(u / 2) })), senders)).toEqual(s4);
});

describe.skipIf(!available)('bench (tiny sizes)', () => {
  it('runs every scenario against the project and its baselines, delivering everything', async () => {
    // Before any build: the project server runs from server/src.
    setSourceMode(true);
    const lines: string[] = [];
    const ctx = await runBench({ full: false, smoke: true, source: true, only: null, adapters: ['pubsub'], profile: false, survivors: true, s4Rate: null, targets: null, serverEnv: {} }, (l) => lines.push(l));
    expect(ctx.details.failures, lines.join('\n')).toEqual({});
    expect(liveChildren()).toBe(0);

    for (const name of Object.keys(SCENARIOS)) {
      const rows = ctx.rows.filter((r) => r.scenario.startsWith(`${name} `));
      expect(rows.length, `${name} rows`).toBeGreaterThan(0);
      for (const r of rows) {
        expect(Number.isFinite(r.project), `${r.scenario} ${r.metric} project`).toBe(true);
        if (!r.baselineName.includes('lost')) expect(r.baseline === null || Number.isFinite(r.baseline), `${r.scenario} ${r.metric} baseline`).toBe(true);
      }
    }

    // S1: the servers held every connection (checked inside) and reported memory for them.
    const s1 = ctx.details.S1 as { runs: { kind: string; points: { connections: number; heapPerConnKiB: number }[] }[] };
    expect(new Set(s1.runs.map((r) => r.kind))).toEqual(new Set(['socketio', 'ws', 'project']));
    for (const r of s1.runs) for (const p of r.points) expect(p.heapPerConnKiB).toBeGreaterThan(0);

    // S2, S3, S4: every stage delivered every message to every member.
    for (const name of ['S2', 'S3', 'S4']) {
      const all = reaches(ctx.details[name]);
      expect(all.length, `${name} stages`).toBeGreaterThan(0);
      expect(all.every((r) => r === 1), `${name} reach: ${all.join(', ')}`).toBe(true);
    }

    // Every stage reports what the machine's Postgres and Redis used, and the steal time (from
    // /proc, on Linux; zero on a machine that is not a virtual one).
    if (process.platform === 'linux') {
      const stages = (ctx.details.S4 as { fixedRuns: { stage: { postgresCpuPct: number | null; redisCpuPct: number | null; stealPct: number | null } }[] }).fixedRuns.map((r) => r.stage);
      for (const st of stages) {
        expect(st.postgresCpuPct).toBeGreaterThanOrEqual(0);
        expect(st.redisCpuPct).toBeGreaterThanOrEqual(0);
        expect(st.stealPct).toBeGreaterThanOrEqual(0);
      }
    }

    // S4 also compares split pairs with co-located ones on the same two nodes.
    expect(ctx.rows.filter((r) => r.scenario.startsWith('S4 ') && r.metric.includes('split vs co-located')).map((r) => r.metric.split(',')[0])).toEqual([
      'added peer p50',
      'added peer p99',
    ]);

    // --survivors: a profile of what outlived young collections for each server of each S4 window.
    const survivors = ctx.details.survivors as { file: string; bytesPerSec: number; top: unknown[] }[];
    const s4Servers = (ctx.details.S4 as { fixedRuns: { setup: { nodes: number } }[] }).fixedRuns.reduce((a, r) => a + r.setup.nodes, 0);
    expect(survivors.length).toBe(s4Servers);
    for (const s of survivors) expect(s.top.length, s.file).toBeGreaterThan(0);

    // S5: every dropped client came back and resynced, and on the project nothing acked was missed.
    const s5 = ctx.details.S5 as { victims: number; runs: { kind: string; result: { connected: number; synced: number; missed: number; acked: number } }[] };
    for (const r of s5.runs) expect(r.result.connected).toBeGreaterThanOrEqual(s5.victims);
    const project = s5.runs.filter((r) => r.kind === 'project');
    expect(project.length).toBeGreaterThan(0);
    for (const r of project) {
      expect(r.result.synced).toBeGreaterThanOrEqual(s5.victims);
      expect(r.result.acked).toBeGreaterThan(0);
      expect(r.result.missed).toBe(0);
    }
  }, 240_000);
});
