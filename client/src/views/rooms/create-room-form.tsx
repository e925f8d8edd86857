import { CreateRoomBody, ROOM_DEFAULT_CAPACITY, ROOM_TITLE_MAX, type HttpResponse } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from '../../ui/form.js';

type RoomField = 'title' | 'tag' | 'capacity';

/** Smallest room (the protocol's minimum). */
const CAPACITY_MIN = 2;
/** Largest room the server allows by default (ROOM_MAX_CAPACITY); a lower server setting answers with a field error. */
const CAPACITY_MAX = 50;

const rules: Record<RoomField, Msg> = {
  title: { key: 'createRoom.title.hint', params: { max: ROOM_TITLE_MAX } },
  tag: { key: 'createRoom.tag.invalid' },
  capacity: { key: 'createRoom.capacity.hint', params: { min: CAPACITY_MIN, max: CAPACITY_MAX } },
};

/** A created room, with the token that admits to it. */
export type CreatedRoom = HttpResponse<'createRoom'>;

/** Title, optional tag, who can join, and how many: checked with the server's schema first. */
export function CreateRoomForm({ onCreated, onCancel }: { onCreated: (room: CreatedRoom) => void; onCancel: () => void }) {
  const t = useT();
  const [title, setTitle] = useState('');
  const [tag, setTag] = useState('');
  const [visibility, setVisibility] = useState<'open' | 'invite'>('open');
  const [capacity, setCapacity] = useState(String(ROOM_DEFAULT_CAPACITY));
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<RoomField>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);
  const err = (f: RoomField) => tr(t, fieldErrors[f]);
  const hints: Record<RoomField, string> = {
    title: `${t('createRoom.title.hint', { max: ROOM_TITLE_MAX })} (${title.length}/${ROOM_TITLE_MAX})`,
    tag: t('createRoom.tag.hint'),
    capacity: t('createRoom.capacity.hint', { min: CAPACITY_MIN, max: CAPACITY_MAX }),
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const cap = Number(capacity);
    const values: CreateRoomBody = { title, visibility, capacity: cap };
    const tagText = tag.trim().replace(/^#/, '');
    if (tagText !== '') values.tag = tagText;
    const parsed = CreateRoomBody.safeParse(values);
    const errors = parsed.success ? {} : fieldErrorsFrom<RoomField>(parsed.error.issues, rules);
    if (!Number.isInteger(cap) || cap < CAPACITY_MIN || cap > CAPACITY_MAX) errors.capacity = rules.capacity;
    if (!parsed.success || Object.keys(errors).length > 0) {
      setFieldErrors(errors);
      setFormError({ kind: 'fields' });
      return;
    }
    setFieldErrors({});
    setFormError(null);
    setBusy(true);
    const res = await api('createRoom', parsed.data);
    setBusy(false);
    if (res.ok) {
      onCreated(res.data);
      return;
    }
    if (res.error.code === 'INVALID_PAYLOAD') setFieldErrors(fieldErrorsFrom(res.error.details, rules));
    setFormError({ kind: 'server', error: res.error });
  };

  return (
    <form class="form" data-testid="create-room-form" onSubmit={onSubmit} noValidate>
      <Field id="room-title" label={t('createRoom.title')} hint={hints.title} error={err('title')}>
        <input
          id="room-title"
          name="title"
          type="text"
          maxLength={ROOM_TITLE_MAX}
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
          {...describedBy('room-title', err('title'), hints.title)}
        />
      </Field>
      <Field id="room-tag" label={t('createRoom.tag')} hint={hints.tag} error={err('tag')}>
        <input
          id="room-tag"
          name="tag"
          type="text"
          autoCapitalize="none"
          maxLength={33}
          value={tag}
          onInput={(e) => setTag(e.currentTarget.value)}
          {...describedBy('room-tag', err('tag'), hints.tag)}
        />
      </Field>
      <fieldset class="field">
        <legend class="field__label">{t('createRoom.visibility')}</legend>
        <div class="radios">
          {(['open', 'invite'] as const).map((v) => (
            <label class="radio" key={v}>
              <input type="radio" name="visibility" value={v} checked={visibility === v} onChange={() => setVisibility(v)} />
              <span>{t(`createRoom.visibility.${v}`)}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <Field id="room-capacity" label={t('createRoom.capacity')} hint={hints.capacity} error={err('capacity')}>
        <input
          id="room-capacity"
          name="capacity"
          type="number"
          inputMode="numeric"
          min={CAPACITY_MIN}
          max={CAPACITY_MAX}
          step={1}
          value={capacity}
          onInput={(e) => setCapacity(e.currentTarget.value)}
          {...describedBy('room-capacity', err('capacity'), hints.capacity)}
        />
      </Field>
      <FormErrorLine error={formError} />
      <div class="form__actions">
        <button type="button" class="button button--ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button class="button button--primary" type="submit" disabled={busy} data-testid="create-room-submit">
          {busy ? t('createRoom.submitting') : t('createRoom.submit')}
        </button>
      </div>
    </form>
  );
}
