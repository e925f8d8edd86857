import type { Meetup, ServerPayload } from '@hackmeshi/shared';
import { useLang, useT } from '../../i18n.js';
import { href } from '../../router.js';
import { formatSpan } from './format.js';

/** A meetup with fresh seat counts from `meetup:counts` (a new object only when they changed). */
export function withCounts(m: Meetup, c: ServerPayload<'meetup:counts'>): Meetup {
  if (m.id !== c.meetupId) return m;
  return { ...m, attendingCount: c.attendingCount, waitlistCount: c.waitlistCount, capacity: c.capacity };
}

/** "7/10": seats taken of seats, with a spoken label. */
export function SeatCounter({ meetup }: { meetup: Meetup }) {
  const t = useT();
  const full = meetup.attendingCount >= meetup.capacity;
  return (
    <span
      class={full ? 'seat-counter seat-counter--full' : 'seat-counter'}
      data-testid="seat-counter"
      aria-label={t('meetups.seats', { n: meetup.attendingCount, cap: meetup.capacity })}
    >
      {meetup.attendingCount}/{meetup.capacity}
    </span>
  );
}

/** The viewer's place, as a small badge on cards (going, waitlist #n, hosting). */
export function MyPlaceBadge({ meetup, meId }: { meetup: Meetup; meId: string }) {
  const t = useT();
  if (meetup.organizer.id === meId) return <span class="badge badge--ok">{t('meetups.youHost')}</span>;
  if (!meetup.myRsvp) return null;
  return meetup.myRsvp.status === 'attending' ? (
    <span class="badge badge--ok">{t('meetups.youAttending')}</span>
  ) : (
    <span class="badge badge--warn">{t('meetups.youWaitlisted', { n: meetup.myRsvp.position ?? 0 })}</span>
  );
}

/** One meetup in a list: title, time in the viewer's zone, place or "online", seats. */
export function MeetupCard({ meetup, meId, onTag }: { meetup: Meetup; meId: string; onTag?: (tag: string) => void }) {
  const t = useT();
  const lang = useLang();
  const full = meetup.attendingCount >= meetup.capacity;
  return (
    <li class="meetup-card" data-testid="meetup-card" data-meetup-id={meetup.id} data-status={meetup.status}>
      <a class="meetup-card__link" href={href('meetup', { id: meetup.id })}>
        <h2 class="meetup-card__title" data-testid="meetup-title">
          {meetup.title}
        </h2>
      </a>
      <p class="meetup-card__when" data-testid="meetup-when">
        <span aria-hidden="true">🗓 </span>
        <time dateTime={meetup.startsAt}>{formatSpan(meetup.startsAt, meetup.endsAt, lang)}</time>
      </p>
      <p class="meetup-card__where muted" data-testid="meetup-where">
        <span aria-hidden="true">📍 </span>
        {meetup.venue ?? t('meetups.online')}
        {meetup.venue && meetup.online && ` · ${t('meetups.online')}`}
      </p>
      <div class="meetup-card__foot">
        <SeatCounter meetup={meetup} />
        {meetup.waitlistCount > 0 && <span class="muted small">{t('meetups.waitlistCount', { n: meetup.waitlistCount })}</span>}
        {meetup.status === 'cancelled' && <span class="badge badge--danger">{t('meetups.cancelled')}</span>}
        {meetup.status === 'past' && <span class="badge">{t('meetups.past')}</span>}
        {meetup.status === 'scheduled' && full && <span class="badge badge--warn">{t('meetups.full')}</span>}
        <MyPlaceBadge meetup={meetup} meId={meId} />
        {meetup.tags.length > 0 && (
          <ul class="chips meetup-card__tags">
            {meetup.tags.map((tag) =>
              onTag ? (
                <li key={tag}>
                  <button type="button" class="chip chip--button" onClick={() => onTag(tag)}>
                    #{tag}
                  </button>
                </li>
              ) : (
                <li class="chip" key={tag}>
                  #{tag}
                </li>
              ),
            )}
          </ul>
        )}
      </div>
    </li>
  );
}
