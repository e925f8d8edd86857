import type { ErrorBody, Me, Meetup } from '@hackmeshi/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { navigate } from '../../router.js';
import { on, onConnected } from '../../socket.js';
import { MeetupCard, withCounts } from './meetup-card.js';
import { MeetupForm } from './meetup-form.js';

type Range = 'upcoming' | 'week' | 'past';

interface ListState {
  status: 'loading' | 'ready' | 'error';
  error: ErrorBody | null;
  items: Meetup[];
  nextCursor: string | null;
}

/**
 * `#/meetups`: upcoming, this week's, or past meetups, optionally by tag, with a form to host one.
 * Seat counters follow `meetup:counts` and the viewer's own place follows `meetup:rsvp-updated`;
 * after a reconnect the list is fetched again, since events missed meanwhile are not replayed.
 */
export function MeetupsView({ me }: { me: Me }) {
  const t = useT();
  const [range, setRange] = useState<Range>('upcoming');
  const [tag, setTag] = useState<string | null>(null);
  const [tagDraft, setTagDraft] = useState('');
  const [state, setState] = useState<ListState>({ status: 'loading', error: null, items: [], nextCursor: null });
  const [creating, setCreating] = useState(false);
  const token = useRef(0);

  const load = async (cursor?: string) => {
    const mine = ++token.current;
    const res = await api('listMeetups', { query: { range, ...(tag ? { tag } : {}), ...(cursor ? { cursor } : {}) } });
    if (mine !== token.current) return;
    if (res.ok) {
      setState((s) => ({
        status: 'ready',
        error: null,
        items: cursor ? [...s.items, ...res.data.items.filter((m) => !s.items.some((x) => x.id === m.id))] : res.data.items,
        nextCursor: res.data.nextCursor,
      }));
    } else setState((s) => ({ ...s, status: s.status === 'ready' ? 'ready' : 'error', error: res.error }));
  };

  useEffect(() => {
    setState((s) => ({ ...s, status: 'loading', items: [] }));
    void load();
    const offConnected = onConnected(() => void load());
    return () => {
      token.current++;
      offConnected();
    };
  }, [range, tag]);

  useEffect(() => {
    const offCounts = on('meetup:counts', (c) => setState((s) => ({ ...s, items: s.items.map((m) => withCounts(m, c)) })));
    const offRsvp = on('meetup:rsvp-updated', ({ meetupId, rsvp }) =>
      setState((s) => ({ ...s, items: s.items.map((m) => (m.id === meetupId ? { ...m, myRsvp: rsvp } : m)) })),
    );
    return () => {
      offCounts();
      offRsvp();
    };
  }, []);

  const applyTag = (e: Event) => {
    e.preventDefault();
    const next = tagDraft.trim().replace(/^#/, '').toLowerCase();
    setTag(next === '' ? null : next);
  };

  return (
    <section class="meetups" data-testid="meetups">
      <div class="page-head">
        <h1 class="page-title">{t('meetups.title')}</h1>
        <button type="button" class="button button--primary button--small" data-testid="create-meetup" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
          {creating ? t('common.close') : t('meetups.create')}
        </button>
      </div>
      <p class="page-lead muted">{t('meetups.lead')}</p>

      {creating && (
        <div class="card" role="dialog" aria-labelledby="create-meetup-heading">
          <h2 class="section-title" id="create-meetup-heading">
            {t('meetupForm.create')}
          </h2>
          <MeetupForm onCancel={() => setCreating(false)} onDone={(m) => navigate('meetup', { params: { id: m.id } })} />
        </div>
      )}

      <div class="meetups__filters">
        <div class="segmented" role="group" aria-label={t('meetups.range')}>
          {(['upcoming', 'week', 'past'] as const).map((r) => (
            <button key={r} type="button" class="segmented__item" aria-pressed={range === r ? 'true' : 'false'} data-testid={`range-${r}`} onClick={() => setRange(r)}>
              {t(`meetups.range.${r}`)}
            </button>
          ))}
        </div>
        <form class="search" role="search" onSubmit={applyTag}>
          <label class="visually-hidden" for="meetup-tag-filter">
            {t('meetups.tagFilter')}
          </label>
          <input
            id="meetup-tag-filter"
            type="search"
            autoCapitalize="none"
            placeholder={t('meetups.tagFilter.placeholder')}
            value={tagDraft}
            onInput={(e) => setTagDraft(e.currentTarget.value)}
          />
          <button type="submit" class="button button--secondary button--small">
            {t('meetups.tagFilter.apply')}
          </button>
        </form>
        {tag && (
          <div class="feed__active-filters">
            <button
              type="button"
              class="chip chip--active"
              data-testid="clear-tag"
              onClick={() => {
                setTag(null);
                setTagDraft('');
              }}
            >
              #{tag} ×<span class="visually-hidden">{t('meetups.clearTag', { tag })}</span>
            </button>
          </div>
        )}
      </div>

      {state.status === 'loading' && <p class="loading">{t('session.loading')}</p>}
      {state.status === 'error' && state.error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, state.error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void load()}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {state.status === 'ready' && state.items.length === 0 && <p class="empty">{t('meetups.empty')}</p>}
      <ul class="meetup-list">
        {state.items.map((m) => (
          <MeetupCard
            key={m.id}
            meetup={m}
            meId={me.id}
            onTag={(next) => {
              setTag(next);
              setTagDraft(next);
            }}
          />
        ))}
      </ul>
      {state.status === 'ready' && state.nextCursor && (
        <button type="button" class="button button--secondary" onClick={() => void load(state.nextCursor ?? undefined)}>
          {t('meetups.loadMore')}
        </button>
      )}
    </section>
  );
}
