/**
 * One RTCPeerConnection to one other participant, negotiated with the W3C "perfect negotiation"
 * pattern (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example): either side may
 * renegotiate at any time (a listener invited to speak adds audio, a speaker stepping down stops
 * it), and an offer collision is settled by the polite side yielding (implicit rollback in
 * setRemoteDescription) while the impolite side ignores the colliding offer.
 *
 * Each side's outgoing audio is its own m-line, made by `addTransceiver`. Such a transceiver is
 * never paired with a remote m-line by setRemoteDescription, so two speakers who start sending at
 * once still end up with exactly one m-line each way.
 *
 * The first offer of a connection is always the impolite side's (a `recvonly` m-line when it is a
 * listener, its microphone when on stage); the polite side adds its own m-line only once that
 * offer has been applied. Both sides would otherwise offer at once whenever a pair appears, and
 * Chromium loses its ICE candidates when the polite side rolls back a connection's very first
 * offer: the call then never connects. Later collisions (two people changing roles in the same
 * instant) are settled by the pattern as usual.
 */
import type { ClientPayloadInput, ServerPayload } from '@hackmeshi/shared';

type SignalPayload = ClientPayloadInput<'rtc:signal'>;
/** A session description as it travels in `rtc:signal`. */
export type WireDescription = NonNullable<SignalPayload['description']>;
/** An ICE candidate as it travels in `rtc:signal`. */
export type WireCandidate = NonNullable<SignalPayload['candidate']>;

/** What a link sends to its peer through the server. */
export interface OutgoingSignal {
  description?: WireDescription;
  candidate?: WireCandidate;
}

/** Options of `PeerLink`. */
export interface PeerLinkOptions {
  /** The other participant. */
  userId: string;
  /** Their socket id when the link was made: a different one later means a new connection. */
  socketId: string;
  /** Whether this side yields on an offer collision (see `isPolite`). */
  polite: boolean;
  iceServers: RTCIceServer[];
  /** Sends a description or a candidate to the other side (`rtc:signal`). */
  signal(signal: OutgoingSignal): void;
  /** The connection state changed, or remote audio could not start (autoplay policy). */
  onChange(): void;
}

/**
 * How long the polite side waits for the impolite side's first offer before making its own, in
 * ms: a safety net for an offer that never came (it should always come).
 */
const FIRST_OFFER_WAIT_MS = 4000;

const toWireDescription = (d: RTCSessionDescription): WireDescription => ({ type: d.type, sdp: d.sdp });

const toWireCandidate = (c: RTCIceCandidate): WireCandidate => ({
  candidate: c.candidate,
  sdpMid: c.sdpMid,
  sdpMLineIndex: c.sdpMLineIndex,
  usernameFragment: c.usernameFragment,
});

/** See the module comment. */
export class PeerLink {
  readonly userId: string;
  readonly socketId: string;
  readonly pc: RTCPeerConnection;
  /** Set when remote audio is held back by the browser's autoplay policy until a user gesture. */
  playBlocked = false;

  private readonly polite: boolean;
  private readonly options: PeerLinkOptions;
  /** This side's own audio m-line: its microphone on stage; `recvonly` off stage (the impolite side's first offer). */
  private sendTransceiver: RTCRtpTransceiver | null = null;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswer = false;
  /** Incoming signals are handled one at a time, in arrival order. */
  private incoming: Promise<void> = Promise.resolve();
  /** Candidates that arrived before any remote description (the relay may reorder them). */
  private earlyCandidates: WireCandidate[] = [];
  private readonly remoteStream = new MediaStream();
  private audio: HTMLAudioElement | null = null;
  private closed = false;
  /** What `setOutgoing` last asked for, applied once the polite side may add its m-line. */
  private wanted: { onStage: boolean; track: MediaStreamTrack | null } = { onStage: false, track: null };
  private firstOfferTimer: ReturnType<typeof setTimeout> | null = null;
  private firstOfferWaived = false;

