import { z } from 'zod';
import { Me } from './accounts.js';

/** Empty payload for events that take no input. Extra keys are refused. */
export const Empty = z.object({}).strict();

/** Sent to every socket on a node that is shutting down: reconnect (the LB picks another node). */
export const ServerDraining = z.object({
  /** Suggested delay before reconnecting, in milliseconds, jittered by the client. */
  reconnectAfterMs: z.number().int().nonnegative(),
});

/**
 * Live delivery from other nodes may have missed events (the node lost Redis for a while and has
 * it back): resync every conversation and room as after a reconnect. Nothing acked was lost.
 */
export const ServerResync = z.object({ reason: z.enum(['redis_reconnected']) });

/** Sent just before the server disconnects a socket whose session ended (sign-out, revocation). */
export const SessionEnded = z.object({ reason: z.enum(['signed_out', 'expired', 'revoked']) });

/** Socket-side identity check: answers who this connection is signed in as. */
export const WhoAmIAck = Me;
