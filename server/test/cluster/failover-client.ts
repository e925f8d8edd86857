import { io as ioc } from 'socket.io-client';
import {
  ErrorCode,
  PROTOCOL_VERSION,
  errAck,
  type Ack,
  type ServerEventName,
  type ServerPayload,
} from '@hackmeshi/shared';
import { ChatClient, type ChatTransport, type ConversationSnapshot } from '../../../client/src/chat/chat-client.js';
import { onCleanup, type Client } from './cluster.js';

/**
 * The browser's chat client (client/src/chat) running in Node, over a socket that behaves like a
 * load balancer in front of the cluster: when its node vanishes or drains, it reconnects to the
 * next live one. Fault tests drive real users' code this way, outbox and sync included.
 */
export class FailoverChat {
  readonly chat: ChatClient;
  private socket: Client | null = null;
  private index: number;
  private closed = false;
  private readonly handlers = new Map<ServerEventName, Set<(p: unknown) => void>>();
  private readonly connected = new Set<() => void>();
  private readonly connectivity = new Set<() => void>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** How many times this client reached a node (the first connection included). */
  connections = 0;
  /** How many `server:resync` notices this client acted on. */
  resyncs = 0;
  /** The node URL of the current connection. */
  currentUrl: string | null = null;

  constructor(
    private readonly urls: () => string[],
    private readonly cookie: string,
    userId: string,
    start = 0,
  ) {
    this.index = start;
    const transport: ChatTransport = {
      emit: async (event, payload, opts) => {
        const s = this.socket;
        if (!s?.connected) return errAck(ErrorCode.UNAVAILABLE, 'not connected') as Ack<never>;
        try {
          const timed = s.timeout(opts?.timeoutMs ?? 5_000) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<never>> };
          return await timed.emitWithAck(event, payload);
        } catch {
          return errAck(ErrorCode.UNAVAILABLE, 'no answer') as Ack<never>;
        }
      },
      on: (event, handler) => {
        let set = this.handlers.get(event);
        if (!set) this.handlers.set(event, (set = new Set()));
        set.add(handler as (p: unknown) => void);
        this.socket?.on(event as never, handler as never);
        return () => {
          set.delete(handler as (p: unknown) => void);
          this.socket?.off(event as never, handler as never);
        };
      },
      onConnected: (h) => (this.connected.add(h), () => this.connected.delete(h)),
      isConnected: () => Boolean(this.socket?.connected),
      onConnectivityChange: (h) => (this.connectivity.add(h), () => this.connectivity.delete(h)),
      history: async (conversationId, beforeSeq, limit) => {
        const s = this.socket;
        if (!s?.connected) return errAck(ErrorCode.UNAVAILABLE, 'not connected');
        try {
          return await s.timeout(5_000).emitWithAck('chat:history', { conversationId, beforeSeq, limit });
        } catch {
          return errAck(ErrorCode.UNAVAILABLE, 'no answer');
        }
      },
      isVisible: () => true,
      onVisibilityChange: () => () => {},
      storage: null,
    };
    this.chat = new ChatClient(transport);
    this.chat.setUser(userId);
    onCleanup(async () => this.close());
  }

  /** Connects (trying nodes in turn) and resolves once connected. */
  async start(): Promise<void> {
    await this.connectSomewhere();
  }

  /** Opens a conversation and resolves once its first load finished. */
  async open(conversationId: string): Promise<void> {
    const store = this.chat.conversation(conversationId);
    await new Promise<void>((resolve) => {
      const check = () => {
        if (store.get().status === 'ready') {
          unsubscribe();
          resolve();
        }
      };
      const unsubscribe = store.subscribe(check);
      check();
    });
  }

  snapshot(conversationId: string): ConversationSnapshot {
    return this.chat.conversation(conversationId).get();
  }

  close() {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.socket?.disconnect();
  }

  private async connectSomewhere(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      const urls = this.urls();
      const url = urls[this.index % urls.length]!;
      this.index += 1;
      try {
        await this.open1(url);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(50 * (attempt + 1), 500)));
      }
    }
  }

  private open1(url: string): Promise<void> {
    const s: Client = ioc(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 3_000,
      extraHeaders: { cookie: this.cookie },
      auth: { protocolVersion: PROTOCOL_VERSION },
    });
    for (const [event, set] of this.handlers) for (const h of set) s.on(event as never, h as never);
    return new Promise((resolve, reject) => {
      s.once('connect', () => {
        this.socket = s;
        this.currentUrl = url;
        this.connections += 1;
        s.on('server:draining', ({ reconnectAfterMs }: ServerPayload<'server:draining'>) => {
          // As the browser does: leave now, come back (elsewhere) shortly after.
          s.disconnect();
          this.scheduleReconnect(reconnectAfterMs);
        });
        s.on('server:resync', () => {
          // As the browser does (client/src/socket.ts): catch up as after a reconnect.
          this.resyncs += 1;
          for (const h of this.connected) h();
        });
        s.on('disconnect', () => {
          for (const h of this.connectivity) h();
          if (this.socket === s) this.scheduleReconnect(100);
        });
        for (const h of this.connectivity) h();
        for (const h of this.connected) h();
        resolve();
      });
      s.once('connect_error', (err) => {
        s.disconnect();
        reject(err);
      });
    });
  }

  private scheduleReconnect(ms: number) {
    if (this.closed || this.reconnectTimer) return;
    this.socket = null;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectSomewhere();
    }, ms);
  }
}
