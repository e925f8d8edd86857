import type { Presence, UserSummary } from '@hackmeshi/shared';
import { useT } from '../i18n.js';
import { Avatar } from './avatar.js';

/** Props of `UserLine`. */
export interface UserLineProps {
  user: UserSummary;
  /** Shown as a dot on the avatar when given. */
  presence?: Presence | undefined;
  size?: 'sm' | 'md';
}

/** A person beside their content: avatar (with an optional presence dot), name and @handle, all as text. */
export function UserLine({ user, presence, size = 'sm' }: UserLineProps) {
  const t = useT();
  return (
    <span class={`user-line user-line--${size}`}>
      <span class="user-line__avatar">
        <Avatar name={user.displayName} color={user.avatarColor} size={size} />
        {presence && (
          <span
            class={`presence presence--${presence.state}`}
            data-testid="presence"
            data-state={presence.state}
            role="img"
            aria-label={t(`presence.${presence.state}`)}
            title={t(`presence.${presence.state}`)}
          />
        )}
      </span>
      <span class="user-line__names">
        <span class="user-line__name">{user.displayName}</span>
        <span class="user-line__handle">@{user.handle}</span>
      </span>
    </span>
  );
}