  constructor(options: PeerLinkOptions) {
    this.options = options;
    this.userId = options.userId;
    this.socketId = options.socketId;
    this.polite = options.polite;
    const pc = new RTCPeerConnection({ iceServers: options.iceServers });
    this.pc = pc;

    pc.onnegotiationneeded = () => void this.negotiate();
    pc.onicecandidate = ({ candidate }) => {
      // The end-of-candidates marker (null or empty) is not sent: trickle ICE does without it.
      if (candidate && candidate.candidate !== '') options.signal({ candidate: toWireCandidate(candidate) });
    };
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      this.play();
    };
    pc.onconnectionstatechange = () => {
      // A path that broke (network change) gets new candidates without tearing the call down.
      // One side restarts (the impolite one, which also made the first offer), so the two
      // restarts do not collide.
      if (pc.connectionState === 'failed' && !this.polite) pc.restartIce();
      options.onChange();
    };
    if (this.polite) {
      this.firstOfferTimer = setTimeout(() => {
        this.firstOfferTimer = null;
        this.firstOfferWaived = true;
        this.applyOutgoing();
      }, FIRST_OFFER_WAIT_MS);
    }
  }

  /** The connection state, for the roster ("connecting…"). */
  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /**
   * What this side sends. On stage it has a sendonly m-line carrying `track` (null while muted or
   * before the microphone is ready: the sender then sends no packets at all, so muting needs no
   * renegotiation). Off stage it turns `recvonly`, which renegotiates.
   */
  setOutgoing(onStage: boolean, track: MediaStreamTrack | null): void {
    this.wanted = { onStage, track };
    this.applyOutgoing();
  }

  /** Applies an `rtc:signal` from the other side. */
  receive({ description, candidate }: Pick<ServerPayload<'rtc:signal'>, 'description' | 'candidate'>): void {
    this.incoming = this.incoming
      .then(() => this.handle(description, candidate))
      .catch((err: unknown) => console.warn(`voice: signal from ${this.userId} failed`, err));
  }

  /** Tries remote playback again (call from a user gesture after `playBlocked`). */
  resumePlayback(): void {
    if (!this.audio) return;
    void this.audio.play().then(
      () => this.setBlocked(false),
      () => this.setBlocked(true),
    );
  }

  /** Stops everything: the connection, and the remote audio. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.firstOfferTimer !== null) clearTimeout(this.firstOfferTimer);
    this.firstOfferTimer = null;
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
    if (this.audio) {
      this.audio.pause();
      this.audio.srcObject = null;
      this.audio = null;
    }
    for (const track of this.remoteStream.getTracks()) track.stop();
  }

  private applyOutgoing(): void {
    if (this.closed) return;
    const { onStage, track } = this.wanted;
    const transceiver = this.sendTransceiver;
    if (!transceiver) {
      // The polite side opens nothing of its own before the first offer is in (see the module comment).
      if (this.polite && (!onStage || (this.pc.remoteDescription === null && !this.firstOfferWaived))) return;
      this.sendTransceiver = this.pc.addTransceiver(track ?? 'audio', { direction: onStage ? 'sendonly' : 'recvonly' });
      return;
    }
    const direction = onStage ? 'sendonly' : 'recvonly';
    if (transceiver.direction !== direction) transceiver.direction = direction;
    const next = onStage ? track : null;
    if (transceiver.sender.track !== next) void transceiver.sender.replaceTrack(next).catch((err) => console.warn('voice: replaceTrack failed', err));
  }

  private async negotiate(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      if (this.pc.localDescription && !this.closed) this.options.signal({ description: toWireDescription(this.pc.localDescription) });
    } catch (err) {
      if (!this.closed) console.warn(`voice: offer to ${this.userId} failed`, err);
    } finally {
      this.makingOffer = false;
    }
  }

  private async handle(description: WireDescription | undefined, candidate: WireCandidate | null | undefined): Promise<void> {
    if (this.closed) return;
    const pc = this.pc;
    if (description) {
      const readyForOffer = !this.makingOffer && (pc.signalingState === 'stable' || this.settingRemoteAnswer);
      const collision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      this.settingRemoteAnswer = description.type === 'answer';
      try {
        await pc.setRemoteDescription(description);
      } finally {
        this.settingRemoteAnswer = false;
      }
      await this.addEarlyCandidates();
      if (description.type === 'offer') {
        await pc.setLocalDescription();
        if (pc.localDescription && !this.closed) this.options.signal({ description: toWireDescription(pc.localDescription) });
        if (this.firstOfferTimer !== null) clearTimeout(this.firstOfferTimer);
        this.firstOfferTimer = null;
        // The first offer is in: the polite side may now add its own m-line.
        this.applyOutgoing();
      }
    } else if (candidate) {
      if (!pc.remoteDescription) {
        this.earlyCandidates.push(candidate);
        return;
      }
      try {
        await pc.addIceCandidate(candidate);
      } catch (err) {
        // Candidates of an offer we chose to ignore are expected to fail.
        if (!this.ignoreOffer) throw err;
      }
    }
  }

  private async addEarlyCandidates(): Promise<void> {
    const early = this.earlyCandidates.splice(0);
    for (const c of early) await this.pc.addIceCandidate(c).catch(() => undefined);
  }

  private play(): void {
    if (this.audio || this.closed) return;
    // A detached element plays too; one per peer, so each can be resumed or stopped on its own.
    const audio = new Audio();
    audio.autoplay = true;
    audio.srcObject = this.remoteStream;
    this.audio = audio;
    void audio.play().then(
      () => this.setBlocked(false),
      (err: unknown) => {
        if (err instanceof DOMException && err.name === 'NotAllowedError') this.setBlocked(true);
      },
    );
  }

  private setBlocked(blocked: boolean): void {
    if (this.playBlocked === blocked) return;
    this.playBlocked = blocked;
    this.options.onChange();
  }
}
