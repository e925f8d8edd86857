/**
 * Meetups (食事会) with a waitlist, as three people live it: Ada hosts a one-seat dinner through
 * the UI. Ken (Japanese, on a laptop) takes the seat and every open screen shows the counter at
 * 1/1. Cy finds it full and joins the waitlist at position 1, where the event chat is read-only.
 * Ken gives up his seat: without reloading, Cy sees "You're in!" pop up, her status turn to
 * attending, and the bell count the promotion notification; opening the bell on her phone marks it
 * read, and her second tab's badge clears too (read state syncs across devices). Headless
 * Chromium, three browser contexts (plus a second tab), against the built client served by the
 * real server.
 */
import type { Browser, Page } from 'playwright-core';
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
  tab: TestPage;
  page: Page;
}

async function newPerson(browser: Browser, handle: string, name: string, opts: { viewport: { width: number; height: number }; locale: string }): Promise<Person> {
  const tab = await openPage(browser, opts);
  return { handle, name, tab, page: tab.page };
}

/** Signs up through the form and lands on the feed, connected. */
async function signUp(p: Person, url: string): Promise<void> {
  await signUpThroughUi(p.page, url, p.handle, p.name);
}

/** Waits until an attribute of the first match of `selector` equals `value`. */
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


describe.runIf(hasChromium)('meetups: host, RSVP, waitlist, promotion live with a toast and a notification', () => {
  let srv: TestServer;
  let browser: Browser;
  let ada: Person;
  let ken: Person;
  let cy: Person;
  let meetupId = '';
  const title = 'Ramen & Rust 🍜';
  const card = () => `${tid('meetup-card')}[data-meetup-id="${meetupId}"]`;

  beforeAll(async () => {
    srv = await startTestServer();
    browser = await launchBrowser();
    ada = await newPerson(browser, 'ada_meet', 'Ada Lovelace', { viewport: PHONE, locale: 'en-US' });
    ken = await newPerson(browser, 'ken_meet', '田中 健', { viewport: DESKTOP, locale: 'ja-JP' });
    cy = await newPerson(browser, 'cy_meet', 'Cy Young', { viewport: PHONE, locale: 'en-US' });
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('creates a one-seat meetup through the form, shown in the local time zone', async () => {
    await signUp(ada, srv.url);
    await ada.page.click(tid('nav-meetups'));
    await waitForHash(ada.page, '#/meetups');
    await ada.page.click(tid('create-meetup'));
    await waitVisible(ada.page, tid('meetup-form'));
    await ada.page.fill('input[name="title"]', title);
    await ada.page.fill('textarea[name="description"]', 'Tonkotsu and borrow-checker talk.');
    await ada.page.fill('input[name="startsAt"]', await localInput(ada.page, 1, 19));
    await ada.page.fill('input[name="endsAt"]', await localInput(ada.page, 1, 21));
    await ada.page.fill('input[name="venue"]', 'Ichiran Shibuya');
    await ada.page.fill('input[name="capacity"]', '1');
    await ada.page.fill('input[name="tags"]', 'rust, ramen');
    await screenshot(ada.page, 'meetups-01-create-phone');
    await ada.page.click(tid('meetup-submit'));
    await ada.page.waitForFunction(() => /^#\/meetups\/[0-9a-f-]{36}$/.test(window.location.hash), null, { timeout: WAIT_MS });
    meetupId = (await ada.page.evaluate(() => window.location.hash)).slice('#/meetups/'.length);
    await waitForAttr(ada.page, tid('rsvp-status'), 'data-status', 'organizer');
    await waitForText(ada.page, tid('seat-counter'), '0/1');
    // The time is shown in the viewer's zone: 7 PM local, as typed.
    expect(await ada.page.locator(tid('meetup-when')).textContent()).toMatch(/7:00\s?PM/);
    await waitVisible(ada.page, tid('organizer-panel'));
    await waitVisible(ada.page, tid('ics-link'));
    expect(await ada.page.locator(tid('ics-link')).getAttribute('href')).toBe(`/api/meetups/${meetupId}/ics`);
  });

  it('fills the seat: the second user attends and every screen shows 1/1', async () => {
    await signUp(ken, srv.url);
    await ken.page.click(tid('nav-meetups'));
    await waitVisible(ken.page, card());
    await waitForText(ken.page, `${card()} ${tid('seat-counter')}`, '0/1');
    expect(await ken.page.locator(`${card()} ${tid('meetup-where')}`).textContent()).toContain('Ichiran Shibuya');
    await ken.page.click(`${card()} a`);
    await waitForHash(ken.page, `#/meetups/${meetupId}`);
    await waitForAttr(ken.page, tid('rsvp-status'), 'data-status', 'none');
    await ken.page.click(tid('rsvp'));
    await waitForAttr(ken.page, tid('rsvp-status'), 'data-status', 'attending');
    await waitForText(ken.page, tid('seat-counter'), '1/1');
    // The organizer's screen follows live.
    await waitForText(ada.page, tid('seat-counter'), '1/1');
    await waitVisible(ada.page, `${tid('attendee')}`);
    await waitVisible(ken.page, tid('meetup-chat'));
    await screenshot(ken.page, 'meetups-02-attending-desktop');
  });

  it('puts the third user on the waitlist at position 1, with a read-only chat', async () => {
    await signUp(cy, srv.url);
    await cy.page.click(tid('nav-meetups'));
    await waitVisible(cy.page, card());
    await waitForText(cy.page, `${card()} ${tid('seat-counter')}`, '1/1');
    await screenshot(cy.page, 'meetups-03-list-phone');
    await cy.page.click(`${card()} a`);
    await waitForHash(cy.page, `#/meetups/${meetupId}`);
    await cy.page.click(tid('rsvp'));
    await waitForAttr(cy.page, tid('rsvp-status'), 'data-status', 'waitlisted');
    await waitForAttr(cy.page, tid('rsvp-status'), 'data-position', '1');
    expect(await cy.page.locator(tid('rsvp-status')).textContent()).toContain('#1');
    await waitVisible(cy.page, tid('chat-read-only'));
    expect(await cy.page.locator(`${tid('meetup-chat')} textarea`).isDisabled()).toBe(true);
    // The organizer sees Cy waiting.
    await waitVisible(ada.page, `${tid('waitlist')} li`);
    await screenshot(cy.page, 'meetups-04-waitlisted-phone');
  });

  it('promotes the waitlisted user live when the attendee cancels: toast, status, and the bell', async () => {
    // Cy's second device (another tab, same session) waits on another screen.
    const cy2 = await cy.tab.context.newPage();
    const cy2Errors: string[] = [];
    cy2.on('pageerror', (err) => cy2Errors.push(err.message));
    await cy2.goto(`${srv.url}/#/feed`);
    await waitForConnection(cy2, 'connected');
    expect(await cy.page.locator(tid('notification-badge')).count()).toBe(0);

    await ken.page.click(tid('cancel-rsvp'));
    await ken.page.click(tid('cancel-rsvp-confirm'));
    await waitForAttr(ken.page, tid('rsvp-status'), 'data-status', 'none');

    // No reload: the status turns, the toast says so, the bell counts it.
    await waitForAttr(cy.page, tid('rsvp-status'), 'data-status', 'attending');
    await waitVisible(cy.page, `${tid('meetup-toast')}[data-meetup-id="${meetupId}"]`);
    expect(await cy.page.locator(tid('meetup-toast')).textContent()).toContain('You’re in!');
    await waitForText(cy.page, tid('notification-badge'), '1');
    await waitForText(cy.page, tid('seat-counter'), '1/1');
    // Now attending, Cy may post in the event chat.
    await cy.page.locator(tid('chat-read-only')).waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await cy.page.locator(`${tid('meetup-chat')} textarea`).isDisabled()).toBe(false);
    // The toast shows on any screen, e.g. the other tab on the feed.
    await waitVisible(cy2, tid('meetup-toast'));
    await waitForText(cy2, tid('notification-badge'), '1');
    await screenshot(cy.page, 'meetups-05-promoted-phone', { fullPage: false });

    // Opening the bell lists the promotion and marks it read, here and on the other tab.
    await cy.page.click(tid('notification-bell'));
    await waitVisible(cy.page, `${tid('notification-item')}[data-kind="meetup_promoted"]`);
    expect(await cy.page.locator(tid('notification-item')).first().textContent()).toContain(title);
    await cy.page.locator(tid('notification-badge')).waitFor({ state: 'detached', timeout: WAIT_MS });
    await cy2.locator(tid('notification-badge')).waitFor({ state: 'detached', timeout: WAIT_MS });
    await screenshot(cy.page, 'meetups-06-notifications-phone', { fullPage: false });
    await cy.page.setViewportSize(DESKTOP);
    await screenshot(cy.page, 'meetups-07-notifications-desktop', { fullPage: false });

    // The organizer's list shows the seat still taken (by Cy now), and no waitlist.
    await ada.page.click(tid('nav-meetups'));
    await waitForText(ada.page, `${card()} ${tid('seat-counter')}`, '1/1');
    await screenshot(ada.page, 'meetups-08-list-phone');

    expect(cy2Errors).toEqual([]);
    for (const p of [ada, ken, cy]) expect(p.tab.pageErrors).toEqual([]);
  });
});
