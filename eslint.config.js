// ESLint flat config: `npm run lint` (= `eslint .`). Type-unaware typescript-eslint rules, so it stays fast.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Tests, test helpers and benchmarks: Node globals, console allowed. */
const TESTS = ['**/*.test.ts', '**/*.suite.ts', '**/*.contract.ts', '**/test/**', 'client/e2e/**', 'bench/**'];

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/node_modules/',
    'test-artifacts/',
    'data/',
    'bench/results/',
    'client/dist/',
    'coverage/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  // Node: the server, shared code, root and client config files, tests and scripts.
  {
    files: ['server/**', 'shared/**', '*.{js,mjs,cjs,ts}', 'client/*.config.ts', ...TESTS],
    languageOptions: { globals: { ...globals.node } },
  },
  // Browser: the client.
  {
    files: ['client/**'],
    ignores: ['client/*.config.ts', 'client/e2e/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  // Tests read JSON answers loosely; production code may not.
  {
    files: TESTS,
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // The server logs through pino only; the admin CLI and tests may print.
  {
    files: ['server/src/**'],
    ignores: ['server/src/cli.ts', ...TESTS],
    rules: { 'no-console': 'error' },
  },
);
