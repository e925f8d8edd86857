import type { ErrorBody, UserSummary } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { UserLine } from '../../ui/user-line.js';

/** The people you have blocked, each with "unblock". */
export function BlockedUsers() {
  const t = useT();
  const [users, setUsers] = useState<UserSummary[] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    void api('myBlocks').then((res) => {
      if (res.ok) setUsers(res.data);
      else setError(res.error);
    });
  }, []);

  const unblock = async (user: UserSummary) => {
    setBusy(user.id);
    const res = await api('unblockUser', { params: { id: user.id } });
    setBusy(null);
    if (res.ok) {
      setUsers((list) => list?.filter((u) => u.id !== user.id) ?? list);
      showNotice({ kind: 'info', key: 'blocks.unblocked', params: { name: user.displayName } });
    } else showNotice({ kind: 'error', error: res.error });
  };

  return (
    <section class="card blocked" data-testid="blocked-users">
      <h2 class="section-title">{t('blocks.title')}</h2>
      {error && <p role="alert">{errorMessage(t, error)}</p>}
      {!users && !error && <p class="muted">{t('session.loading')}</p>}
      {users && users.length === 0 && <p class="muted">{t('blocks.empty')}</p>}
      <ul class="rows rows--plain">
        {users?.map((u) => (
          <li class="row" key={u.id} data-testid="blocked-user">
            <div class="row__main">
              <UserLine user={u} />
            </div>
            <button type="button" class="button button--ghost button--small" data-testid="unblock" disabled={busy === u.id} onClick={() => void unblock(u)}>
              {t('blocks.unblock')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
