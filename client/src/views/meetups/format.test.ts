import { describe, expect, it } from 'vitest';
import { isoToLocalInput, localInputToIso } from './format.js';

describe('meetup form times', () => {
  it('reads a datetime-local value in the local zone and writes it with that offset', () => {
    const iso = localInputToIso('2026-11-24T19:05');
    expect(iso).toMatch(/^2026-11-24T19:05:00[+-]\d{2}:\d{2}$/);
    // Same instant as the browser's own reading of the local value.
    expect(Date.parse(iso ?? '')).toBe(new Date(2026, 10, 24, 19, 5).getTime());
  });

  it('refuses empty or malformed values', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('2026-11-24')).toBeNull();
  });

  it('round-trips through the edit form', () => {
    const iso = '2026-03-01T10:30:00.000Z';
    expect(Date.parse(localInputToIso(isoToLocalInput(iso)) ?? '')).toBe(Date.parse(iso));
  });
});
