import type { Match } from '@hackmeshi/shared';
import { useEffect } from 'preact/hooks';
import { errorMessage, useLang, useT } from '../../i18n.js';
import { loadMatches, markMatchesSeen, matches } from '../../matches/match-store.js';
import { href } from '../../router.js';
import { useStore } from '../../store.js';
import { formatAgo } from '../../ui/time.js';
import { UserLine } from '../../ui/user-line.js';

/** "Your «A» × their «B»": the cards that brought the pair together, or "accepted". */
export function MatchCards({ match }: { match: Match }) {
  const t = useT();
  if (!match.myCard && !match.theirCard) return <span class="match-cards muted">{t('matches.accepted')}</span>;
  return (
    <span class="match-cards">
      {match.theirCard && (
        <span class="match-cards__card">
          <span class="muted">{t('matches.theirCard')}</span> <a href={href('card', { id: match.theirCard.id })}>{match.theirCard.title}</a>
        </span>
      )}
      {match.myCard && (
        <span class="match-cards__card">
          <span class="muted">{t('matches.myCard')}</span> <a href={href('card', { id: match.myCard.id })}>{match.myCard.title}</a>
        </span>
      )}
    </span>
  );
}

/** Your matches, most recent activity first, with presence, preview and unread counts. */
export function MatchesView() {
  const t = useT();
  const lang = useLang();
  const state = useStore(matches);

  useEffect(() => {
    // Fresh presence and counts whenever the list is opened.
    void loadMatches();
  }, []);
  useEffect(() => {
    markMatchesSeen();
  }, [state.unseen]);

  return (
    <section class="matches">
      <h1 class="page-title">{t('matches.title')}</h1>
      {state.status === 'error' && state.error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, state.error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void loadMatches()}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {(state.status === 'loading' || state.status === 'idle') && <p class="loading">{t('session.loading')}</p>}
      {state.status === 'ready' && state.items.length === 0 && (
        <p class="empty">
          {t('matches.empty')} <a href={href('feed')}>{t('matches.goFeed')}</a>
        </p>
      )}
      <ul class="rows">
        {state.items.map((m) => (
          <li key={m.id} class={`row match-item${m.unread > 0 ? ' match-item--unread' : ''}`} data-testid="match-item" data-match-id={m.id}>
            <a class="match-item__main" href={href('chat', { id: m.id })} data-testid="open-chat" aria-label={t('matches.open', { name: m.other.displayName })}>
              <div class="match-item__top">
                <UserLine user={m.other} presence={m.otherPresence} size="md" />
                <time class="match-item__time muted" dateTime={m.lastActivityAt}>
                  {formatAgo(m.lastActivityAt, lang)}
                </time>
              </div>
              <div class="match-item__bottom">
                <p class={m.lastMessage ? 'match-item__preview' : 'match-item__preview muted'} data-testid="last-message">
                  {m.lastMessage || (m.lastSeq > 0 ? t('chat.deleted') : t('matches.sayHi'))}
                </p>
                {m.unread > 0 && (
                  <span class="count-badge" data-testid="unread-badge" aria-label={t('matches.unread', { n: m.unread })}>
                    {m.unread > 99 ? '99+' : m.unread}
                  </span>
                )}
              </div>
            </a>
            <MatchCards match={m} />
          </li>
        ))}
      </ul>
    </section>
  );
}
