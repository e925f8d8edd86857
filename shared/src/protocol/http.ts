import { z } from 'zod';
import { Me, PublicProfile, SignInBody, SignUpBody, UpdateProfileBody, UserParams } from './accounts.js';
import {
  Card,
  CardPage,
  CreateCardBody,
  FeedQuery,
  IncomingInterest,
  InterestResult,
  UpdateCardBody,
} from './cards.js';
import { HistoryQuery, HistoryResult } from './chat.js';
import { IdParams, UserSummary } from './common.js';
import { CreateReportBody, Match, Report } from './matches.js';
import { CreateRoomBody, RoomQuery, RoomSummary, RtcConfig } from './rooms.js';
import { MarkNotificationsRead, NotificationPage, NotificationsQuery } from './notifications.js';
import {
  Community,
  CommunityFeed,
  CommunityMember,
  CommunityQuery,
  CommunityRole,
  CreateCommunityBody,
  MemberParams,
  SetCommunityRoleBody,
} from './communities.js';
import {
  AnnounceBody,
  AttendeeList,
  AttendeeParams,
  CheckInBody,
  CreateMeetupBody,
  Meetup,
  MeetupPage,
  MeetupQuery,
  MyRsvp,
  UpdateMeetupBody,
} from './meetups.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One HTTP route: its method and path, and the schemas of what goes in and what comes back. */
interface RouteDef {
  method: Method;
  path: string;
  /** JSON body schema, or null for routes without a body. */
  body: z.ZodType | null;
  /** Schema of the path parameters (`:name` segments), when the path has any. */
  params?: z.ZodType;
  /** Schema of the query string, when the route takes one. */
  query?: z.ZodType;
  /** Schema of `data` in a successful response. */
  response: z.ZodType;
}

/**
 * Every HTTP API route, defined once. The server registers each with its schemas; the client's
 * `api()` helper is typed from the same entries. Responses are wrapped in the ack envelope
 * (`{ok:true,data}` / `{ok:false,error}`), and `response` is the schema of `data`.
 */
