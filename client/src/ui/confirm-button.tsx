import { useState } from 'preact/hooks';
import { useT } from '../i18n.js';

/** Props of `ConfirmButton`. */
export interface ConfirmButtonProps {
  /** The button's text before asking. */
  label: string;
  /** The question shown once pressed ("Delete this card?"). */
  question: string;
  /** The confirming button's text (defaults to `label`). */
  confirmLabel?: string;
  onConfirm: () => void | Promise<void>;
  testId?: string;
  danger?: boolean;
  disabled?: boolean;
}

/**
 * A destructive action that asks first, inline (no browser dialog: they look alien on phones
 * and block the page). The confirming button gets `data-testid="<testId>-confirm"`.
 */
export function ConfirmButton({ label, question, confirmLabel, onConfirm, testId, danger = true, disabled }: ConfirmButtonProps) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        class={`button button--small ${danger ? 'button--danger-ghost' : 'button--ghost'}`}
        data-testid={testId}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span class="confirm__question">{question}</span>
      <button
        type="button"
        class={`button button--small ${danger ? 'button--danger' : 'button--primary'}`}
        data-testid={testId ? `${testId}-confirm` : undefined}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel ?? label}
      </button>
      <button type="button" class="button button--small button--ghost" disabled={busy} onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}
