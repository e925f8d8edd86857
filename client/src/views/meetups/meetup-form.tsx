import { CreateMeetupBody, MEETUP_MAX_CAPACITY, UpdateMeetupBody, type Meetup } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from '../../ui/form.js';
import { parseTags } from '../../ui/tags.js';
import { isoToLocalInput, localInputToIso, localZone } from './format.js';

type MeetupField = 'title' | 'description' | 'startsAt' | 'endsAt' | 'venue' | 'onlineUrl' | 'capacity' | 'tags';

const rules: Record<MeetupField, Msg> = {
  title: { key: 'meetupForm.title.hint' },
  description: { key: 'meetupForm.description.hint' },
  startsAt: { key: 'meetupForm.startsAt.invalid' },
  endsAt: { key: 'meetupForm.endsAt.invalid' },
  venue: { key: 'meetupForm.venue.invalid' },
  onlineUrl: { key: 'meetupForm.onlineUrl.invalid' },
  capacity: { key: 'meetupForm.capacity.hint', params: { max: MEETUP_MAX_CAPACITY } },
  tags: { key: 'meetupForm.tags.invalid' },
};

/** Props of `MeetupForm`. */
export interface MeetupFormProps {
  /** The meetup being edited; absent to create one. */
  meetup?: Meetup;
  /** Creating inside a community. */
  communityId?: string;
  onDone: (meetup: Meetup) => void;
  onCancel: () => void;
}

/**
 * Create or edit a meetup. Times are typed in the viewer's zone (`datetime-local`) and sent as
 * ISO 8601 with that zone's offset; the shared schema checks everything first, and the server's
 * INVALID_PAYLOAD details (a past start, say) land on the same fields.
 */
