import type { Me } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { chat } from '../../chat/index.js';
import { errorMessage, useT } from '../../i18n.js';
import { emit, onConnected } from '../../socket.js';
import { useStore } from '../../store.js';
import { Composer } from './composer.js';
import { MessageList } from './message-list.js';

/** Props of `GroupChat`. */
export interface GroupChatProps {
  me: Me;
  conversationId: string;
  title: string;
  /** Sender names by user id (members, attendees); unknown senders read "Someone". */
  names: ReadonlyMap<string, string>;
  /** Why the viewer cannot post, shown in place of a usable composer; null when they can. */
  readOnlyNote: string | null;
  /**
   * Receive the conversation live without being a member (`chat:watch`): a community channel
   * read by a non-member. Re-sent after every reconnect, since a new socket watches nothing.
   */
  watch?: boolean;
  /** The viewer may delete others' messages (community owner or moderator). */
  moderate?: boolean;
  testId: string;
}

/**
 * A many-person chat (meetup event chat, community channel) on the one chat mechanism: the
 * same message list and composer as match chats, with sender names.
 */
export function GroupChat({ me, conversationId, title, names, readOnlyNote, watch = false, moderate = false, testId }: GroupChatProps) {
  const t = useT();
  const snapshot = useStore(chat.conversation(conversationId));
  const [follow, setFollow] = useState(0);
  useEffect(() => {
    chat.setActive(conversationId);
    return () => chat.setActive(null);
  }, [conversationId]);
  useEffect(() => {
    if (!watch) return;
    const start = () => void emit('chat:watch', { conversationId, watching: true });
    start();
    const off = onConnected(start);
    return () => {
      off();
      void emit('chat:watch', { conversationId, watching: false });
    };
  }, [conversationId, watch]);
  return (
    <section class="group-chat" data-testid={testId} aria-label={title}>
      <h2 class="group-chat__title">{title}</h2>
      {snapshot.status === 'loading' && <p class="loading chat__loading">{t('session.loading')}</p>}
      {(snapshot.status === 'error' || snapshot.status === 'gone') && snapshot.error && (
        <div class="center group-chat__error">
          <p role="alert">{errorMessage(t, snapshot.error)}</p>
          <button type="button" class="button button--secondary button--small" onClick={() => chat.reload(conversationId)}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {snapshot.status === 'ready' && (
        <MessageList snapshot={snapshot} meId={me.id} followToken={follow} nameOf={(id) => names.get(id) ?? null} moderate={moderate} />
      )}
      {readOnlyNote && (
        <p class="group-chat__note muted" data-testid="chat-read-only">
          {readOnlyNote}
        </p>
      )}
      <Composer conversationId={conversationId} disabled={readOnlyNote !== null || snapshot.status === 'gone'} onSent={() => setFollow((n) => n + 1)} />
    </section>
  );
}
