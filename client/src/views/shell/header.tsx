import { useState } from 'preact/hooks';
import { LANG_NAMES, LANGS, setLanguage, useLang, useT, type Lang } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href } from '../../router.js';
import { session, signOut } from '../../session.js';
import { useStore } from '../../store.js';
import { Avatar } from '../../ui/avatar.js';
import { ConnStatus } from './conn-status.js';
import { NotificationBell } from './notification-bell.js';

/** The app bar: name, live connection, notifications, your profile, language, and sign-out. */
export function Header() {
  const t = useT();
  const lang = useLang();
  const s = useStore(session);
  const signedIn = s.status === 'signed-in';
  const [busy, setBusy] = useState(false);

  const onSignOut = async () => {
    setBusy(true);
    const res = await signOut();
    setBusy(false);
    if (!res.ok) showNotice({ kind: 'error', error: res.error });
  };

  return (
    <header class={signedIn ? 'topbar' : 'topbar topbar--guest'}>
      <a class="brand" href={signedIn ? href('feed') : href('signIn')}>
        <span class="brand__mark" aria-hidden="true">
          🍙
        </span>
        <span class="brand__name">{t('app.name')}</span>
      </a>
      <div class="topbar__right">
        {signedIn && <ConnStatus />}
        {signedIn && <NotificationBell />}
        {s.status === 'signed-in' && (
          <a class="topbar__me" href={href('profile')} data-testid="nav-profile" aria-label={t('nav.profile')} title={t('nav.profile')}>
            <Avatar name={s.me.displayName} color={s.me.avatarColor} size="sm" />
          </a>
        )}
        <label class="lang">
          <span class="visually-hidden">{t('lang.label')}</span>
          <select
            data-testid="lang-switch"
            value={lang}
            onChange={(e) => setLanguage(e.currentTarget.value as Lang)}
          >
            {LANGS.map((l) => (
              <option key={l} value={l}>
                {LANG_NAMES[l]}
              </option>
            ))}
          </select>
        </label>
        {signedIn && (
          <button class="button button--ghost button--small topbar__signout" type="button" data-testid="signout" disabled={busy} onClick={onSignOut}>
            {t('nav.signOut')}
          </button>
        )}
      </div>
    </header>
  );
}
