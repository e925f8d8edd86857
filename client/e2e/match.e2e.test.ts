/**
 * Topic cards, 気になる, a mutual match and its live chat, as two people live it: each signs up
 * and posts a card, finds the other's card (one of them through the live "new cards" banner)
 * and presses interested; both get the match toast; they chat live with read ticks and a typing
 * indicator; one of them loses the network, writes a message anyway, and it arrives exactly
 * once when the network returns. Headless Chromium, two browser contexts, against the built
 * client served by the real server (PGlite in a temporary directory).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test/harness.js';
import {
  DESKTOP,
  launchBrowser,
  openPage,
  PHONE,
  screenshot,
  signUpThroughUi,
  tid,
  WAIT_MS,
  waitForConnection,
  waitForHash,
  waitForText,
  waitVisible,
  type TestPage,
  hasChromium,
} from './browser.js';


interface Person {
  handle: string;
  name: string;
  card: { title: string; body: string; tags: string };
  tab: TestPage;
  page: Page;
}

/** The `[data-testid="message"]` items whose text contains `text`. */
const messagesWith = (page: Page, text: string) => page.locator(tid('message'), { hasText: text });

/** Signs up through the form and lands on the feed, connected. */
async function signUp(p: Person, url: string): Promise<void> {
  await signUpThroughUi(p.page, url, p.handle, p.name);
  await waitVisible(p.page, tid('feed'));
}

/** Fills and submits the card form that is on screen. */
async function postCard(p: Person): Promise<void> {
  const form = p.page.locator(tid('card-form')).first();
  await form.locator('input[name="title"]').fill(p.card.title);
  await form.locator('textarea[name="body"]').fill(p.card.body);
  await form.locator('input[name="tags"]').fill(p.card.tags);
  await form.locator(tid('card-submit')).click();
}

/** The card with this title in the current list. */
const cardTitled = (page: Page, title: string) => page.locator(tid('card'), { hasText: title });

/** Waits until the attribute of the first match of `selector` equals `value`. */
async function waitForAttr(page: Page, selector: string, name: string, value: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, attr, expected]) => document.querySelector(sel)?.getAttribute(attr) === expected,
      [selector, name, value] as const,
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const actual = await page.locator(selector).first().getAttribute(name, { timeout: 1000 }).catch(() => null);
    throw new Error(`expected ${selector} [${name}] to be ${JSON.stringify(value)}, got ${JSON.stringify(actual)}`, { cause: err });
  }
}

/** The `data-state` of my message with this text (there must be exactly one). */
async function waitForMessageState(page: Page, text: string, states: string[]): Promise<string> {
  const handle = await page.waitForFunction(
    ([t, wanted]) => {
      const items = Array.from(document.querySelectorAll('[data-testid="message"]')).filter((el) => el.textContent?.includes(t));
      const state = items.length === 1 ? items[0]!.getAttribute('data-state') : null;
      return state !== null && wanted.includes(state) ? state : null;
    },
    [text, states] as const,
    { timeout: WAIT_MS },
  );
  return (await handle.jsonValue()) as string;
}

