import type { Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@hackmeshi/shared';

/** Resolves with the next payload of a server event (that matches `where`, if given), or rejects after `ms`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: Socket<ServerToClientEvents, ClientToServerEvents>,
  event: E,
  ms = 3_000,
  where: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  type P = Parameters<ServerToClientEvents[E]>[0];
  return new Promise((resolve, reject) => {
    const listener = (payload: P) => {
      if (!where(payload)) return;
      clearTimeout(timer);
      socket.off(event as never, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      socket.off(event as never, listener as never);
      reject(new Error(`no ${String(event)} within ${ms} ms`));
    }, ms);
    socket.on(event as never, listener as never);
  });
}
