/** How one item of a batch ended: its value, or the error meant for its caller alone. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Tuning of a GroupCommit queue. */
export interface GroupCommitOptions {
  /**
   * Longest the first item of a batch waits for company before its batch starts, in ms, when
   * nothing is in flight. Items arriving while a batch is committing wait for that commit
   * instead, however long it takes (or spill into a batch of their own, see `spillAt`).
   */
  maxWaitMs: number;
  /** Most items in one batch; a full batch starts at once. */
  maxBatch: number;
  /** Most batches in flight at once (each takes a connection of its own). */
  lanes: number;
  /**
   * Fewest waiting items that start a batch beside one already in flight (default 1). Fewer than
   * that wait for a commit to finish and go out together: one transaction of many rows costs the
   * database much less than several of a few rows each, so a second transaction is worth it only
   * once enough has piled up behind the first.
   */
  spillAt?: number;
}

interface Waiting<I, R> {
  item: I;
  key: string;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items submitted close together are handed to `run` as one batch (one
 * transaction), and each caller's promise settles only after `run` has finished, with its own
 * outcome. If `run` throws, every caller in the batch gets that error. While a batch is in
 * flight the next one gathers, so under load batches grow by themselves instead of queueing
 * one commit per item.
 *
 * Up to `lanes` batches run at once, but a key is never in two of them: an item whose key is in
 * flight waits for that batch, so items with the same key commit in the order they were
 * submitted. A batch beside one in flight starts only when `spillAt` items can go in it.
 */
export class GroupCommit<I, R> {
  private queue: Waiting<I, R>[] = [];
  /** Keys of the batches in flight. */
  private readonly busy = new Set<string>();
  /** Queued items whose key is not in flight: what a batch started now could take. */
  private ready = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private spillCheck: NodeJS.Immediate | null = null;
  /** Resolved whenever a batch finishes (drain waits on them). */
  private finished: (() => void)[] = [];
  private readonly spillAt: number;

  constructor(
    private readonly run: (items: I[]) => Promise<Outcome<R>[]>,
    private readonly keyOf: (item: I) => string,
    private readonly opts: GroupCommitOptions,
  ) {
    this.spillAt = opts.spillAt ?? 1;
    if (opts.lanes < 1 || opts.maxBatch < 1 || opts.maxWaitMs < 0 || this.spillAt < 1) throw new Error('invalid group commit options');
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const key = this.keyOf(item);
      this.queue.push({ item, key, resolve, reject });
      if (!this.busy.has(key)) this.ready++;
      if (this.inFlight === 0) {
        if (this.ready >= this.opts.maxBatch) this.startWhatMay();
        else this.timer ??= setTimeout(() => this.startWhatMay(), this.opts.maxWaitMs);
      } else if (this.inFlight < this.opts.lanes && this.ready >= this.spillAt) {
        // At the end of this turn, so that items submitted together spill together.
        this.spillCheck ??= setImmediate(() => {
          this.spillCheck = null;
          this.startWhatMay();
        });
      }
    });
  }

  /** Starts whatever is waiting and resolves when nothing is queued or in flight. */
  async drain(): Promise<void> {
    while (this.inFlight > 0 || this.queue.length > 0) {
      if (this.inFlight === 0) this.startWhatMay();
      await new Promise<void>((resolve) => this.finished.push(resolve));
    }
  }

  /**
   * Starts batches while a lane is free and there is reason to: nothing else in flight (what
   * waits has waited long enough), or at least `spillAt` items ready.
   */
  private startWhatMay() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.ready > 0 && this.inFlight < this.opts.lanes && (this.inFlight === 0 || this.ready >= this.spillAt)) this.startOne();
  }

  private startOne() {
    const batch: Waiting<I, R>[] = [];
    const rest: Waiting<I, R>[] = [];
    for (const w of this.queue) {
      if (batch.length < this.opts.maxBatch && !this.busy.has(w.key)) batch.push(w);
      else rest.push(w);
    }
    this.queue = rest;
    const keys = new Set(batch.map((w) => w.key));
    for (const k of keys) this.busy.add(k);
    this.recount();
    this.inFlight++;
    void this.settle(batch).finally(() => {
      this.inFlight--;
      for (const k of keys) this.busy.delete(k);
      this.recount();
      const waiters = this.finished;
      this.finished = [];
      for (const w of waiters) w();
      // Whatever arrived during the commit has waited long enough: it goes next, together.
      this.startWhatMay();
    });
  }

  private recount() {
    let ready = 0;
    for (const w of this.queue) if (!this.busy.has(w.key)) ready++;
    this.ready = ready;
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
