import { Tag, type Card, type ErrorBody, type FeedQuery, type Me } from '@hackmeshi/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { on, onConnected } from '../../socket.js';
import { CardForm } from './card-form.js';
import { CardItem } from './card-item.js';

type Sort = NonNullable<FeedQuery['sort']>;

interface Filters {
  sort: Sort;
  tag: string | null;
  q: string | null;
}

interface FeedState {
  status: 'loading' | 'ready' | 'error';
  error: ErrorBody | null;
  items: Card[];
  nextCursor: string | null;
  loadingMore: boolean;
  /** Cards posted live by others, held back until the user asks for them (no jumping list). */
  pending: Card[];
}

const PAGE = 20;

/** Whether a live card belongs in the list under the current filters (as the server would filter). */
function matchesFilters(card: Card, f: Filters): boolean {
  if (card.status !== 'active') return false;
  if (f.tag && !card.tags.includes(f.tag)) return false;
  if (f.q) {
    const q = f.q.toLocaleLowerCase();
    if (!card.title.toLocaleLowerCase().includes(q) && !card.body.toLocaleLowerCase().includes(q)) return false;
  }
  return true;
}

function queryOf(f: Filters, cursor?: string): FeedQuery {
  return { sort: f.sort, tag: f.tag ?? undefined, q: f.q ?? undefined, cursor, limit: PAGE };
}

/**
 * The feed: newest or "for you", filtered by a tag chip or a search, paged by cursor. Cards
 * posted by others while it is open wait behind a "N new cards" banner; removed cards vanish.
 */
