import { useT } from '../../i18n.js';
import { href } from '../../router.js';
import { useStore } from '../../store.js';
import { dismissToast, toasts } from '../../toasts.js';
import { Avatar } from '../../ui/avatar.js';

/** "It's a match!" and "You're in!" pop-ups, over any screen, each with a link to what they are about. */
export function ToastHost() {
  const t = useT();
  const list = useStore(toasts);
  if (list.length === 0) return null;
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((toast) =>
        toast.kind === 'meetup' ? (
          <div class="toast" key={toast.id} data-testid="meetup-toast" data-meetup-id={toast.meetupId}>
            <span class="toast__icon" aria-hidden="true">
              🎉
            </span>
            <div class="toast__text">
              <p class="toast__title">{t('toast.meetup.title')}</p>
              <p class="toast__body">{t('toast.meetup.body', { title: toast.title })}</p>
            </div>
            <a class="button button--primary button--small" href={href('meetup', { id: toast.meetupId })} onClick={() => dismissToast(toast.id)}>
              {t('toast.meetup.open')}
            </a>
            <button type="button" class="toast__close" aria-label={t('notice.dismiss')} onClick={() => dismissToast(toast.id)}>
              ×
            </button>
          </div>
        ) : (
        <div class="toast" key={toast.id} data-testid="match-toast" data-match-id={toast.match.id}>
          <Avatar name={toast.match.other.displayName} color={toast.match.other.avatarColor} size="sm" />
          <div class="toast__text">
            <p class="toast__title">{t('toast.match.title')}</p>
            <p class="toast__body">{t('toast.match.body', { name: toast.match.other.displayName })}</p>
          </div>
          <a class="button button--primary button--small" href={href('chat', { id: toast.match.id })} data-testid="match-toast-open" onClick={() => dismissToast(toast.id)}>
            {t('toast.match.open')}
          </a>
          <button type="button" class="toast__close" aria-label={t('notice.dismiss')} onClick={() => dismissToast(toast.id)}>
            ×
          </button>
        </div>
        ),
      )}
    </div>
  );
}
