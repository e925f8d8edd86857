/**
 * Vitest globalSetup for the e2e project: builds the client once per run, so the tests always
 * exercise the current source through the real server (which serves client/dist).
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export async function setup(): Promise<void> {
  await build({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
}
