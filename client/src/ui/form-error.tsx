import { errorMessage, useT } from '../i18n.js';
import type { FormError } from './form.js';

/** The form-level error line (`data-testid="form-error"`), announced to screen readers. */
export function FormErrorLine({ error }: { error: FormError }) {
  const t = useT();
  if (!error) return null;
  const text = error.kind === 'fields' ? t('form.fixErrors') : errorMessage(t, error.error);
  return (
    <p class="form-error" role="alert" data-testid="form-error">
      {text}
    </p>
  );
}
