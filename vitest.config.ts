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
          name: 'e2e',
          include: ['client/e2e/**/*.e2e.test.ts'],
          globalSetup: ['client/e2e/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
