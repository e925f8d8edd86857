import type { Card, ErrorBody, Me } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { href } from '../../router.js';
import { on } from '../../socket.js';
import { CardItem } from './card-item.js';

/** One card on its own page (a link from the feed, a match, or "interested in you"). */
export function CardDetail({ me, id }: { me: Me; id: string }) {
  const t = useT();
  const [card, setCard] = useState<Card | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);

  useEffect(() => {
    let live = true;
    setCard(null);
    setError(null);
    void api('getCard', { params: { id } }).then((res) => {
      if (!live) return;
      if (res.ok) setCard(res.data);
      else setError(res.error);
    });
    const off = on('card:removed', ({ cardId }) => {
      if (cardId === id) setError({ code: 'NOT_FOUND', message: 'removed' });
    });
    return () => {
      live = false;
      off();
    };
  }, [id]);

  if (error) {
    return (
      <section class="card center" data-testid="card-missing">
        <p role="alert">{errorMessage(t, error)}</p>
        <a href={href('feed')}>{t('nav.feed')}</a>
      </section>
    );
  }
  if (!card) return <p class="loading">{t('session.loading')}</p>;
  return (
    <section class="card-detail">
      <a class="back-link" href={href('feed')}>
        ← {t('nav.feed')}
      </a>
      <CardItem card={card} meId={me.id} onChange={setCard} full />
      {card.owner.id === me.id && (
        <a class="button button--secondary" href={href('myCards')}>
          {t('myCards.manage')}
        </a>
      )}
    </section>
  );
}
