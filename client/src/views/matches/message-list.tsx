import type { Message } from '@hackmeshi/shared';
import type { ComponentChildren } from 'preact';
import { MESSAGE_MAX_LENGTH } from '@hackmeshi/shared';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { chat, deliveryState, type ConversationSnapshot, type OutgoingMessage } from '../../chat/index.js';
import { errorMessage, useLang, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { formatTime } from '../../ui/time.js';

/** How close to the bottom (px) still counts as "at the bottom" for following new messages. */
const BOTTOM_SLACK_PX = 80;
/** Scrolling this close to the top (px) loads older messages. */
const TOP_LOAD_PX = 120;

function StateMark({ state }: { state: 'sending' | 'sent' | 'read' | 'failed' }) {
  const t = useT();
  const icon = state === 'sending' ? '◷' : state === 'sent' ? '✓' : state === 'read' ? '✓✓' : '!';
  return (
    <span class={`msg__state msg__state--${state}`} data-testid="message-state">
      <span aria-hidden="true">{icon}</span> {t(`chat.state.${state}`)}
    </span>
  );
}

/** Props of `MessageItem`. */
interface MessageItemProps {
  message: Message;
  own: boolean;
  snapshot: ConversationSnapshot;
  /** Ends its group: shows the time and the delivery tick. */
  last: boolean;
  /** The sender's name, shown above the first message of a group in chats of more than two. */
  sender?: string | undefined;
  /** The viewer moderates this chat: others' messages can be deleted too. */
  moderate?: boolean | undefined;
}

/** One confirmed message. Own messages can be edited or deleted; a deleted one stays as a tombstone. */
function MessageItem({ message, own, snapshot, last, sender, moderate }: MessageItemProps) {
  const t = useT();
  const lang = useLang();
  const [menu, setMenu] = useState(false);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.body);
  const [busy, setBusy] = useState(false);
  const deleted = message.deletedAt !== null;
  const state = own ? deliveryState(snapshot, message) : undefined;

  const saveEdit = async (e: Event) => {
    e.preventDefault();
    const body = draft.trim();
    if (body === '' || body.length > MESSAGE_MAX_LENGTH) return;
    if (body === message.body) {
      setEditing(false);
      return;
    }
    setBusy(true);
    const res = await chat.edit(message.conversationId, message.id, body);
    setBusy(false);
    if (res.ok) {
      setEditing(false);
      setMenu(false);
    } else showNotice({ kind: 'error', error: res.error });
  };

  const remove = async () => {
    const res = await chat.remove(message.conversationId, message.id);
    if (res.ok) setMenu(false);
    else showNotice({ kind: 'error', error: res.error });
  };

  return (
    <li
      class={`msg${own ? ' msg--own' : ''}${deleted ? ' msg--deleted' : ''}${last ? '' : ' msg--cont'}`}
      data-testid="message"
      data-seq={message.seq}
      data-message-id={message.id}
      data-state={state}
    >
      {sender !== undefined && (
        <span class="msg__sender" data-testid="message-sender">
          {sender}
        </span>
      )}
      {editing ? (
        <form class="msg__edit" onSubmit={saveEdit}>
          <textarea
            name="edit"
            aria-label={t('chat.editLabel')}
            value={draft}
            maxLength={MESSAGE_MAX_LENGTH}
            rows={2}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setEditing(false);
            }}
          />
          <div class="msg__edit-actions">
            <button type="button" class="button button--ghost button--small" onClick={() => setEditing(false)}>
              {t('common.cancel')}
            </button>
            <button type="submit" class="button button--primary button--small" data-testid="save-edit" disabled={busy || draft.trim() === ''}>
              {t('chat.saveEdit')}
            </button>
          </div>
        </form>
      ) : (
        <div class="msg__row">
          <div class="msg__bubble">
            {deleted ? (
              <span class="msg__tombstone" data-testid="message-deleted">
                {t('chat.deleted')}
              </span>
            ) : (
              <span class="msg__body" data-testid="message-body">
                {message.body}
              </span>
            )}
          </div>
          {(own || moderate) && !deleted && (
            <button
              type="button"
              class="msg__more"
              aria-label={t('chat.messageActions')}
              aria-expanded={menu ? 'true' : 'false'}
              data-testid="message-actions"
              onClick={() => setMenu((m) => !m)}
            >
              ⋯
            </button>
          )}
        </div>
      )}
      {(last || (message.editedAt && !deleted)) && (
        <div class="msg__meta">
          {last && <time dateTime={message.createdAt}>{formatTime(message.createdAt, lang)}</time>}
          {message.editedAt && !deleted && (
            <span class="msg__edited" data-testid="message-edited">
              {t('chat.edited')}
            </span>
          )}
          {last && state && !deleted && <StateMark state={state} />}
        </div>
      )}
      {menu && !editing && !deleted && (
        <div class="msg__actions">
          {own && (
            <button
              type="button"
              class="button button--ghost button--small"
              data-testid="edit-message"
              onClick={() => {
                setDraft(message.body);
                setEditing(true);
              }}
            >
              {t('chat.edit')}
            </button>
          )}
          <ConfirmButton label={t('chat.delete')} question={t('chat.deleteConfirm')} testId="delete-message" onConfirm={remove} />
        </div>
      )}
    </li>
  );
}

