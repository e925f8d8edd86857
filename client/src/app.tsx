import { useEffect, useRef } from 'preact/hooks';
import { useT } from './i18n.js';
import { href, match, navigate, routes, useRoute, type Match } from './router.js';
import { loadSession, session, type Session } from './session.js';
import { useStore } from './store.js';
import { SignInView } from './views/auth/sign-in.js';
import { SignUpView } from './views/auth/sign-up.js';
import { CardDetail } from './views/cards/card-detail.js';
import { FeedView } from './views/cards/feed.js';
import { MyCardsView } from './views/cards/my-cards.js';
import { ChatView } from './views/matches/chat-view.js';
import { InterestedView } from './views/matches/interested.js';
import { MatchesView } from './views/matches/matches-list.js';
import { ModerationView } from './views/moderation/reports.js';
import { BlockedUsers } from './views/profile/blocked-users.js';
import { ProfileEdit } from './views/profile/profile-edit.js';
import { ProfileView } from './views/profile/profile-view.js';
import { ConnectionBanners, NoticeBar } from './views/shell/banners.js';
import { Header } from './views/shell/header.js';
import { Nav } from './views/shell/nav.js';
import { ToastHost } from './views/shell/toasts.js';
import { LobbyView } from './views/rooms/lobby.js';
import { RoomView } from './views/rooms/room-view.js';
import { MeetupView } from './views/meetups/meetup-detail.js';
import { MeetupsView } from './views/meetups/meetups-list.js';
import { CommunitiesView } from './views/communities/communities-list.js';
import { CommunityView } from './views/communities/community-view.js';
// Imported for its effect: the match list follows the session and the socket from app start.
import './matches/match-store.js';
// Likewise the notification bell's list (and the "You're in!" toast), from app start.
import './notifications.js';

/** Where a route should send this session instead, if anywhere (the access guards). */
function redirectFor(route: Match, s: Session): 'signIn' | 'feed' | null {
  if (s.status === 'loading' || s.status === 'unreachable') return null;
  const signedIn = s.status === 'signed-in';
  if (route.name === 'home') return signedIn ? 'feed' : 'signIn';
  if (route.name === 'notFound') return null;
  const access = routes[route.name].access;
  if (access === 'member' && !signedIn) return 'signIn';
  if (access === 'guest' && signedIn) return 'feed';
  return null;
}

function Screen({ route, s }: { route: Match; s: Session }) {
  const t = useT();
  if (s.status === 'loading') {
    return (
      <p class="loading" aria-busy="true">
        {t('session.loading')}
      </p>
    );
  }
  if (s.status === 'unreachable') {
    return (
      <section class="card center">
        <p>{t('session.unreachable')}</p>
        <button class="button button--primary" type="button" onClick={() => void loadSession()}>
          {t('session.retry')}
        </button>
      </section>
    );
  }
  if (redirectFor(route, s)) return null;
  const me = s.status === 'signed-in' ? s.me : null;
  switch (route.name) {
    case 'signIn':
      return <SignInView />;
    case 'signUp':
      return <SignUpView />;
    case 'feed':
      return me && <FeedView me={me} />;
    case 'card':
      return me && <CardDetail key={route.params['id']} me={me} id={route.params['id'] ?? ''} />;
    case 'myCards':
      return me && <MyCardsView me={me} />;
    case 'interested':
      return <InterestedView />;
    case 'matches':
      return <MatchesView />;
    case 'chat':
      return me && <ChatView key={route.params['id']} me={me} matchId={route.params['id'] ?? ''} />;
    case 'moderation':
      return me && <ModerationView me={me} />;
    case 'rooms':
      return <LobbyView />;
    case 'room':
      // Keyed by room and token, so another room (or invite) is a fresh seat.
      return me && <RoomView key={`${route.params['id']}?${route.query['token'] ?? ''}`} me={me} roomId={route.params['id'] ?? ''} token={route.query['token']} />;
    case 'meetups':
      return me && <MeetupsView me={me} />;
    case 'meetup':
      return me && <MeetupView key={route.params['id']} me={me} id={route.params['id'] ?? ''} />;
    case 'communities':
      return <CommunitiesView />;
    case 'community':
      return me && <CommunityView key={route.params['id']} me={me} id={route.params['id'] ?? ''} />;
    case 'profile':
      return (
        me && (
          <div class="stack">
            <ProfileView me={me} />
            <BlockedUsers />
          </div>
        )
      );
    case 'profileEdit':
      // Keyed by user, so a different account never inherits another's half-typed form.
      return me && <ProfileEdit key={me.id} me={me} />;
    default:
      return (
        <section class="card center">
          <h1>{t('notFound.title')}</h1>
          <a href={href(me ? 'feed' : 'signIn')}>{t('notFound.back')}</a>
        </section>
      );
  }
}

/** The app shell: header, banners, and the screen for the current hash route. */
export function App() {
  const route = useRoute();
  const s = useStore(session);
  const target = redirectFor(route, s);

  useEffect(() => {
    if (!target) return;
    // The hash may have moved since this render (a link followed while the session was still
    // loading): redirect only if the live location still calls for it.
    const live = match(window.location.hash.replace(/^#/, '') || '/');
    if (redirectFor(live, session.get()) === target) navigate(target, { replace: true });
  }, [target]);

  // The sticky app bar's height, as `--shell-h`, so things that stick below it (the feed's
  // "new cards" pill) know where "below" is at any width or language.
  const top = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = top.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => document.documentElement.style.setProperty('--shell-h', `${el.offsetHeight}px`));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const me = s.status === 'signed-in' ? s.me : null;
  // The chat fills the screen (its message list scrolls, the composer stays put).
  const fill = route.name === 'chat' && me !== null;
  // A voice room has a side chat: wide screens show it beside the roster.
  const wide = route.name === 'room' && me !== null;
  return (
    <div class={fill ? 'app app--fill' : 'app'}>
      <div class="shell-top" ref={top}>
        <Header />
        {me && <Nav me={me} current={route.name} />}
      </div>
      <ConnectionBanners />
      <NoticeBar />
      <main class={fill ? 'main main--fill' : wide ? 'main main--wide' : 'main'}>
        <Screen route={route} s={s} />
      </main>
      {me && <ToastHost />}
    </div>
  );
}
