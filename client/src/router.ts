import { useEffect, useState } from 'preact/hooks';

/**
 * Who may see a route: `member` needs a session, `guest` is only for signed-out users (signed-in
 * users are sent to the feed), `any` is for both.
 */
export type Access = 'member' | 'guest' | 'any';

/**
 * Every screen, by name, with its hash path. `:name` segments become params. Later features add
 * their entries here (e.g. `user: { path: '/u/:handle', access: 'member' }`).
 */
export const routes = {
  signIn: { path: '/signin', access: 'guest' },
  signUp: { path: '/signup', access: 'guest' },
  feed: { path: '/feed', access: 'member' },
  card: { path: '/cards/:id', access: 'member' },
  profile: { path: '/me', access: 'member' },
  profileEdit: { path: '/me/edit', access: 'member' },
  myCards: { path: '/me/cards', access: 'member' },
  interested: { path: '/me/interested', access: 'member' },
  matches: { path: '/matches', access: 'member' },
  chat: { path: '/matches/:id', access: 'member' },
  moderation: { path: '/moderation', access: 'member' },
  rooms: { path: '/rooms', access: 'member' },
  room: { path: '/rooms/:id', access: 'member' },
  meetups: { path: '/meetups', access: 'member' },
  meetup: { path: '/meetups/:id', access: 'member' },
  communities: { path: '/communities', access: 'member' },
  community: { path: '/communities/:id', access: 'member' },
} as const satisfies Record<string, { path: string; access: Access }>;

/** Names of the routes. */
export type RouteName = keyof typeof routes;

/**
 * The current location, matched against `routes`. `query` holds what follows `?` in the hash
 * (`#/rooms/:id?token=…`), for links that carry extra data such as an invite token.
 */
export type Match =
  | { name: RouteName; params: Record<string, string>; query: Record<string, string> }
  | { name: 'home'; params: Record<string, string>; query: Record<string, string> }
  | { name: 'notFound'; params: Record<string, string>; query: Record<string, string> };

function currentPath(): string {
  const hash = window.location.hash.replace(/^#/, '');
  return hash === '' ? '/' : hash;
}

/** Matches a hash path (`/me/edit`, `/rooms/1?token=x`) to a route. `/` is `home`, which the app redirects by session. */
export function match(location: string): Match {
  const at = location.indexOf('?');
  const path = at === -1 ? location : location.slice(0, at);
  const query = at === -1 ? {} : Object.fromEntries(new URLSearchParams(location.slice(at + 1)));
  if (path === '/' || path === '') return { name: 'home', params: {}, query };
  const parts = path.split('/').filter(Boolean);
  for (const [name, route] of Object.entries(routes) as [RouteName, (typeof routes)[RouteName]][]) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((segment, i) => {
      const part = parts[i] ?? '';
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decodeURIComponent(part);
        return true;
      }
      return segment === part;
    });
    if (ok) return { name, params, query };
  }
  return { name: 'notFound', params: {}, query };
}

/** The `href` of a route, e.g. `href('profileEdit')` → `#/me/edit`; `query` is appended as `?a=b`. */
export function href(name: RouteName, params: Record<string, string> = {}, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return '#' + routes[name].path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(params[key] ?? '')) + (search ? `?${search}` : '');
}

/** Options of `navigate`. */
export interface NavigateOptions {
  /** Swap the history entry (for redirects, so Back does not loop). */
  replace?: boolean;
  params?: Record<string, string>;
  query?: Record<string, string>;
}

/** Goes to a route. */
export function navigate(name: RouteName, { replace = false, params = {}, query = {} }: NavigateOptions = {}): void {
  const target = href(name, params, query);
  if (window.location.hash === target) return;
  if (replace) window.location.replace(target);
  else window.location.hash = target;
}

/** The current route; re-renders on every hash change. */
export function useRoute(): Match {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    window.addEventListener('hashchange', onChange);
    onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return match(path);
}
