import type { AttendeeList, Meetup } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { UserLine } from '../../ui/user-line.js';

/** Props of `OrganizerPanel`. */
export interface OrganizerPanelProps {
  meetup: Meetup;
  attendees: AttendeeList | null;
  /** Something changed (removal, check-in, cancel): fetch the meetup and its lists again. */
  onChanged: () => void;
  onEdit: () => void;
}

/** The organizer's tools: the waitlist, messaging everyone attending, editing and cancelling. */
export function OrganizerPanel({ meetup, attendees, onChanged, onEdit }: OrganizerPanelProps) {
  const t = useT();
  const [message, setMessage] = useState('');
  const [sending, setSending] = useState(false);
  const scheduled = meetup.status === 'scheduled';
  const waitlist = attendees?.waitlist ?? [];

  const announce = async (e: Event) => {
    e.preventDefault();
    const body = message.trim();
    if (body === '' || sending) return;
    setSending(true);
    const res = await api('announce', { body }, { params: { id: meetup.id } });
    setSending(false);
    if (!res.ok) return showNotice({ kind: 'error', error: res.error });
    setMessage('');
    showNotice({ kind: 'info', key: 'meetup.org.announced' });
  };

  const cancelMeetup = async () => {
    const res = await api('cancelMeetup', { params: { id: meetup.id } });
    if (!res.ok) return showNotice({ kind: 'error', error: res.error });
    showNotice({ kind: 'info', key: 'meetup.org.cancelled' });
    onChanged();
  };

  return (
    <section class="card organizer-panel" data-testid="organizer-panel">
      <h2 class="section-title">{t('meetup.org.title')}</h2>
      <h3 class="subsection-title">{t('meetup.org.waitlist', { n: waitlist.length })}</h3>
      {waitlist.length === 0 ? (
        <p class="muted small">{t('meetup.org.waitlistEmpty')}</p>
      ) : (
        <ol class="people-list" data-testid="waitlist">
          {waitlist.map((u) => (
            <li key={u.id} class="people-list__item" data-user-id={u.id}>
              <UserLine user={u} />
            </li>
          ))}
        </ol>
      )}
      {scheduled && (
        <form class="form organizer-panel__announce" onSubmit={announce}>
          <label class="field__label" for="meetup-announce">
            {t('meetup.org.announce')}
          </label>
          <textarea id="meetup-announce" name="announce" rows={2} maxLength={1000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
          <p class="field__hint">{t('meetup.org.announce.hint')}</p>
          <div class="form__actions">
            <button type="submit" class="button button--secondary button--small" data-testid="announce-submit" disabled={sending || message.trim() === ''}>
              {t('meetup.org.announce.send')}
            </button>
          </div>
        </form>
      )}
      {scheduled && (
        <div class="organizer-panel__actions">
          <button type="button" class="button button--secondary button--small" data-testid="edit-meetup" onClick={onEdit}>
            {t('meetup.org.edit')}
          </button>
          <ConfirmButton label={t('meetup.org.cancel')} question={t('meetup.org.cancelConfirm')} testId="cancel-meetup" onConfirm={cancelMeetup} />
        </div>
      )}
    </section>
  );
}

/** Props of `AttendeeRows`. */
export interface AttendeeRowsProps {
  meetup: Meetup;
  attendees: AttendeeList;
  organizer: boolean;
  onChanged: () => void;
}

/** Who is coming; the organizer also gets a check-in toggle and a remove button per person. */
export function AttendeeRows({ meetup, attendees, organizer, onChanged }: AttendeeRowsProps) {
  const t = useT();
  const checkIn = async (userId: string, attended: boolean) => {
    const res = await api('checkIn', { userId, attended }, { params: { id: meetup.id } });
    if (!res.ok) showNotice({ kind: 'error', error: res.error });
    onChanged();
  };
  const remove = async (userId: string) => {
    const res = await api('removeAttendee', { params: { id: meetup.id, userId } });
    if (!res.ok) showNotice({ kind: 'error', error: res.error });
    onChanged();
  };
  return (
    <section class="card" data-testid="attendees">
      <h2 class="section-title">{t('meetup.attendees', { n: attendees.attending.length })}</h2>
      {attendees.attending.length === 0 ? (
        <p class="muted small">{t('meetup.noAttendees')}</p>
      ) : (
        <ul class="people-list">
          {attendees.attending.map(({ user, checkedIn }) => (
            <li key={user.id} class="people-list__item" data-testid="attendee" data-user-id={user.id}>
              <UserLine user={user} />
              {organizer && (
                <span class="people-list__actions">
                  <label class="check">
                    <input type="checkbox" data-testid="check-in" checked={checkedIn} onChange={(e) => void checkIn(user.id, e.currentTarget.checked)} />
                    <span>{t('meetup.org.checkedIn')}</span>
                  </label>
                  {meetup.status === 'scheduled' && (
                    <ConfirmButton label={t('meetup.org.remove')} question={t('meetup.org.removeConfirm')} testId="remove-attendee" onConfirm={() => remove(user.id)} />
                  )}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
