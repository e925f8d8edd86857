/**
 * `npm run bench`: runs the scenarios against the project and its bare baselines in one run on
 * this machine, prints a table (scenario, metric, baseline, project, ratio) and writes everything
 * to bench/results/<time>.json.
 *
 *   npm run bench                        quick pass of every scenario
 *   npm run bench -- --full              full sizes
 *   npm run bench -- --only=S2,S3        some scenarios
 *   npm run bench -- --adapter=all       S4 with pubsub, sharded and streams in turn (default: the
 *                                        server's REDIS_ADAPTER default)
 *   npm run bench -- --profile           --cpu-prof on the project servers in S2, S3 and S4; V8's
 *                                        CPU profiler over the project's idle windows in S1
 *   npm run bench -- --targets=project   S1 and S2 on these targets only (project, socketio, ws):
 *                                        a look at one server, with no ratio
 *   npm run bench -- --survivors         what survives young collections, per server, in S4's
 *                                        fixed-rate windows (V8's sampling heap profiler)
 *   npm run bench -- --s4-rate=500       S4 at this rate only: no ramps, one node with and without
 *                                        Redis, two nodes, and the baselines
 *   npm run bench -- --source            the project from server/src (no build needed)
 *   npm run bench -- --server-env=DATABASE_POOL_SIZE=20   extra environment for the project servers
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../server/src/config.js';
import { fmt, runCleanups, type Ctx, type Options, type Row, type ServerKind } from './lib/harness.js';
import { formatProfile, formatSurvivors, summarizeProfile, summarizeSurvivors } from './lib/profile.js';
import { RESULTS_DIR, buildChildren, canPin, killAll, setSourceMode } from './lib/proc.js';
import { s1 } from './scenarios/s1-idle.js';
import { s2 } from './scenarios/s2-fanout.js';
import { s3 } from './scenarios/s3-persist.js';
import { s4 } from './scenarios/s4-cross-node.js';
import { s5 } from './scenarios/s5-reconnect.js';

export const SCENARIOS: Record<string, (ctx: Ctx) => Promise<void>> = { S1: s1, S2: s2, S3: s3, S4: s4, S5: s5 };
const ADAPTERS = ['pubsub', 'sharded', 'streams'];
const TARGETS: string[] = ['project', 'socketio', 'ws'] satisfies ServerKind[];

export function parseArgs(argv: string[]): Options {
  const opts: Options = { full: false, smoke: false, source: false, only: null, adapters: [loadConfig({}).REDIS_ADAPTER], profile: false, survivors: false, s4Rate: null, targets: null, serverEnv: {} };
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    const [key, value] = eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
    if (key === '--full') opts.full = true;
    else if (key === '--smoke') opts.smoke = true;
    else if (key === '--profile') opts.profile = true;
    else if (key === '--survivors') opts.survivors = true;
    else if (key === '--s4-rate' && value && Number(value) > 0) opts.s4Rate = Number(value);
    else if (key === '--source') opts.source = true;
    else if (key === '--targets' && value) {
      const targets = value.split(',').filter(Boolean);
      for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (${TARGETS.join(', ')})`);
      opts.targets = new Set(targets as ServerKind[]);
    }
    else if (key === '--server-env' && value?.includes('=')) {
      const k = value.slice(0, value.indexOf('='));
      opts.serverEnv[k] = value.slice(k.length + 1);
    }
    else if (key === '--only' && value) {
      opts.only = new Set(value.toUpperCase().split(',').filter(Boolean));
      for (const s of opts.only) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s} (known: ${Object.keys(SCENARIOS).join(', ')})`);
    } else if (key === '--adapter' && value) {
      opts.adapters = value === 'all' ? ADAPTERS : value.split(',');
      for (const a of opts.adapters) if (!ADAPTERS.includes(a)) throw new Error(`unknown adapter ${a} (pubsub, sharded, streams or all)`);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return opts;
}

/** The summary table, as printed. */
export function formatTable(rows: Row[]): string {
  const head = ['scenario', 'metric', 'baseline', 'project', 'ratio', 'target', 'note'];
  const body = rows.map((r) => {
    const digits = r.unit === 'ms' || r.unit === '%' || r.unit === 'KiB' ? 2 : 0;
    return [
      r.scenario,
      `${r.metric}${r.unit && r.unit !== '/s' ? ` (${r.unit})` : ''}`,
      r.baseline === null ? '-' : `${fmt(r.baseline, digits)} ${r.baselineName}`,
      fmt(r.project, digits),
      r.ratio === null ? '-' : `${fmt(r.ratio, 2)}×`,
      r.target ? `${r.target}${r.pass === true ? ' ✓' : r.pass === false ? ' ✗' : ''}` : '',
      r.note ?? '',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAvg: os.loadavg(),
    pinned: canPin,
    platform: `${os.type()} ${os.release()}`,
  };
}

/** The run in progress, so Ctrl-C can drop what it created. */
let active: Ctx | null = null;

/** Runs the selected scenarios; returns the context with rows and details. Always cleans up. */
export async function runBench(opts: Options, log: (line: string) => void = (l) => console.log(l)): Promise<Ctx> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const ctx: Ctx = {
    opts,
    logDir: path.join(RESULTS_DIR, 'logs', stamp),
    profileDir: path.join(RESULTS_DIR, 'profiles', stamp),
    secret: randomBytes(48).toString('base64'),
    rows: [],
    details: { machine: machine(), options: { ...opts, only: opts.only ? [...opts.only] : null }, startedAt: new Date().toISOString() },
    cleanups: new Map(),
    log,
  };
  active = ctx;
  const selected = Object.keys(SCENARIOS).filter((s) => !opts.only || opts.only.has(s));
  const failures: Record<string, string> = {};
  const durations: Record<string, number> = {};
  ctx.details.durationsMs = durations;
  try {
    for (const name of selected) {
      const t0 = Date.now();
      log(`${name} ...`);
      try {
        await SCENARIOS[name]!(ctx);
      } catch (err) {
        failures[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`${name} FAILED: ${failures[name]}`);
        ctx.rows.push({ scenario: name, metric: 'FAILED (see log)', unit: '', baseline: null, baselineName: '', project: null, ratio: null });
      } finally {
        await killAll();
        await runCleanups(ctx);
      }
      durations[name] = Date.now() - t0;
      log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await killAll();
    await runCleanups(ctx);
  }
  ctx.details.failures = failures;
  ctx.details.rows = ctx.rows;
  if (opts.profile && fs.existsSync(ctx.profileDir)) {
    // Per server, every thread's profile; the loader thread's (start-up only) are dropped.
    const files = fs.readdirSync(ctx.profileDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cpuprofile'));
    const summaries = files.map((f) => summarizeProfile(path.join(ctx.profileDir, f))).filter((s) => s.busyMs >= 300 && !isLoaderThread(s));
    ctx.details.profiles = summaries;
    for (const s of summaries) log(formatProfile(s));
  }
  if (opts.survivors && fs.existsSync(ctx.profileDir)) {
    const files = fs.readdirSync(ctx.profileDir).filter((f) => f.endsWith('.heapprofile')).sort();
    const summaries = files.map((f) => summarizeSurvivors(path.join(ctx.profileDir, f)));
    ctx.details.survivors = summaries;
    for (const s of summaries) log(formatSurvivors(s));
  }
  return ctx;
}

/** The ESM loader thread (tsx hooks) only compiles modules at start-up. */
const isLoaderThread = (s: { top: { where: string }[] }) => s.top.slice(0, 3).some((t) => t.where.startsWith('node:internal/modules/esm/worker'));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  setSourceMode(opts.source);
  if (!opts.source) buildChildren();
  const onSignal = (sig: string) => {
    console.error(`\n${sig}: stopping servers and generators, dropping schemas and keys ...`);
    const force = setTimeout(() => process.exit(130), 15_000);
    void killAll()
      .then(() => (active ? runCleanups(active) : undefined))
      .finally(() => {
        clearTimeout(force);
        process.exit(130);
      });
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  if (!canPin) console.log('note: taskset is not available; servers and generators are not pinned to cores');
  const t0 = Date.now();
  const ctx = await runBench(opts);
  const table = formatTable(ctx.rows);
  console.log(`\nhackmeshi bench (${opts.full ? 'full' : 'quick'} mode, ${((Date.now() - t0) / 1000).toFixed(0)} s, node ${process.version}, ${os.cpus().length} cores)\n`);
  console.log(table);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${opts.full ? 'full' : 'quick'}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...ctx.details, table }, null, 2));
  console.log(`\nresults: ${path.relative(process.cwd(), file)}\nlogs: ${path.relative(process.cwd(), ctx.logDir)}`);
  if (Object.keys(ctx.details.failures as object).length) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch(async (err: unknown) => {
    console.error(err);
    await killAll();
    process.exit(1);
  });
}
