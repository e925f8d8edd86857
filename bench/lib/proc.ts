/**
 * Spawning and reaping the bench's child processes (servers, load generators), pinned to a core
 * with `taskset` when it exists. Every child is tracked, so `killAll()` (called on exit, error and
 * Ctrl-C) leaves nothing behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reply } from './ipc.js';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** The compiled child scripts (`bench/tsconfig.children.json`). */
const DIST_DIR = path.join(BENCH_DIR, 'dist');

/** Whether `taskset` can pin processes here (checked once). */
export const canPin = (() => {
  try {
    return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  } catch {
    return false;
  }
})();

/** Cores: the server under test gets core 0, load generators core 1 (when there are two). */
export const SERVER_CPU = '0';
export const GENERATOR_CPU = '1';

const live = new Set<Child>();

let sourceMode = false;
/**
 * Source mode runs the project server from `server/src` through tsx (the smoke test, which runs
 * before any build); otherwise it runs the compiled `server/dist`, as in production.
 */
export function setSourceMode(on: boolean) {
  sourceMode = on;
}
export const isSourceMode = () => sourceMode;

let compiled = false;
/**
 * Compiles the child scripts to `bench/dist` (incrementally: under 2 s when nothing changed)
 * and runs children from there on plain node. Through tsx each start cost 0.4–0.8 s more, and a
 * quick pass starts about 80 of them. Source mode keeps running them through tsx.
 */
export function buildChildren() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(BENCH_DIR, 'tsconfig.children.json')], { cwd: REPO_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compiling the bench's child scripts failed:\n${r.stdout}${r.stderr}`);
  compiled = true;
}

export interface SpawnOptions {
  /** Label in logs and errors. */
  name: string;
  /** Script path relative to bench/. */
  script: string;
  env?: Record<string, string | undefined>;
  /** Core list for taskset, or null for no pinning. */
  cpu: string | null;
  /** Extra node flags (`--expose-gc`, `--cpu-prof`, ...). */
  nodeArgs?: string[];
  /** Where stdout and stderr go. */
  logDir: string;
}

/** A forked bench process with request/response over IPC. */
export class Child {
  readonly proc: ChildProcess;
  logFile: string;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((msg: Record<string, unknown>) => void)[] = [];
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;

  constructor(readonly opts: SpawnOptions) {
    fs.mkdirSync(opts.logDir, { recursive: true });
    this.logFile = path.join(opts.logDir, `${opts.name}.log`);
    const out = fs.openSync(this.logFile, 'a');
    const node =
      compiled && !sourceMode
        ? [...(opts.nodeArgs ?? []), path.join(DIST_DIR, opts.script.replace(/\.ts$/, '.js'))]
        : [
            ...(opts.nodeArgs ?? []),
            // Source mode (the smoke test, before any build): @hackmeshi/shared from its sources.
            ...(sourceMode ? ['--conditions=source'] : []),
            '--import',
            'tsx',
            path.join(BENCH_DIR, opts.script),
          ];
    const [cmd, args] = opts.cpu !== null && canPin ? ['taskset', ['-c', opts.cpu, process.execPath, ...node]] : [process.execPath, node];
    this.proc = spawn(cmd as string, args as string[], {
      cwd: REPO_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env } as NodeJS.ProcessEnv,
      stdio: ['ignore', out, out, 'ipc'],
      serialization: 'advanced',
    });
    fs.closeSync(out);
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        live.delete(this);
        for (const p of this.pending.values()) p.reject(new Error(`${opts.name} exited (${signal ?? code}); see ${this.logFile}`));
        this.pending.clear();
        resolve(code);
      });
    });
    this.proc.on('error', () => {});
    this.proc.on('message', (msg: Reply | Record<string, unknown>) => {
      if ('id' in msg && typeof msg.id === 'number') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        const r = msg as Reply;
        if (r.ok) p.resolve(r.data);
        else p.reject(new Error(`${opts.name}: ${r.error}`));
      } else {
        for (const l of this.listeners) l(msg as Record<string, unknown>);
      }
    });
  }

  /** Renames the child (its log file follows); returns the new name. */
  relabel(name: string) {
    const file = path.join(this.opts.logDir, `${name}.log`);
    fs.renameSync(this.logFile, file);
    this.logFile = file;
    this.opts.name = name;
    return name;
  }

  get pid() {
    return this.proc.pid;
  }

  /** Sends a command and resolves with the child's answer. */
  call<T = unknown>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.opts.name} is not running; see ${this.logFile}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.opts.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.proc.send({ id, cmd, ...args });
    });
  }

  /** Resolves with the first unsolicited message of a type (e.g. `ready`). */
  waitFor(type: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.opts.name}: no ${type} within ${timeoutMs} ms; see ${this.logFile}\n${this.tail()}`)), timeoutMs);
      const onMsg = (msg: Record<string, unknown>) => {
        if (msg.type !== type) return;
        clearTimeout(timer);
        resolve(msg);
      };
      this.listeners.push(onMsg);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.opts.name} exited before ${type}; see ${this.logFile}\n${this.tail()}`));
      });
    });
  }

  /** Last lines of the child's log, for error messages. */
  tail(lines = 15) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Kills the child at once (SIGKILL) and waits for it. */
  async kill() {
    if (this.exitCode === undefined) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Asks the child to exit cleanly (so `--cpu-prof` writes its profile), else kills it. */
  async stop(graceMs = 10_000) {
    if (this.exitCode !== undefined) return;
    await this.call('exit', {}, graceMs).catch(() => {});
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Kills every child still running. */
export async function killAll() {
  await Promise.all([...live].map((c) => c.kill()));
}

/** The number of children still running (the smoke test checks it is 0 at the end). */
export const liveChildren = () => live.size;

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

let sourceAddressCounter = 0;
/**
 * A loopback source address not used before in this run (127.0.1.2, 127.0.1.3, ...). Each
 * generator connects from its own, so the 28k ephemeral ports (and the TIME_WAIT left by the
 * previous target) are per generator, not shared by the whole run.
 */
export function nextSourceAddress() {
  const n = sourceAddressCounter++;
  return `127.0.${1 + Math.floor(n / 250)}.${2 + (n % 250)}`;
}
