/**
 * Admission for work that queues on a shared resource (handshakes on the database pool): at most
 * `maxActive` at once, at most `maxWaiting` more waiting their turn in arrival order, and the rest
 * turned away at once. Under a reconnect storm this keeps the admitted handshakes fast, instead of
 * letting thousands queue on the pool until they all time out after doing most of their work.
 */
export class Admission {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {
    if (maxActive < 1 || maxWaiting < 0) throw new Error('invalid admission limits');
  }

  /** Resolves true once admitted (call `leave` when done), or false at once when full. */
  enter(): Promise<boolean> {
    if (this.active < this.maxActive) {
      this.active++;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.resolve(false);
    // The slot passes straight from the leaver to the first waiter: `active` stays as it is.
    return new Promise((resolve) => this.waiting.push(() => resolve(true)));
  }

  leave() {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  get load() {
    return { active: this.active, waiting: this.waiting.length };
  }
}