describe.runIf(hasChromium)('matches: cards, 気になる, mutual match, live chat', () => {
  let srv: TestServer;
  let browser: Browser;
  let ada: Person;
  let ken: Person;

  beforeAll(async () => {
    srv = await startTestServer();
    browser = await launchBrowser();
    // Two people: a phone in English, and a laptop in Japanese.
    const adaTab = await openPage(browser, { viewport: PHONE, locale: 'en-US' });
    const kenTab = await openPage(browser, { viewport: DESKTOP, locale: 'ja-JP' });
    ada = {
      handle: 'ada_match',
      name: 'Ada Lovelace',
      card: { title: 'Rust の非同期ランタイム比べ', body: 'tokio と smol の違いをゆるく話したい <b>not bold</b>', tags: 'rust, async' },
      tab: adaTab,
      page: adaTab.page,
    };
    ken = {
      handle: 'ken_match',
      name: '田中 健',
      card: { title: 'WebRTC で遊ぶ夜', body: 'SFU を自作してみた話、ラーメン付き', tags: 'webrtc ラーメン' },
      tab: kenTab,
      page: kenTab.page,
    };
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('signs both up and each posts a card through the UI', async () => {
    await signUp(ada, srv.url);
    await ada.page.click(tid('open-card-form'));
    await postCard(ada);
    await waitVisible(ada.page, `${tid('card')}:has-text("${ada.card.title}")`);
    // Markup in a card is text, and your own card has no interested button.
    const own = cardTitled(ada.page, ada.card.title);
    expect(await own.locator('b').count()).toBe(0);
    expect(await own.locator(tid('interest-toggle')).count()).toBe(0);

    await signUp(ken, srv.url);
    // Ada's card was posted before Ken opened the feed: it is simply there.
    await waitVisible(ken.page, `${tid('card')}:has-text("${ada.card.title}")`);

    // Ken posts from "my cards" while Ada watches her feed: the card waits behind the banner.
    await ken.page.click(tid('nav-myCards'));
    await waitForHash(ken.page, '#/me/cards');
    await postCard(ken);
    await waitVisible(ken.page, `.my-card ${tid('card')}:has-text("${ken.card.title}")`);

    await waitForText(ada.page, tid('new-cards-banner'), '1 new card');
    expect(await cardTitled(ada.page, ken.card.title).count()).toBe(0);
    await screenshot(ada.page, 'match-01-new-cards-banner-phone');
    await ada.page.click(tid('new-cards-banner'));
    await waitVisible(ada.page, `${tid('card')}:has-text("${ken.card.title}")`);
    expect(await ada.page.locator(tid('new-cards-banner')).count()).toBe(0);
  });

  it('shows interest live to the owner, and makes a match that both are told about', async () => {
    // Ken watches "interested in you" while Ada presses 気になる on his card.
    await ken.page.click(tid('nav-interested'));
    await waitForHash(ken.page, '#/me/interested');
    await waitVisible(ken.page, '.interested');

    const kensCard = cardTitled(ada.page, ken.card.title);
    const toggle = kensCard.locator(tid('interest-toggle'));
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    await waitForAttr(ada.page, `${tid('card')}[data-card-id="${await kensCard.getAttribute('data-card-id')}"] ${tid('interest-toggle')}`, 'aria-pressed', 'true');

    await waitVisible(ken.page, `${tid('incoming-interest')}:has-text("${ada.name}")`);
    const row = ken.page.locator(tid('incoming-interest'), { hasText: ada.name });
    expect(await row.textContent()).toContain(ken.card.title);
    await waitVisible(ken.page, `${tid('incoming-interest')} ${tid('accept-interest')}`);
    await screenshot(ken.page, 'match-02-interested-in-you-desktop');

    // Ken presses 気になる back on Ada's card in the feed: mutual interest, one match.
    await ken.page.click(tid('nav-feed'));
    await waitForHash(ken.page, '#/feed');
    const adasCard = cardTitled(ken.page, ada.card.title);
    await adasCard.locator(tid('interest-toggle')).click();

    await waitVisible(ada.page, tid('match-toast'));
    await waitVisible(ken.page, tid('match-toast'));
    expect(await ada.page.locator(tid('match-toast')).textContent()).toContain(ken.name);
    expect(await ken.page.locator(tid('match-toast')).textContent()).toContain(ada.name);
    await waitVisible(ada.page, tid('nav-new-matches'));
    await screenshot(ada.page, 'match-03-toast-phone');
    await screenshot(ken.page, 'match-03-toast-desktop');
    expect(await ada.page.locator(tid('match-toast')).getAttribute('data-match-id')).toBe(
      await ken.page.locator(tid('match-toast')).getAttribute('data-match-id'),
    );
  });

  it('opens the chat from the toast on both sides and exchanges messages live, with read ticks', async () => {
    const matchId = await ada.page.locator(tid('match-toast')).getAttribute('data-match-id');
    await ada.page.click(tid('match-toast-open'));
    await ken.page.click(tid('match-toast-open'));
    await waitForHash(ada.page, `#/matches/${matchId}`);
    await waitForHash(ken.page, `#/matches/${matchId}`);
    await waitVisible(ada.page, tid('chat'));
    await waitVisible(ken.page, tid('chat'));
    expect(await ada.page.locator(tid('match-toast')).count()).toBe(0);

    await ada.page.fill('textarea[name="message"]', 'Hello Ken! <i>tokio</i> 派です');
    await ada.page.click(tid('send-message'));
    await waitVisible(ken.page, `${tid('message')}:has-text("Hello Ken!")`);
    expect(await messagesWith(ken.page, 'Hello Ken!').locator('i').count()).toBe(0);
    // Ken has the chat open, so he has read it; Ada's tick says so.
    expect(await waitForMessageState(ada.page, 'Hello Ken!', ['read'])).toBe('read');

    // Enter sends; Shift+Enter is a new line.
    await ken.page.click('textarea[name="message"]');
    await ken.page.keyboard.type('こんにちは、Ada さん');
    await ken.page.keyboard.press('Shift+Enter');
    await ken.page.keyboard.type('smol も好きです');
    await ken.page.keyboard.press('Enter');
    await waitVisible(ada.page, `${tid('message')}:has-text("smol も好きです")`);
    expect(await messagesWith(ada.page, 'smol も好きです').locator(tid('message-body')).innerText()).toBe('こんにちは、Ada さん\nsmol も好きです');
    expect(await waitForMessageState(ken.page, 'smol も好きです', ['read'])).toBe('read');
    expect(await ken.page.inputValue('textarea[name="message"]')).toBe('');
    // The other person's messages carry no delivery state.
    expect(await messagesWith(ada.page, 'smol も好きです').getAttribute('data-state')).toBeNull();
    await screenshot(ada.page, 'match-04-chat-phone');
    await screenshot(ken.page, 'match-04-chat-desktop');
  });

  it('shows the typing indicator to the other person, and takes it away again', async () => {
    await ada.page.click('textarea[name="message"]');
    await ada.page.keyboard.type('I am typing', { delay: 30 });
    await waitVisible(ken.page, tid('typing-indicator'));
    expect(await ken.page.locator(tid('typing-indicator')).textContent()).toContain(ada.name);
    await screenshot(ken.page, 'match-05-typing-desktop');
    await ada.page.fill('textarea[name="message"]', '');
    await ken.page.locator(tid('typing-indicator')).waitFor({ state: 'detached', timeout: WAIT_MS });
  });

  it('keeps a message written offline as "sending", and delivers it exactly once when back online', async () => {
    const text = 'Written on the train, no signal 🚃';
    await ada.tab.context.setOffline(true);
    await waitForConnection(ada.page, 'offline');
    await ada.page.fill('textarea[name="message"]', text);
    await ada.page.click(tid('send-message'));
    await waitVisible(ada.page, `${tid('message')}[data-state="sending"]:has-text("${text}")`);
    await screenshot(ada.page, 'match-06-offline-sending-phone');
    expect(await messagesWith(ken.page, text).count()).toBe(0);

    await ada.tab.context.setOffline(false);
    await waitForConnection(ada.page, 'connected');
    await waitVisible(ken.page, `${tid('message')}:has-text("${text}")`);
    expect(await waitForMessageState(ada.page, text, ['sent', 'read'])).toMatch(/^(sent|read)$/);
    expect(await waitForMessageState(ada.page, text, ['read'])).toBe('read');

    // Any duplicate (a retry stored twice, a pending copy left behind) would show by now.
    await ada.page.waitForTimeout(1500);
    expect(await messagesWith(ada.page, text).count()).toBe(1);
    expect(await messagesWith(ken.page, text).count()).toBe(1);
    // Seqs have no holes and no repeats on either side.
    for (const p of [ada, ken]) {
      const seqs = await p.page.locator(`${tid('message')}[data-seq]`).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    await screenshot(ada.page, 'match-07-back-online-phone');
  });

  it('counts unread messages in the match list and the nav, and clears them when the chat opens', async () => {
    await ada.page.click(tid('nav-matches'));
    await waitForHash(ada.page, '#/matches');
    await waitVisible(ada.page, tid('match-item'));
    expect(await ada.page.locator(tid('match-item')).count()).toBe(1);

    await ken.page.fill('textarea[name="message"]', 'Ramen after this?');
    await ken.page.click(tid('send-message'));
    await waitForText(ada.page, `${tid('match-item')} ${tid('unread-badge')}`, '1');
    await waitForText(ada.page, tid('nav-unread'), '1');
    await waitForText(ada.page, `${tid('match-item')} ${tid('last-message')}`, 'Ramen after this?');
    await screenshot(ada.page, 'match-08-matches-unread-phone');

    await ada.page.click(`${tid('match-item')} ${tid('open-chat')}`);
    await waitVisible(ada.page, `${tid('message')}:has-text("Ramen after this?")`);
    await ada.page.locator(tid('nav-unread')).waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await waitForMessageState(ken.page, 'Ramen after this?', ['read'])).toBe('read');
  });

  it('edits and deletes a message, and the other side sees "edited" and the tombstone live', async () => {
    const hello = messagesWith(ada.page, 'Hello Ken!');
    await hello.locator(tid('message-actions')).click();
    await hello.locator(tid('edit-message')).click();
    await ada.page.fill('textarea[name="edit"]', 'Hello Ken! (typo fixed)');
    await ada.page.click(tid('save-edit'));
    await waitVisible(ken.page, `${tid('message')}:has-text("(typo fixed)") ${tid('message-edited')}`);

    const train = messagesWith(ada.page, 'Written on the train');
    const seq = await train.getAttribute('data-seq');
    await train.locator(tid('message-actions')).click();
    await train.locator(tid('delete-message')).click();
    await train.locator(tid('delete-message-confirm')).click();
    await waitVisible(ken.page, `${tid('message')}[data-seq="${seq}"] ${tid('message-deleted')}`);
    await waitVisible(ada.page, `${tid('message')}[data-seq="${seq}"] ${tid('message-deleted')}`);
    expect(await messagesWith(ken.page, 'Written on the train').count()).toBe(0);
    await screenshot(ken.page, 'match-09-edited-deleted-desktop');
  });

  it('unmatches: both leave the chat, and the match is gone on both sides', async () => {
    await ken.page.click(tid('chat-menu'));
    await ken.page.click(tid('unmatch'));
    await ken.page.click(tid('unmatch-confirm'));
    await waitForHash(ken.page, '#/matches');
    await waitForText(ken.page, tid('notice-text'), `${ada.name}さんとのマッチを解除しました。`);
    // Ada was in the chat: she is taken out of it and told.
    await waitForHash(ada.page, '#/matches');
    await waitForText(ada.page, tid('notice-text'), `The match with ${ken.name} has ended.`);
    expect(await ada.page.locator(tid('match-item')).count()).toBe(0);
    expect(await ken.page.locator(tid('match-item')).count()).toBe(0);
    await screenshot(ada.page, 'match-10-ended-phone');
  });

  it('threw no uncaught errors in either page', () => {
    expect(ada.tab.pageErrors).toEqual([]);
    expect(ken.tab.pageErrors).toEqual([]);
  });
});
