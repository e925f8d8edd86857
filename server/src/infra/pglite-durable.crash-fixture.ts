/**
 * Run by pglite-durable.test.ts in a child process: commits `count` rows one by one into table
 * `kept` of the durable PGlite in `dir`, says so, and dies by SIGKILL with the database open, as a
 * crashed server would.
 */
import { createDurablePglite } from './pglite-durable.js';

const [dir, count] = process.argv.slice(2) as [string, string];
const lite = await createDurablePglite(dir);
await lite.exec('CREATE TABLE IF NOT EXISTS kept (n int PRIMARY KEY)');
for (let n = 1; n <= Number(count); n++) await lite.query('INSERT INTO kept VALUES ($1)', [n]);
process.stdout.write(`committed ${count}\n`);
process.kill(process.pid, 'SIGKILL');
