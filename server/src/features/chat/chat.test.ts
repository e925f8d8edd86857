import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../test/harness.js';
import { matchedPair, send } from '../../test/fixtures.js';
import { chatSuite } from './chat.suite.js';

chatSuite('PGlite', {});

describe('chat send limit', () => {
  it('follows CHAT_SEND_MAX_PER_SECOND', async () => {
    const srv = await startTestServer({ env: { CHAT_SEND_MAX_PER_SECOND: '3' } });
    const { a, conversationId } = await matchedPair(srv);
    const sa = await a.socket();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(sa, conversationId, `m${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED')).toHaveLength(5);
  });
});
