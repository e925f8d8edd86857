import { errorMessage, useT } from '../../i18n.js';
import { dismissNotice, notice } from '../../notices.js';
import { connection } from '../../socket.js';
import { useStore } from '../../store.js';

/**
 * Persistent banners about the connection itself: a new version (reload needed) or a refused
 * origin. They are not dismissible, because nothing works until they are resolved.
 */
export function ConnectionBanners() {
  const t = useT();
  const { protocolMismatch, refusedWith } = useStore(connection);
  if (protocolMismatch) {
    return (
      <div class="banner banner--warn" role="alert" data-testid="banner-protocol">
        <span>{t('banner.protocolMismatch')}</span>
        <button class="button button--primary button--small" type="button" onClick={() => window.location.reload()}>
          {t('banner.reload')}
        </button>
      </div>
    );
  }
  if (refusedWith) {
    return (
      <div class="banner banner--error" role="alert" data-testid="banner-refused">
        {errorMessage(t, { code: refusedWith, message: refusedWith })}
      </div>
    );
  }
  return null;
}

/** The current transient notice ("Profile saved.", "You were signed out.", an error). */
export function NoticeBar() {
  const t = useT();
  const current = useStore(notice);
  if (!current) return null;
  const text = current.kind === 'info' ? t(current.key, current.params) : errorMessage(t, current.error);
  return (
    <div class={`notice notice--${current.kind}`} role={current.kind === 'error' ? 'alert' : 'status'} data-testid="notice">
      <span data-testid="notice-text">{text}</span>
      <button class="notice__close" type="button" aria-label={t('notice.dismiss')} onClick={dismissNotice}>
        ×
      </button>
    </div>
  );
}
