/** How one item of a batch ended: its value, or the error meant for its caller alone. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Tuning of a GroupCommit queue. */
export interface GroupCommitOptions {
  /**
   * Longest the first item of a batch waits for company before its batch starts, in ms. Items
   * arriving while a batch is committing wait for that commit instead, however long it takes.
   */
  maxWaitMs: number;
  /** Most items in one batch; a full batch starts at once. */
  maxBatch: number;
  /**
   * Independent queues, each with at most one batch in flight. Items with the same key always
   * share a lane, so they are committed in the order they were submitted.
   */
  lanes: number;
}

interface Waiting<I, R> {
  item: I;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/** One queue: at most one batch in flight, the next one gathering behind it. */
class Lane<I, R> {
  private queue: Waiting<I, R>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly run: (items: I[]) => Promise<Outcome<R>[]>,
    private readonly opts: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running) return; // it gathers behind the commit in flight
      if (this.queue.length >= this.opts.maxBatch) this.start();
      else this.timer ??= setTimeout(() => this.start(), this.opts.maxWaitMs);
    });
  }

  /** Resolves when nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  private start() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return;
    this.running = this.settle(batch).finally(() => {
      this.running = null;
      // Whatever arrived during the commit has waited long enough: it goes next, together.
      if (this.queue.length > 0) this.start();
    });
  }

  private async settle(batch: Waiting<I, R>[]) {
    let outcomes: Outcome<R>[];
    try {
      outcomes = await this.run(batch.map((w) => w.item));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i];
      if (!o) w.reject(new Error('group commit returned no outcome for an item'));
      else if (o.ok) w.resolve(o.value);
      else w.reject(o.error);
    });
  }
}

/** A stable lane for a key (FNV-1a), so one key never runs in two lanes at once. */
function laneIndex(key: string, lanes: number) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * Group commit: items submitted close together are handed to `run` as one batch (one
 * transaction), and each caller's promise settles only after `run` has finished, with its own
 * outcome. If `run` throws, every caller in the batch gets that error. While a batch is in
 * flight the next one gathers, so under load batches grow by themselves instead of queueing
 * one commit per item.
 */
export class GroupCommit<I, R> {
  private readonly lanes: Lane<I, R>[];

  constructor(
    run: (items: I[]) => Promise<Outcome<R>[]>,
    private readonly keyOf: (item: I) => string,
    opts: GroupCommitOptions,
  ) {
    if (opts.lanes < 1 || opts.maxBatch < 1 || opts.maxWaitMs < 0) throw new Error('invalid group commit options');
    this.lanes = Array.from({ length: opts.lanes }, () => new Lane(run, opts));
  }

  submit(item: I): Promise<R> {
    return this.lanes[laneIndex(this.keyOf(item), this.lanes.length)]!.submit(item);
  }

  /** Starts whatever is waiting and resolves when every lane is idle (before the database closes). */
  async drain(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.idle()));
  }
}
