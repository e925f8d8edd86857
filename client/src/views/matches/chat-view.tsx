import type { ErrorBody, Match, Me, Presence } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { chat } from '../../chat/index.js';
import { errorMessage, useLang, useT } from '../../i18n.js';
import { markMatchSeen, matches, upsertMatch } from '../../matches/match-store.js';
import { href } from '../../router.js';
import { useStore } from '../../store.js';
import { dismissToast } from '../../toasts.js';
import { Avatar } from '../../ui/avatar.js';
import { formatAgo } from '../../ui/time.js';
import { ChatMenu } from './chat-menu.js';
import { Composer } from './composer.js';
import { MatchCards } from './matches-list.js';
import { MessageList } from './message-list.js';

function PresenceText({ presence }: { presence: Presence }) {
  const t = useT();
  const lang = useLang();
  if (presence.state !== 'offline') return <>{t(`presence.${presence.state}`)}</>;
  return <>{presence.lastSeen ? t('presence.lastSeen', { ago: formatAgo(presence.lastSeen, lang) }) : t('presence.offline')}</>;
}

/** "Alice is typing…", for the ids typing now. Expiry is the chat client's job (ttlMs). */
function TypingIndicator({ typing, match }: { typing: readonly string[]; match: Match }) {
  const t = useT();
  if (typing.length === 0) return null;
  const name = typing.includes(match.other.id) ? match.other.displayName : t('chat.someone');
  return (
    <p class="typing" data-testid="typing-indicator" aria-live="polite">
      <span class="typing__dots" aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      {t('chat.typing', { name })}
    </p>
  );
}

/** The chat of one match: header with the other person, the messages, the composer. */
function ChatRoom({ me, match }: { me: Me; match: Match }) {
  const t = useT();
  const snapshot = useStore(chat.conversation(match.conversationId));
  const [menuOpen, setMenuOpen] = useState(false);
  const [follow, setFollow] = useState(0);

  useEffect(() => {
    chat.setActive(match.conversationId);
    dismissToast(`match:${match.id}`);
    markMatchSeen(match.id);
    return () => chat.setActive(null);
  }, [match.conversationId, match.id]);

  return (
    <section class="chat" data-testid="chat" data-match-id={match.id}>
      <header class="chat__head">
        <a class="chat__back" href={href('matches')} aria-label={t('chat.back')}>
          ←
        </a>
        <span class="user-line__avatar">
          <Avatar name={match.other.displayName} color={match.other.avatarColor} size="sm" />
          <span class={`presence presence--${match.otherPresence.state}`} data-testid="presence" data-state={match.otherPresence.state} aria-hidden="true" />
        </span>
        <div class="chat__who">
          <h1 class="chat__name">{match.other.displayName}</h1>
          <p class="chat__sub">
            @{match.other.handle} · <PresenceText presence={match.otherPresence} />
          </p>
        </div>
        <button
          type="button"
          class="chat__menu-button"
          data-testid="chat-menu"
          aria-haspopup="true"
          aria-expanded={menuOpen ? 'true' : 'false'}
          aria-label={t('chat.menu')}
          onClick={() => setMenuOpen((o) => !o)}
        >
          ⋯
        </button>
      </header>
      <div class="chat__cards">
        <MatchCards match={match} />
      </div>
      {menuOpen && <ChatMenu match={match} onClose={() => setMenuOpen(false)} />}

      {snapshot.status === 'loading' && <p class="loading chat__loading">{t('session.loading')}</p>}
      {snapshot.status === 'error' && snapshot.error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, snapshot.error)}</p>
          <button type="button" class="button button--secondary" onClick={() => chat.reload(match.conversationId)}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {snapshot.status === 'gone' && (
        <div class="card center" data-testid="chat-gone">
          <p role="alert">{t('chat.gone')}</p>
          <a href={href('matches')}>{t('nav.matches')}</a>
        </div>
      )}
      {snapshot.status === 'ready' && (
        <MessageList snapshot={snapshot} meId={me.id} followToken={follow} footer={<TypingIndicator typing={snapshot.typing} match={match} />} />
      )}
      <Composer conversationId={match.conversationId} disabled={snapshot.status === 'gone'} onSent={() => setFollow((n) => n + 1)} />
    </section>
  );
}

/** `#/matches/:id`: finds the match (list, or `getMatch` on a direct link) and opens its chat. */
export function ChatView({ me, matchId }: { me: Me; matchId: string }) {
  const t = useT();
  const state = useStore(matches);
  const match = state.items.find((m) => m.id === matchId);
  const [error, setError] = useState<ErrorBody | null>(null);

  useEffect(() => {
    setError(null);
    if (match || state.status === 'loading' || state.status === 'idle') return;
    let live = true;
    void api('getMatch', { params: { id: matchId } }).then((res) => {
      if (!live) return;
      if (res.ok) upsertMatch(res.data);
      else setError(res.error);
    });
    return () => {
      live = false;
    };
  }, [matchId, Boolean(match), state.status]);

  if (match) return <ChatRoom key={match.id} me={me} match={match} />;
  if (error) {
    return (
      <section class="card center" data-testid="chat-gone">
        <p role="alert">{error.code === 'NOT_FOUND' ? t('chat.gone') : errorMessage(t, error)}</p>
        <a href={href('matches')}>{t('nav.matches')}</a>
      </section>
    );
  }
  return <p class="loading">{t('session.loading')}</p>;
}
