import { describe, expect, it } from 'vitest';
import type { RateLimiter } from './rate-limit.js';

/** The behaviour both rate limiters must share. */
export function rateLimiterContract(label: string, make: () => Promise<RateLimiter>) {
  describe(`RateLimiter contract (${label})`, () => {
    const bucket = () => `b-${Math.random().toString(36).slice(2)}`;

    it('allows up to the limit in a window, then refuses with a retry-after inside the window', async () => {
      const rl = await make();
      const b = bucket();
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await rl.hit(b, 3, 10_000));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results[3]!.count).toBe(4);
      expect(results[3]!.retryAfterMs).toBeGreaterThan(0);
      expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(10_000);
    });

    it('keeps buckets apart', async () => {
      const rl = await make();
      const a = bucket();
      await rl.hit(a, 1, 10_000);
      expect((await rl.hit(a, 1, 10_000)).allowed).toBe(false);
      expect((await rl.hit(bucket(), 1, 10_000)).allowed).toBe(true);
    });

    it('opens again when the window ends, and on reset', async () => {
      const rl = await make();
      const b = bucket();
      // A window of 500 ms, so the second hit lands inside it even on a busy machine.
      await rl.hit(b, 1, 500);
      const opened = Date.now();
      expect((await rl.hit(b, 1, 500)).allowed).toBe(false);
      await new Promise((r) => setTimeout(r, Math.max(0, opened + 650 - Date.now())));
      expect((await rl.hit(b, 1, 500)).allowed).toBe(true);
      await rl.reset(b);
      expect((await rl.hit(b, 1, 500)).count).toBe(1);
    });
  });
}
