/**
 * The project's server as the bench runs it: the real `buildApp` (compiled `server/dist`, or the
 * sources in the smoke test), configured from the environment exactly like `server/src/main.ts`,
 * plus the bench's stats channel. Nothing in the production code knows about the bench.
 */
import { pathToFileURL } from 'node:url';
import { serveStats } from './stats.js';

// Types from the built server's declarations, so compiling the bench's children does not pull in server/src.
type AppModule = typeof import('../../server/dist/app.js');
type ConfigModule = typeof import('../../server/dist/config.js');

const fromSource = process.env.BENCH_PROJECT_FROM === 'src';
// The runner names the server directory: this checkout's, or BENCH_SERVER_DIR (another checkout's, a baseline commit, say).
if (!process.env.BENCH_SERVER_DIR) throw new Error('BENCH_SERVER_DIR is not set (the bench runner sets it)');
const serverDir = pathToFileURL(`${process.env.BENCH_SERVER_DIR.replace(/\/$/, '')}/`);
const mod = (name: string) => new URL(fromSource ? `src/${name}.ts` : `dist/${name}.js`, serverDir).href;
const { buildApp } = (await import(mod('app'))) as AppModule;
const { loadConfig } = (await import(mod('config'))) as ConfigModule;

const config = loadConfig(process.env);
const app = await buildApp(config);
await app.listen({ host: config.HOST, port: config.PORT });
const address = app.server.address();
serveStats({
  port: typeof address === 'object' && address ? address.port : config.PORT,
  connections: () => app.ctx.io.engine.clientsCount,
  close: () => app.close(),
});
