import { presenceContract } from './presence.contract.js';
import { MemoryPresence } from './presence.js';
import { rateLimiterContract } from './rate-limit.contract.js';
import { MemoryRateLimiter } from './rate-limit.js';

rateLimiterContract('in-process', async () => new MemoryRateLimiter());
presenceContract('in-process', async () => new MemoryPresence());
