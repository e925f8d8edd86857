import { z } from 'zod';
import { nonBlank, Tag } from './accounts.js';
import { Id, Presence, UserSummary } from './common.js';

/** Longest room title. */
export const ROOM_TITLE_MAX = 60;
/** Default room capacity; the maximum is ROOM_MAX_CAPACITY on the server. */
export const ROOM_DEFAULT_CAPACITY = 12;

/** POST /api/rooms */
export const CreateRoomBody = z
  .object({
    title: nonBlank(ROOM_TITLE_MAX),
    tag: Tag.optional(),
    /** `open` rooms are listed in the lobby; `invite` rooms are joined only with the invite token. */
    visibility: z.enum(['open', 'invite']).default('open'),
    /** Most participants at once, 2 up to the server's ROOM_MAX_CAPACITY (checked there). */
    capacity: z.number().int().min(2).default(ROOM_DEFAULT_CAPACITY),
  })
  .strict();
export type CreateRoomBody = z.input<typeof CreateRoomBody>;

/** A room as the lobby shows it. */
export const RoomSummary = z.object({
  id: Id,
  title: z.string(),
  tag: z.string().nullable(),
  visibility: z.enum(['open', 'invite']),
  host: UserSummary.nullable(),
  capacity: z.number().int(),
  participantCount: z.number().int(),
  full: z.boolean(),
  /** The first few participants, for avatars. */
  preview: z.array(UserSummary),
  createdAt: z.iso.datetime(),
});
export type RoomSummary = z.infer<typeof RoomSummary>;

/** Where a participant is: the host and speakers are on stage; listeners only receive audio. */
export const RoomRole = z.enum(['host', 'speaker', 'listener']);
export type RoomRole = z.infer<typeof RoomRole>;

export const Participant = z.object({
  user: UserSummary,
  role: RoomRole,
  muted: z.boolean(),
  /** When the hand went up; null when it is down. The queue is ordered by this. */
  handRaisedAt: z.iso.datetime().nullable(),
  joinedAt: z.iso.datetime(),
  presence: Presence,
});
export type Participant = z.infer<typeof Participant>;

/** The whole live state of a room, sent on join and after every change. */
export const RoomState = z.object({
  room: RoomSummary,
  /** Goes up with every change to the room; states can arrive out of order, so keep the highest. */
  rev: z.number().int(),
  /** The room's side chat (the shared chat mechanism); readable by current participants only. */
  conversationId: Id,
  /** The token that admits to an invite-only room, for current participants to share; null for listed rooms. */
  inviteToken: z.string().nullable(),
  /** Participants in join order (longest present first). */
  participants: z.array(Participant),
  /** User ids with a raised hand, in the order the hands went up. */
  hands: z.array(Id),
  /** Most speakers (host included) at once. */
  speakerCap: z.number().int(),
  /** Socket id of each participant's connection, keyed by user id: the address for signalling. */
  peers: z.record(z.string(), z.string()),
});
export type RoomState = z.infer<typeof RoomState>;

/** GET /api/rooms/:id query: the invite token, for an invite-only room. */
export const RoomQuery = z.object({ token: z.string().max(100).optional() }).strict();

/** room:join */
export const JoinRoom = z.object({ roomId: Id, token: z.string().max(100).optional() }).strict();
/** room:leave, room:lower-hands, room:end */
export const RoomRef = z.object({ roomId: Id }).strict();
/** room:hand: raise or lower your own hand (listeners). */
export const RaiseHand = z.object({ roomId: Id, raised: z.boolean() }).strict();
/** room:mute: mute or unmute yourself. */
export const MuteSelf = z.object({ roomId: Id, muted: z.boolean() }).strict();
/** room:step-down: a speaker moves back to the audience. */
export const StepDown = RoomRef;
/** room:speaking: a speaker's throttled "I am speaking now" indicator (about 5 a second at most). */
export const Speaking = z.object({ roomId: Id, speaking: z.boolean() }).strict();

/** What the host or a moderator can do to a participant. */
export const ModerationAction = z.enum(['invite_to_speak', 'move_to_listener', 'mute', 'remove']);
/** room:moderate */
export const Moderate = z.object({ roomId: Id, userId: Id, action: ModerationAction }).strict();

/** Largest SDP accepted for relaying, in characters. */
export const SDP_MAX_LENGTH = 20_000;
/** Largest ICE candidate string accepted, in characters. */
export const CANDIDATE_MAX_LENGTH = 1_000;

/** A WebRTC session description, as `RTCSessionDescriptionInit`. */
export const SessionDescription = z
  .object({ type: z.enum(['offer', 'answer', 'pranswer', 'rollback']), sdp: z.string().max(SDP_MAX_LENGTH).optional() })
  .strict();
/** A WebRTC ICE candidate, as `RTCIceCandidateInit`. */
export const IceCandidate = z
  .object({
    candidate: z.string().max(CANDIDATE_MAX_LENGTH),
    sdpMid: z.string().max(100).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(100).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();

/** rtc:signal from a client: to one other participant of the same room. */
export const SignalOut = z
  .object({
    roomId: Id,
    to: Id,
    description: SessionDescription.optional(),
    candidate: IceCandidate.nullable().optional(),
  })
  .strict()
  .refine((s) => s.description !== undefined || s.candidate !== undefined, 'a description or a candidate');
/** rtc:signal as delivered: who it is from. */
export const SignalIn = z.object({
  roomId: Id,
  from: Id,
  description: SessionDescription.optional(),
  candidate: IceCandidate.nullable().optional(),
});

/** Pushed to room participants: someone's speaking indicator. */
export const SpeakingUpdated = z.object({ roomId: Id, userId: Id, speaking: z.boolean() });
/** Pushed when a room closes: ended by the host, or empty past the grace period. */
export const RoomClosed = z.object({ roomId: Id, reason: z.enum(['ended', 'empty']) });
/** Pushed to a participant removed by the host or a moderator (or displaced by their own other tab). */
export const RoomLeft = z.object({ roomId: Id, reason: z.enum(['removed', 'replaced']) });

/** ICE servers for RTCPeerConnection (STUN/TURN), from server config; TURN credentials are short-lived. */
export const RtcConfig = z.object({
  iceServers: z.array(
    z.object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() }),
  ),
});
export type RtcConfig = z.infer<typeof RtcConfig>;
