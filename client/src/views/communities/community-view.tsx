import type { Community, CommunityFeed, CommunityMember, ErrorBody, Me } from '@hackmeshi/shared';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href, navigate } from '../../router.js';
import { on, onConnected } from '../../socket.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { UserLine } from '../../ui/user-line.js';
import { GroupChat } from '../matches/group-chat.js';
import { MeetupCard, withCounts } from '../meetups/meetup-card.js';
import { MeetupForm } from '../meetups/meetup-form.js';
import { MembershipButton } from './communities-list.js';

type Load = { status: 'loading' } | { status: 'error'; error: ErrorBody } | { status: 'ready'; community: Community };

/** One member, with the owner's and moderators' controls where they apply. */
function MemberRow({ member, community, meId, onChanged }: { member: CommunityMember; community: Community; meId: string; onChanged: () => void }) {
  const t = useT();
  const mine = community.myRole;
  const self = member.user.id === meId;
  // The owner can remove anyone but themselves; moderators only plain members.
  const canRemove = !self && member.role !== 'owner' && (mine === 'owner' || (mine === 'moderator' && member.role === 'member'));
  const canAppoint = mine === 'owner' && !self && member.role !== 'owner';
  const run = async (request: Promise<{ ok: boolean; error?: ErrorBody }>) => {
    const res = await request;
    if (!res.ok && res.error) showNotice({ kind: 'error', error: res.error });
    onChanged();
  };
  return (
    <li class="people-list__item" data-testid="community-member" data-user-id={member.user.id} data-role={member.role}>
      <UserLine user={member.user} />
      {member.role !== 'member' && <span class={`badge ${member.role === 'owner' ? 'badge--ok' : 'badge--warn'}`}>{t(`community.role.${member.role}`)}</span>}
      {(canAppoint || canRemove) && (
        <span class="people-list__actions">
          {canAppoint && (
            <button
              type="button"
              class="button button--ghost button--small"
              data-testid="toggle-moderator"
              onClick={() =>
                void run(
                  api(
                    'setCommunityRole',
                    { role: member.role === 'moderator' ? 'member' : 'moderator' },
                    { params: { id: community.id, userId: member.user.id } },
                  ),
                )
              }
            >
              {member.role === 'moderator' ? t('community.makeMember') : t('community.makeModerator')}
            </button>
          )}
          {canRemove && (
            <ConfirmButton
              label={t('community.remove')}
              question={t('community.removeConfirm')}
              testId="remove-member"
              onConfirm={() => run(api('removeMember', { params: { id: community.id, userId: member.user.id } }))}
            />
          )}
        </span>
      )}
    </li>
  );
}

/**
 * Cards, open rooms and upcoming meetups carrying the community's tag (and meetups held in it),
 * each linking to its screen. Members can hold a meetup in the community from here.
 */
