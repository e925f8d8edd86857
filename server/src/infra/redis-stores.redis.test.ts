import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { deleteKeys } from '../test/harness.js';
import { serviceAvailable, TEST_REDIS_URL } from '../test/services.js';
import { redisKeys } from './keys.js';
import { presenceContract } from './presence.contract.js';
import { RedisPresence } from './presence.js';
import { rateLimiterContract } from './rate-limit.contract.js';
import { RedisRateLimiter } from './rate-limit.js';

const available = await serviceAvailable('redis');
const prefix = `hmtest:${randomBytes(4).toString('hex')}:`;
const clients: Redis[] = [];
const client = () => {
  const r = new Redis(TEST_REDIS_URL);
  clients.push(r);
  return r;
};
afterAll(async () => {
  for (const c of clients) c.disconnect();
  if (available) await deleteKeys(prefix);
});

describe.skipIf(!available)('Redis-backed stores', () => {
  rateLimiterContract('Redis', async () => new RedisRateLimiter(client(), redisKeys(prefix)));
  presenceContract('Redis', async () => new RedisPresence(client(), redisKeys(prefix)));
});
