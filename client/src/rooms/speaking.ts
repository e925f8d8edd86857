/**
 * The speaking indicator, from microphone level to a throttled `room:speaking`: a level meter
 * (Web Audio), a detector with hysteresis and a hang time (speech has short pauses; the ring
 * should not flicker between words), and a reporter that sends only changes, at most a few per
 * second. The detector and reporter are plain logic, tested with fake timers.
 */

/** Root mean square of audio samples in [-1, 1]: 0 is silence, about 0.7 a full-scale sine. */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}

/** Tuning of `SpeakingDetector`. */
export interface SpeakingThresholds {
  /** RMS level that starts "speaking". Default 0.02 (about −34 dBFS): quiet speech, above room noise. */
  onLevel: number;
  /** RMS level that keeps "speaking" going once started (hysteresis). Default 0.01. */
  offLevel: number;
  /** How long after the level drops below `offLevel` the indicator stays on, in ms. Default 600. */
  hangMs: number;
}

export const DEFAULT_THRESHOLDS: SpeakingThresholds = { onLevel: 0.02, offLevel: 0.01, hangMs: 600 };

/** Turns a stream of levels into speaking / not speaking. */
export class SpeakingDetector {
  private speaking = false;
  private lastLoudAt = -Infinity;

  constructor(private readonly thresholds: SpeakingThresholds = DEFAULT_THRESHOLDS) {}

  /** Feeds one level measured at `now` (ms); returns whether the user is speaking now. */
  update(level: number, now: number): boolean {
    const loud = level >= (this.speaking ? this.thresholds.offLevel : this.thresholds.onLevel);
    if (loud) {
      this.lastLoudAt = now;
      this.speaking = true;
    } else if (this.speaking && now - this.lastLoudAt > this.thresholds.hangMs) {
      this.speaking = false;
    }
    return this.speaking;
  }

  /** Back to silence (muted, stepped down). */
  reset(): void {
    this.speaking = false;
    this.lastLoudAt = -Infinity;
  }
}

/** Least time between two `room:speaking` sends, in ms: at most 5 a second (the server allows 10). */
export const SPEAKING_MIN_INTERVAL_MS = 200;

/**
 * Sends the speaking state only when it changes, and no more often than every `minIntervalMs`.
 * A change inside the interval is sent when the interval ends, and only if it still differs from
 * what was last sent, so a blip shorter than the interval costs nothing.
 */
export class SpeakingReporter {
  private sent = false;
  private wanted = false;
  private lastSentAt = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (speaking: boolean) => void,
    private readonly minIntervalMs = SPEAKING_MIN_INTERVAL_MS,
  ) {}

  /** The latest local state. */
  set(speaking: boolean): void {
    this.wanted = speaking;
    this.flush();
  }

  /** Forgets what was sent without sending (the server no longer expects it: left the stage, left the room). */
  reset(): void {
    this.clearTimer();
    this.sent = false;
    this.wanted = false;
  }

  private flush(): void {
    if (this.wanted === this.sent) {
      this.clearTimer();
      return;
    }
    const wait = this.lastSentAt + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, wait);
      return;
    }
    this.sent = this.wanted;
    this.lastSentAt = Date.now();
    this.send(this.sent);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The microphone's level, read on demand from a Web Audio analyser. */
export class LevelMeter {
  private readonly context: AudioContext;
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly buffer: Float32Array<ArrayBuffer>;

  constructor(stream: MediaStream) {
    this.context = new AudioContext();
    this.source = this.context.createMediaStreamSource(stream);
    this.analyser = this.context.createAnalyser();
    // 2048 samples is about 43 ms at 48 kHz: read every 50 ms, almost nothing is missed.
    this.analyser.fftSize = 2048;
    this.buffer = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
    this.resume();
  }

  /** The current RMS level (0 while the context is suspended by the autoplay policy). */
  level(): number {
    this.analyser.getFloatTimeDomainData(this.buffer);
    return rms(this.buffer);
  }

  /** Whether the browser is holding audio back until a user gesture. */
  get suspended(): boolean {
    return this.context.state === 'suspended';
  }

  /** Tries to start the context (allowed after a user gesture on the page). */
  resume(): void {
    if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
  }

  close(): void {
    this.source.disconnect();
    void this.context.close().catch(() => undefined);
  }
}
