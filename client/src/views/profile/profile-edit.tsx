import { AVATAR_COLORS, UpdateProfileBody, type Me } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href, navigate } from '../../router.js';
import { session } from '../../session.js';
import { Avatar } from '../../ui/avatar.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from '../../ui/form.js';
import { parseTags } from '../../ui/tags.js';

type EditField = 'displayName' | 'bio' | 'tags' | 'avatarColor';

/** Longest bio, as in the shared schema; shown with the running count. */
const BIO_MAX = 300;

const rules: Record<EditField, Msg> = {
  displayName: { key: 'field.displayName.hint' },
  bio: { key: 'field.bio.hint', params: { max: BIO_MAX } },
  tags: { key: 'field.tags.invalid' },
  avatarColor: { key: 'error.INVALID_PAYLOAD' },
};

/** Edit display name, bio, tags and avatar colour. Only the fields that changed are sent. */
export function ProfileEdit({ me }: { me: Me }) {
  const t = useT();
  // The form starts from "me" once; a live update from another device does not overwrite typing.
  const [displayName, setDisplayName] = useState(me.displayName);
  const [bio, setBio] = useState(me.bio);
  const [tagsText, setTagsText] = useState(me.tags.join(', '));
  const [avatarColor, setAvatarColor] = useState<string>(me.avatarColor);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<EditField>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);

  const tags = parseTags(tagsText);
  const err = (f: EditField) => tr(t, fieldErrors[f]);
  const hintFor: Record<'displayName' | 'bio' | 'tags', string> = {
    displayName: t('field.displayName.hint'),
    bio: `${t('field.bio.hint', { max: BIO_MAX })} (${bio.length}/${BIO_MAX})`,
    tags: t('field.tags.hint'),
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const parsed = UpdateProfileBody.safeParse({ displayName, bio, tags, avatarColor });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsFrom(parsed.error.issues, rules));
      setFormError({ kind: 'fields' });
      return;
    }
    const next = parsed.data;
    const current = session.get();
    const base = current.status === 'signed-in' ? current.me : me;
    const changes: UpdateProfileBody = {};
    if (next.displayName !== base.displayName) changes.displayName = next.displayName;
    if (next.bio !== base.bio) changes.bio = next.bio;
    if (next.tags && next.tags.join('\n') !== base.tags.join('\n')) changes.tags = next.tags;
    if (next.avatarColor !== base.avatarColor) changes.avatarColor = next.avatarColor;
    if (Object.keys(changes).length === 0) {
      navigate('profile');
      return;
    }

    setBusy(true);
    const res = await api('updateMe', changes);
    setBusy(false);
    if (res.ok) {
      const now = session.get();
      if (now.status === 'signed-in') session.set({ status: 'signed-in', me: res.data });
      showNotice({ kind: 'info', key: 'profileEdit.saved' });
      navigate('profile');
      return;
    }
    if (res.error.code === 'INVALID_PAYLOAD') setFieldErrors(fieldErrorsFrom(res.error.details, rules));
    setFormError({ kind: 'server', error: res.error });
  };

  const removeTag = (tag: string) => setTagsText(tags.filter((x) => x !== tag).join(', '));

  return (
    <section class="card profile-edit">
      <h1 class="profile-edit__title">{t('profileEdit.title')}</h1>
      <div class="profile-edit__preview" aria-label={t('profileEdit.preview')}>
        <Avatar name={displayName || me.handle} color={avatarColor} size="lg" />
        <div>
          <p class="profile__display-name">{displayName || '—'}</p>
          <p class="profile__handle">@{me.handle}</p>
        </div>
      </div>

      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="displayName" label={t('field.displayName')} hint={hintFor.displayName} error={err('displayName')}>
          <input
            id="displayName"
            name="displayName"
            type="text"
            maxLength={40}
            value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
            {...describedBy('displayName', err('displayName'), hintFor.displayName)}
          />
        </Field>

        <Field id="bio" label={t('field.bio')} hint={hintFor.bio} error={err('bio')}>
          <textarea
            id="bio"
            name="bio"
            rows={4}
            maxLength={BIO_MAX}
            value={bio}
            onInput={(e) => setBio(e.currentTarget.value)}
            {...describedBy('bio', err('bio'), hintFor.bio)}
          />
        </Field>

        <Field id="tags" label={t('field.tags')} hint={hintFor.tags} error={err('tags')}>
          <input
            id="tags"
            name="tags"
            type="text"
            autoCapitalize="none"
            value={tagsText}
            onInput={(e) => setTagsText(e.currentTarget.value)}
            {...describedBy('tags', err('tags'), hintFor.tags)}
          />
        </Field>
        {tags.length > 0 && (
          <ul class="chips chips--editable" data-testid="tag-chips">
            {tags.map((tag, i) => (
              <li class="chip" key={`${tag}-${i}`}>
                #{tag}
                <button
                  type="button"
                  class="chip__remove"
                  aria-label={t('profileEdit.removeTag', { tag })}
                  onClick={() => removeTag(tag)}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}

        <fieldset class="field colors">
          <legend class="field__label">{t('field.avatarColor')}</legend>
          <div class="colors__grid">
            {AVATAR_COLORS.map((color, i) => (
              <label class="swatch" key={color} style={{ '--swatch': color }}>
                <input
                  type="radio"
                  name="avatarColor"
                  value={color}
                  checked={avatarColor === color}
                  onChange={() => setAvatarColor(color)}
                  aria-label={t('field.avatarColor.option', { n: i + 1 })}
                />
                <span class="swatch__dot" aria-hidden="true" />
              </label>
            ))}
          </div>
        </fieldset>

        <FormErrorLine error={formError} />
        <div class="form__actions">
          <a class="button button--ghost" href={href('profile')}>
            {t('profileEdit.cancel')}
          </a>
          <button class="button button--primary" type="submit" disabled={busy} data-testid="profile-save">
            {busy ? t('profileEdit.saving') : t('profileEdit.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
