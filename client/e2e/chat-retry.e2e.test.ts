/**
 * The hardest case of "nothing twice": the server stores a message, but both its ack and its
 * broadcast are lost on the way back. The sender's outbox times out and retries with the same
 * nonce; the server returns the original. Each side must show the message exactly once, and the
 * sender's copy must end up "read". The loss is staged by a WebSocket route in front of the
 * sender's page that swallows those two frames once.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test/harness.js';
import { DESKTOP, PHONE, launchBrowser, openPage, tid, waitVisible, type TestPage, hasChromium } from './browser.js';

const TEXT = 'Sent once, acked never';

/** Calls the HTTP API from inside the page, with its cookie. */
function call(page: Page, method: string, path: string, body?: unknown) {
  return page.evaluate(
    async ([m, p, b]) => {
      const res = await fetch(p, {
        method: m,
        headers: b === undefined ? {} : { 'content-type': 'application/json' },
        body: b === undefined ? undefined : JSON.stringify(b),
      });
      return (await res.json()) as { ok: boolean; data: { id: string; matchId?: string | null } };
    },
    [method, path, body] as const,
  );
}

describe.runIf(hasChromium)('chat: a lost ack is retried with the same nonce, and shows once', () => {
  let srv: TestServer;
  let browser: Browser;
  let sender: TestPage;
  let reader: TestPage;

  beforeAll(async () => {
    srv = await startTestServer();
    browser = await launchBrowser();
    sender = await openPage(browser, { viewport: PHONE });
    reader = await openPage(browser, { viewport: DESKTOP });
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('delivers exactly one message after the first ack and broadcast are lost', async () => {
    // Two users with a match, set up through the API (the UI path is match.e2e's job).
    const cards: string[] = [];
    for (const [tab, handle] of [
      [sender, 'retry_sender'],
      [reader, 'retry_reader'],
    ] as const) {
      await tab.page.goto(srv.url);
      await call(tab.page, 'POST', '/api/auth/signup', { handle, displayName: handle, password: 'a long enough password' });
      cards.push((await call(tab.page, 'POST', '/api/cards', { title: `${handle}'s topic`, body: 'hi', tags: ['retry'] })).data.id);
    }
    await call(sender.page, 'PUT', `/api/cards/${cards[1]}/interest`);
    const matchId = (await call(reader.page, 'PUT', `/api/cards/${cards[0]}/interest`)).data.matchId;
    expect(matchId).toBeTruthy();

    // In front of the sender: swallow the first chat:send ack and the first chat:sent of TEXT.
    let sendAckId: string | null = null;
    let lostAck = false;
    let lostBroadcast = false;
    let sends = 0;
    await sender.page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((frame) => {
        const sent = /^42(\d+)\["chat:send"/.exec(String(frame));
        if (sent) {
          sends += 1;
          sendAckId ??= sent[1] ?? null;
        }
        server.send(frame);
      });
      server.onMessage((frame) => {
        const text = String(frame);
        if (!lostAck && sendAckId !== null && text.startsWith(`43${sendAckId}[`)) {
          lostAck = true;
          return;
        }
        if (!lostBroadcast && text.startsWith('42["chat:sent"') && text.includes(TEXT)) {
          lostBroadcast = true;
          return;
        }
        ws.send(frame);
      });
    });
    // Reload first (the session cookie is new), then open the chat.
    for (const tab of [sender, reader]) {
      await tab.page.reload();
      await tab.page.goto(`${srv.url}/#/matches/${matchId}`);
      await waitVisible(tab.page, tid('chat'));
    }

    await sender.page.fill('textarea[name="message"]', TEXT);
    await sender.page.keyboard.press('Enter');
    // The server has it (the reader sees it), but the sender never heard back: still "sending".
    await waitVisible(reader.page, `${tid('message')}:has-text("${TEXT}")`);
    await waitVisible(sender.page, `${tid('message')}[data-state="sending"]:has-text("${TEXT}")`);
    expect(lostAck && lostBroadcast).toBe(true);

    // After the ack timeout the outbox retries with the same nonce and gets the original back.
    await waitVisible(sender.page, `${tid('message')}[data-state="read"]:has-text("${TEXT}")`);
    expect(sends).toBe(2);
    await sender.page.waitForTimeout(1000);
    expect(await sender.page.locator(tid('message'), { hasText: TEXT }).count()).toBe(1);
    expect(await reader.page.locator(tid('message'), { hasText: TEXT }).count()).toBe(1);
    expect(sender.pageErrors).toEqual([]);
    expect(reader.pageErrors).toEqual([]);
  });
});
