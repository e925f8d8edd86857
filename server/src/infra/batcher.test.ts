import { describe, expect, it } from 'vitest';
import { GroupCommit, type Outcome } from './batcher.js';

/** A `run` that records its batches and finishes each one when the test says so. */
function recorder() {
  const batches: string[][] = [];
  const finishers: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const run = (items: string[]) => {
    batches.push(items);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<Outcome<string>[]>((resolve) =>
      finishers.push(() => {
        inFlight--;
        resolve(items.map((i) => (i.startsWith('bad') ? { ok: false, error: new Error(i) } : { ok: true, value: `done ${i}` })));
      }),
    );
  };
  const finishNext = async () => {
    await until(() => finishers.length > 0);
    finishers.shift()!();
  };
  return { run, batches, finishNext, maxInFlight: () => maxInFlight };
}

async function until(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition never held');
}

const sameLane = () => 'one';

describe('GroupCommit', () => {
  it('gathers what arrives while a commit is in flight into the next batch, and settles each caller after its own batch', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, sameLane, { maxWaitMs: 1, maxBatch: 100, lanes: 1 });
    const settled: string[] = [];
    const track = (p: Promise<string>) => p.then((v) => settled.push(v));
    const first = ['a', 'b'].map((i) => track(gc.submit(i)));
    await until(() => r.batches.length === 1);
    const second = ['c', 'd', 'e'].map((i) => track(gc.submit(i)));
    await new Promise((res) => setTimeout(res, 30));
    // The first batch is still committing: nothing settled, and the rest waits behind it.
    expect(r.batches).toEqual([['a', 'b']]);
    expect(settled).toEqual([]);
    await r.finishNext();
    await Promise.all(first);
    expect(settled).toEqual(['done a', 'done b']);
    await until(() => r.batches.length === 2);
    expect(r.batches[1]).toEqual(['c', 'd', 'e']);
    await r.finishNext();
    await Promise.all(second);
    expect(settled).toHaveLength(5);
  });

  it('caps a batch at maxBatch, keeping arrival order across batches', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, sameLane, { maxWaitMs: 1, maxBatch: 3, lanes: 1 });
    const all = Array.from({ length: 7 }, (_, i) => gc.submit(`m${i}`));
    for (let i = 0; i < 3; i++) await r.finishNext();
    await Promise.all(all);
    expect(r.batches).toEqual([['m0', 'm1', 'm2'], ['m3', 'm4', 'm5'], ['m6']]);
  });

  it('fails only the item whose outcome failed, and every item when the batch itself fails', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, sameLane, { maxWaitMs: 1, maxBatch: 10, lanes: 1 });
    const results = Promise.allSettled(['ok1', 'bad', 'ok2'].map((i) => gc.submit(i)));
    await r.finishNext();
    expect((await results).map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

    const down = Object.assign(new Error('connection lost'), { code: '57P01' });
    const failing = new GroupCommit<string, string>(() => Promise.reject(down), sameLane, { maxWaitMs: 1, maxBatch: 10, lanes: 1 });
    const all = await Promise.allSettled(['x', 'y'].map((i) => failing.submit(i)));
    expect(all).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
  });

  it('runs batches of different keys side by side, up to `lanes` of them', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, (i: string) => i.split(':')[0]!, { maxWaitMs: 1, maxBatch: 10, lanes: 8 });
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    const all = keys.flatMap((k) => [gc.submit(`${k}:1`), gc.submit(`${k}:2`)]);
    await until(() => r.batches.flat().length === 32);
    // Every lane's batch started without waiting for another lane's commit.
    expect(r.batches.length).toBeGreaterThan(1);
    expect(r.maxInFlight()).toBe(r.batches.length);
    for (let i = r.batches.length; i > 0; i--) await r.finishNext();
    await Promise.all(all);
    // A key's items never split across two batches that could commit at the same time.
    for (const k of keys) {
      const holding = r.batches.filter((b) => b.some((i) => i.startsWith(`${k}:`)));
      expect(holding).toHaveLength(1);
      expect(holding[0]!.filter((i) => i.startsWith(`${k}:`))).toEqual([`${k}:1`, `${k}:2`]);
    }
    expect(r.batches.length).toBeLessThanOrEqual(8);
  });

  it('never puts a key in two batches in flight: its later items wait, and keep their order', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, (i: string) => i.split(':')[0]!, { maxWaitMs: 1, maxBatch: 10, lanes: 4 });
    const first = gc.submit('a:1');
    await until(() => r.batches.length === 1);
    const later = [gc.submit('a:2'), gc.submit('b:1'), gc.submit('a:3')];
    // A lane is free, so b:1 starts beside the batch in flight; a:2 and a:3 wait for it.
    await until(() => r.batches.length === 2);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.batches).toEqual([['a:1'], ['b:1']]);
    await r.finishNext();
    await first;
    await until(() => r.batches.length === 3);
    expect(r.batches[2]).toEqual(['a:2', 'a:3']);
    await r.finishNext();
    await r.finishNext();
    await expect(Promise.all(later)).resolves.toEqual(['done a:2', 'done b:1', 'done a:3']);
  });

  it('starts a batch beside one in flight only once spillAt items wait; fewer wait for the commit', async () => {
    const r = recorder();
    const gc = new GroupCommit(r.run, (i: string) => i, { maxWaitMs: 1, maxBatch: 10, lanes: 2, spillAt: 3 });
    const all = [gc.submit('m0')];
    await until(() => r.batches.length === 1);
    all.push(gc.submit('m1'), gc.submit('m2'));
    await new Promise((res) => setTimeout(res, 20));
    // Two waiting: not worth a second transaction yet.
    expect(r.batches).toHaveLength(1);
    all.push(gc.submit('m3'));
    await until(() => r.batches.length === 2);
    expect(r.batches[1]).toEqual(['m1', 'm2', 'm3']);
    // Both lanes busy: the next one waits whatever the count.
    all.push(gc.submit('m4'), gc.submit('m5'), gc.submit('m6'), gc.submit('m7'));
    await new Promise((res) => setTimeout(res, 20));
    expect(r.batches).toHaveLength(2);
    // A lane frees and four wait: they spill into it while the other batch still commits.
    await r.finishNext();
    await until(() => r.batches.length === 3);
    expect(r.batches[2]).toEqual(['m4', 'm5', 'm6', 'm7']);
    all.push(gc.submit('m8'));
    await r.finishNext();
    await new Promise((res) => setTimeout(res, 20));
    // One batch still in flight and one item waiting: it waits for that commit, then goes at once.
    expect(r.batches).toHaveLength(3);
    await r.finishNext();
    await until(() => r.batches.length === 4);
    expect(r.batches[3]).toEqual(['m8']);
    await r.finishNext();
    await expect(Promise.all(all)).resolves.toHaveLength(9);
    expect(r.maxInFlight()).toBe(2);
  });

  it('drain starts what waits and resolves when every lane is idle', async () => {
    const done: string[] = [];
    const gc = new GroupCommit<string, string>(
      async (items) => {
        await new Promise((res) => setTimeout(res, 5));
        done.push(...items);
        return items.map((i) => ({ ok: true, value: i }));
      },
      sameLane,
      { maxWaitMs: 1_000, maxBatch: 10, lanes: 1 },
    );
    const p = gc.submit('late');
    await gc.drain();
    expect(done).toEqual(['late']);
    await expect(p).resolves.toBe('late');
  });
});
