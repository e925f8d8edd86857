import type { Notification } from '@hackmeshi/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLang, useT, type Lang, type Translate } from '../../i18n.js';
import { matches } from '../../matches/match-store.js';
import { loadOlderNotifications, markRead, notifications } from '../../notifications.js';
import { href } from '../../router.js';
import { useStore } from '../../store.js';
import { formatAgo } from '../../ui/time.js';
import { formatMoment } from '../meetups/format.js';

/** The sentence of a notification, in the current language. */
function sentence(t: Translate, lang: Lang, n: Notification): string {
  const d = n.data;
  switch (d.kind) {
    case 'match':
      return t('notif.match', { name: d.other.displayName });
    case 'meetup_promoted':
      return t('notif.meetup_promoted', { title: d.title });
    case 'meetup_reminder':
      return t('notif.meetup_reminder', { title: d.title, time: formatMoment(d.startsAt, lang) });
    case 'meetup_changed':
      return t('notif.meetup_changed', { title: d.title });
    case 'meetup_cancelled':
      return t('notif.meetup_cancelled', { title: d.title });
    case 'meetup_message':
      return t('notif.meetup_message', { title: d.title, body: d.body });
    case 'mention':
      return t('notif.mention', { name: d.from.displayName, excerpt: d.excerpt });
  }
}

/**
 * Where a notification leads, if anywhere. A mention links to its chat when it is one of the
 * viewer's match chats; for other conversations (room, meetup, community) the notification does
 * not say whose they are, so it has no link.
 */
function target(n: Notification): string | null {
  const d = n.data;
  switch (d.kind) {
    case 'match':
      return href('chat', { id: d.matchId });
    case 'mention': {
      const match = matches.get().items.find((m) => m.conversationId === d.conversationId);
      return match ? href('chat', { id: match.id }) : null;
    }
    default:
      return href('meetup', { id: d.meetupId });
  }
}

const ICONS: Record<Notification['data']['kind'], string> = {
  match: '💞',
  meetup_promoted: '🎉',
  meetup_reminder: '⏰',
  meetup_changed: '✏️',
  meetup_cancelled: '🚫',
  meetup_message: '📣',
  mention: '💬',
};

/**
 * The bell in the app bar: the unread badge, and a panel of notifications. Opening the panel
 * marks what it shows read (on every device: the server pushes `notification:read`).
 */
export function NotificationBell() {
  const t = useT();
  const lang = useLang();
  const state = useStore(notifications);
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const unread = state.unread;

  // Whatever is unread while the panel is open gets marked read (including live arrivals).
  useEffect(() => {
    if (!open) return;
    const ids = state.items.filter((n) => n.readAt === null).map((n) => n.id);
    if (ids.length > 0) void markRead(ids);
  }, [open, state.items]);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    const onDown = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onDown);
    };
  }, [open]);

  return (
    <div class="bell" ref={root}>
      <button
        type="button"
        class="bell__button"
        data-testid="notification-bell"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls="notification-panel"
        aria-label={unread > 0 ? `${t('notif.label')}: ${t('notif.unread', { n: unread })}` : t('notif.label')}
        title={t('notif.label')}
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">🔔</span>
        {unread > 0 && (
          <span class="count-badge bell__badge" data-testid="notification-badge" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div class="bell__panel" id="notification-panel" data-testid="notification-panel" role="region" aria-label={t('notif.label')}>
          <div class="bell__head">
            <h2 class="bell__title">{t('notif.label')}</h2>
            <button type="button" class="button button--ghost button--small" data-testid="notifications-read-all" disabled={unread === 0} onClick={() => void markRead('all')}>
              {t('notif.markAll')}
            </button>
          </div>
          {state.items.length === 0 ? (
            <p class="muted bell__empty">{t('notif.empty')}</p>
          ) : (
            <ul class="bell__list">
              {state.items.map((n) => {
                const link = target(n);
                const body = (
                  <>
                    <span class="bell__icon" aria-hidden="true">
                      {ICONS[n.data.kind]}
                    </span>
                    <span class="bell__text">
                      <span class="bell__sentence">{sentence(t, lang, n)}</span>
                      <time class="bell__time muted" dateTime={n.createdAt}>
                        {formatAgo(n.createdAt, lang)}
                      </time>
                    </span>
                  </>
                );
                return (
                  <li
                    key={n.id}
                    class={n.readAt === null ? 'bell__item bell__item--unread' : 'bell__item'}
                    data-testid="notification-item"
                    data-kind={n.data.kind}
                    data-read={n.readAt === null ? 'false' : 'true'}
                  >
                    {link ? (
                      <a class="bell__link" href={link} onClick={() => setOpen(false)}>
                        {body}
                      </a>
                    ) : (
                      <div class="bell__link">{body}</div>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
          {state.nextCursor && (
            <button type="button" class="button button--ghost button--small bell__more" onClick={() => void loadOlderNotifications()}>
              {t('notif.loadMore')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
