import { describe, expect, it } from 'vitest';
import type { PresenceStore } from './presence.js';

/** The behaviour both presence stores must share. */
export function presenceContract(label: string, make: () => Promise<PresenceStore>) {
  describe(`PresenceStore contract (${label})`, () => {
    const user = () => `u-${Math.random().toString(36).slice(2)}`;

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
      await p.refresh(u, 'conn', 150);
      expect((await p.status([u])).get(u)?.online).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect((await p.status([u])).get(u)).toMatchObject({ online: false, lastSeen: expect.any(Number) });
    });

    it('renews all of a user\'s connections in one heartbeat', async () => {
      const p = await make();
      const u = user();
      await p.refresh(u, 'tab1', 150);
      await p.refresh(u, 'tab2', 150);
      await new Promise((r) => setTimeout(r, 100));
      await p.renewAll(new Map([[u, ['tab1', 'tab2']]]), 10_000);
      await new Promise((r) => setTimeout(r, 150));
      expect((await p.status([u])).get(u)?.online).toBe(true);
      expect(await p.sweep()).not.toContain(u);
      expect(await p.release(u, 'tab1')).toBe(false);
      expect(await p.release(u, 'tab2')).toBe(true);
    });

    it('renews every user of a large node in one heartbeat', async () => {
      const p = await make();
      const users = Array.from({ length: 600 }, () => user()); // more than one Redis pipeline holds
      for (const u of users) await p.refresh(u, `${u}-conn`, 200);
      await p.renewAll(new Map(users.map((u) => [u, [`${u}-conn`]])), 10_000);
      await new Promise((r) => setTimeout(r, 300));
      const status = await p.status(users);
      expect(users.filter((u) => !status.get(u)?.online)).toEqual([]);
      expect((await p.sweep()).filter((u) => users.includes(u))).toEqual([]);
    });

    it('keeps a renewed lease alive past its first expiry', async () => {
      const p = await make();
      const u = user();
      await p.refresh(u, 'conn', 200);
      await new Promise((r) => setTimeout(r, 120));
      await p.refresh(u, 'conn', 200);
      await new Promise((r) => setTimeout(r, 120));
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
      await p.refresh(alive, 'c', 100);
      await p.refresh(cleanlyGone, 'c', 100);
      await p.release(cleanlyGone, 'c');
      await new Promise((r) => setTimeout(r, 60));
      await p.refresh(alive, 'c', 10_000);
      await new Promise((r) => setTimeout(r, 200));
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
