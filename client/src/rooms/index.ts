/**
 * The app's voice room session and engine, wired to the one socket module and the typed HTTP
 * helper. Views import `rooms` and `voice` from here.
 *
 * Diagnostics: `window.__hmVoice.getStats()` resolves to the `RTCStatsReport` of every open
 * peer connection, keyed by the other participant's user id (as chrome://webrtc-internals would
 * show them). It is read-only and exposes nothing the page could not already reach; the
 * end-to-end test uses it to prove that audio bytes really flow, and stop when muted.
 */
import { api } from '../api.js';
import { chat } from '../chat/index.js';
import { session } from '../session.js';
import { emit, on, onConnected } from '../socket.js';
import { RoomSession } from './room-session.js';
import { VoiceEngine } from './voice-engine.js';

/** Time to wait for a signalling ack, in ms: a late one is useless, negotiation moves on. */
const SIGNAL_TIMEOUT_MS = 5000;

/** The one voice engine of the app. */
export const voice = new VoiceEngine({
  signal: (roomId, to, signal) => {
    void emit('rtc:signal', { roomId, to, ...signal }, { timeoutMs: SIGNAL_TIMEOUT_MS }).then((res) => {
      if (!res.ok) console.warn('voice: signal not relayed', res.error.code);
    });
  },
  onSignal: (handler) => on('rtc:signal', handler),
  speaking: (roomId, speaking) => void emit('room:speaking', { roomId, speaking }, { timeoutMs: SIGNAL_TIMEOUT_MS }),
  rtcConfig: () => api('rtcConfig'),
});

/** The one room session of the app. */
export const rooms = new RoomSession({ emit: (event, payload) => emit(event, payload), on, onConnected }, voice, {
  // The side chat is for current participants only: its state and unsent messages go with the seat.
  onExit: (conversationId) => chat.forget(conversationId),
});

// Without a microphone a speaker is silent: say so in the roster rather than look live.
voice.snapshot.subscribe((v) => {
  if (v.active && (v.mic === 'denied' || v.mic === 'unavailable') && !v.muted) void rooms.setMuted(true);
});

// Signing out (here or elsewhere) ends the room and releases the microphone.
session.subscribe((s) => {
  if (s.status !== 'signed-in' && rooms.store.get().status !== 'idle') rooms.reset();
  else if (s.status === 'signed-in' && rooms.userId !== null && rooms.userId !== s.me.id) rooms.leave();
});

/** The diagnostics hook described in the module comment. */
export interface VoiceDiagnostics {
  getStats(): Promise<Record<string, RTCStatsReport>>;
}

declare global {
  interface Window {
    __hmVoice?: VoiceDiagnostics;
  }
}

if (typeof window !== 'undefined') window.__hmVoice = { getStats: () => voice.getStats() };
