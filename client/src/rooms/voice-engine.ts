/**
 * The voice engine: a WebRTC mesh for one room, driven only by `room:state` and `rtc:signal`.
 * Views never touch it directly; the room session (`room-session.ts`) feeds it and reads its
 * snapshot store.
 *
 * - Connections: one `PeerLink` per other participant where at least one side is on stage
 *   (`wantedPeers`). It is recomputed on every state; a link is replaced when either side's
 *   socket changes (a reconnect or another tab), and closed when the pair no longer needs one.
 * - Roles: on stage the engine holds the microphone and each link sends it on its own m-line;
 *   off stage the microphone is released and the links only receive.
 * - Mute: the senders carry no track (`replaceTrack(null)`), so no packets leave at all; a mute
 *   by the host arrives as `muted: true` in the state and is applied here too.
 * - Level: a Web Audio analyser on the microphone feeds the speaking detector, and changes go
 *   out as a throttled `room:speaking` while on stage.
 */
import type { Ack, RoomState, RtcConfig, ServerPayload } from '@hackmeshi/shared';
import { createStore, type Store } from '../store.js';
import { PeerLink, type OutgoingSignal } from './peer-link.js';
import { LevelMeter, SpeakingDetector, SpeakingReporter } from './speaking.js';
import { isPolite, onStage, wantedPeers } from './voice-plan.js';

/** What the engine needs from the network: the socket (`rtc:signal`, `room:speaking`) and the rtcConfig route. */
export interface VoiceTransport {
  /** Sends a signal to one participant (fire and forget). */
  signal(roomId: string, to: string, signal: OutgoingSignal): void;
  /** Subscribes to incoming signals; returns the unsubscribe function. */
  onSignal(handler: (payload: ServerPayload<'rtc:signal'>) => void): () => void;
  /** Sends this user's speaking indicator (fire and forget). */
  speaking(roomId: string, speaking: boolean): void;
  /** ICE servers (STUN/TURN) from the server's config. */
  rtcConfig(): Promise<Ack<RtcConfig>>;
}

/** The microphone, as the controls show it. */
export type MicState = 'off' | 'starting' | 'on' | 'denied' | 'unavailable';

/** A microphone the user can pick. */
export interface AudioInput {
  deviceId: string;
  /** Empty until the user has allowed microphone access (browsers hide labels before that). */
  label: string;
}

/** What the views read. A new object on every change. */
export interface VoiceSnapshot {
  /** In a room. */
  active: boolean;
  mic: MicState;
  /** This side sends no audio (by the user, the host, or until the microphone is allowed). */
  muted: boolean;
  /** This user's own speaking state, measured locally (the server does not echo it back). */
  speaking: boolean;
  devices: readonly AudioInput[];
  /** The chosen microphone; null for the browser's default. */
  deviceId: string | null;
  /** Connection state of each link, by the other user's id. */
  links: Readonly<Record<string, RTCPeerConnectionState>>;
  /** Remote audio waits for a user gesture (autoplay policy): show a "tap to hear" button. */
  audioBlocked: boolean;
}

const IDLE: VoiceSnapshot = {
  active: false,
  mic: 'off',
  muted: false,
  speaking: false,
  devices: [],
  deviceId: null,
  links: {},
  audioBlocked: false,
};

/** How often the microphone level is read, in ms. */
const LEVEL_POLL_MS = 50;

/** See the module comment. One instance per app; one room at a time. */
export class VoiceEngine {
  readonly snapshot: Store<VoiceSnapshot> = createStore<VoiceSnapshot>(IDLE);

  private roomId: string | null = null;
  private meId: string | null = null;
  private iceServers: RTCIceServer[] = [];
  private readonly links = new Map<string, PeerLink>();
  /** My socket id in the last state: when it changes, every link is made anew. */
  private mySocket: string | null = null;
  private stage = false;
  private muted = false;
  private mic: MediaStream | null = null;
  private micState: MicState = 'off';
  /** Bumped whenever the microphone is released, so a late getUserMedia answer is dropped. */
  private micGeneration = 0;
  private micRequested = false;
  private deviceId: string | null = null;
  private devices: readonly AudioInput[] = [];
  private meter: LevelMeter | null = null;
  private levelTimer: ReturnType<typeof setInterval> | null = null;
  private readonly detector = new SpeakingDetector();
  private readonly reporter: SpeakingReporter;
  private speaking = false;
  private offSignal: (() => void) | null = null;
  private readonly onDeviceChange = () => void this.refreshDevices();

