import type { Ack, Me, Participant as RoomParticipant, RoomState } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { chat } from '../../chat/index.js';
import { errorMessage, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href } from '../../router.js';
import { rooms, voice } from '../../rooms/index.js';
import type { VoiceSnapshot } from '../../rooms/voice-engine.js';
import { useStore } from '../../store.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { Composer } from '../matches/composer.js';
import { MessageList } from '../matches/message-list.js';

/** Runs a room request and shows its error, if any, in the notice bar. */
export async function act(request: Promise<Ack<null>>): Promise<boolean> {
  const res = await request;
  if (!res.ok) showNotice({ kind: 'error', error: res.error });
  return res.ok;
}

/** The host's and moderators' actions on one participant. */
export function ParticipantActions({ participant: p, onDone }: { participant: RoomParticipant; onDone: () => void }) {
  const t = useT();
  const run = async (action: 'invite_to_speak' | 'move_to_listener' | 'mute' | 'remove') => {
    if (await act(rooms.moderate(p.user.id, action))) onDone();
  };
  return (
    <div class="participant-actions" data-testid="participant-actions" data-user-id={p.user.id} role="group" aria-label={t('room.actions', { name: p.user.displayName })}>
      <span class="participant-actions__who">{p.user.displayName}</span>
      {p.role === 'listener' && (
        <button type="button" class="button button--secondary button--small" data-testid="invite-to-speak" onClick={() => void run('invite_to_speak')}>
          {t('room.inviteToSpeak')}
        </button>
      )}
      {p.role === 'speaker' && (
        <button type="button" class="button button--ghost button--small" data-testid="move-to-listener" onClick={() => void run('move_to_listener')}>
          {t('room.moveToListener')}
        </button>
      )}
      {p.role !== 'listener' && !p.muted && (
        <button type="button" class="button button--ghost button--small" data-testid="mute-participant" onClick={() => void run('mute')}>
          {t('room.muteThem')}
        </button>
      )}
      {p.role !== 'host' && <ConfirmButton label={t('room.remove')} question={t('room.removeConfirm')} testId="remove-participant" onConfirm={() => run('remove')} />}
      <button type="button" class="button button--ghost button--small" onClick={onDone}>
        {t('common.close')}
      </button>
    </div>
  );
}

/** The invite link of an invite-only room, with a copy button. */
export function InviteLink({ roomId, token }: { roomId: string; token: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const link = `${window.location.origin}${window.location.pathname}${href('room', { id: roomId }, { token })}`;
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      // No clipboard permission (or an old browser): select the text so the user can copy it.
      const input = document.getElementById('room-invite-link');
      if (input instanceof HTMLInputElement) input.select();
    }
  };
  return (
    <div class="invite-link">
      <label class="field__label" for="room-invite-link">
        {t('room.invite')}
      </label>
      <div class="invite-link__row">
        <input id="room-invite-link" type="text" readOnly value={link} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="button button--secondary button--small" data-testid="copy-invite" onClick={() => void copy()}>
          {copied ? t('room.copied') : t('room.copy')}
        </button>
      </div>
      <p class="field__hint">{t('room.invite.hint')}</p>
    </div>
  );
}

