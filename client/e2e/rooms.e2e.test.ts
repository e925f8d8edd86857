/**
 * Casual voice rooms, as people live them: Ada creates a room through the UI; Ken, watching the
 * lobby, sees it appear live and drops in; both see each other on stage; audio bytes really flow
 * both ways over WebRTC (Chromium's fake microphone beeps twice a second), and each sees the
 * other's speaking ring light up; they write in the side chat. Ada mutes: Ken sees her muted and
 * no more of her audio arrives. Ken steps down to the audience (his audio stops too), raises his
 * hand, and Ada invites him back on stage from the hand queue. With the stage full (the server
 * runs with a speaker cap of 2), Cy joins as a listener and hears both without sending anything.
 * Dee finds the room full in the lobby and is refused on a direct link. Ada leaves and Ken, the
 * longest-present speaker, becomes the host; he ends the room and Cy is told and sent back to the
 * lobby. Headless Chromium with fake media, four browser contexts, against the built client
 * served by the real server.
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
  waitForHash,
  waitForText,
  waitVisible,
  type TestPage,
  hasChromium,
} from './browser.js';

declare global {
  interface Window {
    /** The client's read-only voice diagnostics hook (client/src/rooms/index.ts). */
    __hmVoice?: { getStats(): Promise<Record<string, RTCStatsReport>> };
  }
}

/** Bytes of audio that count as "flowing" (Opus sends several kB a second). */
const FLOWING_BYTES = 1500;
/** How long muted audio is watched for a single byte, in ms. */
const QUIET_WATCH_MS = 2500;

interface Person {
  handle: string;
  name: string;
  tab: TestPage;
  page: Page;
  id: string;
  /** Console warnings of the voice engine (failed negotiation, relay refused…): expected to stay empty. */
  voiceWarnings: string[];
}

/** Opens a page for a new person with the microphone allowed, and collects the voice engine's warnings. */
async function newPerson(browser: Browser, handle: string, name: string, opts: { viewport: { width: number; height: number }; locale: string }): Promise<Person> {
  const tab = await openPage(browser, { ...opts, permissions: ['microphone'] });
  const person: Person = { handle, name, tab, page: tab.page, id: '', voiceWarnings: [] };
  tab.page.on('console', (msg) => {
    if (msg.text().startsWith('voice:')) person.voiceWarnings.push(msg.text());
  });
  return person;
}

/** Signs up through the form and lands on the feed, connected. */
async function signUp(p: Person, url: string): Promise<void> {
  await signUpThroughUi(p.page, url, p.handle, p.name);
  p.id = await p.page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { data: { id: string } }).data.id);
}

/** The roster entry of a user, on someone's page. */
const participant = (userId: string) => `${tid('participant')}[data-user-id="${userId}"]`;

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

/**
 * Audio bytes received so far on the page's connection with `fromUserId` (all inbound audio
 * RTP streams of that RTCPeerConnection), read through the `window.__hmVoice` stats hook.
 */
