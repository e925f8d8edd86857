import { describe, expect, it } from 'vitest';
import { Handle, SignUpBody, Tag, UpdateProfileBody } from './accounts.js';
import { clientEvents } from './events.js';
import { httpRoutes } from './http.js';

describe('account schemas', () => {
  it('normalises handles to lowercase and refuses bad ones', () => {
    expect(Handle.parse('  Alice_01 ')).toBe('alice_01');
    for (const bad of ['ab', 'a'.repeat(21), 'has space', 'dash-ed', 'ハンドル']) {
      expect(Handle.safeParse(bad).success).toBe(false);
    }
  });

  it('requires a 10-character password and a non-blank display name, and nothing extra', () => {
    expect(SignUpBody.safeParse({ handle: 'bob_b', displayName: 'Bob', password: '123456789' }).success).toBe(false);
    expect(SignUpBody.safeParse({ handle: 'bob_b', displayName: '   ', password: '1234567890' }).success).toBe(false);
    expect(SignUpBody.safeParse({ handle: 'bob_b', displayName: 'Bob', password: '1234567890', role: 'admin' }).success).toBe(false);
    expect(SignUpBody.parse({ handle: 'Bob_B', displayName: ' Bob ', password: '1234567890' })).toEqual({
      handle: 'bob_b',
      displayName: 'Bob',
      password: '1234567890',
    });
  });

  it('accepts tags in any script, lowercases and de-duplicates them', () => {
    expect(Tag.parse('Node.js')).toBe('node.js');
    expect(Tag.parse('C++')).toBe('c++');
    expect(Tag.parse('機械学習')).toBe('機械学習');
    expect(Tag.safeParse('<script>').success).toBe(false);
    expect(UpdateProfileBody.parse({ tags: ['Rust', 'rust', 'Go'] })).toEqual({ tags: ['rust', 'go'] });
    expect(UpdateProfileBody.safeParse({ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }).success).toBe(false);
  });

  it('names every socket event feature:verb and every API path under /api', () => {
    for (const name of Object.keys(clientEvents)) expect(name).toMatch(/^[a-z]+:[a-z-]+$/);
    for (const r of Object.values(httpRoutes)) expect(r.path).toMatch(/^\/api\//);
  });
});
