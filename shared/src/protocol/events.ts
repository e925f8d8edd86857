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
  Watch,
} from './chat.js';
import { Match, MatchEnded, PresenceChanged } from './matches.js';
import { Notification, NotificationsRead } from './notifications.js';
import { MeetupCounts, RsvpUpdated } from './meetups.js';
import { CommunityCount, CommunityRemoved } from './communities.js';
import {
  JoinRoom,
  Moderate,
  MuteSelf,
  RaiseHand,
  RoomClosed,
  RoomLeft,
  RoomRef,
  RoomState,
  RoomSummary,
  SignalIn,
  SignalOut,
  Speaking,
  SpeakingUpdated,
  StepDown,
} from './rooms.js';
import { Empty, ServerDraining, ServerResync, SessionEnded, WhoAmIAck } from './system.js';

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
  /** Receive a public-read conversation live without being a member (a public community's channel). */
  'chat:watch': { payload: Watch, ack: z.null() },
  /** The user did something (clicked, typed): not idle. Send at most about once a minute. */
  'presence:active': { payload: Empty, ack: z.null() },
  /** Take a seat in a voice room (ROOM_FULL, ROOM_CLOSED, FORBIDDEN for invite-only without token or removed). */
  'room:join': { payload: JoinRoom, ack: RoomState },
  /** Leave a voice room. */
  'room:leave': { payload: RoomRef, ack: z.null() },
  /** Raise or lower your hand (audience only). */
  'room:hand': { payload: RaiseHand, ack: z.null() },
  /** Mute or unmute yourself. */
  'room:mute': { payload: MuteSelf, ack: z.null() },
  /** Leave the stage for the audience. */
  'room:step-down': { payload: StepDown, ack: z.null() },
  /** Your speaking indicator (speakers only; throttle to about 5 a second). */
  'room:speaking': { payload: Speaking, ack: z.null() },
  /** Host or moderator: invite to speak, move to the audience, mute, or remove someone. */
  'room:moderate': { payload: Moderate, ack: z.null() },
  /** Host or moderator: lower every raised hand. */
  'room:lower-hands': { payload: RoomRef, ack: z.null() },
  /** Host or moderator: end the room for everyone. */
  'room:end': { payload: RoomRef, ack: z.null() },
  /** WebRTC signalling (offer, answer, ICE candidate) to another participant of the same room. */
  'rtc:signal': { payload: SignalOut, ack: z.null() },
} as const satisfies Record<string, { payload: z.ZodType; ack: z.ZodType }>;

/**
 * Every server → client event and its payload schema. Broadcasts of things that happened use the
 * past tense.
 */
export const serverEvents = {
  /** This node is shutting down; reconnect and resync. */
  'server:draining': ServerDraining,
  /** Cross-node delivery was interrupted and is back; catch up with sync as after a reconnect. */
  'server:resync': ServerResync,
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
  /** To both members' devices: the match ended. The other side is given no reason. */
  'match:ended': MatchEnded,
  /** A match partner came online or went offline (any node). */
  'presence:changed': PresenceChanged,
  /** A message was stored in a conversation you are in. Its sender has read up to its seq. */
  'chat:sent': Message,
  /** A message was edited. */
  'chat:edited': Message,
  /** A message was deleted (tombstone). */
  'chat:deleted': Message,
  /** A member's read position moved (through `chat:read`; a send implies it, see `chat:sent`). */
  'chat:read-updated': ReadUpdated,
  /** A member started or stopped typing. */
  'chat:typing-updated': TypingUpdated,
  /** A listed room appeared or changed (participants, host, full). */
  'lobby:updated': RoomSummary,
  /** Everything about a room you are in, after any change. */
  'room:state': RoomState,
  /** A participant's speaking indicator. */
  'room:speaking-updated': SpeakingUpdated,
  /** A room closed (to its participants, and to everyone for listed rooms). */
  'room:closed': RoomClosed,
  /** You are no longer in a room: removed, or your seat moved to another tab. */
  'room:left': RoomLeft,
  /** WebRTC signalling from another participant. */
  'rtc:signal': SignalIn,
  /** A new notification for you (also stored; see GET /api/notifications). */
  'notification:created': Notification,
  /** Notifications were marked read (possibly on another device). */
  'notification:read': NotificationsRead,
  /** A meetup's seat counts changed (for "7/10" counters anywhere). */
  'meetup:counts': MeetupCounts,
  /** Your own RSVP changed: promoted ("you're in"), moved up the waitlist, or removed. */
  'meetup:rsvp-updated': RsvpUpdated,
  /** A community's member count changed. */
  'community:count': CommunityCount,
  /** You were removed from a community. */
  'community:removed': CommunityRemoved,
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
