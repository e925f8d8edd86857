import { describe, expect, it } from 'vitest';
import type { PresenceStore } from './presence.js';

/** The behaviour both presence stores must share. */
export function presenceContract(label: string, make: () => Promise<PresenceStore>) {
  describe(`PresenceStore contract (${label})`, () => {
    const user = () => `u-${Math.random().toString(36).slice(2)}`;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    /**
     * Sleeps until `ms` after the clock reading `from`. The lease tests time each step from one
     * reading, with leases of hundreds of milliseconds, so a slow step on a busy machine shifts
     * nothing after it.
     */
    const until = (from: number, ms: number) => sleep(Math.max(0, from + ms - Date.now()));

    it('is online while any connection holds a lease, offline with last seen after the last leaves', async () => {
      const p = await make();
      const u = user();
      expect((await p.status([u])).get(u)).toEqual({ online: false, lastSeen: null, lastActive: null });
      await p.refresh(u, 'tab1', 10_000);
      await p.refresh(u, 'tab2', 10_000);
      await p.release(u, 'tab1');
      expect((await p.status([u])).get(u)?.online).toBe(true);
      const before = Date.now();
      await p.release(u, 'tab2');
      const s = (await p.status([u])).get(u)!;
      expect(s.online).toBe(false);
      expect(s.lastSeen).toBeGreaterThanOrEqual(before - 5);
    });

    it('drops a connection whose lease is not renewed (a dead node), with no cleanup call', async () => {
      const p = await make();
      const u = user();
      await p.refresh(u, 'conn', 500);
      const leased = Date.now();
      expect((await p.status([u])).get(u)?.online).toBe(true);
      await until(leased, 650);
      expect((await p.status([u])).get(u)).toMatchObject({ online: false, lastSeen: expect.any(Number) });
    });

    it('renews all of a user\'s connections in one heartbeat', async () => {
      const p = await make();
      const u = user();
      const start = Date.now();
      await p.refresh(u, 'tab1', 1_000);
      await p.refresh(u, 'tab2', 1_000);
      const leased = Date.now();
      await until(start, 300);
      await p.renewAll(new Map([[u, ['tab1', 'tab2']]]), 10_000);
      await until(leased, 1_150); // past the first leases
      expect((await p.status([u])).get(u)?.online).toBe(true);
      expect(await p.sweep()).not.toContain(u);
      expect(await p.release(u, 'tab1')).toBe(false);
      expect(await p.release(u, 'tab2')).toBe(true);
    });

    it('renews every user of a large node in one heartbeat', async () => {
      const p = await make();
      const users = Array.from({ length: 600 }, () => user()); // more than one Redis pipeline holds
      const lease = 2_000;
      const start = Date.now();
      for (const u of users) await p.refresh(u, `${u}-conn`, lease);
      const leased = Date.now();
      // The first leases must still be live when the heartbeat comes (CI, 2026-11-25: with 200 ms
      // leases, the first had lapsed before the 600th was taken).
      expect(leased - start, 'taking the leases outlasted the first of them').toBeLessThan(lease);
      await p.renewAll(new Map(users.map((u) => [u, [`${u}-conn`]])), 10_000);
      await until(leased, lease + 200);
      const status = await p.status(users);
      expect(users.filter((u) => !status.get(u)?.online)).toEqual([]);
      expect((await p.sweep()).filter((u) => users.includes(u))).toEqual([]);
      // Leave nothing to lapse later: a sweep hands back at most 200 users, and these 600 must not
      // crowd out the next test's.
      for (const u of users) await p.release(u, `${u}-conn`);
    });

    it('keeps a renewed lease alive past its first expiry', async () => {
      const p = await make();
      const u = user();
      const start = Date.now();
      await p.refresh(u, 'conn', 1_000);
      const leased = Date.now();
      await until(start, 500);
      await p.refresh(u, 'conn', 1_000); // lapses no earlier than start + 1,500
      await until(leased, 1_100); // the first lease has lapsed
      expect((await p.status([u])).get(u)?.online).toBe(true);
    });

    it('remembers the last activity, separately from the connection lease', async () => {
      const p = await make();
      const u = user();
      await p.refresh(u, 'conn', 10_000);
      expect((await p.status([u])).get(u)?.lastActive).toBeNull();
      const before = Date.now();
      await p.touch(u);
      expect((await p.status([u])).get(u)?.lastActive).toBeGreaterThanOrEqual(before - 5);
    });

    it('reports the transitions: the first lease brings a user online, the last release takes them offline', async () => {
      const p = await make();
      const u = user();
      expect(await p.refresh(u, 'tab1', 10_000)).toBe(true);
      expect(await p.refresh(u, 'tab2', 10_000)).toBe(false);
      expect(await p.refresh(u, 'tab1', 10_000)).toBe(false);
      expect(await p.release(u, 'tab1')).toBe(false);
      expect(await p.release(u, 'tab2')).toBe(true);
      expect(await p.refresh(u, 'tab3', 10_000)).toBe(true);
    });

    it('sweeps a user whose leases all lapsed exactly once, and never one still connected', async () => {
      const p = await make();
      const [dead, alive, cleanlyGone] = [user(), user(), user()];
      await p.refresh(dead, 'c1', 100);
      await p.refresh(dead, 'c2', 150);
      const leased = Date.now(); // the dead user's leases lapse by leased + 150
      await p.refresh(alive, 'c', 1_000);
      await p.refresh(cleanlyGone, 'c', 100);
      await p.release(cleanlyGone, 'c');
      await sleep(60);
      await p.refresh(alive, 'c', 10_000);
      await until(leased, 300);
      const [first, second] = [await p.sweep(), await p.sweep()];
      expect(first).toContain(dead);
      expect(first).not.toContain(alive);
      expect(first).not.toContain(cleanlyGone);
      expect(second).not.toContain(dead);
      // A lapsed user who comes back is online again, and sweepable again later.
      expect(await p.refresh(dead, 'c3', 100)).toBe(true);
    });

    it('answers for many users at once', async () => {
      const p = await make();
      const [a, b] = [user(), user()];
      await p.refresh(a, 'x', 10_000);
      const s = await p.status([a, b]);
      expect(s.get(a)?.online).toBe(true);
      expect(s.get(b)?.online).toBe(false);
    });
  });
}