function TagFeed({ feed, tag, meId, communityId, member }: { feed: CommunityFeed; tag: string; meId: string; communityId: string; member: boolean }) {
  const t = useT();
  const [hosting, setHosting] = useState(false);
  return (
    <section class="card community-feed" data-testid="community-feed">
      <h2 class="section-title">{t('community.feed', { tag })}</h2>
      <h3 class="subsection-title">{t('community.feed.meetups')}</h3>
      {member &&
        (hosting ? (
          <MeetupForm
            communityId={communityId}
            onCancel={() => setHosting(false)}
            onDone={(m) => navigate('meetup', { params: { id: m.id } })}
          />
        ) : (
          <button type="button" class="button button--small" data-testid="community-host-meetup" onClick={() => setHosting(true)}>
            {t('meetups.create')}
          </button>
        ))}
      {feed.meetups.length === 0 ? (
        <p class="muted small">{t('community.feed.empty')}</p>
      ) : (
        <ul class="meetup-list">
          {feed.meetups.map((m) => (
            <MeetupCard key={m.id} meetup={m} meId={meId} />
          ))}
        </ul>
      )}
      <h3 class="subsection-title">{t('community.feed.rooms')}</h3>
      {feed.rooms.length === 0 ? (
        <p class="muted small">{t('community.feed.empty')}</p>
      ) : (
        <ul class="link-list">
          {feed.rooms.map((r) => (
            <li key={r.id}>
              <a href={href('room', { id: r.id })}>🎙 {r.title}</a>{' '}
              <span class="muted small">
                {r.participantCount}/{r.capacity}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h3 class="subsection-title">{t('community.feed.cards')}</h3>
      {feed.cards.length === 0 ? (
        <p class="muted small">{t('community.feed.empty')}</p>
      ) : (
        <ul class="link-list">
          {feed.cards.map((c) => (
            <li key={c.id}>
              <a href={href('card', { id: c.id })}>🗂 {c.title}</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * `#/communities/:id`: the community, its channel (anyone reads it; a non-member watches it live
 * with `chat:watch`, members post), its members with the owner's and moderators' controls, and
 * what carries its tag. The member count follows `community:count`; `community:removed` says so.
 */
export function CommunityView({ me, id }: { me: Me; id: string }) {
  const t = useT();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [members, setMembers] = useState<CommunityMember[]>([]);
  const [feed, setFeed] = useState<CommunityFeed | null>(null);
  const token = useRef(0);

  const refresh = async () => {
    const mine = ++token.current;
    const [c, m, f] = await Promise.all([api('getCommunity', { params: { id } }), api('members', { params: { id } }), api('communityFeed', { params: { id } })]);
    if (mine !== token.current) return;
    if (!c.ok) return setLoad({ status: 'error', error: c.error });
    setLoad({ status: 'ready', community: c.data });
    if (m.ok) setMembers(m.data);
    if (f.ok) setFeed(f.data);
  };

  useEffect(() => {
    void refresh();
    const offConnected = onConnected(() => void refresh());
    const offCount = on('community:count', ({ communityId, memberCount }) => {
      if (communityId !== id) return;
      setLoad((l) => (l.status === 'ready' ? { status: 'ready', community: { ...l.community, memberCount } } : l));
      void api('members', { params: { id } }).then((res) => res.ok && setMembers(res.data));
    });
    const offRemoved = on('community:removed', ({ communityId }) => {
      if (communityId !== id) return;
      setLoad((l) => {
        if (l.status === 'ready') showNotice({ kind: 'info', key: 'community.notice.removed', params: { name: l.community.name } });
        return l.status === 'ready' ? { status: 'ready', community: { ...l.community, myRole: null } } : l;
      });
      void refresh();
    });
    const offCounts = on('meetup:counts', (c) => setFeed((f) => (f ? { ...f, meetups: f.meetups.map((m) => withCounts(m, c)) } : f)));
    return () => {
      token.current++;
      offConnected();
      offCount();
      offRemoved();
      offCounts();
    };
  }, [id]);

  const names = useMemo(() => new Map(members.map((m) => [m.user.id, m.user.displayName])), [members]);

  if (load.status === 'loading') return <p class="loading">{t('session.loading')}</p>;
  if (load.status === 'error') {
    return (
      <section class="card center">
        <p role="alert">{errorMessage(t, load.error)}</p>
        <a href={href('communities')}>{t('community.back')}</a>
      </section>
    );
  }
  const community = load.community;
  const member = community.myRole !== null;
  const moderate = community.myRole === 'owner' || community.myRole === 'moderator';

  return (
    <div class="community-page" data-testid="community-page" data-community-id={community.id}>
      <a class="back-link" href={href('communities')}>
        ← {t('community.back')}
      </a>
      <section class="card community-page__head">
        <div class="page-head">
          <h1 class="page-title" data-testid="community-name">
            {community.name}
          </h1>
          <MembershipButton
            community={community}
            onChange={(myRole) => {
              setLoad({ status: 'ready', community: { ...community, myRole } });
              void refresh();
            }}
          />
        </div>
        <p class="community-page__meta">
          <span class="chip">#{community.tag}</span>{' '}
          <span class="small" data-testid="community-member-count">
            👥 {t('communities.members', { n: community.memberCount })}
          </span>{' '}
          {community.myRole && <span class="badge badge--ok">{t(`community.role.${community.myRole}`)}</span>}
        </p>
        {community.description && <p class="community-page__description">{community.description}</p>}
        <p class="muted small">{t('community.owner', { name: community.owner.displayName })}</p>
      </section>

      <GroupChat
        key={`${community.conversationId}:${member ? 'member' : 'watcher'}`}
        me={me}
        conversationId={community.conversationId}
        title={t('community.channel')}
        names={names}
        readOnlyNote={member ? null : t('community.joinToPost')}
        watch={!member}
        moderate={moderate}
        testId="community-channel"
      />

      <section class="card" data-testid="community-members">
        <h2 class="section-title">
          {t('community.members')} ({community.memberCount})
        </h2>
        <ul class="people-list">
          {members.map((m) => (
            <MemberRow key={m.user.id} member={m} community={community} meId={me.id} onChanged={() => void refresh()} />
          ))}
        </ul>
      </section>

      {feed && <TagFeed feed={feed} tag={community.tag} meId={me.id} communityId={community.id} member={member} />}
    </div>
  );
}
