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
