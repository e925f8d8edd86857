import type { AttendeeList, ErrorBody, Me, Meetup } from '@hackmeshi/shared';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { chat } from '../../chat/index.js';
import { errorMessage, useLang, useT, type Translate } from '../../i18n.js';
import { dismissNotice, notice, showNotice } from '../../notices.js';
import { href } from '../../router.js';
import { on, onConnected } from '../../socket.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { UserLine } from '../../ui/user-line.js';
import { GroupChat } from '../matches/group-chat.js';
import { formatSpan } from './format.js';
import { SeatCounter, withCounts } from './meetup-card.js';
import { MeetupForm } from './meetup-form.js';
import { AttendeeRows, OrganizerPanel } from './organizer-panel.js';

type Load = { status: 'loading' } | { status: 'error'; error: ErrorBody } | { status: 'ready'; meetup: Meetup };

/** The sentence for a refused RSVP: CONFLICT says why in `details.reason`. */
function rsvpError(t: Translate, error: ErrorBody): string {
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  if (error.code === 'CONFLICT' && (reason === 'cancelled' || reason === 'past' || reason === 'organizer')) return t(`meetup.error.${reason}`);
  return errorMessage(t, error);
}

/** "You're attending" / "You're on the waitlist: #2" / not signed up, with data attributes for tests. */
function RsvpStatus({ meetup, organizer }: { meetup: Meetup; organizer: boolean }) {
  const t = useT();
  const rsvp = meetup.myRsvp;
  const status = organizer ? 'organizer' : (rsvp?.status ?? 'none');
  const text =
    status === 'organizer'
      ? t('meetup.status.organizer')
      : status === 'attending'
        ? t('meetup.status.attending')
        : status === 'waitlisted'
          ? t('meetup.status.waitlisted', { n: rsvp?.position ?? 0 })
          : t('meetup.status.none');
  return (
    <p
      class={`rsvp-status rsvp-status--${status}`}
      data-testid="rsvp-status"
      data-status={status}
      data-position={rsvp?.position ?? undefined}
      role="status"
      aria-live="polite"
    >
      {status === 'attending' && <span aria-hidden="true">✅ </span>}
      {status === 'waitlisted' && <span aria-hidden="true">⏳ </span>}
      {text}
    </p>
  );
}

/**
 * `#/meetups/:id`: one meetup, live. `meetup:counts` moves the seat counter, and
 * `meetup:rsvp-updated` moves the viewer's own place (a promotion off the waitlist turns the
 * status to attending without a reload; the toast comes from the notification store). Then the
 * meetup is fetched again, since a promotion also reveals the online link and opens the chat.
 */
