import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const h = await hashPassword('correct horse battery', 10);
    expect(h).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(h).not.toContain('correct horse');
    await expect(verifyPassword('correct horse battery', h)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterx', h)).resolves.toBe(false);
  });

  it('salts, so the same password hashes differently', async () => {
    expect(await hashPassword('same password!', 10)).not.toBe(await hashPassword('same password!', 10));
  });

  it('keeps hashes made at another cost valid', async () => {
    const old = await hashPassword('long enough pw', 11);
    await expect(verifyPassword('long enough pw', old)).resolves.toBe(true);
  });

  it('never matches a malformed hash', async () => {
    await expect(verifyPassword('x', 'plain-text')).resolves.toBe(false);
  });
});