/** An own message the server has not confirmed yet: "sending", or failed with retry / discard. */
function PendingItem({ message }: { message: OutgoingMessage }) {
  const t = useT();
  const lang = useLang();
  const failed = message.state === 'failed';
  return (
    <li class={`msg msg--own msg--pending${failed ? ' msg--failed' : ''}`} data-testid="message" data-state={message.state} data-nonce={message.nonce}>
      <div class="msg__row">
        <div class="msg__bubble">
          <span class="msg__body" data-testid="message-body">
            {message.body}
          </span>
        </div>
      </div>
      <div class="msg__meta">
        <time dateTime={message.queuedAt}>{formatTime(message.queuedAt, lang)}</time>
        <StateMark state={message.state} />
      </div>
      {failed && (
        <div class="msg__actions msg__actions--failed" role="alert">
          <span class="msg__error">{message.error ? errorMessage(t, message.error) : t('chat.state.failed')}</span>
          <button type="button" class="button button--secondary button--small" data-testid="retry-message" onClick={() => chat.retry(message.nonce)}>
            {t('chat.retry')}
          </button>
          <button type="button" class="button button--ghost button--small" data-testid="discard-message" onClick={() => chat.discard(message.nonce)}>
            {t('chat.discard')}
          </button>
        </div>
      )}
    </li>
  );
}

/** Messages this close together (ms) from one sender form a group that shows its time once. */
const GROUP_GAP_MS = 5 * 60_000;

/** Whether the i-th confirmed message ends its group (so it carries the time and the tick). */
function lastInGroup(snapshot: ConversationSnapshot, meId: string, i: number): boolean {
  const m = snapshot.messages[i];
  if (!m) return true;
  const next = snapshot.messages[i + 1];
  if (!next) return !(m.senderId === meId && snapshot.pending.length > 0);
  if (next.senderId !== m.senderId || next.deletedAt || m.deletedAt) return true;
  return Date.parse(next.createdAt) - Date.parse(m.createdAt) > GROUP_GAP_MS;
}

/** Props of `MessageList`. */
export interface MessageListProps {
  snapshot: ConversationSnapshot;
  meId: string;
  /** Bumped by the composer after sending: jump to the bottom even if scrolled up. */
  followToken: number;
  /** Rendered after the messages (the typing indicator), inside the scroll area. */
  footer?: ComponentChildren;
  /**
   * Names senders, for chats of more than two (room chat): others' groups then start with the
   * sender's name. Null for someone unknown ("Someone").
   */
  nameOf?: (userId: string) => string | null;
  /** The viewer moderates this chat (community owner or moderator): others' messages get a delete action. */
  moderate?: boolean;
}

