/**
 * The room this user is in (one at a time): joining and leaving, the live `RoomState`, other
 * speakers' indicators, the user's own actions (hand, mute, step down) and the host's, and the
 * voice engine that follows every state. Views read `store` and call the methods; nothing here
 * renders.
 *
 * A disconnected socket loses its seat at once on the server, so after a reconnect the session
 * joins again (the engine then rebuilds every connection, since the socket ids changed).
 */
import {
  ErrorCode,
  type Ack,
  type ClientAckData,
  type ClientEventName,
  type ClientPayloadInput,
  type ErrorBody,
  type RoomState,
  type ServerEventName,
  type ServerPayload,
} from '@hackmeshi/shared';
import { createStore, type Store } from '../store.js';
import type { VoiceEngine } from './voice-engine.js';
import { onStage } from './voice-plan.js';

/** The `room:*` requests the session makes. */
type RoomEvent = Extract<ClientEventName, `room:${string}`>;

/** What the session needs from the socket module. */
export interface RoomTransport {
  emit<E extends RoomEvent>(event: E, payload: ClientPayloadInput<E>): Promise<Ack<ClientAckData<E>>>;
  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void;
  onConnected(handler: () => void): () => void;
}

/** The part of the voice engine the session drives (a fake in unit tests). */
export type VoiceControl = Pick<VoiceEngine, 'prepare' | 'start' | 'update' | 'stop' | 'setMuted' | 'isMuted'>;

/** Why the user is out of a room without having left: closed, or removed / moved to another tab. */
export type RoomExit = ServerPayload<'room:closed'>['reason'] | ServerPayload<'room:left'>['reason'];

/** What the room view renders. A new object on every change. */
export interface RoomSnapshot {
  /** `failed`: the join was refused (`error`); `ended`: the room ended for this user (`exit`). */
  status: 'idle' | 'joining' | 'joined' | 'failed' | 'ended';
  roomId: string | null;
  /** The latest full state; null until joined. */
  state: RoomState | null;
  error: ErrorBody | null;
  exit: RoomExit | null;
  /** Other participants whose speaking indicator is on (own: the engine's `speaking`). */
  speaking: ReadonlySet<string>;
  /** Display names of everyone seen in this room, for the side chat (people who left included). */
  names: ReadonlyMap<string, string>;
}

const IDLE: RoomSnapshot = {
  status: 'idle',
  roomId: null,
  state: null,
  error: null,
  exit: null,
  speaking: new Set(),
  names: new Map(),
};

/** See the module comment. One instance per app. */
export class RoomSession {
  readonly store: Store<RoomSnapshot> = createStore<RoomSnapshot>(IDLE);
  private meId: string | null = null;
  private token: string | undefined;
  /** Bumped on every join and leave, so a late answer to an abandoned join is recognised. */
  private generation = 0;
  /** An unmute is waiting for the server's ack (the engine unmutes only after it). */
  private unmuting = false;

  constructor(
    private readonly transport: RoomTransport,
    private readonly engine: VoiceControl,
    private readonly hooks: { onExit?: (conversationId: string) => void } = {},
  ) {
    transport.on('room:state', (state) => {
      const s = this.store.get();
      if (state.room.id !== s.roomId || (s.status !== 'joining' && s.status !== 'joined')) return;
      // A state without me is older than my seat (removal and closing have their own events).
      if (!state.participants.some((p) => p.user.id === this.meId)) return;
      this.apply(state);
    });
    transport.on('room:speaking-updated', ({ roomId, userId, speaking }) => {
      const s = this.store.get();
      if (roomId !== s.roomId || s.speaking.has(userId) === speaking) return;
      const next = new Set(s.speaking);
      if (speaking) next.add(userId);
      else next.delete(userId);
      this.set({ speaking: next });
    });
    transport.on('room:closed', ({ roomId, reason }) => {
      if (roomId === this.store.get().roomId) this.exit(reason);
    });
    transport.on('room:left', ({ roomId, reason }) => {
      if (roomId === this.store.get().roomId) this.exit(reason);
    });
    transport.onConnected(() => {
      const s = this.store.get();
      if (s.status === 'joined' && s.roomId) void this.rejoin(s.roomId);
    });
  }

  /** The user id the session acts as. */
  get userId(): string | null {
    return this.meId;
  }

  /** Takes a seat (leaving any other room first). `token` admits to an invite-only room. */
  async join(roomId: string, meId: string, token?: string): Promise<void> {
    const current = this.store.get();
    if (current.roomId === roomId && this.meId === meId && (current.status === 'joining' || current.status === 'joined')) return;
    if (current.roomId !== null) this.leave();
    const generation = ++this.generation;
    this.meId = meId;
    this.token = token;
    this.store.set({ ...IDLE, status: 'joining', roomId });
    await this.engine.prepare();
    if (generation !== this.generation) return;
    this.engine.start(roomId, meId);
    const res = await this.transport.emit('room:join', token === undefined ? { roomId } : { roomId, token });
    if (generation !== this.generation) {
      // Left (or went elsewhere) while the join was on its way: give the seat back.
      if (res.ok) void this.transport.emit('room:leave', { roomId });
      return;
    }
    if (!res.ok) {
      this.engine.stop();
      this.set({ status: 'failed', error: res.error });
      return;
    }
    this.apply(res.data);
    this.converge(res.data);
  }

