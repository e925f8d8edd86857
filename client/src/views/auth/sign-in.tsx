import { SignInBody } from '@hackmeshi/shared';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { href, navigate } from '../../router.js';
import { signedIn } from '../../session.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import type { Msg } from '../../ui/form.js';
import { useSchemaForm } from '../../ui/use-schema-form.js';

type SignInField = 'handle' | 'password';

const rules: Record<SignInField, Msg> = {
  handle: { key: 'field.handle.hint' },
  password: { key: 'field.password.required' },
};

/** Sign in with handle and password. A wrong pair gets one message that does not say which was wrong. */
export function SignInView() {
  const t = useT();
  const { values, set, onSubmit, busy, formError, err } = useSchemaForm({
    schema: SignInBody,
    rules,
    initial: { handle: '', password: '' },
    submit: (data) => api('signIn', data),
    onDone: (me) => {
      signedIn(me);
      navigate('feed', { replace: true });
    },
  });

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