/**
 * The scrolling message list. It opens at the newest message, follows new ones while the user
 * is at the bottom (not while they read further up), and loads older pages on scrolling up
 * without moving what the user is looking at.
 */
export function MessageList({ snapshot, meId, followToken, footer, nameOf, moderate = false }: MessageListProps) {
  const t = useT();
  const listRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const opened = useRef(false);
  /** scrollHeight before an older page was requested; set while one is loading. */
  const olderAnchor = useRef<number | null>(null);
  const firstSeq = useRef<number | undefined>(undefined);
  const lastSeen = useRef(snapshot.lastSeq);
  const lastFollow = useRef(followToken);
  /** New messages arrived below while the user was reading further up. */
  const [newBelow, setNewBelow] = useState(false);

  const toBottom = () => {
    const el = listRef.current;
    if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
    setNewBelow(false);
  };

  const requestOlder = () => {
    const el = listRef.current;
    if (!el || !snapshot.hasOlder || snapshot.loadingOlder || olderAnchor.current !== null) return;
    olderAnchor.current = el.scrollHeight - el.scrollTop;
    void chat.loadOlder(snapshot.conversationId).finally(() => {
      // Nothing came (error): allow another try.
      if (olderAnchor.current !== null && snapshot.messages[0]?.seq === firstSeq.current) olderAnchor.current = null;
    });
  };

  const onScroll = () => {
    const el = listRef.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    if (atBottom.current && newBelow) setNewBelow(false);
    if (el.scrollTop < TOP_LOAD_PX) requestOlder();
  };

  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el || snapshot.status !== 'ready') return;
    const first = snapshot.messages[0]?.seq;
    if (olderAnchor.current !== null && first !== firstSeq.current) {
      // Older messages were put above: keep the same message under the user's eyes.
      el.scrollTop = el.scrollHeight - olderAnchor.current;
      olderAnchor.current = null;
    } else if (!opened.current || atBottom.current || lastFollow.current !== followToken) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    } else if (snapshot.lastSeq > lastSeen.current) {
      setNewBelow(true);
    }
    lastSeen.current = snapshot.lastSeq;
    opened.current = true;
    lastFollow.current = followToken;
    firstSeq.current = first;
  });

  const empty = snapshot.status === 'ready' && snapshot.messages.length === 0 && snapshot.pending.length === 0;
  return (
    <div class="chat__scroll" ref={listRef} onScroll={onScroll} data-testid="message-list">
      {snapshot.hasOlder && (
        <button type="button" class="chat__older button button--ghost button--small" data-testid="load-older" disabled={snapshot.loadingOlder} onClick={requestOlder}>
          {snapshot.loadingOlder ? t('session.loading') : t('chat.loadOlder')}
        </button>
      )}
      {empty && <p class="chat__empty muted">{t('chat.empty')}</p>}
      <ol class="chat__messages" aria-live="polite" aria-relevant="additions">
        {snapshot.messages.map((m, i) => {
          const startsGroup = i === 0 || lastInGroup(snapshot, meId, i - 1);
          const sender = nameOf && m.senderId !== meId && startsGroup ? (nameOf(m.senderId) ?? t('chat.someone')) : undefined;
          return <MessageItem key={m.seq} message={m} own={m.senderId === meId} snapshot={snapshot} last={lastInGroup(snapshot, meId, i)} sender={sender} moderate={moderate} />;
        })}
        {snapshot.pending.map((m) => (
          <PendingItem key={m.nonce} message={m} />
        ))}
      </ol>
      {footer}
      {newBelow && (
        <button type="button" class="chat__new-below" data-testid="new-below" onClick={toBottom}>
          ↓ {t('chat.newBelow')}
        </button>
      )}
    </div>
  );
}