/** The bottom bar: mute or hand, step down, microphone, leave. */
export function RoomControls({ me, state, voiceState, onLeave }: { me: RoomParticipant; state: RoomState; voiceState: VoiceSnapshot; onLeave: () => void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [devicesOpen, setDevicesOpen] = useState(false);
  const stage = me.role !== 'listener';
  const canPick = stage && voiceState.mic === 'on' && voiceState.devices.length > 0;
  const raised = me.handRaisedAt !== null;
  const muted = voiceState.muted;
  const wrap = async (request: () => Promise<Ack<null>>) => {
    setBusy(true);
    await act(request());
    setBusy(false);
  };
  return (
    <div class="room-controls" role="toolbar" aria-label={state.room.title}>
      {voiceState.audioBlocked && (
        <button type="button" class="button button--secondary room-controls__wide" data-testid="enable-audio" onClick={() => voice.resumeAudio()}>
          🔈 {t('room.enableAudio')}
        </button>
      )}
      {stage && voiceState.mic === 'denied' && <p class="room-controls__note" role="alert">{t('room.micDenied')}</p>}
      {stage && voiceState.mic === 'unavailable' && <p class="room-controls__note" role="alert">{t('room.micUnavailable')}</p>}
      {stage && voiceState.mic === 'starting' && <p class="room-controls__note muted">{t('room.micStarting')}</p>}
      <div class="room-controls__row">
        {stage ? (
          <button
            type="button"
            class={`control${muted ? ' control--off' : ''}`}
            data-testid="mute-toggle"
            aria-pressed={muted ? 'true' : 'false'}
            disabled={busy || voiceState.mic === 'denied' || voiceState.mic === 'unavailable'}
            onClick={() => void wrap(() => rooms.setMuted(!muted))}
          >
            <span class="control__icon" aria-hidden="true">
              {muted ? '🔇' : '🎙️'}
            </span>
            <span class="control__label">{t('room.mute')}</span>
          </button>
        ) : (
          <button
            type="button"
            class={`control${raised ? ' control--on' : ''}`}
            data-testid="hand-toggle"
            aria-pressed={raised ? 'true' : 'false'}
            disabled={busy}
            onClick={() => void wrap(() => rooms.setHand(!raised))}
          >
            <span class="control__icon" aria-hidden="true">
              ✋
            </span>
            <span class="control__label">{raised ? t('room.lowerHand') : t('room.raiseHand')}</span>
          </button>
        )}
        {me.role === 'speaker' && (
          <button type="button" class="control" data-testid="step-down" disabled={busy} onClick={() => void wrap(() => rooms.stepDown())}>
            <span class="control__icon" aria-hidden="true">
              ⬇️
            </span>
            <span class="control__label">{t('room.stepDown')}</span>
          </button>
        )}
        {canPick && (
          <button
            type="button"
            class="control control--narrow"
            data-testid="device-toggle"
            aria-expanded={devicesOpen ? 'true' : 'false'}
            aria-controls="room-device"
            onClick={() => setDevicesOpen((o) => !o)}
          >
            <span class="control__icon" aria-hidden="true">
              ⚙️
            </span>
            <span class="control__label">{t('room.device')}</span>
          </button>
        )}
        <button type="button" class="control control--leave" data-testid="leave-room" onClick={onLeave}>
          <span class="control__icon" aria-hidden="true">
            👋
          </span>
          <span class="control__label">{t('room.leave')}</span>
        </button>
      </div>
      {canPick && devicesOpen && (
        <label class="device-picker">
          <span class="device-picker__label">{t('room.device')}</span>
          <select
            id="room-device"
            data-testid="device-picker"
            value={voiceState.deviceId ?? ''}
            onChange={(e) => void voice.selectDevice(e.currentTarget.value === '' ? null : e.currentTarget.value)}
          >
            <option value="">{t('room.device.default')}</option>
            {voiceState.devices
              .filter((d) => d.deviceId !== 'default')
              .map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label || t('room.device.unnamed', { n: i + 1 })}
                </option>
              ))}
          </select>
        </label>
      )}
    </div>
  );
}

/** The room's side chat: the shared chat mechanism on the room's conversation, with sender names. */
export function RoomChat({ me, conversationId, names }: { me: Me; conversationId: string; names: ReadonlyMap<string, string> }) {
  const t = useT();
  const snapshot = useStore(chat.conversation(conversationId));
  const [follow, setFollow] = useState(0);
  useEffect(() => {
    chat.setActive(conversationId);
    return () => chat.setActive(null);
  }, [conversationId]);
  return (
    <section class="room-chat" data-testid="room-chat" aria-label={t('room.chat')}>
      <h2 class="room-chat__title">{t('room.chat')}</h2>
      {snapshot.status === 'loading' && <p class="loading chat__loading">{t('session.loading')}</p>}
      {snapshot.status === 'error' && snapshot.error && (
        <div class="center room-chat__error">
          <p role="alert">{errorMessage(t, snapshot.error)}</p>
          <button type="button" class="button button--secondary button--small" onClick={() => chat.reload(conversationId)}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {snapshot.status === 'ready' && (
        <MessageList snapshot={snapshot} meId={me.id} followToken={follow} nameOf={(id) => names.get(id) ?? null} />
      )}
      <Composer conversationId={conversationId} disabled={snapshot.status === 'gone'} onSent={() => setFollow((n) => n + 1)} />
    </section>
  );
}

/** Host and moderator tools for the whole room. */
export function HostTools({ state }: { state: RoomState }) {
  const t = useT();
  return (
    <div class="host-tools">
      {state.hands.length > 0 && (
        <button type="button" class="button button--ghost button--small" data-testid="lower-hands" onClick={() => void act(rooms.lowerHands())}>
          {t('room.lowerHands')}
        </button>
      )}
      <ConfirmButton label={t('room.end')} question={t('room.endConfirm')} testId="end-room" onConfirm={() => act(rooms.end()).then(() => undefined)} />
    </div>
  );
}
