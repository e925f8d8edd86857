import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { chatBatchLanes } from './features/chat/index.js';

const strong = 'k3Jd9sLq0PzX7vBn2MwR5tYc8HgF1aEu4iOo6';

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      DATA_DIR: './data',
      DATABASE_SCHEMA: 'public',
      REDIS_PREFIX: 'hm:',
      COOKIE_SECURE: false,
      ALLOWED_ORIGINS: [],
      SIGNIN_MAX_ATTEMPTS: 10,
      CHAT_SEND_MAX_PER_SECOND: 10,
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('parses numbers, lists and booleans, and treats empty strings as unset', () => {
    const c = loadConfig({ PORT: '8080', ALLOWED_ORIGINS: 'http://a.test, http://b.test', TRUST_PROXY: 'true', REDIS_URL: '' });
    expect(c.PORT).toBe(8080);
    expect(c.ALLOWED_ORIGINS).toEqual(['http://a.test', 'http://b.test']);
    expect(c.TRUST_PROXY).toBe(true);
    expect(c.REDIS_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_SCHEMA: 'Robert; DROP TABLE' }, 'DATABASE_SCHEMA'],
    [{ SESSION_SECRET: 'too-short' }, 'SESSION_SECRET'],
    [{ CHAT_BATCH_LANES: '0' }, 'CHAT_BATCH_LANES'],
    [{ CHAT_SEND_MAX_PER_SECOND: '0' }, 'CHAT_SEND_MAX_PER_SECOND'],
  ])('names the bad variable in %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });

  it('gives chat group commit two lanes on a single Postgres node, one per node of a cluster, never more than half the pool, and one on PGlite', () => {
    const c = loadConfig({});
    expect(chatBatchLanes('postgres', c.CHAT_BATCH_LANES, c.DATABASE_POOL_SIZE, false)).toBe(2);
    const clustered = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(chatBatchLanes('postgres', clustered.CHAT_BATCH_LANES, clustered.DATABASE_POOL_SIZE, Boolean(clustered.REDIS_URL))).toBe(1);
    expect(chatBatchLanes('postgres', 3, 10, true)).toBe(3);
    expect(chatBatchLanes('postgres', 6, 20, false)).toBe(6);
    expect(chatBatchLanes('postgres', 6, 5, false)).toBe(2);
    expect(chatBatchLanes('postgres', 2, 1, false)).toBe(1);
    expect(chatBatchLanes('pglite', 4, 10, false)).toBe(1);
  });

  it('refuses to start in production without a strong secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET: required/);
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'a'.repeat(40) })).toThrow(/SESSION_SECRET: too weak/);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'replace-with-output-of-openssl-rand-base64-48' }),
    ).toThrow(/SESSION_SECRET: too weak/);
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: strong, PASSWORD_HASH_COST: '10' })).toThrow(
      /PASSWORD_HASH_COST/,
    );
    const c = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: strong });
    expect(c.COOKIE_SECURE).toBe(true);
  });
});
