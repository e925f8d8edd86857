import type { Participant as RoomParticipant, RoomRole } from '@hackmeshi/shared';
import { useT } from '../../i18n.js';
import { Avatar } from '../../ui/avatar.js';

/** Props of `Participant`. */
export interface ParticipantProps {
  participant: RoomParticipant;
  isMe: boolean;
  /** The speaking ring: the engine's own measure for me, `room:speaking-updated` for others. */
  speaking: boolean;
  /** Whether this user's audio is muted (as the server says). */
  muted: boolean;
  /** The WebRTC link to this person is still being set up. */
  connecting: boolean;
  /** Shows the "⋯" button for host and moderator actions. */
  onActions?: (() => void) | undefined;
  actionsOpen?: boolean;
  size: 'md' | 'lg';
}

const ROLE_KEYS: Record<RoomRole, 'room.role.host' | 'room.role.speaker' | 'room.role.listener'> = {
  host: 'room.role.host',
  speaker: 'room.role.speaker',
  listener: 'room.role.listener',
};

/**
 * One person in the roster: avatar with a speaking ring and a presence dot, muted and hand
 * marks, name and role. Its data attributes carry the same state for tests and styling.
 */
export function Participant({ participant: p, isMe, speaking, muted, connecting, onActions, actionsOpen, size }: ParticipantProps) {
  const t = useT();
  const hand = p.handRaisedAt !== null;
  return (
    <li
      class={`participant participant--${size}`}
      data-testid="participant"
      data-user-id={p.user.id}
      data-role={p.role}
      data-muted={muted ? 'true' : 'false'}
      data-speaking={speaking ? 'true' : 'false'}
      data-hand={hand ? 'true' : 'false'}
      data-me={isMe ? 'true' : undefined}
    >
      <span class="participant__avatar">
        <Avatar name={p.user.displayName} color={p.user.avatarColor} size={size} />
        {speaking && <span class="speaking-ring" data-testid="speaking-ring" aria-hidden="true" />}
        <span
          class={`presence presence--${p.presence.state}`}
          data-testid="presence"
          data-state={p.presence.state}
          role="img"
          aria-label={t(`presence.${p.presence.state}`)}
          title={t(`presence.${p.presence.state}`)}
        />
        {muted && (
          <span class="participant__badge participant__badge--muted" data-testid="muted-icon" role="img" aria-label={t('room.muted')} title={t('room.muted')}>
            🔇
          </span>
        )}
        {hand && (
          <span class="participant__badge participant__badge--hand" role="img" aria-label={t('room.handRaised')} title={t('room.handRaised')}>
            ✋
          </span>
        )}
      </span>
      <span class="participant__name">{p.user.displayName}</span>
      <span class="participant__sub">
        {p.role !== 'listener' && <span class={`participant__role participant__role--${p.role}`}>{t(ROLE_KEYS[p.role])}</span>}
        {isMe && <span class="participant__you">{t('room.you')}</span>}
        {speaking && <span class="visually-hidden">{t('room.speaking')}</span>}
        {connecting && (
          <span class="participant__connecting" data-testid="connecting" title={t('room.connecting')}>
            <span class="visually-hidden">{t('room.connecting')}</span>
            <span aria-hidden="true">…</span>
          </span>
        )}
      </span>
      {onActions && (
        <button
          type="button"
          class="participant__more"
          data-testid="participant-menu"
          aria-expanded={actionsOpen ? 'true' : 'false'}
          aria-label={t('room.actions', { name: p.user.displayName })}
          onClick={onActions}
        >
          ⋯
        </button>
      )}
    </li>
  );
}
