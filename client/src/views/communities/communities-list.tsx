import { CreateCommunityBody, type Community, type ErrorBody } from '@hackmeshi/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { errorMessage, useT } from '../../i18n.js';
import { showNotice } from '../../notices.js';
import { href, navigate } from '../../router.js';
import { on, onConnected } from '../../socket.js';
import { ConfirmButton } from '../../ui/confirm-button.js';
import { describedBy, Field } from '../../ui/field.js';
import { FormErrorLine } from '../../ui/form-error.js';
import { fieldErrorsFrom, tr, type FieldErrors, type FormError, type Msg } from '../../ui/form.js';

type CommunityField = 'name' | 'description' | 'tag';

const rules: Record<CommunityField, Msg> = {
  name: { key: 'communityForm.name.invalid' },
  description: { key: 'communityForm.description.hint' },
  tag: { key: 'communityForm.tag.invalid' },
};

/** Name, description and the one tag whose cards, rooms and meetups the community gathers. */
function CreateCommunityForm({ onCreated, onCancel }: { onCreated: (c: Community) => void; onCancel: () => void }) {
  const t = useT();
  const [values, setValues] = useState({ name: '', description: '', tag: '' });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors<CommunityField>>({});
  const [formError, setFormError] = useState<FormError>(null);
  const [busy, setBusy] = useState(false);
  const err = (f: CommunityField) => tr(t, fieldErrors[f]);
  const hints: Record<CommunityField, string> = {
    name: t('communityForm.name.hint'),
    description: t('communityForm.description.hint'),
    tag: t('communityForm.tag.hint'),
  };
  const set = (f: CommunityField) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setValues((v) => ({ ...v, [f]: value }));
  };
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const parsed = CreateCommunityBody.safeParse({ ...values, tag: values.tag.trim().replace(/^#/, '').toLowerCase() });
    if (!parsed.success) {
      setFieldErrors(fieldErrorsFrom(parsed.error.issues, rules));
      setFormError({ kind: 'fields' });
      return;
    }
    setFieldErrors({});
    setFormError(null);
    setBusy(true);
    const res = await api('createCommunity', parsed.data);
    setBusy(false);
    if (res.ok) return onCreated(res.data);
    if (res.error.code === 'INVALID_PAYLOAD') setFieldErrors(fieldErrorsFrom(res.error.details, rules));
    setFormError({ kind: 'server', error: res.error });
  };
  return (
    <form class="form" data-testid="community-form" onSubmit={onSubmit} noValidate>
      <Field id="community-name" label={t('communityForm.name')} hint={hints.name} error={err('name')}>
        <input id="community-name" name="name" type="text" maxLength={50} value={values.name} onInput={set('name')} {...describedBy('community-name', err('name'), hints.name)} />
      </Field>
      <Field id="community-description" label={t('communityForm.description')} hint={hints.description} error={err('description')}>
        <textarea
          id="community-description"
          name="description"
          rows={2}
          maxLength={500}
          value={values.description}
          onInput={set('description')}
          {...describedBy('community-description', err('description'), hints.description)}
        />
      </Field>
      <Field id="community-tag" label={t('communityForm.tag')} hint={hints.tag} error={err('tag')}>
        <input id="community-tag" name="tag" type="text" autoCapitalize="none" maxLength={33} value={values.tag} onInput={set('tag')} {...describedBy('community-tag', err('tag'), hints.tag)} />
      </Field>
      <FormErrorLine error={formError} />
      <div class="form__actions">
        <button type="button" class="button button--ghost" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button class="button button--primary" type="submit" disabled={busy} data-testid="community-submit">
          {busy ? t('communityForm.submitting') : t('communityForm.submit')}
        </button>
      </div>
    </form>
  );
}

/** Join or leave a community (the owner cannot leave). Answers the new role, or null after leaving. */
export function MembershipButton({ community, onChange }: { community: Community; onChange: (role: Community['myRole']) => void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  if (community.myRole === 'owner') return null;
  if (community.myRole === null) {
    return (
      <button
        type="button"
        class="button button--primary button--small"
        data-testid="join-community"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          const res = await api('joinCommunity', { params: { id: community.id } });
          setBusy(false);
          if (res.ok) onChange(res.data.role);
          else showNotice({ kind: 'error', error: res.error });
        }}
      >
        {t('communities.join')}
      </button>
    );
  }
  return (
    <ConfirmButton
      label={t('communities.leave')}
      question={t('communities.leaveConfirm')}
      testId="leave-community"
      onConfirm={async () => {
        const res = await api('leaveCommunity', { params: { id: community.id } });
        if (res.ok) onChange(null);
        else showNotice({ kind: 'error', error: res.error });
      }}
    />
  );
}

