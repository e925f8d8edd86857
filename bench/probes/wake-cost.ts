/**
 * What the machine charges a process for waking up, by how often it wakes: a bare TCP echo server
 * (no Socket.IO, nothing of the project) answers one byte at a time from a client process that
 * sends at a fixed rate, and the server's own CPU (user + system) is divided by the reads it made.
 * Each read is one wake-up of the server, answered with one write. Timers fire at most once a
 * millisecond, so above 1,000/s the client sends a few messages per tick and they arrive in one
 * read.
 *
 * On a machine where waking is cheap the cost per message stays about the same at every rate. On
 * a virtual machine whose idle cores halt (no guest halt-polling), a process that sleeps between
 * messages pays much more for each one at a low rate than at a high one, and so does every server
 * the bench measures at low rates. Nothing else should run meanwhile.
 *
 *   npx tsx bench/probes/wake-cost.ts [seconds per rate]        (default 5)
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** Nanoseconds on a core of every thread of this process, from the scheduler's own clock. */
function schedNs() {
  let ns = 0;
  for (const t of fs.readdirSync('/proc/self/task')) ns += Number(fs.readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]);
  return ns;
}

const seconds = Number(process.argv[2] ?? 5);
const RATES = [10, 50, 100, 200, 500, 1_000, 2_000, 5_000];

if (process.argv[2] === 'client') {
  // The sender: `rate` one-byte messages a second, spaced evenly, until told to stop.
  const [port, rate] = [Number(process.argv[3]), Number(process.argv[4])];
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.setNoDelay(true);
    const interval = 1_000 / rate;
    let next = performance.now();
    const tick = () => {
      socket.write('x');
      next += interval;
      setTimeout(tick, Math.max(0, next - performance.now()));
    };
    tick();
  });
  socket.on('data', () => {});
  process.on('message', () => process.exit(0));
} else {
  // Two readings of the same CPU: getrusage (process.cpuUsage) and the scheduler's schedstat. Where
  // they agree, the figures are not an artifact of tick-sampled accounting.
  console.log('rate/s | reads | CPU % (getrusage) | µs per read (getrusage) | CPU % (schedstat) | µs per read (schedstat)');
  // The first pass, at 500/s, only warms up (JIT, the loader's own work) and is not reported.
  for (const [i, rate] of [500, ...RATES].entries()) {
    let reads = 0;
    const server = net.createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => {}); // the client's exit resets the connection
      s.on('data', (d) => {
        reads++;
        s.write(d);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const client = fork(new URL(import.meta.url).pathname, ['client', String(port), String(rate)], { execArgv: process.execArgv });
    await new Promise((r) => setTimeout(r, 1_000)); // settle
    const [u0, r0, t0, s0] = [process.cpuUsage(), reads, performance.now(), schedNs()];
    await new Promise((r) => setTimeout(r, seconds * 1_000));
    const u = process.cpuUsage(u0);
    const schedUs = (schedNs() - s0) / 1_000;
    const [n, ms] = [reads - r0, performance.now() - t0];
    const cpuUs = u.user + u.system;
    if (i > 0) console.log(`${rate} | ${n} | ${((cpuUs / 1_000 / ms) * 100).toFixed(1)} | ${(cpuUs / n).toFixed(0)} | ${((schedUs / 1_000 / ms) * 100).toFixed(2)} | ${(schedUs / n).toFixed(1)}`);
    client.send('stop');
    await new Promise((r) => client.once('exit', r));
    server.close();
  }
}
