/**
 * What every server under test (the project and both baselines) exposes to the runner over IPC,
 * the same way: heap and RSS after a forced GC (`--expose-gc`), CPU, event-loop utilisation and
 * event-loop delay over a window, and the number of open connections.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay, performance, type EventLoopUtilization, type PerformanceEntry } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { notify, serve } from '../lib/ipc.js';

/** A server's numbers, as the runner receives them. */
export interface ServerStats {
  connections: number;
  heapUsed: number;
  rss: number;
  /** Since the last `mark`. */
  window: {
    ms: number;
    cpuPct: number;
    /** The kernel's part of `cpuPct` (system calls, and network work charged to the process). */
    cpuSysPct: number;
    /**
     * Time the main thread was runnable but waiting for a core, as % of the window (Linux
     * schedstat; -1 elsewhere). High values mean the shared machine, not the server, set the pace.
     */
    cpuWaitPct: number;
    elu: number;
    eldP50Ms: number;
    eldP99Ms: number;
    eldMaxMs: number;
    /** The longest garbage-collection pause, in ms. */
    gcMaxMs: number;
    /** Its kind: minor (scavenge), major (mark-compact), incremental or weakcb; '' if none. */
    gcMaxKind: string;
    /** Collections in the window, by kind, and the main thread's time in them (ms). */
    gcs: Record<string, number>;
    gcTotalMs: number;
  };
}

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** The kind of a `gc` performance entry (perf_hooks' NODE_PERFORMANCE_GC_* constants). */
const gcKindOf = (e: PerformanceEntry) => (e as { detail?: { kind?: number } }).detail?.kind ?? 0;

/** Nanoseconds the main thread has waited on a run queue (Linux), or -1. */
function runQueueWaitNs() {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return -1;
  }
}

type Gc = (opts?: { type: 'minor' | 'major' }) => void;

function exposedGc(): Gc {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) throw new Error('start the server with --expose-gc');
  return gc;
}

/**
 * V8's sampling heap profiler, told to forget what young collections free: what is left is what
 * survived a scavenge (copied, then promoted), the work that makes scavenges long. Ending with a
 * forced young collection drops the young garbage of the last moments, so the profile holds what
 * outlived at least one scavenge plus what is still reachable at the end (messages in flight).
 * Objects that a full collection frees later stay counted: a dead old object keeps what it points
 * to alive through every scavenge until then, and those copies are what this is meant to find.
 */
class SurvivorSampler {
  private session: Session | null = null;
  private t0 = 0;
  private fullGcs = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (gcKindOf(e) === perfConstants.NODE_PERFORMANCE_GC_MAJOR) this.fullGcs += 1;
  });

  async start() {
    if (this.session) throw new Error('already sampling');
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 8_192,
      includeObjectsCollectedByMinorGC: false,
      includeObjectsCollectedByMajorGC: true,
    });
    this.session = session;
    this.t0 = performance.now();
    this.fullGcs = 0;
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Writes the profile (Chrome DevTools' `.heapprofile` format) to `file`. */
  async stop(file: string) {
    const session = this.session;
    if (!session) throw new Error('not sampling');
    this.session = null;
    exposedGc()({ type: 'minor' });
    const ms = performance.now() - this.t0;
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    this.observer.disconnect();
    // A full collection frees the young generation's garbage too, and the profiler keeps what
    // full collections free: a window with one counts everything young at that moment.
    fs.writeFileSync(file, JSON.stringify({ ...profile, windowMs: ms, fullGcs: this.fullGcs }));
  }
}

/**
 * V8's CPU profiler over one window (S1's idle window with `--profile`): `--cpu-prof` would cover
 * the whole life of the process, where the connects outweigh a 50 s idle window many times over.
 */
class WindowCpuProfiler {
  private session: Session | null = null;

  async start() {
    if (this.session) throw new Error('already profiling');
    const session = new Session();
    session.connect();
    // Twice V8's default rate: a 50 s window at 5 % busy still gets about 5,000 busy samples.
    // The sampling is not free (at 19,500 idle clients it took the window from about 4 % of a
    // core to 12 %), so read a profiled window's shares, not its CPU figure.
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    this.session = session;
  }

  /** Writes the profile (Chrome DevTools' `.cpuprofile` format) to `file`. */
  async stop(file: string) {
    const session = this.session;
    if (!session) throw new Error('not profiling');
    this.session = null;
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
  }
}

/** Serves `mark`, `stats`, `survivorsStart`/`survivorsStop`, `cpuProfileStart`/`cpuProfileStop` and `exit`, then tells the runner it is ready on `port`. */
export function serveStats(opts: { port: number; connections: () => number; close: () => Promise<void> }) {
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  let elu0: EventLoopUtilization = performance.eventLoopUtilization();
  let wait0 = runQueueWaitNs();
  let gcMaxMs = 0;
  let gcMaxKind = '';
  let gcs: Record<string, number> = {};
  let gcTotalMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[gcKindOf(e)] ?? 'other';
      gcs[kind] = (gcs[kind] ?? 0) + 1;
      gcTotalMs += e.duration;
      if (e.duration <= gcMaxMs) continue;
      gcMaxMs = e.duration;
      gcMaxKind = kind;
    }
  }).observe({ entryTypes: ['gc'] });
  const mark = () => {
    gcMaxMs = 0;
    gcMaxKind = '';
    gcs = {};
    gcTotalMs = 0;
    wait0 = runQueueWaitNs();
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    elu0 = performance.eventLoopUtilization();
    eld.reset();
  };
  const survivors = new SurvivorSampler();
  const cpuProfiler = new WindowCpuProfiler();
  serve({
    mark: () => mark(),
    survivorsStart: () => survivors.start(),
    survivorsStop: (req: { file: string }) => survivors.stop(req.file),
    cpuProfileStart: () => cpuProfiler.start(),
    cpuProfileStop: (req: { file: string }) => cpuProfiler.stop(req.file),
    async stats(req: { gc?: boolean }): Promise<ServerStats> {
      // Measure the window before collecting garbage, so the GC does not count as load.
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      const wait = runQueueWaitNs();
      const window = {
        ms,
        cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
        cpuSysPct: (cpu.system / 1000 / ms) * 100,
        cpuWaitPct: wait >= 0 && wait0 >= 0 ? ((wait - wait0) / 1e6 / ms) * 100 : -1,
        elu: elu.utilization,
        eldP50Ms: eld.percentile(50) / 1e6,
        eldP99Ms: eld.percentile(99) / 1e6,
        eldMaxMs: eld.max / 1e6,
        gcMaxMs,
        gcMaxKind,
        gcs,
        gcTotalMs,
      };
      if (req.gc) {
        const gc = exposedGc();
        for (let i = 0; i < 3; i++) {
          gc();
          await sleep(50);
        }
      }
      const mem = process.memoryUsage();
      return { connections: opts.connections(), heapUsed: mem.heapUsed, rss: mem.rss, window };
    },
    async exit() {
      // Answer first, then close and exit (a --cpu-prof profile is written on exit).
      setImmediate(() => {
        const force = setTimeout(() => process.exit(0), 5_000);
        opts.close().finally(() => {
          clearTimeout(force);
          process.exit(0);
        });
      });
      return null;
    },
  });
  notify('ready', { port: opts.port });
}
