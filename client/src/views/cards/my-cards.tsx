import type { Card, ErrorBody, Me } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href } from '../../router.js';
import { on } from '../../socket.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { CardForm } from './card-form.js';
import { CardItem } from './card-item.js';

/** Your cards, archived ones included: post, edit, archive or restore, delete. */
export function MyCardsView({ me }: { me: Me }) {
  const t = useT();
  const [cards, setCards] = useState<Card[] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = async () => {
    setError(null);
    const res = await api('myCards');
    if (res.ok) setCards(res.data);
    else setError(res.error);
  };

  useEffect(() => {
    void load();
    // Interest counts move as people press 気になる.
    return on('interest:changed', ({ interest, active }) => {
      setCards((list) =>
        list?.map((c) => (c.id === interest.card.id ? { ...c, interestCount: Math.max(0, (c.interestCount ?? 0) + (active ? 1 : -1)) } : c)) ?? list,
      );
    });
  }, []);

  const replace = (card: Card) => setCards((list) => list?.map((c) => (c.id === card.id ? card : c)) ?? list);

  const setStatus = async (card: Card, status: Card['status']) => {
    setBusy(card.id);
    const res = await api('updateCard', { status }, { params: { id: card.id } });
    setBusy(null);
    if (res.ok) {
      replace(res.data);
      showNotice({ kind: 'info', key: status === 'archived' ? 'myCards.archivedNotice' : 'myCards.restoredNotice' });
    } else showNotice({ kind: 'error', error: res.error });
  };

  const remove = async (card: Card) => {
    const res = await api('deleteCard', { params: { id: card.id } });
    if (res.ok) {
      setCards((list) => list?.filter((c) => c.id !== card.id) ?? list);
      showNotice({ kind: 'info', key: 'myCards.deletedNotice' });
    } else showNotice({ kind: 'error', error: res.error });
  };

  return (
    <section class="my-cards">
      <h1 class="page-title">{t('myCards.title')}</h1>
      <div class="card">
        <h2 class="section-title">{t('feed.postTitle')}</h2>
        <CardForm
          onSaved={(card) => {
            setCards((list) => [card, ...(list ?? []).filter((c) => c.id !== card.id)]);
            showNotice({ kind: 'info', key: 'myCards.postedNotice' });
          }}
        />
      </div>

      {error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void load()}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {!cards && !error && <p class="loading">{t('session.loading')}</p>}
      {cards && cards.length === 0 && <p class="empty">{t('myCards.empty')}</p>}
      <div class="topic-list">
        {cards?.map((card) =>
          editing === card.id ? (
            <div class="card" key={card.id}>
              <h2 class="section-title">{t('myCards.editTitle')}</h2>
              <CardForm
                initial={card}
                onSaved={(saved) => {
                  replace(saved);
                  setEditing(null);
                }}
                onCancel={() => setEditing(null)}
              />
            </div>
          ) : (
            <div class="my-card" key={card.id}>
              <CardItem card={card} meId={me.id} />
              <div class="my-card__actions">
                <button type="button" class="button button--ghost button--small" data-testid="edit-card" onClick={() => setEditing(card.id)}>
                  {t('myCards.edit')}
                </button>
                {card.status === 'active' ? (
                  <button type="button" class="button button--ghost button--small" data-testid="archive-card" disabled={busy === card.id} onClick={() => void setStatus(card, 'archived')}>
                    {t('myCards.archive')}
                  </button>
                ) : (
                  <button type="button" class="button button--ghost button--small" data-testid="restore-card" disabled={busy === card.id} onClick={() => void setStatus(card, 'active')}>
                    {t('myCards.restore')}
                  </button>
                )}
                <ConfirmButton label={t('myCards.delete')} question={t('myCards.deleteConfirm')} testId="delete-card" onConfirm={() => remove(card)} />
              </div>
            </div>
          ),
        )}
      </div>
      <p class="muted small">
        <a href={href('interested')}>{t('interested.title')} →</a>
      </p>
    </section>
  );
}
