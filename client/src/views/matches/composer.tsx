import { MESSAGE_MAX_LENGTH } from '@hackmeshi/shared';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { chat } from '../../chat/index.js';
import { useT } from '../../i18n.js';

/** Tallest the composer grows before it scrolls, in px. */
const MAX_HEIGHT_PX = 140;

/**
 * The message box. Enter sends, Shift+Enter is a new line, and Enter while an IME is composing
 * (Japanese input) only confirms the conversion. Typing is reported (throttled) while keys come.
 */
export function Composer({ conversationId, onSent, disabled }: { conversationId: string; onSent: () => void; disabled?: boolean }) {
  const t = useT();
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const tooLong = text.trim().length > MESSAGE_MAX_LENGTH;
  const canSend = !disabled && text.trim() !== '' && !tooLong;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(MAX_HEIGHT_PX, el.scrollHeight + 2)}px`;
  }, [text]);

  const send = () => {
    if (!canSend) return;
    if (chat.send(conversationId, text)) {
      setText('');
      onSent();
    }
    ref.current?.focus();
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label class="visually-hidden" for="chat-message">
        {t('chat.messageLabel')}
      </label>
      <textarea
        ref={ref}
        id="chat-message"
        name="message"
        rows={1}
        placeholder={t('chat.placeholder')}
        value={text}
        disabled={disabled}
        enterkeyhint="send"
        onInput={(e) => {
          const value = e.currentTarget.value;
          setText(value);
          if (value.trim() === '') chat.typingStop(conversationId);
          else chat.typingInput(conversationId);
        }}
        onBlur={() => chat.typingStop(conversationId)}
        onKeyDown={(e) => {
          // keyCode 229: some browsers report IME composition only this way.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            send();
          }
        }}
        aria-invalid={tooLong ? 'true' : undefined}
      />
      <button type="submit" class="button button--primary composer__send" data-testid="send-message" disabled={!canSend} aria-label={t('chat.send')}>
        <span aria-hidden="true">➤</span>
        <span class="composer__send-text">{t('chat.send')}</span>
      </button>
      {tooLong && (
        <p class="composer__error" role="alert">
          {t('chat.tooLong', { max: MESSAGE_MAX_LENGTH })}
        </p>
      )}
    </form>
  );
}
