import { useEffect } from 'preact/hooks';
import { useT } from './i18n.js';
import { href, navigate, routes, useRoute, type Match } from './router.js';
import { loadSession, session, type Session } from './session.js';
import { useStore } from './store.js';
import { SignInView } from './views/auth/sign-in.js';
import { SignUpView } from './views/auth/sign-up.js';
import { ProfileEdit } from './views/profile/profile-edit.js';
import { ProfileView } from './views/profile/profile-view.js';
import { ConnectionBanners, NoticeBar } from './views/shell/banners.js';
import { Header } from './views/shell/header.js';

/** Where a route should send this session instead, if anywhere (the access guards). */
function redirectFor(route: Match, s: Session): 'signIn' | 'profile' | null {
  if (s.status === 'loading' || s.status === 'unreachable') return null;
  const signedIn = s.status === 'signed-in';
  if (route.name === 'home') return signedIn ? 'profile' : 'signIn';
  if (route.name === 'notFound') return null;
  const access = routes[route.name].access;
  if (access === 'member' && !signedIn) return 'signIn';
  if (access === 'guest' && signedIn) return 'profile';
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
    case 'profile':
      return me && <ProfileView me={me} />;
    case 'profileEdit':
      // Keyed by user, so a different account never inherits another's half-typed form.
      return me && <ProfileEdit key={me.id} me={me} />;
    default:
      return (
        <section class="card center">
          <h1>{t('notFound.title')}</h1>
          <a href={href(me ? 'profile' : 'signIn')}>{t('notFound.back')}</a>
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
    if (target) navigate(target, { replace: true });
  }, [target]);

  return (
    <div class="app">
      <Header />
      <ConnectionBanners />
      <NoticeBar />
      <main class="main">
        <Screen route={route} s={s} />
      </main>
    </div>
  );
}