  /** Leaves the room (if in one): closes the audio at once, then tells the server. */
  leave(): void {
    const s = this.store.get();
    this.generation += 1;
    this.engine.stop();
    if (s.roomId && (s.status === 'joined' || s.status === 'joining')) void this.transport.emit('room:leave', { roomId: s.roomId });
    if (s.state) this.hooks.onExit?.(s.state.conversationId);
    this.unmuting = false;
    this.store.set(IDLE);
  }

  /** Leaves only if `roomId` is the current room (a view unmounting after another room opened). */
  leaveIf(roomId: string): void {
    if (this.store.get().roomId === roomId) this.leave();
  }

  /** Forgets everything without telling the server (signed out: the socket is already gone). */
  reset(): void {
    this.generation += 1;
    this.engine.stop();
    this.unmuting = false;
    this.store.set(IDLE);
    this.meId = null;
  }

  /**
   * Mutes at once (no audio leaves from now on), then tells the server. Unmuting asks the
   * server first and opens the audio only once it agrees, so the roster never shows someone
   * muted whose voice is going out.
   */
  async setMuted(muted: boolean): Promise<Ack<null>> {
    const roomId = this.store.get().roomId;
    if (!roomId) return notInRoom();
    if (muted) {
      this.engine.setMuted(true);
      return this.transport.emit('room:mute', { roomId, muted: true });
    }
    this.unmuting = true;
    const res = await this.transport.emit('room:mute', { roomId, muted: false });
    this.unmuting = false;
    if (res.ok && this.store.get().roomId === roomId) this.engine.setMuted(false);
    return res;
  }

  /** Raises or lowers this user's hand (listeners). */
  setHand(raised: boolean): Promise<Ack<null>> {
    return this.withRoom((roomId) => this.transport.emit('room:hand', { roomId, raised }));
  }

  /** Leaves the stage for the audience. */
  stepDown(): Promise<Ack<null>> {
    return this.withRoom((roomId) => this.transport.emit('room:step-down', { roomId }));
  }

  /** Host or moderator: an action on one participant. */
  moderate(userId: string, action: ClientPayloadInput<'room:moderate'>['action']): Promise<Ack<null>> {
    return this.withRoom((roomId) => this.transport.emit('room:moderate', { roomId, userId, action }));
  }

  /** Host or moderator: lowers every raised hand. */
  lowerHands(): Promise<Ack<null>> {
    return this.withRoom((roomId) => this.transport.emit('room:lower-hands', { roomId }));
  }

  /** Host or moderator: ends the room for everyone. */
  end(): Promise<Ack<null>> {
    return this.withRoom((roomId) => this.transport.emit('room:end', { roomId }));
  }

  // ---- internals

  private async withRoom(request: (roomId: string) => Promise<Ack<null>>): Promise<Ack<null>> {
    const roomId = this.store.get().roomId;
    return roomId ? request(roomId) : notInRoom();
  }

  private async rejoin(roomId: string): Promise<void> {
    const generation = this.generation;
    const res = await this.transport.emit('room:join', this.token === undefined ? { roomId } : { roomId, token: this.token });
    if (generation !== this.generation) return;
    if (res.ok) {
      this.apply(res.data);
      this.converge(res.data);
    } else if (res.error.code === ErrorCode.ROOM_CLOSED) {
      this.exit('ended');
    } else if (res.error.code !== ErrorCode.UNAVAILABLE) {
      this.engine.stop();
      this.set({ status: 'failed', error: res.error });
    }
  }

  /** A fresh seat starts unmuted on the server: if the user had muted, say so again. */
  private converge(state: RoomState): void {
    const me = state.participants.find((p) => p.user.id === this.meId);
    if (me && !me.muted && this.engine.isMuted && !this.unmuting) void this.transport.emit('room:mute', { roomId: state.room.id, muted: true });
  }

  private apply(state: RoomState): void {
    const s = this.store.get();
    // States can overtake each other on the way; an older revision never replaces a newer one.
    if (s.state && s.state.room.id === state.room.id && state.rev < s.state.rev) return;
    // Indicators of people who left, left the stage or were muted go out with them.
    const live = new Set(state.participants.filter((p) => onStage(p.role) && !p.muted).map((p) => p.user.id));
    const speaking = new Set([...s.speaking].filter((id) => live.has(id)));
    const names = new Map(s.names);
    for (const p of state.participants) names.set(p.user.id, p.user.displayName);
    this.set({ status: 'joined', state, error: null, speaking, names });
    this.engine.update(state);
  }

  private exit(reason: RoomExit): void {
    const s = this.store.get();
    this.generation += 1;
    this.engine.stop();
    if (s.state) this.hooks.onExit?.(s.state.conversationId);
    this.unmuting = false;
    this.set({ status: 'ended', exit: reason, speaking: new Set() });
  }

  private set(next: Partial<RoomSnapshot>): void {
    this.store.set({ ...this.store.get(), ...next });
  }
}

function notInRoom(): Promise<Ack<null>> {
  return Promise.resolve({ ok: false, error: { code: ErrorCode.NOT_FOUND, message: 'not in a room' } });
}
