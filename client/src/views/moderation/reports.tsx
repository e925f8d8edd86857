import type { ErrorBody, Me, Report } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useLang, useT } from '../../i18n.js';
import { formatAgo } from '../../ui/time.js';
import { UserLine } from '../../ui/user-line.js';

/** Moderators and admins only. */
export const canModerate = (me: Me) => me.role === 'moderator' || me.role === 'admin';

/** The moderation queue: who reported whom, why, newest first. */
export function ModerationView({ me }: { me: Me }) {
  const t = useT();
  const lang = useLang();
  const [reports, setReports] = useState<Report[] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);

  const load = async () => {
    setError(null);
    const res = await api('listReports');
    if (res.ok) setReports(res.data);
    else setError(res.error);
  };

  useEffect(() => {
    if (canModerate(me)) void load();
  }, [me.role]);

  if (!canModerate(me)) {
    return (
      <section class="card center">
        <p role="alert">{t('error.FORBIDDEN')}</p>
      </section>
    );
  }
  return (
    <section class="moderation">
      <div class="page-head">
        <h1 class="page-title">{t('moderation.title')}</h1>
        <button type="button" class="button button--ghost button--small" onClick={() => void load()}>
          {t('moderation.refresh')}
        </button>
      </div>
      {error && <p role="alert" class="form-error">{errorMessage(t, error)}</p>}
      {!reports && !error && <p class="loading">{t('session.loading')}</p>}
      {reports && reports.length === 0 && <p class="empty">{t('moderation.empty')}</p>}
      <ul class="rows">
        {reports?.map((r) => (
          <li key={r.id} class="row report" data-testid="report-item">
            <div class="row__main">
              <p class="report__line">
                <span class="badge badge--warn">{t(`report.reason.${r.reason}`)}</span>
                <span class="muted"> · {formatAgo(r.createdAt, lang)}</span>
              </p>
              <div class="report__people">
                <span class="muted small">{t('moderation.reported')}</span>
                <UserLine user={r.reported} />
                <span class="muted small">{t('moderation.reporter')}</span>
                <UserLine user={r.reporter} />
              </div>
              {r.message && <p class="report__message">{r.message}</p>}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
