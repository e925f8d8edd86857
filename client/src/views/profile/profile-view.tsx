import type { Me } from '@hackmeshi/shared';
import { useLang, useT } from '../../i18n.js';
import { href } from '../../router.js';
import { Avatar } from '../../ui/avatar.js';

/** The signed-in user's own profile. It re-renders live when `profile:updated` changes the session. */
export function ProfileView({ me }: { me: Me }) {
  const t = useT();
  const lang = useLang();
  const joined = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en', { dateStyle: 'medium' }).format(new Date(me.createdAt));

  return (
    <section class="card profile" data-testid="profile">
      <div class="profile__head">
        <Avatar name={me.displayName} color={me.avatarColor} size="lg" />
        <div class="profile__names">
          <h1 class="profile__display-name" data-testid="profile-display-name">
            {me.displayName}
          </h1>
          <p class="profile__handle" data-testid="profile-handle">
            @{me.handle}
          </p>
          <p class="profile__meta">
            <span class={`role role--${me.role}`} data-testid="profile-role">
              {t(`role.${me.role}`)}
            </span>
            <span class="profile__joined">{t('profile.joined', { date: joined })}</span>
          </p>
          <p class="profile__attended" data-testid="profile-attended">
            <span aria-hidden="true">🍱 </span>
            {t('profile.attended', { n: me.attendedCount })}
          </p>
        </div>
      </div>

      {me.bio ? (
        <p class="profile__bio" data-testid="profile-bio">
          {me.bio}
        </p>
      ) : (
        <p class="profile__bio profile__bio--empty" data-testid="profile-bio">
          {t('profile.noBio')}
        </p>
      )}

      <h2 class="profile__section">{t('profile.tags')}</h2>
      {me.tags.length > 0 ? (
        <ul class="chips" data-testid="profile-tags">
          {me.tags.map((tag) => (
            <li class="chip" key={tag}>
              #{tag}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t('profile.noTags')}</p>
      )}

      <a class="button button--secondary" href={href('profileEdit')} data-testid="profile-edit">
        {t('profile.edit')}
      </a>
    </section>
  );
}
