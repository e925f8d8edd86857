import { CreateCardBody, UpdateCardBody, type Card } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from '../../ui/form.js';
import { parseTags } from '../../ui/tags.js';

type CardField = 'title' | 'body' | 'tags';

const TITLE_MAX = 80;
const BODY_MAX = 1000;

const rules: Record<CardField, Msg> = {
  title: { key: 'cardForm.title.hint', params: { max: TITLE_MAX } },
  body: { key: 'cardForm.body.hint', params: { max: BODY_MAX } },
  tags: { key: 'cardForm.tags.invalid' },
};

/** Props of `CardForm`. */
export interface CardFormProps {
  /** The card being edited; a new card when absent. */
  initial?: Card;
  onSaved: (card: Card) => void;
  onCancel?: () => void;
}

/** Post a new topic card, or edit one of yours. Checked with the same schema as the server's. */
export function CardForm({ initial, onSaved, onCancel }: CardFormProps) {
  const t = useT();
  const [title, setTitle] = useState(initial?.title ?? '');
  const [body, setBody] = useState(initial?.body ?? '');
  const [tagsText, setTagsText] = useState(initial?.tags.join(', ') ?? '');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<CardField>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);
  const idp = initial ? `card-${initial.id}-` : 'new-card-';
  const err = (f: CardField) => tr(t, fieldErrors[f]);
  const hints: Record<CardField, string> = {
    title: `${t('cardForm.title.hint', { max: TITLE_MAX })} (${title.length}/${TITLE_MAX})`,
    body: `${t('cardForm.body.hint', { max: BODY_MAX })} (${body.length}/${BODY_MAX})`,
    tags: t('cardForm.tags.hint'),
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const values = { title, body, tags: parseTags(tagsText) };
    const parsed = CreateCardBody.safeParse(values);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsFrom(parsed.error.issues, rules));
      setFormError({ kind: 'fields' });
      return;
    }
    setFieldErrors({});
    setFormError(null);
    let changes: UpdateCardBody | null = null;
    if (initial) {
      const next = parsed.data;
      const diff: Record<string, unknown> = {};
      if (next.title !== initial.title) diff['title'] = next.title;
      if (next.body !== initial.body) diff['body'] = next.body;
      if (next.tags.join('\n') !== initial.tags.join('\n')) diff['tags'] = next.tags;
      if (Object.keys(diff).length === 0) {
        onSaved(initial);
        return;
      }
      changes = UpdateCardBody.parse(diff);
    }
    setBusy(true);
    const res = initial && changes ? await api('updateCard', changes, { params: { id: initial.id } }) : await api('createCard', parsed.data);
    setBusy(false);
    if (res.ok) {
      if (!initial) {
        setTitle('');
        setBody('');
        setTagsText('');
      }
      onSaved(res.data);
      return;
    }
    if (res.error.code === 'INVALID_PAYLOAD') setFieldErrors(fieldErrorsFrom(res.error.details, rules));
    setFormError({ kind: 'server', error: res.error });
  };

  const tags = parseTags(tagsText);
  return (
    <form class="form card-form" data-testid="card-form" onSubmit={onSubmit} noValidate>
      <Field id={`${idp}title`} label={t('cardForm.title')} hint={hints.title} error={err('title')}>
        <input
          id={`${idp}title`}
          name="title"
          type="text"
          maxLength={TITLE_MAX}
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
          {...describedBy(`${idp}title`, err('title'), hints.title)}
        />
      </Field>
      <Field id={`${idp}body`} label={t('cardForm.body')} hint={hints.body} error={err('body')}>
        <textarea
          id={`${idp}body`}
          name="body"
          rows={4}
          maxLength={BODY_MAX}
          value={body}
          onInput={(e) => setBody(e.currentTarget.value)}
          {...describedBy(`${idp}body`, err('body'), hints.body)}
        />
      </Field>
      <Field id={`${idp}tags`} label={t('cardForm.tags')} hint={hints.tags} error={err('tags')}>
        <input
          id={`${idp}tags`}
          name="tags"
          type="text"
          autoCapitalize="none"
          value={tagsText}
          onInput={(e) => setTagsText(e.currentTarget.value)}
          {...describedBy(`${idp}tags`, err('tags'), hints.tags)}
        />
      </Field>
      {tags.length > 0 && (
        <ul class="chips" aria-label={t('cardForm.tags')}>
          {tags.map((tag, i) => (
            <li class="chip" key={`${tag}-${i}`}>
              #{tag}
            </li>
          ))}
        </ul>
      )}
      <FormErrorLine error={formError} />
      <div class="form__actions">
        {onCancel && (
          <button type="button" class="button button--ghost" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
        <button class="button button--primary" type="submit" disabled={busy} data-testid="card-submit">
          {busy ? t('cardForm.saving') : initial ? t('cardForm.save') : t('cardForm.post')}
        </button>
      </div>
    </form>
  );
}
