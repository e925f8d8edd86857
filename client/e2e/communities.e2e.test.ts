/**
 * Interest communities: Ada creates one through the UI. Ken, not a member, reads its channel live
 * (chat:watch) but is told to join to post; he joins, and Ada's page counts him without a reload;
 * his message reaches Ada. Two browser contexts against the real server.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test/harness.js';
import {
  DESKTOP,
  launchBrowser,
  localInput,
  openPage,
  PHONE,
  screenshot,
  signUpThroughUi,
  tid,
  WAIT_MS,
  waitForHash,
  waitForText,
  waitVisible,
  type TestPage,
  hasChromium,
} from './browser.js';


async function signUp(tab: TestPage, url: string, handle: string, name: string): Promise<void> {
  const page = tab.page;
  await signUpThroughUi(page, url, handle, name);
}

describe.runIf(hasChromium)('communities: create, read the channel before joining, join, post', () => {
  let srv: TestServer;
  let browser: Browser;
  let ada: TestPage;
  let ken: TestPage;

  beforeAll(async () => {
    srv = await startTestServer();
    browser = await launchBrowser();
    ada = await openPage(browser, { viewport: DESKTOP, locale: 'en-US' });
    ken = await openPage(browser, { viewport: PHONE, locale: 'ja-JP' });
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('lets a non-member watch the channel live, then join and post', async () => {
    await signUp(ada, srv.url, 'ada_comm', 'Ada Lovelace');
    await signUp(ken, srv.url, 'ken_comm', '田中 健');

    await ada.page.click(tid('nav-communities'));
    await ada.page.click(tid('create-community'));
    await ada.page.fill('input[name="name"]', 'Rustaceans Tokyo');
    await ada.page.fill('textarea[name="description"]', 'Rust in and around Tokyo.');
    await ada.page.fill('input[name="tag"]', 'rust');
    await ada.page.click(tid('community-submit'));
    await ada.page.waitForFunction(() => /^#\/communities\/[0-9a-f-]{36}$/.test(window.location.hash), null, { timeout: WAIT_MS });
    const hash = await ada.page.evaluate(() => window.location.hash);
    await waitVisible(ada.page, `${tid('community-member')}[data-role="owner"]`);

    await ken.page.click(tid('nav-communities'));
    await waitVisible(ken.page, tid('community-card'));
    await ken.page.click(`${tid('community-card')} a`);
    await waitForHash(ken.page, hash);
    await waitVisible(ken.page, tid('chat-read-only'));
    expect(await ken.page.locator(`${tid('community-channel')} textarea`).isDisabled()).toBe(true);
    // Give the watch a moment to register, then Ada posts: Ken reads it live.
    await ken.page.waitForTimeout(300);
    await ada.page.fill(`${tid('community-channel')} textarea`, 'Welcome, everyone!');
    await ada.page.click(`${tid('community-channel')} ${tid('send-message')}`);
    await waitForText(ken.page, `${tid('community-channel')} ${tid('message-body')}`, 'Welcome, everyone!');

    await ken.page.click(tid('join-community'));
    await waitForText(ada.page, tid('community-member-count'), '👥 2 members');
    await ken.page.locator(tid('chat-read-only')).waitFor({ state: 'detached', timeout: WAIT_MS });
    await ken.page.fill(`${tid('community-channel')} textarea`, 'よろしくお願いします');
    await ken.page.click(`${tid('community-channel')} ${tid('send-message')}`);
    await ada.page.waitForFunction(
      () => Array.from(document.querySelectorAll('[data-testid="message-body"]')).some((el) => el.textContent === 'よろしくお願いします'),
      null,
      { timeout: WAIT_MS },
    );
    // A member holds a meetup in the community: it opens, and the community's feed lists it.
    await ada.page.click(tid('community-host-meetup'));
    await waitVisible(ada.page, tid('meetup-form'));
    await ada.page.fill('input[name="title"]', 'Rust もくもく会');
    await ada.page.fill('input[name="startsAt"]', await localInput(ada.page, 2, 19));
    await ada.page.fill('input[name="endsAt"]', await localInput(ada.page, 2, 21));
    await ada.page.fill('input[name="venue"]', 'Shibuya');
    await ada.page.fill('input[name="capacity"]', '8');
    await ada.page.click(tid('meetup-submit'));
    await ada.page.waitForFunction(() => /^#\/meetups\/[0-9a-f-]{36}/.test(location.hash), null, { timeout: WAIT_MS });
    await ada.page.goBack();
    await ada.page.waitForFunction(
      () => document.querySelector('[data-testid="community-feed"] [data-testid="meetup-card"]')?.textContent?.includes('Rust もくもく会'),
      null,
      { timeout: WAIT_MS },
    );
    await screenshot(ada.page, 'communities-01-owner-desktop');
    await screenshot(ken.page, 'communities-02-member-phone');
    expect(ada.pageErrors).toEqual([]);
    expect(ken.pageErrors).toEqual([]);
  });
});