interface ListState {
  status: 'loading' | 'ready' | 'error';
  error: ErrorBody | null;
  items: Community[];
}

/** `#/communities`: search, your own or all, join and leave, and a form to start one. Member counts are live. */
export function CommunitiesView() {
  const t = useT();
  const [state, setState] = useState<ListState>({ status: 'loading', error: null, items: [] });
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const [mine, setMine] = useState(false);
  const [creating, setCreating] = useState(false);
  const token = useRef(0);

  const load = async () => {
    const current = ++token.current;
    const res = await api('listCommunities', { query: { ...(query ? { q: query } : {}), ...(mine ? { mine: 'true' as const } : {}) } });
    if (current !== token.current) return;
    if (res.ok) setState({ status: 'ready', error: null, items: res.data });
    else setState((s) => ({ ...s, status: s.status === 'ready' ? 'ready' : 'error', error: res.error }));
  };

  useEffect(() => {
    void load();
    const off = onConnected(() => void load());
    return () => {
      token.current++;
      off();
    };
  }, [query, mine]);

  useEffect(() => {
    const offCount = on('community:count', ({ communityId, memberCount }) =>
      setState((s) => ({ ...s, items: s.items.map((c) => (c.id === communityId ? { ...c, memberCount } : c)) })),
    );
    const offRemoved = on('community:removed', ({ communityId }) =>
      setState((s) => ({ ...s, items: s.items.map((c) => (c.id === communityId ? { ...c, myRole: null } : c)) })),
    );
    return () => {
      offCount();
      offRemoved();
    };
  }, []);

  const setRole = (id: string, myRole: Community['myRole']) => setState((s) => ({ ...s, items: s.items.map((c) => (c.id === id ? { ...c, myRole } : c)) }));

  return (
    <section class="communities" data-testid="communities">
      <div class="page-head">
        <h1 class="page-title">{t('communities.title')}</h1>
        <button type="button" class="button button--primary button--small" data-testid="create-community" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
          {creating ? t('common.close') : t('communities.create')}
        </button>
      </div>
      <p class="page-lead muted">{t('communities.lead')}</p>
      {creating && (
        <div class="card" role="dialog" aria-label={t('communities.create')}>
          <CreateCommunityForm onCancel={() => setCreating(false)} onCreated={(c) => navigate('community', { params: { id: c.id } })} />
        </div>
      )}
      <form
        class="search"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <label class="visually-hidden" for="community-search">
          {t('communities.search')}
        </label>
        <input id="community-search" type="search" placeholder={t('communities.search.placeholder')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button type="submit" class="button button--secondary button--small">
          {t('communities.search')}
        </button>
      </form>
      <label class="check">
        <input type="checkbox" checked={mine} onChange={(e) => setMine(e.currentTarget.checked)} data-testid="communities-mine" />
        <span>{t('communities.mine')}</span>
      </label>
      {state.status === 'loading' && <p class="loading">{t('session.loading')}</p>}
      {state.status === 'error' && state.error && (
        <div class="card center">
          <p role="alert">{errorMessage(t, state.error)}</p>
          <button type="button" class="button button--secondary" onClick={() => void load()}>
            {t('session.retry')}
          </button>
        </div>
      )}
      {state.status === 'ready' && state.items.length === 0 && <p class="empty">{t('communities.empty')}</p>}
      <ul class="community-list">
        {state.items.map((c) => (
          <li key={c.id} class="community-card" data-testid="community-card" data-community-id={c.id}>
            <div class="community-card__head">
              <a class="community-card__name" href={href('community', { id: c.id })}>
                {c.name}
              </a>
              <span class="chip">#{c.tag}</span>
            </div>
            {c.description && <p class="community-card__description muted">{c.description}</p>}
            <div class="community-card__foot">
              <span class="small" data-testid="community-members">
                👥 {t('communities.members', { n: c.memberCount })}
              </span>
              {c.myRole && c.myRole !== 'member' && <span class="badge badge--ok">{t(`community.role.${c.myRole}`)}</span>}
              <span class="community-card__action">
                <MembershipButton community={c} onChange={(role) => setRole(c.id, role)} />
              </span>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
