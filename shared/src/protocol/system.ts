import { z } from 'zod';
import { Me } from './accounts.js';

/** Empty payload for events that take no input. Extra keys are refused. */
export const Empty = z.object({}).strict();

/** Sent to every socket on a node that is shutting down: reconnect (the LB picks another node). */
export const ServerDraining = z.object({
  /** Suggested delay before reconnecting, in milliseconds, jittered by the client. */
  reconnectAfterMs: z.number().int().nonnegative(),
});

/** Sent just before the server disconnects a socket whose session ended (sign-out, revocation). */
export const SessionEnded = z.object({ reason: z.enum(['signed_out', 'expired', 'revoked']) });

/** Socket-side identity check: answers who this connection is signed in as. */
export const WhoAmIAck = Me;
