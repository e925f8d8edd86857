/**
 * Latency histograms (HdrHistogram, pure JS), in microseconds. Generators record, encode and send
 * theirs; the runner decodes and adds them up, so percentiles are over every sample of a stage.
 */
import hdr from 'hdr-histogram-js';

export type Histogram = ReturnType<typeof hdr.build>;

/** A histogram of microseconds from 1 µs to 2 minutes at 3 significant digits. */
export const newHistogram = (): Histogram =>
  hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });

export const encodeHistogram = (h: Histogram) => hdr.encodeIntoCompressedBase64(h);

/** Adds encoded histograms together. */
export function mergeHistograms(encoded: (string | null | undefined)[]): Histogram {
  const total = newHistogram();
  for (const e of encoded) {
    if (!e) continue;
    const h = hdr.decodeFromCompressedBase64(e, 32, false);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** The percentiles the bench reports, in milliseconds. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function latencyOf(h: Histogram): Latency {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, p50: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
