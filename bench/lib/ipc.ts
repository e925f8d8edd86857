/**
 * The child side of the bench's IPC: servers and load generators are forked with an IPC channel,
 * answer requests `{ id, cmd, ...args }` with `{ id, ok, data | error }`, and push unsolicited
 * messages as `{ type, ... }`. A child whose parent vanishes (Ctrl-C, crash) exits at once, so no
 * generator or server outlives the run.
 */

/** A request from the runner. */
export interface Request {
  id: number;
  cmd: string;
  [key: string]: unknown;
}

/** A reply to a request. */
export type Reply = { id: number; ok: true; data: unknown } | { id: number; ok: false; error: string };

type Handler = (req: any) => unknown;

/** Answers the runner's requests with `handlers[cmd]`; exits when the parent goes away. */
export function serve(handlers: Record<string, Handler>) {
  if (!process.send) throw new Error('this script must be started by the bench runner (it needs an IPC channel)');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg: Request) => {
    if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number') return;
    const handler = handlers[msg.cmd];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.cmd}`);
        return handler(msg);
      })
      .then(
        (data) => send({ id: msg.id, ok: true, data: data ?? null }),
        (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
}

/** Sends an unsolicited message (`ready`, ...) to the runner. */
export function notify(type: string, data: Record<string, unknown> = {}) {
  send({ type, ...data });
}

function send(msg: unknown) {
  if (process.connected) process.send!(msg);
}
