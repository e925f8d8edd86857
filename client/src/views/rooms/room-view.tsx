import type { Me, Participant as RoomParticipant, RoomState } from '@hackmeshi/shared';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href, navigate } from '../../router.js';
import { rooms, voice } from '../../rooms/index.js';
import type { RoomSnapshot } from '../../rooms/room-session.js';
import type { VoiceSnapshot } from '../../rooms/voice-engine.js';
import { onStage } from '../../rooms/voice-plan.js';
import { useStore } from '../../store.js';
import { canModerate } from '../moderation/reports.js';
import { Participant } from './participant.js';
import { act, HostTools, InviteLink, ParticipantActions, RoomChat, RoomControls } from './room-parts.js';

/** Whether this user may use the host tools: the room's host, or a site moderator or admin. */
const mayModerate = (me: Me, mine: RoomParticipant) => mine.role === 'host' || canModerate(me);

/** The joined room: header, stage, hands, audience, side chat and controls. */
function RoomScreen({ me, room, state, voiceState }: { me: Me; room: RoomSnapshot; state: RoomState; voiceState: VoiceSnapshot }) {
  const t = useT();
  const [actionsFor, setActionsFor] = useState<string | null>(null);
  const mine = state.participants.find((p) => p.user.id === me.id);
  if (!mine) return null;
  const moderator = mayModerate(me, mine);
  const stage = state.participants.filter((p) => onStage(p.role));
  const audience = state.participants.filter((p) => !onStage(p.role));
  const byId = new Map(state.participants.map((p) => [p.user.id, p]));
  const target = actionsFor === null ? undefined : byId.get(actionsFor);

  const speakingOf = (p: RoomParticipant) => {
    if (!onStage(p.role)) return false;
    if (p.user.id === me.id) return voiceState.speaking && !voiceState.muted;
    return room.speaking.has(p.user.id) && !p.muted;
  };
  const linkState = (p: RoomParticipant) => voiceState.links[p.user.id];
  const render = (p: RoomParticipant, size: 'md' | 'lg') => {
    const link = linkState(p);
    return (
      <Participant
        key={p.user.id}
        participant={p}
        isMe={p.user.id === me.id}
        speaking={speakingOf(p)}
        muted={p.muted}
        connecting={link !== undefined && link !== 'connected'}
        size={size}
        actionsOpen={actionsFor === p.user.id}
        onActions={moderator && p.user.id !== me.id ? () => setActionsFor((id) => (id === p.user.id ? null : p.user.id)) : undefined}
      />
    );
  };

  return (
    <section class="room" data-testid="room" data-room-id={state.room.id} data-my-role={mine.role}>
      <header class="room__head">
        <a class="room__back" href={href('rooms')} aria-label={t('room.back')}>
          ←
        </a>
        <div class="room__heading">
          <h1 class="room__title" data-testid="room-heading">
            {state.room.title}
          </h1>
          <p class="room__meta muted">
            {state.room.tag && <span class="chip">#{state.room.tag}</span>}
            <span data-testid="room-count" aria-label={t('rooms.countLabel', { n: state.room.participantCount, cap: state.room.capacity })}>
              👥 {state.room.participantCount}/{state.room.capacity}
            </span>
            {state.room.visibility === 'invite' && <span class="badge badge--warn">{t('rooms.inviteOnly')}</span>}
          </p>
        </div>
        {moderator && <HostTools state={state} />}
      </header>

      {state.inviteToken && <InviteLink roomId={state.room.id} token={state.inviteToken} />}

      <div class="room__body">
        <div class="room__main">
          <section class="room__section" aria-labelledby="room-stage">
            <h2 class="room__section-title" id="room-stage">
              {t('room.stage')} <span class="muted">{stage.length}/{state.speakerCap}</span>
            </h2>
            <ul class="roster roster--stage" data-testid="stage">
              {stage.map((p) => render(p, 'lg'))}
            </ul>
          </section>

          {target && moderator && <ParticipantActions key={target.user.id} participant={target} onDone={() => setActionsFor(null)} />}

          {state.hands.length > 0 && (
            <section class="room__section" aria-labelledby="room-hands">
              <h2 class="room__section-title" id="room-hands">
                ✋ {t('room.hands')}
              </h2>
              <ol class="hand-queue" data-testid="hand-queue">
                {state.hands.map((id) => {
                  const p = byId.get(id);
                  if (!p) return null;
                  return (
                    <li key={id} class="hand-queue__item" data-testid="hand" data-user-id={id}>
                      <span class="hand-queue__name">{p.user.displayName}</span>
                      {moderator && p.role === 'listener' && (
                        <button
                          type="button"
                          class="button button--secondary button--small"
                          data-testid="hand-invite"
                          onClick={() => void act(rooms.moderate(id, 'invite_to_speak'))}
                        >
                          {t('room.inviteToSpeak')}
                        </button>
                      )}
                    </li>
                  );
                })}
              </ol>
            </section>
          )}

          <section class="room__section" aria-labelledby="room-audience">
            <h2 class="room__section-title" id="room-audience">
              {t('room.audience')} <span class="muted">{audience.length}</span>
            </h2>
            {audience.length === 0 ? (
              <p class="muted small">{t('room.audienceEmpty')}</p>
            ) : (
              <ul class="roster roster--audience" data-testid="audience">
                {audience.map((p) => render(p, 'md'))}
              </ul>
            )}
          </section>
        </div>

        <RoomChat me={me} conversationId={state.conversationId} names={room.names} />

        <RoomControls
          me={mine}
          state={state}
          voiceState={voiceState}
          onLeave={() => {
            rooms.leave();
            navigate('rooms');
          }}
        />
      </div>
    </section>
  );
}

/**
 * `#/rooms/:id` (`?token=` for invite-only rooms): takes a seat on mount and gives it back on
 * unmount. A refused join shows why; a room that closes, or a removal, returns to the lobby with
 * a notice.
 */
export function RoomView({ me, roomId, token }: { me: Me; roomId: string; token?: string | undefined }) {
  const t = useT();
  const room = useStore(rooms.store);
  const voiceState = useStore(voice.snapshot);

  useEffect(() => {
    void rooms.join(roomId, me.id, token);
    return () => rooms.leaveIf(roomId);
  }, [roomId, me.id, token]);

  const exit = room.roomId === roomId && room.status === 'ended' ? room.exit : null;
  useEffect(() => {
    if (!exit) return;
    showNotice({ kind: 'info', key: `room.notice.${exit}` });
    navigate('rooms', { replace: true });
  }, [exit]);

  if (room.roomId !== roomId || room.status === 'idle' || room.status === 'joining' || room.status === 'ended') {
    return (
      <p class="loading" aria-busy="true">
        {t('room.joining')}
      </p>
    );
  }
  if (room.status === 'failed' && room.error) {
    const code = room.error.code;
    const text = code === 'FORBIDDEN' || code === 'NOT_FOUND' ? t(`room.error.${code}`) : errorMessage(t, room.error);
    return (
      <section class="card center" data-testid="room-error" data-code={code}>
        <p role="alert">{text}</p>
        <a class="button button--secondary" href={href('rooms')}>
          {t('room.back')}
        </a>
      </section>
    );
  }
  if (!room.state) return null;
  return <RoomScreen me={me} room={room} state={room.state} voiceState={voiceState} />;
}
