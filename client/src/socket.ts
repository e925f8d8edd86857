/**
 * The one place that talks Socket.IO. Views never see the socket: they call `emit` (a typed
 * request with an ack and a timeout), subscribe to server events with `on`, and read the
 * `connection` store. Event names and payload types come from the tables in `shared/`.
 */
import {
  ErrorCode,
  PROTOCOL_VERSION,
  clientEvents,
  serverEvents,
  type Ack,
  type ClientAckData,
  type ClientEventName,
  type ClientPayloadInput,
  type ClientToServerEvents,
  type ErrorBody,
  type HandshakeAuth,
  type ServerEventName,
  type ServerPayload,
  type ServerToClientEvents,
} from '@hackmeshi/shared';
import { io, type Socket } from 'socket.io-client';
import { createStore } from './store.js';

type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the connection indicator shows. */
export type ConnectionState = 'connected' | 'reconnecting' | 'offline';

/** Why a session ended, as the server says in `session:ended` (or `expired` when a handshake is refused). */
export type SessionEndReason = ServerPayload<'session:ended'>['reason'];

/** The live connection, as the UI needs it. */
export interface ConnectionStatus {
  /** `offline` also while the browser itself reports no network. */
  state: ConnectionState;
  /** False until the first successful connection since `startSocket`, so the UI can say "connecting…". */
  hasConnected: boolean;
  /**
   * Set once the server refused this build's protocol version. It stays set (the banner asks for
   * a reload), because retrying with the same code cannot succeed.
   */
  protocolMismatch: boolean;
  /** A handshake refusal other than UNAUTHENTICATED (e.g. ORIGIN_NOT_ALLOWED); null when none. */
  refusedWith: ErrorCode | null;
}

/** Default time to wait for an ack before giving up, in milliseconds. */
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;
/** Upper bound of the back-off between manual reconnect attempts, in milliseconds. */
const MAX_RETRY_DELAY_MS = 30_000;

/** The connection status store read by the header indicator and banners. */
export const connection = createStore<ConnectionStatus>({
  state: 'offline',
  hasConnected: false,
  protocolMismatch: false,
  refusedWith: null,
});

let socket: AppSocket | null = null;
/** Whether the app wants a connection (true while signed in). */
let wanted = false;
/** A pending reconnect we scheduled ourselves (after draining, or after the server dropped us). */
let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
let retryAttempt = 0;

type Handler = (payload: never) => void;
const handlers = new Map<ServerEventName, Set<Handler>>();
const connectedHandlers = new Set<() => void>();
const sessionLostHandlers = new Set<(reason: SessionEndReason) => void>();

function browserOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}

function refresh(): void {
  const current = connection.get();
  let state: ConnectionState;
  if (!browserOnline()) state = 'offline';
  else if (socket?.connected) state = 'connected';
  else if (wanted && current.refusedWith === null && !current.protocolMismatch && (socket?.active || reconnectTimer))
    state = 'reconnecting';
  else state = 'offline';
  if (state !== current.state) connection.set({ ...current, state });
}

function patch(next: Partial<ConnectionStatus>): void {
  connection.set({ ...connection.get(), ...next });
  refresh();
}

function clearReconnectTimer(): void {
  if (reconnectTimer !== null) clearTimeout(reconnectTimer);
  reconnectTimer = null;
}

/** Reconnects after `delayMs`, unless the app stopped wanting a connection meanwhile. */
function scheduleReconnect(delayMs: number): void {
  clearReconnectTimer();
  reconnectTimer = setTimeout(() => {
    reconnectTimer = null;
    if (wanted && socket && !socket.connected) socket.connect();
    refresh();
  }, delayMs);
  refresh();
}

/** Exponential back-off with full jitter, for reconnects Socket.IO will not do by itself. */
function scheduleRetry(): void {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** retryAttempt);
  retryAttempt += 1;
  scheduleReconnect(ceiling / 2 + Math.random() * (ceiling / 2));
}

function endSession(reason: SessionEndReason): void {
  stopSocket();
  for (const handler of [...sessionLostHandlers]) handler(reason);
}

function dispatch(event: ServerEventName, raw: unknown): void {
  // Server payloads are checked too: a contract drift shows up as a console warning, not as
  // undefined fields deep inside a view.
  const parsed = serverEvents[event].safeParse(raw);
  if (!parsed.success) {
    console.warn(`socket: dropped malformed "${event}"`, parsed.error.issues);
    return;
  }
  switch (event) {
    case 'server:draining': {
      // This node is going away. Leave now and come back after the suggested delay plus jitter,
      // so a whole node's clients do not land on the next node in the same instant.
      const { reconnectAfterMs } = parsed.data as ServerPayload<'server:draining'>;
      const jitter = Math.random() * Math.min(5000, Math.max(1000, reconnectAfterMs));
      socket?.disconnect();
      if (wanted) scheduleReconnect(reconnectAfterMs + jitter);
      break;
    }
    case 'server:resync':
      // The socket stayed up but this node's link to the others did not: catch up exactly as
      // after a reconnect (chat syncs from its cursors, rooms refetch their state).
      for (const handler of [...connectedHandlers]) handler();
      break;
    case 'session:ended':
      endSession((parsed.data as ServerPayload<'session:ended'>).reason);
      break;
  }
  for (const handler of [...(handlers.get(event) ?? [])]) (handler as (payload: unknown) => void)(parsed.data);
}

