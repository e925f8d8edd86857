import type { ErrorBody, RoomSummary } from '@hackmeshi/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { href, navigate } from '../../router.js';
import { on, onConnected } from '../../socket.js';
import { Avatar } from '../../ui/avatar.js';
import { CreateRoomForm } from './create-room-form.js';

interface LobbyState {
  status: 'loading' | 'ready' | 'error';
  error: ErrorBody | null;
  /** Newest first, as the server lists them. */
  rooms: RoomSummary[];
}

const newestFirst = (a: RoomSummary, b: RoomSummary) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);

/** One room in the lobby: title, tag, host, head count, the first faces, and the way in. */
function RoomCard({ room }: { room: RoomSummary }) {
  const t = useT();
  return (
    <li class="room-card" data-testid="room-card" data-room-id={room.id} data-full={room.full ? 'true' : 'false'}>
      <div class="room-card__head">
        <h2 class="room-card__title" data-testid="room-title">
          {room.title}
        </h2>
        {room.tag && <span class="chip">#{room.tag}</span>}
      </div>
      <p class="room-card__host muted" data-testid="room-host">
        {room.host ? t('rooms.host', { name: room.host.displayName }) : t('rooms.noHost')}
      </p>
      <div class="room-card__foot">
        <span class="avatar-stack" aria-hidden="true">
          {room.preview.map((u) => (
            <Avatar key={u.id} name={u.displayName} color={u.avatarColor} size="sm" />
          ))}
        </span>
        <span class="room-card__count" data-testid="room-count" aria-label={t('rooms.countLabel', { n: room.participantCount, cap: room.capacity })}>
          <span aria-hidden="true">👥 </span>
          {room.participantCount}/{room.capacity}
        </span>
        {room.full && (
          <span class="badge badge--warn" data-testid="room-full">
            {t('rooms.full')}
          </span>
        )}
        {room.full ? (
          <button type="button" class="button button--primary button--small room-card__join" data-testid="join-room" disabled>
            {t('rooms.join')}
          </button>
        ) : (
          <a
            class="button button--primary button--small room-card__join"
            href={href('room', { id: room.id })}
            data-testid="join-room"
            aria-label={t('rooms.joinRoom', { title: room.title })}
          >
            {t('rooms.join')}
          </a>
        )}
      </div>
    </li>
  );
}

/**
 * `#/rooms`: the live lobby. Listed rooms come from `listRooms`, then `lobby:updated` adds or
 * updates one and `room:closed` takes one away; after a reconnect the list is fetched again,
 * since events missed meanwhile are not replayed.
 */
export function LobbyView() {
  const t = useT();
  const [state, setState] = useState<LobbyState>({ status: 'loading', error: null, rooms: [] });
  const [creating, setCreating] = useState(false);
  const token = useRef(0);

  const load = async () => {
    const mine = ++token.current;
    const res = await api('listRooms');
    if (mine !== token.current) return;
    if (res.ok) setState({ status: 'ready', error: null, rooms: [...res.data].sort(newestFirst) });
    else setState((s) => (s.status === 'ready' ? s : { ...s, status: 'error', error: res.error }));
  };

  useEffect(() => {
    void load();
    const offUpdated = on('lobby:updated', (room) => {
      // Only listed rooms are pushed; an update for a room we have replaces it in place.
      if (room.visibility !== 'open') return;
      setState((s) => {
        const others = s.rooms.filter((r) => r.id !== room.id);
        return { ...s, rooms: [...others, room].sort(newestFirst) };
      });
    });
    const offClosed = on('room:closed', ({ roomId }) => setState((s) => ({ ...s, rooms: s.rooms.filter((r) => r.id !== roomId) })));
    const offConnected = onConnected(() => void load());
    return () => {
      token.current++;
      offUpdated();
      offClosed();
      offConnected();
    };
  }, []);

  return (
    <section class="lobby" data-testid="lobby">
      <div class="page-head">
        <h1 class="page-title">{t('rooms.title')}</h1>
        <button type="button" class="button button--primary button--small" data-testid="create-room" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
          {creating ? t('common.close') : t('rooms.create')}
        </button>
      </div>
      <p class="page-lead muted">{t('rooms.lead')}</p>

      {creating && (
        <div class="card" role="dialog" aria-labelledby="create-room-heading">
          <h2 class="section-title" id="create-room-heading">
            {t('createRoom.heading')}
          </h2>
          <CreateRoomForm
            onCancel={() => setCreating(false)}
            onCreated={(room) => {
              setCreating(false);
              navigate('room', { params: { id: room.id }, query: room.visibility === 'invite' ? { token: room.inviteToken } : {} });
            }}
          />
        </div>
      )}

      {state.status === 'loading' && <p class="loading">{t('session.loading')}</p>}
      {state.status === 'error' && state.error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, state.error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void load()}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {state.status === 'ready' && state.rooms.length === 0 && <p class="empty">{t('rooms.empty')}</p>}
      <ul class="room-list" aria-live="polite">
        {state.rooms.map((room) => (
          <RoomCard key={room.id} room={room} />
        ))}
      </ul>
    </section>
  );
}