export function FeedView({ me }: { me: Me }) {
  const t = useT();
  const [filters, setFilters] = useState<Filters>({ sort: 'new', tag: null, q: null });
  const [search, setSearch] = useState('');
  const [state, setState] = useState<FeedState>({ status: 'loading', error: null, items: [], nextCursor: null, loadingMore: false, pending: [] });
  const [posting, setPosting] = useState(false);
  const token = useRef(0);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const load = async (f: Filters) => {
    const mine = ++token.current;
    setState({ status: 'loading', error: null, items: [], nextCursor: null, loadingMore: false, pending: [] });
    const res = await api('listCards', { query: queryOf(f) });
    if (mine !== token.current) return;
    if (res.ok) setState({ status: 'ready', error: null, items: res.data.items, nextCursor: res.data.nextCursor, loadingMore: false, pending: [] });
    else setState((s) => ({ ...s, status: 'error', error: res.error }));
  };

  useEffect(() => {
    void load(filters);
  }, [filters]);

  useEffect(() => {
    const offPosted = on('card:posted', (card) => {
      setState((s) => {
        if (s.items.some((c) => c.id === card.id) || s.pending.some((c) => c.id === card.id)) return s;
        if (!matchesFilters(card, filtersRef.current)) return s;
        // Your own new card goes straight in: you just posted it (maybe from another tab).
        if (card.owner.id === me.id) return { ...s, items: [card, ...s.items] };
        return { ...s, pending: [card, ...s.pending] };
      });
    });
    const offRemoved = on('card:removed', ({ cardId }) => {
      setState((s) => ({ ...s, items: s.items.filter((c) => c.id !== cardId), pending: s.pending.filter((c) => c.id !== cardId) }));
    });
    // Cards posted while disconnected were not pushed: look at the first page again and hold
    // back the ones we have not shown.
    const offConnected = onConnected(() => {
      const f = filtersRef.current;
      const mine = token.current;
      void api('listCards', { query: queryOf(f) }).then((res) => {
        if (!res.ok || mine !== token.current) return;
        setState((s) => {
          if (s.status !== 'ready') return s;
          const known = new Set([...s.items, ...s.pending].map((c) => c.id));
          const newest = s.items[0]?.createdAt ?? '';
          const fresh = res.data.items.filter((c) => !known.has(c.id) && c.createdAt > newest && c.owner.id !== me.id);
          return fresh.length === 0 ? s : { ...s, pending: [...fresh, ...s.pending] };
        });
      });
    });
    return () => {
      offPosted();
      offRemoved();
      offConnected();
    };
  }, [me.id]);

  const loadMore = async () => {
    if (state.loadingMore || !state.nextCursor) return;
    const mine = token.current;
    setState((s) => ({ ...s, loadingMore: true }));
    const res = await api('listCards', { query: queryOf(filters, state.nextCursor) });
    if (mine !== token.current) return;
    if (res.ok) {
      setState((s) => {
        const known = new Set(s.items.map((c) => c.id));
        return { ...s, loadingMore: false, items: [...s.items, ...res.data.items.filter((c) => !known.has(c.id))], nextCursor: res.data.nextCursor };
      });
    } else {
      setState((s) => ({ ...s, loadingMore: false, error: res.error }));
    }
  };

  const reveal = () => {
    setState((s) => ({ ...s, items: [...s.pending, ...s.items.filter((c) => !s.pending.some((p) => p.id === c.id))], pending: [] }));
    window.scrollTo({ top: 0, behavior: 'smooth' });
  };

  const replace = (card: Card) => setState((s) => ({ ...s, items: s.items.map((c) => (c.id === card.id ? card : c)) }));

  const setTag = (tag: string | null) => {
    if (tag !== null && !Tag.safeParse(tag).success) return;
    setFilters((f) => ({ ...f, tag }));
  };

  const onSearch = (e: Event) => {
    e.preventDefault();
    const q = search.trim().slice(0, 100);
    setFilters((f) => ({ ...f, q: q === '' ? null : q }));
  };

  return (
    <section class="feed" data-testid="feed">
      <div class="page-head">
        <h1 class="page-title">{t('feed.title')}</h1>
        <button type="button" class="button button--primary button--small" data-testid="open-card-form" aria-expanded={posting} onClick={() => setPosting((p) => !p)}>
          {posting ? t('common.close') : t('feed.post')}
        </button>
      </div>

      {posting && (
        <div class="card">
          <h2 class="section-title">{t('feed.postTitle')}</h2>
          <CardForm
            onSaved={(card) => {
              setPosting(false);
              setState((s) => (s.items.some((c) => c.id === card.id) ? s : { ...s, items: [card, ...s.items] }));
            }}
            onCancel={() => setPosting(false)}
          />
        </div>
      )}

      <div class="feed__controls">
        <div class="segmented" role="group" aria-label={t('feed.sort')}>
          {(['new', 'forYou'] as const).map((sort) => (
            <button
              key={sort}
              type="button"
              class="segmented__item"
              aria-pressed={filters.sort === sort ? 'true' : 'false'}
              data-testid={`sort-${sort}`}
              onClick={() => setFilters((f) => ({ ...f, sort }))}
            >
              {t(`feed.sort.${sort}`)}
            </button>
          ))}
        </div>
        <form class="search" role="search" onSubmit={onSearch}>
          <label class="visually-hidden" for="feed-search">
            {t('feed.search')}
          </label>
          <input
            id="feed-search"
            type="search"
            name="q"
            placeholder={t('feed.search.placeholder')}
            value={search}
            maxLength={100}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <button type="submit" class="button button--ghost button--small">
            {t('feed.search')}
          </button>
        </form>
        {(filters.tag || filters.q) && (
          <div class="feed__active-filters">
            {filters.tag && (
              <button type="button" class="chip chip--active" data-testid="tag-filter" onClick={() => setTag(null)} aria-label={t('feed.clearTag', { tag: filters.tag })}>
                #{filters.tag} ×
              </button>
            )}
            {filters.q && (
              <button
                type="button"
                class="chip chip--active"
                onClick={() => {
                  setSearch('');
                  setFilters((f) => ({ ...f, q: null }));
                }}
              >
                “{filters.q}” ×
              </button>
            )}
          </div>
        )}
      </div>

      {state.pending.length > 0 && (
        <button type="button" class="new-cards" data-testid="new-cards-banner" onClick={reveal}>
          {state.pending.length === 1 ? t('feed.newCard') : t('feed.newCards', { n: state.pending.length })}
        </button>
      )}

      {state.status === 'loading' && <p class="loading">{t('session.loading')}</p>}
      {state.status === 'error' && state.error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, state.error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void load(filters)}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {state.status === 'ready' && state.items.length === 0 && <p class="empty">{filters.tag || filters.q ? t('feed.emptyFiltered') : t('feed.empty')}</p>}

      <div class="topic-list">
        {state.items.map((card) => (
          <CardItem key={card.id} card={card} meId={me.id} onChange={replace} onTag={(tag) => setTag(tag)} />
        ))}
      </div>

      {state.status === 'ready' && state.nextCursor && (
        <button type="button" class="button button--ghost button--block" data-testid="load-more" disabled={state.loadingMore} onClick={loadMore}>
          {state.loadingMore ? t('session.loading') : t('feed.loadMore')}
        </button>
      )}
    </section>
  );
}
