import { z } from 'zod';
import type { Ack } from '../envelope.js';
import { Me } from './accounts.js';
import { Card, CardRemoved, InterestChanged } from './cards.js';
import {
  DeleteMessage,
  EditMessage,
  HistoryRequest,
  HistoryResult,
  MarkRead,
  Message,
  ReadUpdated,
  SendAck,
  SendMessage,
  SyncRequest,
  SyncResult,
  Typing,
  TypingUpdated,
} from './chat.js';
import { Match, MatchEnded } from './matches.js';
import { Empty, ServerDraining, SessionEnded, WhoAmIAck } from './system.js';

/**
 * Every client → server event, defined once: the payload schema the server validates, and the
 * schema of the data in a successful ack. Names are `feature:verb`.
 */
export const clientEvents = {
  /** Who is this socket signed in as. */
  'session:whoami': { payload: Empty, ack: WhoAmIAck },
  /** Send a chat message (idempotent on nonce). Acked only after it is stored. 10/s per user. */
  'chat:send': { payload: SendMessage, ack: SendAck },
  /** Edit your own message. */
  'chat:edit': { payload: EditMessage, ack: Message },
  /** Delete your own message; a tombstone keeps its seq. */
  'chat:delete': { payload: DeleteMessage, ack: Message },
  /** Catch up after a reconnect or a gap. */
  'chat:sync': { payload: SyncRequest, ack: SyncResult },
  /** Older messages, by seq cursor. */
  'chat:history': { payload: HistoryRequest, ack: HistoryResult },
  /** Move your read position forward. */
  'chat:read': { payload: MarkRead, ack: z.object({ lastReadSeq: z.number().int() }) },
  /** Start or stop the typing indicator. */
  'chat:typing': { payload: Typing, ack: z.null() },
} as const satisfies Record<string, { payload: z.ZodType; ack: z.ZodType }>;

/**
 * Every server → client event and its payload schema. Broadcasts of things that happened use the
 * past tense.
 */
export const serverEvents = {
  /** This node is shutting down; reconnect and resync. */
  'server:draining': ServerDraining,
  /** This session ended; the socket is about to be disconnected. */
  'session:ended': SessionEnded,
  /** The user's profile changed (possibly on another device). */
  'profile:updated': Me,
  /** A new card was posted (to everyone not blocked by or blocking its owner). */
  'card:posted': Card,
  /** A card left the feed: archived, deleted, or its owner and you are now blocked. */
  'card:removed': CardRemoved,
  /** To a card owner: someone pressed or took back interest. */
  'interest:changed': InterestChanged,
  /** To both members: a new match. Show a toast wherever the user is. */
  'match:created': Match,
  /** To the other member: the match ended (no reason given). */
  'match:ended': MatchEnded,
  /** A message was stored in a conversation you are in. */
  'chat:sent': Message,
  /** A message was edited. */
  'chat:edited': Message,
  /** A message was deleted (tombstone). */
  'chat:deleted': Message,
  /** A member's read position moved. */
  'chat:read-updated': ReadUpdated,
  /** A member started or stopped typing. */
  'chat:typing-updated': TypingUpdated,
} as const satisfies Record<string, z.ZodType>;

/** Names of client → server events. */
export type ClientEventName = keyof typeof clientEvents;
/** Names of server → client events. */
export type ServerEventName = keyof typeof serverEvents;
/** Validated (output) payload type of a client event, as a handler receives it. */
export type ClientPayload<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['payload']>;
/** What a client may send for an event (schema input type). */
export type ClientPayloadInput<E extends ClientEventName> = z.input<(typeof clientEvents)[E]['payload']>;
/** Data of a successful ack for a client event. */
export type ClientAckData<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['ack']>;
/** Payload type of a server event. */
export type ServerPayload<E extends ServerEventName> = z.output<(typeof serverEvents)[E]>;

/** Socket.IO's ClientToServerEvents generic, derived from the table. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientPayloadInput<E>, ack: (res: Ack<ClientAckData<E>>) => void) => void;
};
/** Socket.IO's ServerToClientEvents generic, derived from the table. */
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};
/** No server-to-server events: cross-node traffic goes through the adapter. */
export type InterServerEvents = Record<string, never>;

/** What the client sends in the Socket.IO handshake `auth` field. */
export interface HandshakeAuth {
  protocolVersion: number;
}
