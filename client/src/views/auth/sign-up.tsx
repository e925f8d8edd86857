import { PASSWORD_MIN_LENGTH, SignUpBody } from '@hackmeshi/shared';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { href, navigate } from '../../router.js';
import { signedIn } from '../../session.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import type { Msg } from '../../ui/form.js';
import { useSchemaForm } from '../../ui/use-schema-form.js';

type SignUpField = 'handle' | 'displayName' | 'password';

/** The rule shown when a field is invalid (client-side or per the server's INVALID_PAYLOAD). */
const rules: Record<SignUpField, Msg> = {
  handle: { key: 'field.handle.hint' },
  displayName: { key: 'field.displayName.hint' },
  password: { key: 'field.password.hint', params: { min: PASSWORD_MIN_LENGTH } },
};

/** Create an account. The same schema as the server's validates the form before it is sent. */
export function SignUpView() {
  const t = useT();
  const { values, set, onSubmit, busy, formError, err, hint } = useSchemaForm({
    schema: SignUpBody,
    rules,
    initial: { handle: '', displayName: '', password: '' },
    submit: (data) => api('signUp', data),
    onDone: (me) => {
      signedIn(me);
      navigate('feed', { replace: true });
    },
    fieldsFor: (error) => (error.code === 'HANDLE_TAKEN' ? { handle: { key: 'error.HANDLE_TAKEN' } } : undefined),
  });

  return (
    <section class="card auth">
      <h1 class="auth__title">{t('signUp.title')}</h1>
      <p class="auth__lead">{t('signUp.lead')}</p>
      <form class="form" onSubmit={onSubmit} noValidate>
        <Field id="handle" label={t('field.handle')} hint={hint('handle')} error={err('handle')}>
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
              maxLength={20}
              value={values.handle}
              onInput={set('handle')}
              {...describedBy('handle', err('handle'), hint('handle'))}
            />
          </div>
        </Field>
        <Field id="displayName" label={t('field.displayName')} hint={hint('displayName')} error={err('displayName')}>
          <input
            id="displayName"
            name="displayName"
            type="text"
            autoComplete="nickname"
            maxLength={40}
            value={values.displayName}
            onInput={set('displayName')}
            {...describedBy('displayName', err('displayName'), hint('displayName'))}
          />
        </Field>
        <Field id="password" label={t('field.password')} hint={hint('password')} error={err('password')}>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="new-password"
            value={values.password}
            onInput={set('password')}
            {...describedBy('password', err('password'), hint('password'))}
          />
        </Field>
        <FormErrorLine error={formError} />
        <button class="button button--primary button--block" type="submit" disabled={busy} data-testid="signup-submit">
          {busy ? t('signUp.submitting') : t('signUp.submit')}
        </button>
      </form>
      <p class="auth__switch">
        {t('signUp.haveAccount')}{' '}
        <a href={href('signIn')} data-testid="goto-signin">
          {t('signUp.gotoSignIn')}
        </a>
      </p>
    </section>
  );
}
