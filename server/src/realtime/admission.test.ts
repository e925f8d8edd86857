import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

describe('Admission', () => {
  it('admits up to the limit, queues the next ones in order, and turns the rest away at once', async () => {
    const gate = new Admission(2, 2);
    const order: string[] = [];
    const a = await gate.enter();
    const b = await gate.enter();
    const c = gate.enter().then((ok) => order.push(`c:${ok}`));
    const d = gate.enter().then((ok) => order.push(`d:${ok}`));
    expect(await gate.enter()).toBe(false); // full: refused without waiting
    expect([a, b]).toEqual([true, true]);
    expect(gate.load).toEqual({ active: 2, waiting: 2 });
    gate.leave();
    await c;
    expect(order).toEqual(['c:true']);
    gate.leave();
    await d;
    expect(order).toEqual(['c:true', 'd:true']);
    gate.leave();
    gate.leave();
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
    expect(await gate.enter()).toBe(true);
  });
});