export function MeetupForm({ meetup, communityId, onDone, onCancel }: MeetupFormProps) {
  const t = useT();
  const [values, setValues] = useState({
    title: meetup?.title ?? '',
    description: meetup?.description ?? '',
    startsAt: meetup ? isoToLocalInput(meetup.startsAt) : '',
    endsAt: meetup ? isoToLocalInput(meetup.endsAt) : '',
    venue: meetup?.venue ?? '',
    onlineUrl: meetup?.onlineUrl ?? '',
    capacity: String(meetup?.capacity ?? 6),
    tags: meetup?.tags.join(', ') ?? '',
  });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<MeetupField>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);
  const err = (f: MeetupField) => tr(t, fieldErrors[f]);
  const set = (f: MeetupField) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setValues((v) => ({ ...v, [f]: value }));
  };
  const hints: Partial<Record<MeetupField, string>> = {
    title: `${t('meetupForm.title.hint')} (${values.title.length}/80)`,
    description: t('meetupForm.description.hint'),
    startsAt: t('meetupForm.startsAt.hint', { zone: localZone() }),
    venue: t('meetupForm.venue.hint'),
    onlineUrl: t('meetupForm.onlineUrl.hint'),
    capacity: t('meetupForm.capacity.hint', { max: MEETUP_MAX_CAPACITY }),
    tags: t('meetupForm.tags.hint'),
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const startsAt = localInputToIso(values.startsAt);
    const endsAt = localInputToIso(values.endsAt);
    const body = {
      title: values.title,
      description: values.description,
      startsAt: startsAt ?? '',
      endsAt: endsAt ?? '',
      venue: values.venue.trim() === '' ? null : values.venue,
      onlineUrl: values.onlineUrl.trim() === '' ? null : values.onlineUrl.trim(),
      capacity: Number(values.capacity),
      tags: parseTags(values.tags),
    };
    const errors: FieldErrors<MeetupField> = {};
    let request: Promise<Awaited<ReturnType<typeof api<'createMeetup'>>>>;
    if (!meetup) {
      const parsed = CreateMeetupBody.safeParse({ ...body, communityId: communityId ?? null });
      if (!parsed.success) Object.assign(errors, fieldErrorsFrom<MeetupField>(parsed.error.issues, rules));
      if (startsAt !== null && Date.parse(startsAt) <= Date.now()) errors.startsAt = rules.startsAt;
      if (!parsed.success || Object.keys(errors).length > 0) return invalid(errors);
      request = api('createMeetup', parsed.data);
    } else {
      // Only what changed: a PATCH of time or place notifies everyone who signed up.
      const changed: Record<string, unknown> = {};
      const before = { ...meetup, tags: meetup.tags };
      for (const [key, value] of Object.entries(body)) {
        const old = before[key as keyof typeof before];
        if (JSON.stringify(old) !== JSON.stringify(value)) changed[key] = value;
      }
      // Times compare as instants (the server answers with UTC, the form sends an offset).
      if (startsAt && Date.parse(startsAt) === Date.parse(meetup.startsAt)) delete changed['startsAt'];
      if (endsAt && Date.parse(endsAt) === Date.parse(meetup.endsAt)) delete changed['endsAt'];
      if (Object.keys(changed).length === 0) return onCancel();
      const parsed = UpdateMeetupBody.safeParse(changed);
      if (!parsed.success) return invalid(fieldErrorsFrom<MeetupField>(parsed.error.issues, rules));
      if (!body.venue && !body.onlineUrl) return invalid({ venue: rules.venue });
      request = api('updateMeetup', parsed.data, { params: { id: meetup.id } });
    }
    setFieldErrors({});
    setFormError(null);
    setBusy(true);
    const res = await request;
    setBusy(false);
    if (res.ok) return onDone(res.data);
    if (res.error.code === 'INVALID_PAYLOAD') setFieldErrors(fieldErrorsFrom(res.error.details, rules));
    setFormError({ kind: 'server', error: res.error });
  };

  function invalid(errors: FieldErrors<MeetupField>): void {
    setFieldErrors(errors);
    setFormError({ kind: 'fields' });
  }

  const input = (f: MeetupField, label: string, props: Record<string, unknown>) => (
    <Field id={`meetup-${f}`} label={label} hint={hints[f]} error={err(f)}>
      <input id={`meetup-${f}`} name={f} value={values[f]} onInput={set(f)} {...props} {...describedBy(`meetup-${f}`, err(f), hints[f])} />
    </Field>
  );

  return (
    <form class="form" data-testid="meetup-form" onSubmit={onSubmit} noValidate>
      {input('title', t('meetupForm.title'), { type: 'text', maxLength: 80 })}
      <Field id="meetup-description" label={t('meetupForm.description')} hint={hints.description} error={err('description')}>
        <textarea
          id="meetup-description"
          name="description"
          rows={3}
          maxLength={2000}
          value={values.description}
          onInput={set('description')}
          {...describedBy('meetup-description', err('description'), hints.description)}
        />
      </Field>
      <div class="form__row">
        {input('startsAt', t('meetupForm.startsAt'), { type: 'datetime-local' })}
        {input('endsAt', t('meetupForm.endsAt'), { type: 'datetime-local', min: values.startsAt || undefined })}
      </div>
      {input('venue', t('meetupForm.venue'), { type: 'text', maxLength: 200 })}
      {input('onlineUrl', t('meetupForm.onlineUrl'), { type: 'url', inputMode: 'url', maxLength: 500, placeholder: 'https://' })}
      {input('capacity', t('meetupForm.capacity'), { type: 'number', inputMode: 'numeric', min: 1, max: MEETUP_MAX_CAPACITY, step: 1 })}
      {input('tags', t('meetupForm.tags'), { type: 'text', autoCapitalize: 'none' })}
      <FormErrorLine error={formError} />
      <div class="form__actions">
        <button type="button" class="button button--ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button class="button button--primary" type="submit" disabled={busy} data-testid="meetup-submit">
          {busy ? t('meetupForm.saving') : meetup ? t('meetupForm.save') : t('meetupForm.submit')}
        </button>
      </div>
    </form>
  );
}