export function MeetupView({ me, id }: { me: Me; id: string }) {
  const t = useT();
  const lang = useLang();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [attendees, setAttendees] = useState<AttendeeList | null>(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const token = useRef(0);

  const meetup = load.status === 'ready' ? load.meetup : null;
  const organizer = meetup?.organizer.id === me.id;
  const organizerRef = useRef(false);
  organizerRef.current = organizer;

  const refresh = async () => {
    const mine = ++token.current;
    const res = await api('getMeetup', { params: { id } });
    if (mine !== token.current) return;
    if (!res.ok) {
      setLoad((l) => (l.status === 'ready' && res.error.code !== 'NOT_FOUND' ? l : { status: 'error', error: res.error }));
      return;
    }
    setLoad({ status: 'ready', meetup: res.data });
    const m = res.data;
    if (m.conversationId) chat.reload(m.conversationId);
    if (m.organizer.id === me.id || m.myRsvp?.status === 'attending') {
      const list = await api('attendees', { params: { id } });
      if (mine === token.current) setAttendees(list.ok ? list.data : null);
    } else setAttendees(null);
  };

  useEffect(() => {
    void refresh();
    const offConnected = onConnected(() => void refresh());
    const offCounts = on('meetup:counts', (c) => {
      if (c.meetupId !== id) return;
      setLoad((l) => (l.status === 'ready' ? { status: 'ready', meetup: withCounts(l.meetup, c) } : l));
      // The organizer's waitlist and attendee list changed with the counts.
      if (organizerRef.current) void refresh();
    });
    const offRsvp = on('meetup:rsvp-updated', ({ meetupId, rsvp }) => {
      if (meetupId !== id) return;
      setLoad((l) => {
        if (l.status !== 'ready') return l;
        // "You're #n on the waitlist" is stale once the place moves.
        const shown = notice.get();
        if (shown?.kind === 'info' && shown.key === 'meetup.notice.waitlisted') dismissNotice();
        if (l.meetup.myRsvp && !rsvp) showNotice({ kind: 'info', key: 'meetup.notice.removed' });
        return { status: 'ready', meetup: { ...l.meetup, myRsvp: rsvp } };
      });
      void refresh();
    });
    return () => {
      token.current++;
      offConnected();
      offCounts();
      offRsvp();
    };
  }, [id]);

  const names = useMemo(() => {
    const map = new Map<string, string>();
    if (meetup) map.set(meetup.organizer.id, meetup.organizer.displayName);
    for (const a of attendees?.attending ?? []) map.set(a.user.id, a.user.displayName);
    for (const u of attendees?.waitlist ?? []) map.set(u.id, u.displayName);
    return map;
  }, [meetup, attendees]);

  if (load.status === 'loading') return <p class="loading">{t('session.loading')}</p>;
  if (load.status === 'error' || !meetup) {
    return (
      <section class="card center">
        <p role="alert">{load.status === 'error' ? errorMessage(t, load.error) : ''}</p>
        <a href={href('meetups')}>{t('meetup.back')}</a>
      </section>
    );
  }

  const rsvp = async () => {
    setBusy(true);
    setActionError(null);
    const res = await api('rsvp', { params: { id } });
    setBusy(false);
    if (!res.ok) return setActionError(rsvpError(t, res.error));
    setLoad((l) => (l.status === 'ready' ? { status: 'ready', meetup: { ...l.meetup, myRsvp: res.data } } : l));
    if (res.data.status === 'attending') showNotice({ kind: 'info', key: 'meetup.notice.joined' });
    else showNotice({ kind: 'info', key: 'meetup.notice.waitlisted', params: { n: res.data.position ?? 0 } });
    void refresh();
  };

  const cancelRsvp = async () => {
    setActionError(null);
    const res = await api('cancelRsvp', { params: { id } });
    if (!res.ok) return setActionError(rsvpError(t, res.error));
    setLoad((l) => (l.status === 'ready' ? { status: 'ready', meetup: { ...l.meetup, myRsvp: null } } : l));
    void refresh();
  };

  const scheduled = meetup.status === 'scheduled';
  const full = meetup.attendingCount >= meetup.capacity;
  const waitlisted = meetup.myRsvp?.status === 'waitlisted';
  const attending = meetup.myRsvp?.status === 'attending';

  if (editing) {
    return (
      <section class="card" role="dialog" aria-labelledby="edit-meetup-heading">
        <h1 class="section-title" id="edit-meetup-heading">
          {t('meetupForm.edit')}
        </h1>
        <MeetupForm
          meetup={meetup}
          onCancel={() => setEditing(false)}
          onDone={(m) => {
            setEditing(false);
            setLoad({ status: 'ready', meetup: m });
            showNotice({ kind: 'info', key: 'meetup.org.saved' });
          }}
        />
      </section>
    );
  }

  return (
    <div class="meetup-detail" data-testid="meetup-detail" data-meetup-id={meetup.id}>
      <a class="back-link" href={href('meetups')}>
        ← {t('meetup.back')}
      </a>
      <section class="card meetup-detail__main">
        <div class="meetup-detail__head">
          <h1 class="page-title" data-testid="meetup-title">
            {meetup.title}
          </h1>
          {meetup.status === 'cancelled' && <span class="badge badge--danger">{t('meetups.cancelled')}</span>}
          {meetup.status === 'past' && <span class="badge">{t('meetups.past')}</span>}
        </div>
        <p class="muted small">
          <UserLine user={meetup.organizer} /> <span class="visually-hidden">{t('meetups.by', { name: meetup.organizer.displayName })}</span>
        </p>
        <dl class="meetup-facts">
          <dt>{t('meetup.when')}</dt>
          <dd data-testid="meetup-when">
            <time dateTime={meetup.startsAt}>{formatSpan(meetup.startsAt, meetup.endsAt, lang)}</time>
          </dd>
          <dt>{t('meetup.where')}</dt>
          <dd data-testid="meetup-where">
            {meetup.venue && <span>{meetup.venue}</span>}
            {meetup.onlineUrl ? (
              <a class="meetup-detail__online" href={meetup.onlineUrl} target="_blank" rel="noopener noreferrer" data-testid="online-link">
                {t('meetup.joinOnline')} ↗
              </a>
            ) : (
              meetup.online && <span class="muted">{meetup.venue ? ' · ' : ''}{t('meetup.onlineHidden')}</span>
            )}
          </dd>
          <dt>{t('meetup.seatsLabel')}</dt>
          <dd>
            <SeatCounter meetup={meetup} />
            {meetup.waitlistCount > 0 && <span class="muted small"> · {t('meetups.waitlistCount', { n: meetup.waitlistCount })}</span>}
            {scheduled && full && <span class="badge badge--warn meetup-facts__full">{t('meetups.full')}</span>}
          </dd>
        </dl>
        {meetup.tags.length > 0 && (
          <ul class="chips">
            {meetup.tags.map((tag) => (
              <li class="chip" key={tag}>
                #{tag}
              </li>
            ))}
          </ul>
        )}
        {meetup.description && <p class="meetup-detail__description">{meetup.description}</p>}
        {meetup.status === 'cancelled' && <p class="notice-line" role="note">{t('meetup.cancelledNote')}</p>}
        {meetup.status === 'past' && <p class="notice-line" role="note">{t('meetup.pastNote')}</p>}

        <div class="rsvp-box">
          <RsvpStatus meetup={meetup} organizer={organizer} />
          <div class="rsvp-box__actions">
            {scheduled && !organizer && !meetup.myRsvp && (
              <button type="button" class="button button--primary" data-testid="rsvp" disabled={busy} onClick={() => void rsvp()}>
                {full ? t('meetup.rsvpWaitlist') : t('meetup.rsvp')}
              </button>
            )}
            {scheduled && !organizer && meetup.myRsvp && (
              <ConfirmButton
                label={waitlisted ? t('meetup.leaveWaitlist') : t('meetup.cancelRsvp')}
                question={t('meetup.cancelRsvpConfirm')}
                testId="cancel-rsvp"
                onConfirm={cancelRsvp}
              />
            )}
            <a class="button button--ghost button--small" href={`/api/meetups/${encodeURIComponent(meetup.id)}/ics`} download data-testid="ics-link">
              📅 {t('meetup.ics')}
            </a>
          </div>
          {actionError && (
            <p class="form-error" role="alert" data-testid="rsvp-error">
              {actionError}
            </p>
          )}
        </div>
      </section>

      {organizer && <OrganizerPanel meetup={meetup} attendees={attendees} onChanged={() => void refresh()} onEdit={() => setEditing(true)} />}
      {attendees && (organizer || attending) && <AttendeeRows meetup={meetup} attendees={attendees} organizer={organizer} onChanged={() => void refresh()} />}

      {meetup.conversationId && (
        <GroupChat
          key={meetup.conversationId}
          me={me}
          conversationId={meetup.conversationId}
          title={t('meetup.chat')}
          names={names}
          readOnlyNote={waitlisted ? t('meetup.chatReadOnly') : null}
          testId="meetup-chat"
        />
      )}
    </div>
  );
}