export const httpRoutes = {
  // ---- accounts
  /** Create an account and sign in (sets the session cookie). 201; 409 HANDLE_TAKEN. */
  signUp: { method: 'POST', path: '/api/auth/signup', body: SignUpBody, response: Me },
  /** Sign in (sets the session cookie). 401 INVALID_CREDENTIALS; 429 RATE_LIMITED. */
  signIn: { method: 'POST', path: '/api/auth/signin', body: SignInBody, response: Me },
  /** Revoke the current session and clear the cookie. Its sockets are disconnected. */
  signOut: { method: 'POST', path: '/api/auth/signout', body: null, response: z.null() },
  /** The signed-in user. 401 UNAUTHENTICATED without a session. */
  getMe: { method: 'GET', path: '/api/me', body: null, response: Me },
  /** Update bio, display name, tags or avatar colour. */
  updateMe: { method: 'PATCH', path: '/api/me', body: UpdateProfileBody, response: Me },
  /** Someone's public profile, by handle. 404 NOT_FOUND. */
  getUser: { method: 'GET', path: '/api/users/:handle', body: null, params: UserParams, response: PublicProfile },

  // ---- cards
  /** The feed: active cards, newest first or "for you", filtered by tag or text. Blocked users' cards never appear. */
  listCards: { method: 'GET', path: '/api/cards', body: null, query: FeedQuery, response: CardPage },
  /** Post a card. 201. */
  createCard: { method: 'POST', path: '/api/cards', body: CreateCardBody, response: Card },
  /** One card. 404 when unknown, deleted, or between blocked users. */
  getCard: { method: 'GET', path: '/api/cards/:id', body: null, params: IdParams, response: Card },
  /** Edit, archive or restore your own card. 403 for others' cards. */
  updateCard: { method: 'PATCH', path: '/api/cards/:id', body: UpdateCardBody, params: IdParams, response: Card },
  /** Delete your own card (its interests go with it; matches stay). */
  deleteCard: { method: 'DELETE', path: '/api/cards/:id', body: null, params: IdParams, response: z.null() },
  /** Your cards, archived ones included, newest first. */
  myCards: { method: 'GET', path: '/api/me/cards', body: null, response: z.array(Card) },

  // ---- interest (気になる) and matches
  /** Press interested on someone's card. Refused on your own card or between blocked users. May create a match. */
  addInterest: { method: 'PUT', path: '/api/cards/:id/interest', body: null, params: IdParams, response: InterestResult },
  /** Take interest back. */
  removeInterest: { method: 'DELETE', path: '/api/cards/:id/interest', body: null, params: IdParams, response: InterestResult },
  /** People interested in your cards, newest first, and through which card. */
  interestedInMe: { method: 'GET', path: '/api/me/interested', body: null, response: z.array(IncomingInterest) },
  /** Accept someone from "interested in you": counts as interest back, so it makes the match. */
  acceptInterest: { method: 'POST', path: '/api/users/:id/accept', body: null, params: IdParams, response: Match },
  /** Your matches, most recent activity first, with unread counts. */
  listMatches: { method: 'GET', path: '/api/matches', body: null, response: z.array(Match) },
  /** One of your matches. 404 for anyone else's. */
  getMatch: { method: 'GET', path: '/api/matches/:id', body: null, params: IdParams, response: Match },
  /** End a match: its chat is gone for both, and the other side is told it ended. */
  unmatch: { method: 'DELETE', path: '/api/matches/:id', body: null, params: IdParams, response: z.null() },
  /** Older messages of a conversation you are in, by seq cursor. 404 otherwise. */
  chatHistory: {
    method: 'GET',
    path: '/api/conversations/:id/messages',
    body: null,
    params: IdParams,
    query: HistoryQuery,
    response: HistoryResult,
  },

  // ---- safety
  /** Block a user: ends any match, hides each side's cards from the other, refuses new interest. */
  blockUser: { method: 'POST', path: '/api/users/:id/block', body: null, params: IdParams, response: z.null() },
  /** Lift a block you made. */
  unblockUser: { method: 'DELETE', path: '/api/users/:id/block', body: null, params: IdParams, response: z.null() },
  /** Users you have blocked. */
  myBlocks: { method: 'GET', path: '/api/me/blocks', body: null, response: z.array(UserSummary) },
  /** Report a user to the moderators. 201. */
  createReport: { method: 'POST', path: '/api/reports', body: CreateReportBody, response: z.object({ id: z.uuid() }) },
  /** The moderation queue, newest first. Moderators and admins only (403 otherwise). */
  listReports: { method: 'GET', path: '/api/reports', body: null, response: z.array(Report) },

  // ---- meetups (食事会)
  /** Upcoming meetups (or this week's, or past ones), soonest first (past: newest first), by tag or community. */
  listMeetups: { method: 'GET', path: '/api/meetups', body: null, query: MeetupQuery, response: MeetupPage },
  /** Create a meetup (201). 400 for a past start, an end before the start, or capacity outside 1–500. */
  createMeetup: { method: 'POST', path: '/api/meetups', body: CreateMeetupBody, response: Meetup },
  getMeetup: { method: 'GET', path: '/api/meetups/:id', body: null, params: IdParams, response: Meetup },
  /** Organizer only. Time or place changes notify attendees and the waitlist. */
  updateMeetup: { method: 'PATCH', path: '/api/meetups/:id', body: UpdateMeetupBody, params: IdParams, response: Meetup },
  /** Organizer only: cancel; everyone attending or waitlisted is notified. */
  cancelMeetup: { method: 'DELETE', path: '/api/meetups/:id', body: null, params: IdParams, response: Meetup },
  /** RSVP: attending while seats remain, else the waitlist. CONFLICT for a cancelled or past meetup. */
  rsvp: { method: 'PUT', path: '/api/meetups/:id/rsvp', body: null, params: IdParams, response: MyRsvp },
  /** Cancel your RSVP; the first waitlisted person is promoted at once. */
  cancelRsvp: { method: 'DELETE', path: '/api/meetups/:id/rsvp', body: null, params: IdParams, response: z.null() },
  /** Attendees (for attendees and the organizer) and the waitlist (organizer). 403 for others. */
  attendees: { method: 'GET', path: '/api/meetups/:id/attendees', body: null, params: IdParams, response: AttendeeList },
  /** Organizer: remove someone (their seat goes to the first waitlisted). */
  removeAttendee: { method: 'DELETE', path: '/api/meetups/:id/attendees/:userId', body: null, params: AttendeeParams, response: z.null() },
  /** Organizer: message all attendees (in the event chat and as a notification). */
  announce: { method: 'POST', path: '/api/meetups/:id/announce', body: AnnounceBody, params: IdParams, response: z.null() },
  /** Organizer: mark whether an attendee came. */
  checkIn: { method: 'POST', path: '/api/meetups/:id/checkins', body: CheckInBody, params: IdParams, response: z.null() },

  // ---- communities
  /** Communities, biggest first; filter by name, tag, or your own. */
  listCommunities: { method: 'GET', path: '/api/communities', body: null, query: CommunityQuery, response: z.array(Community) },
  /** Create a community (201); you become its owner. 409 CONFLICT if the name is taken. */
  createCommunity: { method: 'POST', path: '/api/communities', body: CreateCommunityBody, response: Community },
  getCommunity: { method: 'GET', path: '/api/communities/:id', body: null, params: IdParams, response: Community },
  /** Join (FORBIDDEN if you were removed). */
  joinCommunity: { method: 'PUT', path: '/api/communities/:id/membership', body: null, params: IdParams, response: z.object({ role: CommunityRole }) },
  /** Leave (the owner cannot: CONFLICT). */
  leaveCommunity: { method: 'DELETE', path: '/api/communities/:id/membership', body: null, params: IdParams, response: z.null() },
  members: { method: 'GET', path: '/api/communities/:id/members', body: null, params: IdParams, response: z.array(CommunityMember) },
  /** Owner: make someone a moderator, or a member again. */
  setCommunityRole: { method: 'PATCH', path: '/api/communities/:id/members/:userId', body: SetCommunityRoleBody, params: MemberParams, response: z.null() },
  /** Owner or moderator: remove a member (not the owner; moderators cannot remove moderators). They cannot rejoin. */
  removeMember: { method: 'DELETE', path: '/api/communities/:id/members/:userId', body: null, params: MemberParams, response: z.null() },
  /** Cards, open rooms and upcoming meetups carrying the community's tag. */
  communityFeed: { method: 'GET', path: '/api/communities/:id/feed', body: null, params: IdParams, response: CommunityFeed },

  // ---- notifications
  /** Your notifications, newest first, with the unread count. */
  listNotifications: { method: 'GET', path: '/api/notifications', body: null, query: NotificationsQuery, response: NotificationPage },
  /** Mark some or all notifications read; answers the new unread count. */
  readNotifications: {
    method: 'POST',
    path: '/api/notifications/read',
    body: MarkNotificationsRead,
    response: z.object({ unread: z.number().int() }),
  },

  // ---- voice rooms
  /** The lobby: every live listed room, newest first. */
  listRooms: { method: 'GET', path: '/api/rooms', body: null, response: z.array(RoomSummary) },
  /** Create a room (201). Join it with `room:join`; an empty room closes after the grace period. */
  createRoom: { method: 'POST', path: '/api/rooms', body: CreateRoomBody, response: RoomSummary.extend({ inviteToken: z.string() }) },
  /** One room; an invite-only room needs its token (403 otherwise). 404 unknown, ROOM_CLOSED (410) closed. */
  getRoom: { method: 'GET', path: '/api/rooms/:id', body: null, params: IdParams, query: RoomQuery, response: RoomSummary },
  /** ICE servers for WebRTC, with short-lived TURN credentials when TURN is configured. */
  rtcConfig: { method: 'GET', path: '/api/rtc/config', body: null, response: RtcConfig },
} as const satisfies Record<string, RouteDef>;

/** Names of the HTTP routes. */
export type HttpRouteName = keyof typeof httpRoutes;
type RouteOf<R extends HttpRouteName> = (typeof httpRoutes)[R];
/** What a caller sends as the body of a route (`undefined` for bodiless routes). */
export type HttpBody<R extends HttpRouteName> = RouteOf<R>['body'] extends z.ZodType ? z.input<RouteOf<R>['body']> : undefined;
/** What a caller sends as the query string (`undefined` for routes without one). */
export type HttpQuery<R extends HttpRouteName> = RouteOf<R> extends { query: z.ZodType } ? z.input<RouteOf<R>['query']> : undefined;
/** The `data` of a successful response. */
export type HttpResponse<R extends HttpRouteName> = z.output<RouteOf<R>['response']>;
