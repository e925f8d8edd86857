/**
 * Whether a browser Origin may talk to this server. A request without Origin (a non-browser
 * client) is allowed: the check exists to stop other sites' pages from riding a user's cookie.
 * Same-origin pages (Origin host equals the Host header) are always allowed; others must be in
 * ALLOWED_ORIGINS.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowlist: readonly string[]) {
  if (origin === undefined) return true;
  if (allowlist.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