  constructor(private readonly transport: VoiceTransport) {
    this.reporter = new SpeakingReporter((speaking) => {
      if (this.roomId && this.stage) this.transport.speaking(this.roomId, speaking);
    });
  }

  /**
   * Fetches the ICE servers. Call before joining, so a link can be made the moment the first
   * state arrives and no early offer finds nobody to answer it. Without an answer the engine
   * falls back to direct connections only (enough on one network).
   */
  async prepare(): Promise<void> {
    const res = await this.transport.rtcConfig();
    this.iceServers = res.ok ? res.data.iceServers : [];
    if (!res.ok) console.warn('voice: no ICE servers, direct connections only', res.error);
  }

  /** Starts a room session (stopping any other). */
  start(roomId: string, meId: string): void {
    if (this.roomId !== null) this.stop();
    this.roomId = roomId;
    this.meId = meId;
    this.offSignal = this.transport.onSignal((s) => {
      if (s.roomId !== this.roomId) return;
      // Signals are routed by sender. One from someone we hold no link with belongs to a pair
      // that this side already knows is over (states reach us before their signals do).
      this.links.get(s.from)?.receive(s);
    });
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
    this.publish({ active: true });
  }

  /** Applies a room state: my role and mute, and which links should exist. */
  update(state: RoomState): void {
    const meId = this.meId;
    if (!meId || state.room.id !== this.roomId) return;
    const me = state.participants.find((p) => p.user.id === meId);
    const stage = me !== undefined && onStage(me.role);
    // A mute by the host (or one made on another device) applies here; unmuting is always the user's own act.
    if (me?.muted && !this.muted) this.muted = true;
    if (stage !== this.stage) {
      this.stage = stage;
      if (stage) this.acquireMic();
      else this.releaseMic();
    }

    const wanted = wantedPeers(state, meId);
    const mySocket = state.peers[meId] ?? null;
    for (const [userId, link] of this.links) {
      if (wanted.get(userId) !== link.socketId || mySocket !== this.mySocket) {
        link.close();
        this.links.delete(userId);
      }
    }
    this.mySocket = mySocket;
    for (const [userId, socketId] of wanted) {
      if (this.links.has(userId)) continue;
      this.links.set(
        userId,
        new PeerLink({
          userId,
          socketId,
          polite: isPolite(meId, userId),
          iceServers: this.iceServers,
          signal: (signal) => {
            if (this.roomId) this.transport.signal(this.roomId, userId, signal);
          },
          onChange: () => this.publish(),
        }),
      );
    }
    this.applyOutgoing();
    this.publish();
  }

  /** Mutes or unmutes this side's audio locally (the session tells the server). */
  setMuted(muted: boolean): void {
    if (this.muted === muted) return;
    this.muted = muted;
    this.applyOutgoing();
    this.publish();
  }

  /** Whether this side is muted locally. */
  get isMuted(): boolean {
    return this.muted;
  }

