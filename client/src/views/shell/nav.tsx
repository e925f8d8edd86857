import type { Me } from '@hackmeshi/shared';
import { useEffect } from 'preact/hooks';
import { useT } from '../../i18n.js';
import { matches, totalUnread } from '../../matches/match-store.js';
import { href, type RouteName } from '../../router.js';
import { useStore } from '../../store.js';
import { canModerate } from '../moderation/reports.js';

interface Item {
  route: RouteName;
  key: 'nav.feed' | 'nav.rooms' | 'nav.meetups' | 'nav.communities' | 'nav.myCards' | 'nav.interested' | 'nav.matches' | 'nav.moderation';
  /** Other routes that light this item up. */
  also?: RouteName[];
}

// Matches comes second: on a phone the list scrolls sideways, and its unread badge must stay in view.
const ITEMS: Item[] = [
  { route: 'feed', key: 'nav.feed', also: ['card'] },
  { route: 'matches', key: 'nav.matches', also: ['chat'] },
  { route: 'meetups', key: 'nav.meetups', also: ['meetup'] },
  { route: 'rooms', key: 'nav.rooms', also: ['room'] },
  { route: 'communities', key: 'nav.communities', also: ['community'] },
  { route: 'myCards', key: 'nav.myCards' },
  { route: 'interested', key: 'nav.interested' },
];

/** The main navigation, with the unread and new-match badges on "Matches". */
export function Nav({ me, current }: { me: Me; current: string }) {
  const t = useT();
  const state = useStore(matches);
  const unread = totalUnread(state);
  const fresh = state.unseen.size;
  useEffect(() => {
    // Unread messages show in the tab title too, for a tab in the background.
    const base = document.title.replace(/^\(\d+\+?\) /, '');
    document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
    return () => {
      document.title = base;
    };
  }, [unread]);
  const items = canModerate(me) ? [...ITEMS, { route: 'moderation', key: 'nav.moderation' } as Item] : ITEMS;
  return (
    <nav class="nav" aria-label={t('nav.label')}>
      <ul class="nav__list">
        {items.map((item) => {
          const active = current === item.route || (item.also?.includes(current as RouteName) ?? false);
          return (
            <li key={item.route}>
              <a class={active ? 'nav__link nav__link--active' : 'nav__link'} href={href(item.route)} aria-current={active ? 'page' : undefined} data-testid={`nav-${item.route}`}>
                {t(item.key)}
                {item.route === 'matches' && fresh > 0 && (
                  <span class="nav__new" data-testid="nav-new-matches" aria-label={t('nav.newMatches', { n: fresh })}>
                    {t('nav.new')}
                  </span>
                )}
                {item.route === 'matches' && unread > 0 && (
                  <span class="count-badge" data-testid="nav-unread" aria-label={t('matches.unread', { n: unread })}>
                    {unread > 99 ? '99+' : unread}
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
