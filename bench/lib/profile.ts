/**
 * Reads the `.cpuprofile` files `--profile` makes (`node --cpu-prof` on the project server) and
 * lists where the time went: the top functions by self time, and self time by package.
 * Also summarizes the `.heapprofile` files `--survivors` makes. Also a command:
 * `npx tsx bench/lib/profile.ts <file.cpuprofile | file.heapprofile>...`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Busy time: total less (idle) and (program). */
  busyMs: number;
  top: { fn: string; where: string; selfMs: number; pctOfBusy: number }[];
  byPackage: { pkg: string; selfMs: number; pctOfBusy: number }[];
}

/** `fastify`, `socket.io`, `server` (the project), `node:internal`, `(garbage collector)`, ... */
function packageOf(url: string, fn: string) {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(server|shared|bench)\/(dist|src)?/.exec(url);
  return m ? m[1]! : url;
}

function shortUrl(url: string) {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const i = url.search(/\/(server|shared|bench)\//);
  return i >= 0 ? url.slice(i + 1) : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, topN = 20): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  const pkgs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    total += us;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
      idle += us;
      continue;
    }
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName}|${where}`;
    const e = fns.get(key) ?? { fn: cf.functionName || '(anonymous)', where, us: 0 };
    e.us += us;
    fns.set(key, e);
    const pkg = packageOf(cf.url, cf.functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => (busy > 0 ? (us / busy) * 100 : 0);
  return {
    file: path.join(path.basename(path.dirname(file)), path.basename(file)),
    totalMs: total / 1000,
    busyMs: busy / 1000,
    top: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((e) => ({ fn: e.fn, where: e.where, selfMs: e.us / 1000, pctOfBusy: pct(e.us) })),
    byPackage: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([pkg, us]) => ({ pkg, selfMs: us / 1000, pctOfBusy: pct(us) })),
  };
}

export function formatProfile(s: ProfileSummary) {
  const lines = [`${s.file}: ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms sampled`];
  lines.push('  self time by package:');
  for (const p of s.byPackage) lines.push(`    ${p.pctOfBusy.toFixed(1).padStart(5)}%  ${p.pkg}`);
  lines.push('  top functions by self time:');
  for (const f of s.top) lines.push(`    ${f.pctOfBusy.toFixed(1).padStart(5)}%  ${f.fn}  ${f.where}`);
  return lines.join('\n');
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface SurvivorSummary {
  file: string;
  windowMs: number;
  /**
   * Full collections during the window. Each also frees the young generation's garbage, which
   * the profile then counts, so windows with none are the ones to read.
   */
  fullGcs: number;
  /** Sampled bytes that outlived a young collection, per second of the window. */
  bytesPerSec: number;
  byPackage: { pkg: string; bytesPerSec: number; pct: number }[];
  /** Allocation sites: the allocating function and the nearest caller outside Node's internals. */
  top: { site: string; caller: string; bytesPerSec: number; pct: number }[];
}

const frameName = (cf: HeapNode['callFrame']) => `${cf.functionName || '(anonymous)'}${cf.url ? ` ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : ''}`;

/**
 * Reads a `.heapprofile` that `--survivors` wrote (stats.ts: V8's sampling heap profiler keeping
 * only what young collections did not free) and lists where the survivors were allocated.
 */
export function summarizeSurvivors(file: string, topN = 20): SurvivorSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: HeapNode; windowMs: number; fullGcs: number };
  const perSec = (bytes: number) => (bytes / prof.windowMs) * 1000;
  const sites = new Map<string, { site: string; caller: string; bytes: number }>();
  const pkgs = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, stack: HeapNode['callFrame'][]) => {
    const cf = node.callFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      let outside: HeapNode['callFrame'] | undefined;
      for (let i = stack.length - 1; i >= 0 && !outside; i--) if (stack[i]!.url && !stack[i]!.url.startsWith('node:')) outside = stack[i];
      const site = frameName(cf);
      const caller = outside ? frameName(outside) : '';
      const key = `${site}|${caller}`;
      const e = sites.get(key) ?? { site, caller, bytes: 0 };
      e.bytes += node.selfSize;
      sites.set(key, e);
      const pkg = packageOf(cf.url, cf.functionName);
      pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + node.selfSize);
    }
    stack.push(cf);
    for (const c of node.children) walk(c, stack);
    stack.pop();
  };
  walk(prof.head, []);
  const pct = (b: number) => (total > 0 ? (b / total) * 100 : 0);
  return {
    file: path.basename(file),
    windowMs: prof.windowMs,
    fullGcs: prof.fullGcs,
    bytesPerSec: perSec(total),
    byPackage: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([pkg, b]) => ({ pkg, bytesPerSec: perSec(b), pct: pct(b) })),
    top: [...sites.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, topN)
      .map((e) => ({ site: e.site, caller: e.caller, bytesPerSec: perSec(e.bytes), pct: pct(e.bytes) })),
  };
}

export function formatSurvivors(s: SurvivorSummary) {
  const kb = (b: number) => `${(b / 1024).toFixed(0).padStart(6)} KB/s`;
  const full = s.fullGcs ? ` -- ${s.fullGcs} full collection(s) in the window, whose young garbage counts too` : '';
  const lines = [`${s.file}: ${kb(s.bytesPerSec).trim()} outlived a young collection, over ${(s.windowMs / 1000).toFixed(1)} s${full}`];
  lines.push('  by package of the allocating function:');
  for (const p of s.byPackage) lines.push(`    ${kb(p.bytesPerSec)} ${p.pct.toFixed(1).padStart(5)}%  ${p.pkg}`);
  lines.push('  top allocation sites (<- nearest caller outside node:):');
  for (const t of s.top) lines.push(`    ${kb(t.bytesPerSec)} ${t.pct.toFixed(1).padStart(5)}%  ${t.site}${t.caller ? `  <- ${t.caller}` : ''}`);
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of process.argv.slice(2)) console.log(f.endsWith('.heapprofile') ? formatSurvivors(summarizeSurvivors(f)) : formatProfile(summarizeProfile(f)));
}
