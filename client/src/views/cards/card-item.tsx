import type { Card } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useLang, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href } from '../../router.js';
import { formatAgo } from '../../ui/time.js';
import { UserLine } from '../../ui/user-line.js';

/** Props of `CardItem`. */
export interface CardItemProps {
  card: Card;
  /** The signed-in user's id: no interested button on your own cards. */
  meId: string;
  /** Called with the card as it is after a change (interest pressed or taken back). */
  onChange?: (card: Card) => void;
  /** Called when a tag chip is clicked (the feed filters by it); chips are plain text without it. */
  onTag?: (tag: string) => void;
  /** Full body (detail page) instead of a clipped one. */
  full?: boolean;
}

/** The interested (気になる) toggle. Its state comes from the server's answer, not a guess. */
export function InterestToggle({ card, onChange }: { card: Card; onChange?: ((card: Card) => void) | undefined }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const pressed = card.interestedByMe;
  const toggle = async () => {
    if (busy) return;
    setBusy(true);
    const res = pressed ? await api('removeInterest', { params: { id: card.id } }) : await api('addInterest', { params: { id: card.id } });
    setBusy(false);
    if (!res.ok) {
      showNotice({ kind: 'error', error: res.error });
      return;
    }
    onChange?.({ ...card, interestedByMe: res.data.interested });
  };
  return (
    <button
      type="button"
      class={pressed ? 'interest interest--on' : 'interest'}
      data-testid="interest-toggle"
      aria-pressed={pressed ? 'true' : 'false'}
      disabled={busy}
      onClick={toggle}
    >
      <span class="interest__icon" aria-hidden="true">
        {pressed ? '♥' : '♡'}
      </span>
      {t('card.interested')}
    </button>
  );
}

/** One topic card: title, body, tags, owner, and the interested toggle. Everything user-written is text. */
export function CardItem({ card, meId, onChange, onTag, full = false }: CardItemProps) {
  const t = useT();
  const lang = useLang();
  const own = card.owner.id === meId;
  return (
    <article class={`topic${card.status === 'archived' ? ' topic--archived' : ''}`} data-testid="card" data-card-id={card.id}>
      <header class="topic__head">
        <UserLine user={card.owner} />
        <time class="topic__time" dateTime={card.createdAt}>
          {formatAgo(card.createdAt, lang)}
        </time>
      </header>
      <h2 class="topic__title" data-testid="card-title">
        {full ? card.title : <a href={href('card', { id: card.id })}>{card.title}</a>}
      </h2>
      <p class={full ? 'topic__body' : 'topic__body topic__body--clip'} data-testid="card-body">
        {card.body}
      </p>
      <ul class="chips topic__tags" aria-label={t('card.tags')}>
        {card.tags.map((tag) => (
          <li key={tag}>
            {onTag ? (
              <button type="button" class="chip chip--button" data-testid="tag-chip" onClick={() => onTag(tag)}>
                #{tag}
              </button>
            ) : (
              <span class="chip">#{tag}</span>
            )}
          </li>
        ))}
      </ul>
      <footer class="topic__foot">
        {own ? (
          <span class="muted topic__count" data-testid="interest-count">
            {card.status === 'archived' ? t('card.archived') + ' · ' : ''}
            {t('card.interestCount', { n: card.interestCount ?? 0 })}
          </span>
        ) : (
          <InterestToggle card={card} onChange={onChange} />
        )}
      </footer>
    </article>
  );
}
