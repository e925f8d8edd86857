import { describe, expect, it } from 'vitest';
import { startTestServer } from '../test/harness.js';
import { matchedPair, sleep } from '../test/fixtures.js';

describe('presence on a single node (leases in memory)', () => {
  it('keeps a connected user online past LEASE_TTL_MS with no renewal, and offline once they leave', async () => {
    const srv = await startTestServer({ env: { LEASE_TTL_MS: '3000' } });
    const { a, b } = await matchedPair(srv);
    const presenceOfB = async () => {
      const res = await a.call({ method: 'GET', url: '/api/matches' });
      expect(res.status).toBe(200);
      return (res.body.data as { otherPresence: { state: string } }[])[0]!.otherPresence.state;
    };
    const tab = await b.socket();
    expect(await presenceOfB()).toBe('online');
    // Longer than the lease: a lease in this process's memory does not lapse while its socket lives.
    await sleep(3_500);
    expect(await presenceOfB()).toBe('online');
    tab.disconnect();
    await sleep(200);
    expect(await presenceOfB()).toBe('offline');
  });
});
