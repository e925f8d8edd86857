import { ReportReason, type Match } from '@hackmeshi/shared';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { useT } from '../../i18n.js';
import { endMatch } from '../../matches/match-store.js';
import { showNotice } from '../../notices.js';
import { ConfirmButton } from '../../ui/confirm-button.js';

type Reason = (typeof ReportReason.options)[number];

/** Report a user: a reason, and optional context. */
function ReportForm({ match, onDone }: { match: Match; onDone: () => void }) {
  const t = useT();
  const [reason, setReason] = useState<Reason>('spam');
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const text = message.trim();
    const res = await api('createReport', { userId: match.other.id, reason, ...(text ? { message: text } : {}) });
    setBusy(false);
    if (!res.ok) {
      showNotice({ kind: 'error', error: res.error });
      return;
    }
    showNotice({ kind: 'info', key: 'report.sent' });
    onDone();
  };
  return (
    <form class="form report-form" data-testid="report-form" onSubmit={submit}>
      <h2 class="section-title">{t('report.title', { name: match.other.displayName })}</h2>
      <div class="field">
        <label class="field__label" for="report-reason">
          {t('report.reason')}
        </label>
        <select id="report-reason" name="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value as Reason)}>
          {ReportReason.options.map((r) => (
            <option key={r} value={r}>
              {t(`report.reason.${r}`)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label class="field__label" for="report-message">
          {t('report.message')}
        </label>
        <textarea id="report-message" name="reportMessage" rows={3} maxLength={1000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
        <p class="field__hint">{t('report.message.hint')}</p>
      </div>
      <div class="form__actions">
        <button type="button" class="button button--ghost" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" class="button button--danger" data-testid="report-submit" disabled={busy}>
          {t('report.submit')}
        </button>
      </div>
    </form>
  );
}

/** The chat's menu: unmatch, block and report, each asking first. */
export function ChatMenu({ match, onClose }: { match: Match; onClose: () => void }) {
  const t = useT();
  const [reporting, setReporting] = useState(false);

  const unmatch = async () => {
    const res = await endMatch(match, 'unmatched', () => api('unmatch', { params: { id: match.id } }));
    if (!res.ok && res.error.code !== 'NOT_FOUND') showNotice({ kind: 'error', error: res.error });
  };
  const block = async () => {
    const res = await endMatch(match, 'blocked', () => api('blockUser', { params: { id: match.other.id } }));
    if (!res.ok) showNotice({ kind: 'error', error: res.error });
  };

  if (reporting) {
    return (
      <div class="chat__menu card" data-testid="chat-menu-panel">
        <ReportForm
          match={match}
          onDone={() => {
            setReporting(false);
            onClose();
          }}
        />
      </div>
    );
  }
  return (
    <div class="chat__menu card" data-testid="chat-menu-panel">
      <div class="menu-row">
        <div>
          <p class="menu-row__title">{t('chat.unmatch')}</p>
          <p class="muted small">{t('chat.unmatch.hint')}</p>
        </div>
        <ConfirmButton label={t('chat.unmatch')} question={t('chat.unmatch.confirm')} testId="unmatch" onConfirm={unmatch} />
      </div>
      <div class="menu-row">
        <div>
          <p class="menu-row__title">{t('chat.block', { name: match.other.displayName })}</p>
          <p class="muted small">{t('chat.block.hint')}</p>
        </div>
        <ConfirmButton label={t('chat.blockShort')} question={t('chat.block.confirm')} testId="block" onConfirm={block} />
      </div>
      <div class="menu-row">
        <div>
          <p class="menu-row__title">{t('chat.report')}</p>
          <p class="muted small">{t('chat.report.hint')}</p>
        </div>
        <button type="button" class="button button--small button--danger-ghost" data-testid="report" onClick={() => setReporting(true)}>
          {t('chat.report')}
        </button>
      </div>
    </div>
  );
}