  /** Switches to another microphone (replaceTrack: no renegotiation). */
  async selectDevice(deviceId: string | null): Promise<void> {
    this.deviceId = deviceId;
    this.publish();
    if (!this.mic) return;
    const generation = this.micGeneration;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: this.audioConstraints() });
    } catch (err) {
      console.warn('voice: could not switch microphone', err);
      return;
    }
    if (generation !== this.micGeneration || !this.stage) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    const old = this.mic;
    this.mic = stream;
    this.startMeter();
    this.applyOutgoing();
    for (const track of old.getTracks()) track.stop();
    void this.refreshDevices();
  }

  /** Starts held-back audio after a user gesture (autoplay policy). */
  resumeAudio(): void {
    for (const link of this.links.values()) link.resumePlayback();
    this.meter?.resume();
  }

  /** The stats of every connection, keyed by the other user's id (for diagnostics and tests). */
  async getStats(): Promise<Record<string, RTCStatsReport>> {
    const entries = await Promise.all([...this.links].map(async ([userId, link]) => [userId, await link.pc.getStats()] as const));
    return Object.fromEntries(entries);
  }

  /** Leaves the mesh: closes every connection and releases the microphone. */
  stop(): void {
    this.offSignal?.();
    this.offSignal = null;
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.releaseMic();
    this.roomId = null;
    this.meId = null;
    this.mySocket = null;
    this.stage = false;
    this.muted = false;
    this.snapshot.set({ ...IDLE, devices: this.devices, deviceId: this.deviceId });
  }

  // ---- internals

  private audioConstraints(): MediaTrackConstraints | boolean {
    // Echo cancellation matters in a mesh: everyone else's voice comes out of this speaker.
    const base: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
    return this.deviceId ? { ...base, deviceId: { exact: this.deviceId } } : base;
  }

  private acquireMic(): void {
    if (this.mic || this.micRequested) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.micState = 'unavailable';
      this.publish();
      return;
    }
    const generation = this.micGeneration;
    this.micRequested = true;
    this.micState = 'starting';
    this.publish();
    navigator.mediaDevices.getUserMedia({ audio: this.audioConstraints() }).then(
      (stream) => {
        if (generation !== this.micGeneration) {
          for (const track of stream.getTracks()) track.stop();
          return;
        }
        this.micRequested = false;
        this.mic = stream;
        this.micState = 'on';
        this.startMeter();
        this.applyOutgoing();
        this.publish();
        void this.refreshDevices();
      },
      (err: unknown) => {
        if (generation !== this.micGeneration) return;
        this.micRequested = false;
        const name = err instanceof DOMException ? err.name : '';
        this.micState = name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unavailable';
        this.publish();
      },
    );
  }

  private releaseMic(): void {
    this.micGeneration += 1;
    this.micRequested = false;
    this.stopMeter();
    for (const track of this.mic?.getTracks() ?? []) track.stop();
    this.mic = null;
    this.micState = 'off';
    this.applyOutgoing();
  }

  /** What each link should send now. */
  private applyOutgoing(): void {
    const track = this.stage && !this.muted ? (this.mic?.getAudioTracks()[0] ?? null) : null;
    // The track stays live while muted (unmuting is instant) but carries silence to the meter.
    for (const t of this.mic?.getAudioTracks() ?? []) t.enabled = !this.muted;
    for (const link of this.links.values()) link.setOutgoing(this.stage, track);
    if (!track) this.setSpeaking(false);
  }

  private startMeter(): void {
    this.stopMeter();
    if (!this.mic || typeof AudioContext === 'undefined') return;
    try {
      this.meter = new LevelMeter(this.mic);
    } catch (err) {
      console.warn('voice: no level meter', err);
      return;
    }
    this.levelTimer = setInterval(() => {
      if (!this.meter || !this.stage || this.muted) return this.setSpeaking(false);
      this.setSpeaking(this.detector.update(this.meter.level(), Date.now()));
    }, LEVEL_POLL_MS);
  }

  private stopMeter(): void {
    if (this.levelTimer !== null) clearInterval(this.levelTimer);
    this.levelTimer = null;
    this.meter?.close();
    this.meter = null;
    this.detector.reset();
    this.reporter.reset();
    this.setSpeaking(false);
  }

  private setSpeaking(speaking: boolean): void {
    if (!speaking) this.detector.reset();
    this.reporter.set(speaking);
    if (speaking === this.speaking) return;
    this.speaking = speaking;
    this.publish();
  }

  private async refreshDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      this.devices = all.filter((d) => d.kind === 'audioinput' && d.deviceId !== '').map((d) => ({ deviceId: d.deviceId, label: d.label }));
    } catch {
      this.devices = [];
    }
    this.publish();
  }

  private publish(extra: Partial<VoiceSnapshot> = {}): void {
    const links: Record<string, RTCPeerConnectionState> = {};
    let blocked = false;
    for (const [userId, link] of this.links) {
      links[userId] = link.state;
      blocked ||= link.playBlocked;
    }
    this.snapshot.set({
      active: this.roomId !== null,
      mic: this.micState,
      muted: this.muted,
      speaking: this.speaking,
      devices: this.devices,
      deviceId: this.deviceId,
      links,
      audioBlocked: blocked || (this.meter?.suspended ?? false),
      ...extra,
    });
  }
}
