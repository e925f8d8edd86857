import { describe, expect, it } from 'vitest';
import { isOriginAllowed } from './origin.js';

describe('isOriginAllowed', () => {
  it('allows same-origin pages and non-browser clients', () => {
    expect(isOriginAllowed('http://localhost:3000', 'localhost:3000', [])).toBe(true);
    expect(isOriginAllowed(undefined, 'localhost:3000', [])).toBe(true);
  });
  it('refuses another site unless allowlisted', () => {
    expect(isOriginAllowed('https://evil.example', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('http://localhost:5173', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('http://localhost:5173', 'localhost:3000', ['http://localhost:5173'])).toBe(true);
  });
  it('refuses a different port on the same host, and garbage', () => {
    expect(isOriginAllowed('http://localhost:4000', 'localhost:3000', [])).toBe(false);
    expect(isOriginAllowed('null', 'localhost:3000', [])).toBe(false);
  });
});
