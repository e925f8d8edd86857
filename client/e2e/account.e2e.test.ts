/**
 * The Foundation slice, as a user lives it: sign up (landing on the feed), see the profile and the live connection,
 * survive a reload, edit the profile (and see it arrive live in a second tab), lose and regain
 * the network, switch to Japanese, sign out, and sign back in. Runs headless Chromium against
 * the built client served by the real server (PGlite in a temporary directory).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test/harness.js';
import {
  DESKTOP,
  PHONE,
  launchBrowser,
  openPage,
  screenshot,
  tid,
  trackErrors,
  waitForConnection,
  waitForHash,
  waitForText,
  waitVisible,
  type TestPage,
  hasChromium,
} from './browser.js';

const HANDLE = 'ada_e2e';
const DISPLAY_NAME = 'Ada Lovelace';
const PASSWORD = 'analytical-engine-1843';
/** Markup in a bio must come out as literal text. */
const BIO = 'Rust とラーメンが好き <b>not bold</b>';

/** GET /api/me from inside the page, with its cookie: what the server has stored. */
function fetchMe(page: Page) {
  return page.evaluate(async () => {
    const res = await fetch('/api/me', { credentials: 'same-origin' });
    return { status: res.status, body: (await res.json()) as { ok: boolean; data?: { bio: string; displayName: string; tags: string[]; avatarColor: string } } };
  });
}