async function inboundBytes(page: Page, fromUserId: string): Promise<number> {
  return page.evaluate(async (from) => {
    const reports = (await window.__hmVoice?.getStats()) ?? {};
    let bytes = 0;
    reports[from]?.forEach((r: { type?: string; kind?: string; bytesReceived?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') bytes += r.bytesReceived ?? 0;
    });
    return bytes;
  }, fromUserId);
}

/** Waits until at least `FLOWING_BYTES` more audio arrive from `fromUserId`. Returns the count reached. */
async function waitForAudio(page: Page, fromUserId: string): Promise<number> {
  const start = await inboundBytes(page, fromUserId);
  const deadline = Date.now() + WAIT_MS;
  let now = start;
  while (Date.now() < deadline) {
    now = await inboundBytes(page, fromUserId);
    if (now - start >= FLOWING_BYTES) return now;
    await page.waitForTimeout(250);
  }
  throw new Error(`audio from ${fromUserId} did not flow: ${start} → ${now} bytes in ${WAIT_MS} ms`);
}

/** The users this page holds a WebRTC connection with. */
async function linkedUsers(page: Page): Promise<string[]> {
  return page.evaluate(async () => Object.keys((await window.__hmVoice?.getStats()) ?? {}).sort());
}

/** Proves no audio arrives from `fromUserId`: after a moment to settle, the count does not move. */
async function expectNoAudio(page: Page, fromUserId: string): Promise<void> {
  // Packets already on the wire when the sender stopped may still land.
  await page.waitForTimeout(1000);
  const before = await inboundBytes(page, fromUserId);
  await page.waitForTimeout(QUIET_WATCH_MS);
  expect(await inboundBytes(page, fromUserId)).toBe(before);
}

describe.runIf(hasChromium)('voice rooms: create, drop in, talk, mute, hand queue, listeners, host hand-over', () => {
  let srv: TestServer;
  let browser: Browser;
  let ada: Person;
  let ken: Person;
  let cy: Person;
  let roomId = '';
  const title = 'Rust async 雑談 🦀';
  const card = () => `${tid('room-card')}[data-room-id="${roomId}"]`;

  beforeAll(async () => {
    // A stage of two, so a third person joins as a listener.
    srv = await startTestServer({ env: { ROOM_SPEAKER_CAP: '2' } });
    browser = await launchBrowser({ fakeMedia: true });
    ada = await newPerson(browser, 'ada_room', 'Ada Lovelace', { viewport: PHONE, locale: 'en-US' });
    ken = await newPerson(browser, 'ken_room', '田中 健', { viewport: DESKTOP, locale: 'ja-JP' });
    cy = await newPerson(browser, 'cy_room', 'Cy Young', { viewport: PHONE, locale: 'en-US' });
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('creates a room through the UI, and another user sees it appear live in the lobby and joins', async () => {
    await signUp(ada, srv.url);
    await signUp(ken, srv.url);

    // Ken watches the lobby before the room exists.
    await ken.page.click(tid('nav-rooms'));
    await waitForHash(ken.page, '#/rooms');
    await waitVisible(ken.page, tid('lobby'));
    expect(await ken.page.locator(tid('room-card')).count()).toBe(0);

    await ada.page.click(tid('nav-rooms'));
    await waitForHash(ada.page, '#/rooms');
    await ada.page.click(tid('create-room'));
    await ada.page.fill('input[name="title"]', title);
    await ada.page.fill('input[name="tag"]', 'Rust');
    await ada.page.check('input[name="visibility"][value="open"]');
    await ada.page.fill('input[name="capacity"]', '3');
    await screenshot(ada.page, 'rooms-01-create-phone');
    await ada.page.click(tid('create-room-submit'));
    await ada.page.waitForFunction(() => /^#\/rooms\/[0-9a-f-]{36}$/.test(window.location.hash), null, { timeout: WAIT_MS });
    roomId = (await ada.page.evaluate(() => window.location.hash)).slice('#/rooms/'.length);
    await waitForAttr(ada.page, participant(ada.id), 'data-role', 'host');

    // The room appears in Ken's lobby without a reload, with Ada as host.
    await waitVisible(ken.page, card());
    await waitForText(ken.page, `${card()} ${tid('room-title')}`, title);
    await waitForText(ken.page, `${card()} ${tid('room-count')}`, '👥 1/3');
    expect(await ken.page.locator(`${card()} ${tid('room-host')}`).textContent()).toContain(ada.name);
    expect(await ken.page.locator(`${card()} .chip`).textContent()).toBe('#rust');
    await screenshot(ken.page, 'rooms-02-lobby-desktop');

    await ken.page.click(`${card()} ${tid('join-room')}`);
    await waitForHash(ken.page, `#/rooms/${roomId}`);
    // Both see both: Ada hosts, Ken took a seat on stage.
    for (const p of [ada, ken]) {
      await waitForAttr(p.page, participant(ada.id), 'data-role', 'host');
      await waitForAttr(p.page, participant(ken.id), 'data-role', 'speaker');
      expect(await p.page.locator(tid('participant')).count()).toBe(2);
    }
    expect(await ken.page.locator(participant(ada.id)).textContent()).toContain(ada.name);
    expect(await ada.page.locator(participant(ken.id)).textContent()).toContain(ken.name);
  });

  it('sends real audio both ways over WebRTC', async () => {
    await waitForAudio(ken.page, ada.id);
    await waitForAudio(ada.page, ken.id);
  });

  it('lights up the speaking ring of the other speaker', async () => {
    await waitForAttr(ken.page, participant(ada.id), 'data-speaking', 'true');
    await waitForAttr(ada.page, participant(ken.id), 'data-speaking', 'true');
    await waitVisible(ken.page, `${participant(ada.id)} ${tid('speaking-ring')}`);
    await screenshot(ada.page, 'rooms-03-talking-phone', { fullPage: false });
    await screenshot(ken.page, 'rooms-03-talking-desktop');
  });

  it('has a side chat that names the sender', async () => {
    await ken.page.fill(`${tid('room-chat')} textarea[name="message"]`, 'tokio 派? smol 派?');
    await ken.page.click(`${tid('room-chat')} ${tid('send-message')}`);
    const message = `${tid('room-chat')} ${tid('message')}:has-text("smol 派?")`;
    await waitVisible(ada.page, message);
    expect(await ada.page.locator(message).locator(tid('message-sender')).textContent()).toBe(ken.name);
    // Own messages carry no name.
    await waitVisible(ken.page, `${message}[data-state]`);
    expect(await ken.page.locator(message).locator(tid('message-sender')).count()).toBe(0);
    await ada.page.locator(tid('room-chat')).scrollIntoViewIfNeeded();
    await screenshot(ada.page, 'rooms-04-chat-phone', { fullPage: false });
  });

  it('mutes: the other side sees it in the roster, and no more audio bytes arrive', async () => {
    expect(await ada.page.getAttribute(tid('mute-toggle'), 'aria-pressed')).toBe('false');
    await ada.page.click(tid('mute-toggle'));
    await waitForAttr(ada.page, tid('mute-toggle'), 'aria-pressed', 'true');
    await waitForAttr(ken.page, participant(ada.id), 'data-muted', 'true');
    await waitVisible(ken.page, `${participant(ada.id)} ${tid('muted-icon')}`);
    await waitForAttr(ken.page, participant(ada.id), 'data-speaking', 'false');
    await expectNoAudio(ken.page, ada.id);
    // The measure itself still works: Ken, unmuted, is still heard by Ada.
    await waitForAudio(ada.page, ken.id);
    await screenshot(ken.page, 'rooms-05-muted-desktop');

    await ada.page.click(tid('mute-toggle'));
    await waitForAttr(ada.page, tid('mute-toggle'), 'aria-pressed', 'false');
    await waitForAttr(ken.page, participant(ada.id), 'data-muted', 'false');
    await waitForAudio(ken.page, ada.id);
  });

  it('moves to the audience, raises a hand, and is invited back on stage by the host', async () => {
    await ken.page.click(tid('step-down'));
    await waitForAttr(ada.page, participant(ken.id), 'data-role', 'listener');
    await waitVisible(ken.page, tid('hand-toggle'));
    // A listener only receives: Ken's audio stops, Ada's still reaches him.
    await expectNoAudio(ada.page, ken.id);
    await waitForAudio(ken.page, ada.id);

    await ken.page.click(tid('hand-toggle'));
    await waitForAttr(ken.page, tid('hand-toggle'), 'aria-pressed', 'true');
    await waitVisible(ada.page, `${tid('hand-queue')} ${tid('hand')}[data-user-id="${ken.id}"]`);
    await waitForAttr(ada.page, participant(ken.id), 'data-hand', 'true');
    await screenshot(ada.page, 'rooms-06-hand-queue-phone', { fullPage: false });
    await screenshot(ken.page, 'rooms-06-listener-desktop');

    await ada.page.click(`${tid('hand')}[data-user-id="${ken.id}"] ${tid('hand-invite')}`);
    await waitForAttr(ken.page, participant(ken.id), 'data-role', 'speaker');
    await waitForAttr(ada.page, participant(ken.id), 'data-hand', 'false');
    await waitVisible(ken.page, tid('mute-toggle'));
    // Back on stage: his microphone is renegotiated onto the connection and heard again.
    await waitForAudio(ada.page, ken.id);
  });

  it('lets the host mute a speaker: his audio stops at once, and only he can unmute', async () => {
    await ada.page.click(`${participant(ken.id)} ${tid('participant-menu')}`);
    await ada.page.click(`${tid('participant-actions')}[data-user-id="${ken.id}"] ${tid('mute-participant')}`);
    // The server's mute reaches Ken's microphone, not just the roster.
    await waitForAttr(ken.page, tid('mute-toggle'), 'aria-pressed', 'true');
    await waitForAttr(ada.page, participant(ken.id), 'data-muted', 'true');
    await expectNoAudio(ada.page, ken.id);
    await ken.page.click(tid('mute-toggle'));
    await waitForAttr(ken.page, tid('mute-toggle'), 'aria-pressed', 'false');
    await waitForAttr(ada.page, participant(ken.id), 'data-muted', 'false');
    await waitForAudio(ada.page, ken.id);
  });

  it('seats a newcomer as a listener when the stage is full: they hear both speakers and send nothing', async () => {
    await signUp(cy, srv.url);
    await cy.page.goto(`${srv.url}/#/rooms/${roomId}`);
    await waitForAttr(cy.page, participant(cy.id), 'data-role', 'listener');
    await waitVisible(cy.page, tid('hand-toggle'));
    await waitForAttr(ada.page, participant(cy.id), 'data-role', 'listener');
    await waitForAudio(cy.page, ada.id);
    await waitForAudio(cy.page, ken.id);
    expect(await linkedUsers(cy.page)).toEqual([ada.id, ken.id].sort());
    // Listeners never sent: nothing ever arrived from Cy.
    expect(await inboundBytes(ada.page, cy.id)).toBe(0);
    expect(await inboundBytes(ken.page, cy.id)).toBe(0);
    // Her presence dot is in everyone's roster.
    await waitForAttr(ken.page, `${participant(cy.id)} ${tid('presence')}`, 'data-state', 'online');
    await screenshot(cy.page, 'rooms-07-listener-phone', { fullPage: false });
  });

  it('shows the room as full in the lobby, and refuses a direct link with a clear message', async () => {
    const dee = await newPerson(browser, 'dee_room', 'Dee', { viewport: PHONE, locale: 'en-US' });
    await signUp(dee, srv.url);
    await dee.page.click(tid('nav-rooms'));
    await waitVisible(dee.page, `${card()} ${tid('room-full')}`);
    await waitForText(dee.page, `${card()} ${tid('room-count')}`, '👥 3/3');
    expect(await dee.page.locator(`${card()} ${tid('join-room')}`).isDisabled()).toBe(true);
    await screenshot(dee.page, 'rooms-08-lobby-full-phone');

    await dee.page.goto(`${srv.url}/#/rooms/${roomId}`);
    await waitForText(dee.page, `${tid('room-error')}[data-code="ROOM_FULL"] [role="alert"]`, 'This room is full.');
    expect(dee.tab.pageErrors).toEqual([]);
    await dee.tab.context.close();
  });

  it('hands the host role to the longest-present speaker when the host leaves', async () => {
    await ada.page.click(tid('leave-room'));
    await waitForHash(ada.page, '#/rooms');
    for (const p of [ken, cy]) {
      await waitForAttr(p.page, participant(ken.id), 'data-role', 'host');
      await p.page.locator(participant(ada.id)).waitFor({ state: 'detached', timeout: WAIT_MS });
      expect(await p.page.locator(tid('participant')).count()).toBe(2);
    }
    await waitForAttr(cy.page, participant(cy.id), 'data-role', 'listener');
    // The new host has the host tools, and Cy still hears him.
    await waitVisible(ken.page, tid('end-room'));
    await waitForAudio(cy.page, ken.id);
    expect(await linkedUsers(ken.page)).toEqual([cy.id]);
    await screenshot(ken.page, 'rooms-09-new-host-desktop');
    // Ada's lobby shows the room live, now hosted by Ken.
    await waitForText(ada.page, `${card()} ${tid('room-count')}`, '👥 2/3');
    expect(await ada.page.locator(`${card()} ${tid('room-host')}`).textContent()).toContain(ken.name);
  });

  it('ends the room: everyone is told and back in the lobby, and the room leaves the lobby', async () => {
    await ken.page.click(tid('end-room'));
    await ken.page.click(tid('end-room-confirm'));
    await waitForHash(ken.page, '#/rooms');
    await waitForHash(cy.page, '#/rooms');
    await waitForText(cy.page, tid('notice-text'), 'The room has ended.');
    await ada.page.locator(card()).waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await linkedUsers(cy.page)).toEqual([]);
    await screenshot(cy.page, 'rooms-10-ended-phone');
  });

  it('keeps an invite-only room out of the lobby: its link admits, the bare address does not', async () => {
    await ada.page.click(tid('create-room'));
    await ada.page.fill('input[name="title"]', 'ワインの夜 🍷');
    await ada.page.check('input[name="visibility"][value="invite"]');
    await ada.page.click(tid('create-room-submit'));
    await ada.page.waitForFunction(() => /^#\/rooms\/[0-9a-f-]{36}\?token=.+$/.test(window.location.hash), null, { timeout: WAIT_MS });
    const inviteId = /^#\/rooms\/([0-9a-f-]{36})/.exec(await ada.page.evaluate(() => window.location.hash))?.[1] ?? '';
    await waitForAttr(ada.page, participant(ada.id), 'data-role', 'host');
    const link = await ada.page.inputValue(tid('invite-link'));
    expect(link.startsWith(`${srv.url}/#/rooms/${inviteId}?token=`)).toBe(true);

    await cy.page.goto(`${srv.url}/#/rooms/${inviteId}`);
    await waitForText(cy.page, `${tid('room-error')}[data-code="FORBIDDEN"] [role="alert"]`, 'This room is invite-only, or you cannot join it.');
    await cy.page.goto(link);
    await waitForAttr(cy.page, participant(cy.id), 'data-role', 'speaker');
    await waitForAttr(ada.page, participant(cy.id), 'data-role', 'speaker');
    await waitForAudio(cy.page, ada.id);
    await waitForAudio(ada.page, cy.id);
    // Participants can pass the link on.
    expect(await cy.page.inputValue(tid('invite-link'))).toBe(link);
    await screenshot(cy.page, 'rooms-11-invite-only-phone', { fullPage: false });
    // Never listed: Ken's lobby has not heard of it.
    expect(await ken.page.locator(`${tid('room-card')}[data-room-id="${inviteId}"]`).count()).toBe(0);
  });

  it('threw no uncaught errors, and the voice engine reported no failures', () => {
    for (const p of [ada, ken, cy]) {
      expect(p.tab.pageErrors).toEqual([]);
      expect(p.voiceWarnings).toEqual([]);
    }
  });
});
