/**
 * Operator commands, run against the configured database (same env as the server):
 *   npm run admin -- grant-admin <handle>
 *   npm run admin -- set-role <handle> <member|moderator|admin>
 */
import { Role } from '@hackmeshi/shared';
import { loadConfig } from './config.js';
import { openDb } from './infra/db.js';
import { migrate } from './infra/migrations.js';
import { accountStore } from './features/accounts/store.js';

const USAGE = 'usage: npm run admin -- grant-admin <handle> | set-role <handle> <member|moderator|admin>';

async function run(argv: string[]) {
  const [cmd, handle, roleArg] = argv;
  const role = cmd === 'grant-admin' ? 'admin' : cmd === 'set-role' ? Role.safeParse(roleArg).data : undefined;
  if (!handle || !role) {
    console.error(USAGE);
    return 64;
  }
  const db = await openDb(loadConfig());
  try {
    await migrate(db);
    const ok = await accountStore(db).setRole(handle.toLowerCase(), role);
    if (!ok) {
      console.error(`no user with handle ${handle}`);
      return 1;
    }
    console.log(`${handle} is now ${role}`);
    return 0;
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