describe.runIf(hasChromium)('account: sign up, profile, live connection, language, sign out', () => {
  let srv: TestServer;
  let browser: Browser;
  let tab: TestPage;
  let page: Page;

  beforeAll(async () => {
    srv = await startTestServer();
    browser = await launchBrowser();
    tab = await openPage(browser, { viewport: PHONE, locale: 'en-US' });
    page = tab.page;
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('starts on sign-in, refuses a bad form, then signs up and shows the profile', async () => {
    await page.goto(srv.url);
    await waitForHash(page, '#/signin');
    await waitVisible(page, tid('signin-submit'));

    await page.click(tid('goto-signup'));
    await waitForHash(page, '#/signup');
    await page.fill('input[name="handle"]', HANDLE);
    await page.fill('input[name="displayName"]', DISPLAY_NAME);
    await page.fill('input[name="password"]', 'short');
    await page.click(tid('signup-submit'));
    await waitVisible(page, tid('form-error'));
    await waitForText(page, tid('field-error-password'), 'At least 10 characters');
    await screenshot(page, 'account-01-signup-invalid-phone');

    await page.fill('input[name="password"]', PASSWORD);
    await page.click(tid('signup-submit'));
    // Home after signing in is the feed; the profile is one tap away in the header.
    await waitForHash(page, '#/feed');
    await page.click(tid('nav-profile'));
    await waitForHash(page, '#/me');
    await waitForText(page, tid('profile-handle'), `@${HANDLE}`);
    await waitForText(page, tid('profile-display-name'), DISPLAY_NAME);
  });

  it('shows the live connection indicator reaching "connected"', async () => {
    await waitForConnection(page, 'connected');
    await waitForText(page, tid('conn-status'), 'Connected');
    await screenshot(page, 'account-02-profile-phone');
  });

  it('is still signed in and connected after a reload', async () => {
    await page.reload();
    await waitForText(page, tid('profile-handle'), `@${HANDLE}`);
    await waitForConnection(page, 'connected');
  });

  it('edits the bio and tags, shows them as text, and the server has them', async () => {
    await page.click(tid('profile-edit'));
    await waitForHash(page, '#/me/edit');
    await page.fill('textarea[name="bio"]', BIO);
    await page.fill('input[name="tags"]', 'rust, TypeScript、ラーメン');
    await waitVisible(page, tid('tag-chips'));
    await page.check('input[name="avatarColor"][value="#3f88c5"]');
    await screenshot(page, 'account-03-edit-phone');
    await page.click(tid('profile-save'));

    await waitForHash(page, '#/me');
    await waitForText(page, tid('profile-bio'), BIO);
    expect(await page.locator(`${tid('profile-bio')} b`).count()).toBe(0);
    expect(await page.locator(`${tid('profile-tags')} li`).allTextContents()).toEqual(['#rust', '#typescript', '#ラーメン']);

    const stored = await fetchMe(page);
    expect(stored.status).toBe(200);
    expect(stored.body.data?.bio).toBe(BIO);
    expect(stored.body.data?.tags).toEqual(['rust', 'typescript', 'ラーメン']);
    expect(stored.body.data?.avatarColor).toBe('#3f88c5');
    const avatarBg = await page.locator(`${tid('profile')} .avatar`).evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(avatarBg).toBe('rgb(63, 136, 197)');
  });

  it('updates another open tab live when the profile changes', async () => {
    // Same context = same cookie jar: a second tab (own socket) of the same user.
    const other = await tab.context.newPage();
    const otherErrors = trackErrors(other);
    try {
      await other.goto(`${srv.url}/#/me`);
      await waitForConnection(other, 'connected');
      await waitForText(other, tid('profile-display-name'), DISPLAY_NAME);

      await page.click(tid('profile-edit'));
      await page.fill('input[name="displayName"]', 'Ada King');
      await page.click(tid('profile-save'));
      await waitForText(page, tid('profile-display-name'), 'Ada King');

      // No reload in the other tab: the change arrives over `profile:updated`.
      await waitForText(other, tid('profile-display-name'), 'Ada King');
      expect(otherErrors).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('shows "offline" while the network is gone and reconnects when it returns', async () => {
    await tab.context.setOffline(true);
    await waitForConnection(page, 'offline');
    await waitForText(page, tid('conn-status'), 'Offline');
    await tab.context.setOffline(false);
    await waitForConnection(page, 'connected');
  });

  it('switches to Japanese, and keeps it after a reload', async () => {
    await page.selectOption(tid('lang-switch'), 'ja');
    await waitForText(page, tid('profile-edit'), 'プロフィールを編集');
    await waitForText(page, tid('conn-status'), 'オンライン');
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await screenshot(page, 'account-04-profile-ja-phone');

    await page.reload();
    await waitForConnection(page, 'connected');
    await waitForText(page, tid('signout'), 'ログアウト');
    expect(await page.inputValue(tid('lang-switch'))).toBe('ja');

    // The narrowest phone the layout promises to serve, then a laptop.
    await page.setViewportSize({ width: 375, height: 667 });
    await screenshot(page, 'account-05-profile-ja-375');
    await page.setViewportSize(DESKTOP);
    await screenshot(page, 'account-05-profile-ja-desktop');
    await page.setViewportSize(PHONE);
  });

  it('signs out, lands on sign-in, and another tab of the session follows', async () => {
    const other = await tab.context.newPage();
    try {
      await other.goto(`${srv.url}/#/me`);
      await waitForConnection(other, 'connected');

      await page.click(tid('signout'));
      await waitForHash(page, '#/signin');
      await waitVisible(page, tid('signin-submit'));
      expect(await page.locator(tid('conn-status')).count()).toBe(0);
      expect((await fetchMe(page)).status).toBe(401);
      await screenshot(page, 'account-06-signed-out-phone');

      // The other tab hears `session:ended` on its socket and leaves too, saying why.
      await waitForHash(other, '#/signin');
      await waitForText(other, tid('notice-text'), 'ログアウトしました。');
    } finally {
      await other.close();
    }
  });

  it('refuses a wrong password, then signs back in', async () => {
    await page.fill('input[name="handle"]', HANDLE);
    await page.fill('input[name="password"]', 'not-the-password');
    await page.click(tid('signin-submit'));
    await waitForText(page, tid('form-error'), 'ユーザー名またはパスワードが違います。');

    await page.fill('input[name="password"]', PASSWORD);
    await page.click(tid('signin-submit'));
    await waitForHash(page, '#/feed');
    await page.click(tid('nav-profile'));
    await waitForHash(page, '#/me');
    await waitForText(page, tid('profile-display-name'), 'Ada King');
    await waitForConnection(page, 'connected');
  });

  it('asks for a reload when the server speaks another protocol version', async () => {
    const stale = await openPage(browser, { viewport: PHONE, locale: 'ja-JP' });
    try {
      // Play an old build: rewrite the protocol version in the Socket.IO CONNECT packet
      // (`40{"protocolVersion":1}`) on its way to the real server.
      await stale.page.routeWebSocket(/\/socket\.io\//, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((message) => {
          server.send(typeof message === 'string' ? message.replace(/^40\{"protocolVersion":\d+/, '40{"protocolVersion":0') : message);
        });
      });
      await stale.page.goto(srv.url);
      await stale.page.evaluate(async (body) => {
        await fetch('/api/auth/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      }, { handle: 'old_tab', displayName: '古いタブ', password: PASSWORD });
      await stale.page.reload();
      await waitVisible(stale.page, tid('banner-protocol'));
      await waitForConnection(stale.page, 'offline');
      await screenshot(stale.page, 'account-07-protocol-mismatch-phone');
      expect(stale.pageErrors).toEqual([]);
    } finally {
      await stale.context.close();
    }
  });

  it('shows "reconnecting" when the server shuts down under it', async () => {
    // Closing drains: the server sends `server:draining`, then drops every socket. With no
    // server to come back to, the client keeps trying and says so.
    await srv.close();
    await waitForConnection(page, 'reconnecting');
    await waitForText(page, tid('conn-status'), '再接続中…');
  });

  it('threw no uncaught errors in the page', () => {
    expect(tab.pageErrors).toEqual([]);
  });
});
