import type { ErrorBody, IncomingInterest } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useLang, useT } from '../../i18n.js';
import { matches, upsertMatch } from '../../matches/match-store.js';
import { showNotice } from '../../notices.js';
import { href } from '../../router.js';
import { on } from '../../socket.js';
import { useStore } from '../../store.js';
import { formatAgo } from '../../ui/time.js';
import { UserLine } from '../../ui/user-line.js';

const keyOf = (i: IncomingInterest) => `${i.user.id}:${i.card.id}`;

/** People interested in your cards, live, each with "accept" (which makes the match). */
export function InterestedView() {
  const t = useT();
  const lang = useLang();
  const [rows, setRows] = useState<IncomingInterest[] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const { items: matchList } = useStore(matches);

  const load = async () => {
    setError(null);
    const res = await api('interestedInMe');
    if (res.ok) setRows(res.data);
    else setError(res.error);
  };

  useEffect(() => {
    void load();
    const offChanged = on('interest:changed', ({ interest, active }) => {
      setRows((list) => {
        const rest = (list ?? []).filter((r) => keyOf(r) !== keyOf(interest));
        return active ? [interest, ...rest] : rest;
      });
    });
    const offCreated = on('match:created', (match) => {
      setRows((list) => list?.map((r) => (r.user.id === match.other.id ? { ...r, matched: true } : r)) ?? list);
    });
    const offEnded = on('match:ended', () => void load());
    return () => {
      offChanged();
      offCreated();
      offEnded();
    };
  }, []);

  const accept = async (row: IncomingInterest) => {
    setBusy(row.user.id);
    const res = await api('acceptInterest', { params: { id: row.user.id } });
    setBusy(null);
    if (!res.ok) {
      showNotice({ kind: 'error', error: res.error });
      return;
    }
    upsertMatch(res.data);
    setRows((list) => list?.map((r) => (r.user.id === row.user.id ? { ...r, matched: true } : r)) ?? list);
  };

  return (
    <section class="interested">
      <h1 class="page-title">{t('interested.title')}</h1>
      <p class="muted page-lead">{t('interested.lead')}</p>
      {error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void load()}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {!rows && !error && <p class="loading">{t('session.loading')}</p>}
      {rows && rows.length === 0 && <p class="empty">{t('interested.empty')}</p>}
      <ul class="rows">
        {rows?.map((row) => {
          const match = matchList.find((m) => m.other.id === row.user.id);
          return (
            <li class="row" key={keyOf(row)} data-testid="incoming-interest" data-user-id={row.user.id}>
              <div class="row__main">
                <UserLine user={row.user} />
                <p class="row__sub">
                  {t('interested.via')} <a href={href('card', { id: row.card.id })}>{row.card.title}</a>
                  <span class="muted"> · {formatAgo(row.createdAt, lang)}</span>
                </p>
              </div>
              <div class="row__action">
                {row.matched ? (
                  match ? (
                    <a class="button button--secondary button--small" data-testid="matched" href={href('chat', { id: match.id })}>
                      {t('interested.openChat')}
                    </a>
                  ) : (
                    <span class="badge badge--ok" data-testid="matched">
                      {t('interested.matched')}
                    </span>
                  )
                ) : (
                  <button type="button" class="button button--primary button--small" data-testid="accept-interest" disabled={busy === row.user.id} onClick={() => void accept(row)}>
                    {t('interested.accept')}
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
