import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = { '@hackmeshi/shared': fileURLToPath(new URL('./shared/src/index.ts', import.meta.url)) };
const SERVICE_TESTS = ['**/*.pg.test.ts', '**/*.redis.test.ts'];

/**
 * Three projects: fast tests on the embedded defaults, suites that need the real Postgres and
 * Redis (skipped on a laptop without them, required under CI=true), and browser end-to-end tests
 * against the built client.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['shared/src/**/*.test.ts', 'server/src/**/*.test.ts', 'client/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', ...SERVICE_TESTS],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          // Vitest's default is one file fewer than the cores, so a 2-core machine ran these one
          // at a time. They wait on sockets and timers more than they compute: two at once took
          // the project from about 220 s to about 140 s there (docs/decisions.md).
          maxWorkers: Math.max(2, availableParallelism() - 1),
          // Projects with their own worker count need their own turn; the others share group 0.
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'services',
          include: SERVICE_TESTS.map((g) => `server/src/${g}`),
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          // Real server processes on random ports over real Postgres and Redis (issue 6). Files
          // run one at a time: each starts several nodes, and two cores are easily saturated.
          name: 'cluster',
          include: ['server/test/cluster/**/*.cluster.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['client/e2e/**/*.e2e.test.ts'],
          globalSetup: ['client/e2e/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // `npm run bench` at tiny sizes: real server processes over Postgres and Redis.
          name: 'bench',
          include: ['bench/**/*.smoke.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
