import { SignInBody } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { href, navigate } from '../../router.js';
import { signedIn } from '../../session.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from '../../ui/form.js';

type SignInField = 'handle' | 'password';

const rules: Record<SignInField, Msg> = {
  handle: { key: 'field.handle.hint' },
  password: { key: 'field.password.required' },
};

/** Sign in with handle and password. A wrong pair gets one message that does not say which was wrong. */
export function SignInView() {
  const t = useT();
  const [values, setValues] = useState<Record<SignInField, string>>({ handle: '', password: '' });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<SignInField>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: SignInField) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setValues((v) => ({ ...v, [field]: value }));
    if (fieldErrors[field]) setFieldErrors((errs) => ({ ...errs, [field]: undefined }));
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const parsed = SignInBody.safeParse(values);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsFrom(parsed.error.issues, rules));
      setFormError({ kind: 'fields' });
      return;
    }
    setBusy(true);
    const res = await api('signIn', parsed.data);
    setBusy(false);
    if (res.ok) {
      signedIn(res.data);
      navigate('feed', { replace: true });
      return;
    }
    if (res.error.code === 'INVALID_PAYLOAD') setFieldErrors(fieldErrorsFrom(res.error.details, rules));
    setFormError({ kind: 'server', error: res.error });
  };

  const err = (f: SignInField) => tr(t, fieldErrors[f]);

  return (
    <section class="card auth">
      <h1 class="auth__title">{t('signIn.title')}</h1>
      <p class="auth__lead">{t('signIn.lead')}</p>
      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="handle" label={t('field.handle')} error={err('handle')}>
          <div class="input-prefix">
            <span class="input-prefix__mark" aria-hidden="true">
              @
            </span>
            <input
              id="handle"
              name="handle"
              type="text"
              autoComplete="username"
              autoCapitalize="none"
              spellcheck={false}
              value={values.handle}
              onInput={set('handle')}
              {...describedBy('handle', err('handle'), undefined)}
            />
          </div>
        </Field>
        <Field id="password" label={t('field.password')} error={err('password')}>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={values.password}
            onInput={set('password')}
            {...describedBy('password', err('password'), undefined)}
          />
        </Field>
        <FormErrorLine error={formError} />
        <button class="button button--primary button--block" type="submit" disabled={busy} data-testid="signin-submit">
          {busy ? t('signIn.submitting') : t('signIn.submit')}
        </button>
      </form>
      <p class="auth__switch">
        {t('signIn.noAccount')}{' '}
        <a href={href('signUp')} data-testid="goto-signup">
          {t('signIn.gotoSignUp')}
        </a>
      </p>
    </section>
  );
}
