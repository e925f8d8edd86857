import type { Ack, ErrorBody } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import type { z } from 'zod';
import { useT } from '../i18n.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from './form.js';

/**
 * The state of a form validated by a shared schema before it is sent: values, per-field errors
 * (from the schema, or from the server's INVALID_PAYLOAD details), the form-level error line and
 * a busy flag. `submit` gets the parsed data and returns the API's envelope; `fieldsFor` may map
 * other server errors onto a field (HANDLE_TAKEN → handle, say).
 */
export function useSchemaForm<F extends string, S extends z.ZodType, T>(opts: {
  schema: S;
  rules: Record<F, Msg>;
  initial: Record<F, string>;
  submit: (data: z.output<S>) => Promise<Ack<T>>;
  onDone: (data: T) => void;
  fieldsFor?: (error: ErrorBody) => FieldErrors<F> | undefined;
}) {
  const t = useT();
  const [values, setValues] = useState<Record<F, string>>(opts.initial);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<F>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: F) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setValues((v) => ({ ...v, [field]: value }));
    if (fieldErrors[field]) setFieldErrors((errs) => ({ ...errs, [field]: undefined }));
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const parsed = opts.schema.safeParse(values);
    if (!parsed.success) {
      setFieldErrors(fieldErrorsFrom(parsed.error.issues, opts.rules));
      setFormError({ kind: 'fields' });
      return;
    }
    setBusy(true);
    const res = await opts.submit(parsed.data);
    setBusy(false);
    if (res.ok) return opts.onDone(res.data);
    const mapped =
      res.error.code === 'INVALID_PAYLOAD' ? fieldErrorsFrom(res.error.details, opts.rules) : opts.fieldsFor?.(res.error);
    if (mapped) setFieldErrors(mapped);
    setFormError({ kind: 'server', error: res.error });
  };

  return {
    values,
    set,
    onSubmit,
    busy,
    formError,
    /** The localized error of a field, if any. */
    err: (f: F) => tr(t, fieldErrors[f]),
    /** The localized rule of a field, shown as its hint. */
    hint: (f: F) => tr(t, opts.rules[f]),
  };
}
