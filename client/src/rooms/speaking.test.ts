import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rms, SpeakingDetector, SpeakingReporter } from './speaking.js';

describe('rms', () => {
  it('is 0 for silence and the amplitude for a square wave', () => {
    expect(rms(new Float32Array(128))).toBe(0);
    expect(rms(Float32Array.from({ length: 128 }, (_, i) => (i % 2 ? 0.5 : -0.5)))).toBeCloseTo(0.5);
    expect(rms(new Float32Array(0))).toBe(0);
  });
});

describe('SpeakingDetector', () => {
  const thresholds = { onLevel: 0.02, offLevel: 0.01, hangMs: 600 };

  it('starts above the on level, and ignores quiet noise', () => {
    const d = new SpeakingDetector(thresholds);
    expect(d.update(0.015, 0)).toBe(false);
    expect(d.update(0.03, 50)).toBe(true);
  });

  it('keeps speaking through short pauses (hang time), then stops', () => {
    const d = new SpeakingDetector(thresholds);
    d.update(0.05, 0);
    expect(d.update(0, 500)).toBe(true);
    expect(d.update(0.05, 550)).toBe(true);
    expect(d.update(0, 1100)).toBe(true);
    expect(d.update(0, 1151)).toBe(false);
  });

  it('stays on above the lower off level once started (hysteresis)', () => {
    const d = new SpeakingDetector(thresholds);
    d.update(0.05, 0);
    expect(d.update(0.012, 2000)).toBe(true);
    expect(d.update(0.012, 2500)).toBe(true);
  });

  it('forgets on reset', () => {
    const d = new SpeakingDetector(thresholds);
    d.update(0.05, 0);
    d.reset();
    expect(d.update(0, 10)).toBe(false);
  });
});

describe('SpeakingReporter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends only changes', () => {
    const sent: boolean[] = [];
    const r = new SpeakingReporter((s) => sent.push(s), 200);
    r.set(false);
    r.set(true);
    r.set(true);
    expect(sent).toEqual([true]);
  });

  it('sends at most one change per interval, and the latest state when it ends', () => {
    const sent: boolean[] = [];
    const r = new SpeakingReporter((s) => sent.push(s), 200);
    r.set(true);
    vi.advanceTimersByTime(50);
    r.set(false);
    expect(sent).toEqual([true]);
    vi.advanceTimersByTime(149);
    expect(sent).toEqual([true]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([true, false]);
  });

  it('drops a blip shorter than the interval', () => {
    const sent: boolean[] = [];
    const r = new SpeakingReporter((s) => sent.push(s), 200);
    r.set(true);
    vi.advanceTimersByTime(20);
    r.set(false);
    vi.advanceTimersByTime(20);
    r.set(true);
    vi.advanceTimersByTime(500);
    expect(sent).toEqual([true]);
  });

  it('never exceeds five a second however fast the level flips', () => {
    const sent: number[] = [];
    const r = new SpeakingReporter(() => sent.push(Date.now()), 200);
    for (let i = 0; i < 100; i++) {
      r.set(i % 2 === 0);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1000);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(200);
    expect(sent.length).toBeLessThanOrEqual(6);
  });

  it('forgets what it sent on reset, without sending', () => {
    const sent: boolean[] = [];
    const r = new SpeakingReporter((s) => sent.push(s), 200);
    r.set(true);
    r.reset();
    vi.advanceTimersByTime(1000);
    r.set(false);
    expect(sent).toEqual([true]);
  });
});
