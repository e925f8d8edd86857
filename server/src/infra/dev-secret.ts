import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Outside production, a missing SESSION_SECRET is generated once and kept beside the data, so
 * sessions survive restarts without anyone writing a secret into code or config. Production never
 * gets here: config validation demands a real secret there.
 */
export async function devSessionSecret(dataDir: string): Promise<string> {
  const file = path.resolve(dataDir, 'session-secret');
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not created yet
  }
  const secret = randomBytes(48).toString('base64url');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, secret, { mode: 0o600 });
  return secret;
}
