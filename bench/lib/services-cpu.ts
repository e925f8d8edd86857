/**
 * CPU used by the machine's Postgres and Redis over a stage, read from /proc: the servers under
 * test share the two cores with them, so a stage's latency depends on what they needed too. They
 * are the machine's own services, so the figure includes anything else using them at the time.
 * Also the machine's steal time, from /proc/stat. Linux only; elsewhere every reading is null.
 */
import fs from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux everywhere that matters). */
const TICKS_PER_SEC = 100;

const SERVICES = { postgres: 'postgres', redis: 'redis-server' } as const;
export type Service = keyof typeof SERVICES;

/** Cumulative CPU ticks of each service's processes, or null without /proc. */
export interface ServiceTicks {
  at: number;
  ticks: Record<Service, number> | null;
  /**
   * The machine's steal time so far, all cores together: time a virtual CPU had work but the
   * hypervisor ran something else. A stage with steal lost time no process on the machine could
   * have used, so its latency says something about the host rather than the servers.
   */
  steal: number | null;
}

/**
 * Sums user and system time of every process named `postgres` or `redis-server`, with the time of
 * children already reaped (the postmaster's exited backends), so the total only grows while the
 * services run.
 */
export function serviceTicks(): ServiceTicks {
  const at = performance.now();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return { at, ticks: null, steal: null };
  }
  const ticks: Record<Service, number> = { postgres: 0, redis: 0 };
  for (const pid of pids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    const service = (Object.keys(SERVICES) as Service[]).find((s) => SERVICES[s] === comm);
    if (!service) continue;
    // Fields after comm, from field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    const f = stat.slice(close + 2).split(' ');
    ticks[service] += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return { at, ticks, steal: stealTicks() };
}

/** Steal ticks of all cores from /proc/stat's first line ("cpu user nice system idle iowait irq softirq steal ..."). */
function stealTicks(): number | null {
  try {
    const first = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    return first[0] === 'cpu' && first.length > 8 ? Number(first[8]) : null;
  } catch {
    return null;
  }
}

/**
 * Each service's CPU between two readings, and the machine's steal time, in % of one core; null
 * without /proc.
 */
export function serviceCpuPct(from: ServiceTicks, to: ServiceTicks): (Record<Service, number> & { steal: number | null }) | null {
  if (!from.ticks || !to.ticks) return null;
  const secs = (to.at - from.at) / 1000;
  if (secs <= 0) return null;
  const pct = (s: Service) => Math.max(0, ((to.ticks![s] - from.ticks![s]) / TICKS_PER_SEC / secs) * 100);
  const steal = from.steal === null || to.steal === null ? null : Math.max(0, ((to.steal - from.steal) / TICKS_PER_SEC / secs) * 100);
  return { postgres: pct('postgres'), redis: pct('redis'), steal };
}