function createSocket(): AppSocket {
  const auth: HandshakeAuth = { protocolVersion: PROTOCOL_VERSION };
  const s: AppSocket = io({
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    // Fall back to long-polling where a proxy blocks WebSocket upgrades.
    tryAllTransports: true,
    withCredentials: true,
    autoConnect: false,
    auth,
  });

  s.on('connect', () => {
    retryAttempt = 0;
    clearReconnectTimer();
    patch({ hasConnected: true, refusedWith: null });
    for (const handler of [...connectedHandlers]) handler();
  });

  s.on('disconnect', (reason) => {
    // Socket.IO retries by itself after transport failures, but not when the server closed the
    // socket on purpose. If we did not expect that (no draining notice, no session end), try
    // again with back-off; a dead session then surfaces as UNAUTHENTICATED on the handshake.
    if (reason === 'io server disconnect' && wanted && reconnectTimer === null) scheduleRetry();
    refresh();
  });

  s.on('connect_error', (err: Error & { data?: unknown }) => {
    const data = err.data as Partial<ErrorBody> | undefined;
    switch (data?.code) {
      case ErrorCode.UNAUTHENTICATED:
        endSession('expired');
        return;
      case ErrorCode.PROTOCOL_MISMATCH:
        s.disconnect();
        patch({ protocolMismatch: true });
        return;
      case ErrorCode.ORIGIN_NOT_ALLOWED:
        s.disconnect();
        patch({ refusedWith: ErrorCode.ORIGIN_NOT_ALLOWED });
        return;
    }
    // A middleware refusal (`active` false) is not retried by Socket.IO; a transport error is.
    if (!s.active && wanted) scheduleRetry();
    refresh();
  });

  s.io.on('reconnect_attempt', refresh);
  s.io.on('reconnect_failed', refresh);

  // One listener per server event in the shared table; `on()` fans out from here. The typed
  // socket cannot express "any key of the table" in a loop, hence the one untyped view of it.
  const untyped = s as unknown as Socket;
  for (const event of Object.keys(serverEvents) as ServerEventName[]) {
    untyped.on(event, (payload: unknown) => dispatch(event, payload));
  }
  return s;
}

if (typeof window !== 'undefined') {
  window.addEventListener('offline', refresh);
  window.addEventListener('online', () => {
    // Back online: do not sit out the rest of a long back-off.
    if (wanted && socket && !socket.connected && !socket.active) {
      clearReconnectTimer();
      socket.connect();
    }
    refresh();
  });
}

/** Opens the connection (idempotent). Call once the user is signed in: the handshake needs the session cookie. */
export function startSocket(): void {
  wanted = true;
  socket ??= createSocket();
  const current = connection.get();
  if (current.protocolMismatch) return refresh();
  connection.set({ ...current, refusedWith: null, hasConnected: socket.connected });
  if (!socket.connected && !socket.active) socket.connect();
  refresh();
}

/** Closes the connection and cancels any scheduled reconnect (sign-out, session end). */
export function stopSocket(): void {
  wanted = false;
  clearReconnectTimer();
  retryAttempt = 0;
  socket?.disconnect();
  refresh();
}

/**
 * Subscribes to a server event from the shared table. Payloads are validated against the
 * table's schema first. Returns the unsubscribe function (use it as an effect's cleanup).
 */
export function on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void {
  let set = handlers.get(event);
  if (!set) handlers.set(event, (set = new Set()));
  set.add(handler as Handler);
  return () => set.delete(handler as Handler);
}

/** Runs `handler` after every successful (re)connection, e.g. to resync state missed while away. */
export function onConnected(handler: () => void): () => void {
  connectedHandlers.add(handler);
  return () => connectedHandlers.delete(handler);
}

/** Runs `handler` when the server ends the session or refuses the handshake as UNAUTHENTICATED. */
export function onSessionLost(handler: (reason: SessionEndReason) => void): () => void {
  sessionLostHandlers.add(handler);
  return () => sessionLostHandlers.delete(handler);
}

/** Options of `emit`. */
export interface EmitOptions {
  /** How long to wait for the ack, in milliseconds. Default `DEFAULT_ACK_TIMEOUT_MS` (10 s). */
  timeoutMs?: number;
}

const localError = (code: ErrorCode, message: string): { ok: false; error: ErrorBody } => ({
  ok: false,
  error: { code, message, details: { local: true } },
});

/**
 * Sends a client event and resolves to its ack envelope; it never rejects. While disconnected,
 * Socket.IO buffers the event until the next connect. No ack within the timeout resolves to a
 * local `UNAVAILABLE` error, which callers may retry (with the same nonce, where there is one).
 */
export async function emit<E extends ClientEventName>(
  event: E,
  payload: ClientPayloadInput<E>,
  { timeoutMs = DEFAULT_ACK_TIMEOUT_MS }: EmitOptions = {},
): Promise<Ack<ClientAckData<E>>> {
  if (!socket || !wanted) return localError(ErrorCode.UNAUTHENTICATED, 'not connected');
  let answer: unknown;
  try {
    // The generic E cannot be narrowed through Socket.IO's overloads; the table types the call.
    answer = await (socket as unknown as Socket).timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    return localError(ErrorCode.UNAVAILABLE, `no answer to "${event}" within ${timeoutMs} ms`);
  }
  const envelope = answer as Ack<unknown> | null;
  if (typeof envelope !== 'object' || envelope === null || typeof envelope.ok !== 'boolean') {
    return localError(ErrorCode.INTERNAL, `malformed ack for "${event}"`);
  }
  if (!envelope.ok) return envelope;
  const parsed = clientEvents[event].ack.safeParse(envelope.data);
  if (!parsed.success) {
    console.warn(`socket: ack of "${event}" does not match the shared schema`, parsed.error.issues);
    return localError(ErrorCode.INTERNAL, `malformed ack for "${event}"`);
  }
  return { ok: true, data: parsed.data as ClientAckData<E> };
}
