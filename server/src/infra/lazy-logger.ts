import type { FastifyBaseLogger } from 'fastify';

/**
 * A child logger made on first use (one per socket). Most sockets never log at the configured
 * level, and a pino child per connection is a measurable share of an idle socket's memory
 * (docs/benchmarks.md). The methods live on the prototype, so an instance is just its fields.
 */
class LazyChildLogger {
  private made: FastifyBaseLogger | null = null;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Record<string, unknown>,
  ) {}
  private real() {
    return (this.made ??= this.parent.child(this.bindings));
  }
  private write(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace', args: unknown[]) {
    if (!(this.parent as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(level)) return;
    (this.real()[level] as (...a: unknown[]) => void)(...args);
  }
  get level() {
    return this.parent.level;
  }
  silent() {}
  child(bindings: Record<string, unknown>) {
    return this.real().child(bindings);
  }
  fatal(...args: unknown[]) {
    this.write('fatal', args);
  }
  error(...args: unknown[]) {
    this.write('error', args);
  }
  warn(...args: unknown[]) {
    this.write('warn', args);
  }
  info(...args: unknown[]) {
    this.write('info', args);
  }
  debug(...args: unknown[]) {
    this.write('debug', args);
  }
  trace(...args: unknown[]) {
    this.write('trace', args);
  }
}

export const lazyChild = (log: FastifyBaseLogger, bindings: Record<string, unknown>) =>
  new LazyChildLogger(log, bindings) as unknown as FastifyBaseLogger;
