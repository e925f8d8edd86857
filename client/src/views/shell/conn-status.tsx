import { useT } from '../../i18n.js';
import { connection } from '../../socket.js';
import { useStore } from '../../store.js';

/** The live connection indicator: a coloured dot and a word, with `data-state` for tests. */
export function ConnStatus() {
  const t = useT();
  const { state, hasConnected } = useStore(connection);
  const text =
    state === 'connected'
      ? t('conn.connected')
      : state === 'reconnecting'
        ? hasConnected
          ? t('conn.reconnecting')
          : t('conn.connecting')
        : t('conn.offline');
  return (
    <span class={`conn conn--${state}`} data-testid="conn-status" data-state={state} role="status" aria-label={`${t('conn.label')}: ${text}`}>
      <span class="conn__dot" aria-hidden="true" />
      <span class="conn__text">{text}</span>
    </span>
  );
}
