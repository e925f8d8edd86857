import type { ComponentChildren } from 'preact';

/** Props of `Field`. */
export interface FieldProps {
  /** The input's `id`; the label and the hint point at it. */
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
  /** The control itself (an input, textarea, select…), which should carry `id`. */
  children: ComponentChildren;
}

/** A labelled form control with its hint and, when invalid, its error. */
export function Field({ id, label, hint, error, children }: FieldProps) {
  return (
    <div class={error ? 'field field--invalid' : 'field'}>
      <label class="field__label" for={id}>
        {label}
      </label>
      {children}
      {error ? (
        <p class="field__error" id={`${id}-error`} data-testid={`field-error-${id}`}>
          {error}
        </p>
      ) : hint ? (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** `aria-describedby` / `aria-invalid` for a control inside a `Field`. */
export function describedBy(id: string, error: string | undefined, hint: string | undefined) {
  return {
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  };
}
