/**
 * The app's chat client, wired to the one socket module and the typed HTTP helper. Views and
 * stores import `chat` from here; nothing else in the app sends `chat:*` events.
 */
import { api } from '../api.js';
import { connection, emit, on, onConnected } from '../socket.js';
import { ChatClient } from './chat-client.js';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The one chat client of the app. `session.ts` tells it who is signed in. */
export const chat = new ChatClient({
  emit: (event, payload, opts) => emit(event, payload, opts),
  on,
  onConnected,
  isConnected: () => connection.get().state === 'connected',
  onConnectivityChange: (handler) => connection.subscribe(() => handler()),
  history: (conversationId, beforeSeq, limit) =>
    api('chatHistory', { params: { id: conversationId }, query: { beforeSeq, limit } }),
  isVisible: () => document.visibilityState === 'visible',
  onVisibilityChange: (handler) => {
    document.addEventListener('visibilitychange', handler);
    return () => document.removeEventListener('visibilitychange', handler);
  },
  storage: storage(),
});

export { deliveryState, type ConversationSnapshot, type DeliveryState } from './chat-client.js';
export type { OutgoingMessage } from './outbox.js';
