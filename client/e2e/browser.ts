/**
 * Browser helpers for end-to-end tests: launch Debian's Chromium through playwright-core, open
 * pages that record uncaught errors, wait for UI states, and save screenshots. Tests with two
 * users open two contexts (separate cookie jars) from one browser.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The Chromium binary. Override with CHROMIUM_PATH; default `/usr/bin/chromium` (Debian's package). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Whether that binary is here. Without it the end-to-end suites skip on a developer's machine,
 * like the service suites; under `CI=true` a missing browser fails the run instead.
 */
export const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && process.env['CI']) throw new Error(`Chromium is required under CI=true: ${CHROMIUM_PATH} (apt-get install chromium)`);

/** Longest wait for any one UI state, in milliseconds: generous for slow CI, but bounded. */
export const WAIT_MS = 15_000;

/** Viewports: a common phone (the layout's primary target) and a laptop. */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** `test-artifacts/` at the repository root (git-ignored): screenshots land here. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Options of `launchBrowser`. */
export interface LaunchOptions {
  /**
   * Fake microphone and camera for WebRTC tests: no permission prompt, a synthetic device that
   * beeps twice a second, peer connections allowed over loopback, and real host addresses in ICE
   * candidates instead of mDNS names (which two contexts in one container cannot resolve).
   */
  fakeMedia?: boolean;
}

/** Launches headless Chromium with everything that phones home or needs a GPU switched off. */
export function launchBrowser(opts: LaunchOptions = {}): Promise<Browser> {
  const media = opts.fakeMedia
    ? [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--allow-loopback-in-peer-connection',
        '--disable-features=WebRtcHideLocalIpsWithMdns',
      ]
    : [];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      ...media,
    ],
  });
}

/** A page plus the uncaught errors it has thrown so far (assert it stays empty). */
export interface TestPage {
  context: BrowserContext;
  page: Page;
  pageErrors: string[];
}

/** Options of `openPage`. */
export interface OpenPageOptions {
  /** Default `PHONE`. */
  viewport?: { width: number; height: number };
  /** Browser locale, which sets `navigator.language`. Default `en-US`. */
  locale?: string;
  /** Permissions granted up front, e.g. `['microphone']`. Default none. */
  permissions?: string[];
}

/** Opens a page in a fresh context (its own cookies and storage: a separate user). */
export async function openPage(browser: Browser, opts: OpenPageOptions = {}): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? PHONE,
    locale: opts.locale ?? 'en-US',
    deviceScaleFactor: 1,
    permissions: opts.permissions ?? [],
  });
  // Every action (click, fill…) gives up after WAIT_MS too, not Playwright's 30 s default.
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  return { context, page, pageErrors: trackErrors(page) };
}

/** Collects a page's uncaught exceptions, so a test can require that there were none. */
export function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  return errors;
}

/** CSS selector of an element by its `data-testid`. */
export const tid = (id: string) => `[data-testid="${id}"]`;

/** Waits until the element matching `selector` is visible. */
export async function waitVisible(page: Page, selector: string): Promise<void> {
  await page.locator(selector).first().waitFor({ state: 'visible', timeout: WAIT_MS });
}

/** Waits until the text of the first element matching `selector` (trimmed) equals `text`. */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, expected]) => document.querySelector(sel)?.textContent?.trim() === expected,
      [selector, text] as const,
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const actual = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null);
    throw new Error(`expected ${selector} to read ${JSON.stringify(text)}, got ${JSON.stringify(actual)}`, { cause: err });
  }
}

/** Waits for the connection indicator to show `state`. */
export async function waitForConnection(page: Page, state: 'connected' | 'reconnecting' | 'offline'): Promise<void> {
  await waitVisible(page, `${tid('conn-status')}[data-state="${state}"]`);
}

/** Waits until the location hash is exactly `hash` (e.g. `#/me`). */
export async function waitForHash(page: Page, hash: string): Promise<void> {
  await page.waitForFunction((expected) => window.location.hash === expected, hash, { timeout: WAIT_MS });
}

/**
 * Saves a screenshot as `test-artifacts/<name>.png` and returns its path: the full page, or with
 * `{ fullPage: false }` just the window (for screens with a bar stuck to the bottom, which a
 * full-page picture would show floating over the middle of the page).
 */
export async function screenshot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}): Promise<string> {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  // Finite animations (a toast sliding in) are shown finished, so a picture never catches one halfway.
  await page.screenshot({ path: file, fullPage, animations: 'disabled' });
  return file;
}

/** A `datetime-local` value `days` from now at `hour`:00, in the browser's own time zone. */
export function localInput(page: Page, days: number, hour: number): Promise<string> {
  return page.evaluate(
    ([d, h]) => {
      const at = new Date();
      at.setDate(at.getDate() + d);
      at.setHours(h, 0, 0, 0);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
    },
    [days, hour] as const,
  );
}

/**
 * `page.fill`, then checks the field holds the value, filling again if not. Debian's Chromium
 * 156.0.8078.79 in a ja-JP page sometimes leaves the first field of a fresh form empty after a
 * fill (seen on 2026-11-24, also at the previous landed head), which no typing user meets.
 */
export async function fillChecked(page: Page, selector: string, value: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.fill(selector, value);
    if ((await page.inputValue(selector)) === value) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector} would not hold ${JSON.stringify(value)}`);
}

/** The password every e2e user signs up with. */
export const E2E_PASSWORD = 'correct-horse-battery';

/** Signs up through the real form from the sign-in screen, landing on the feed with a live connection. */
export async function signUpThroughUi(page: Page, url: string, handle: string, name: string, password = E2E_PASSWORD): Promise<void> {
  await page.goto(url);
  await waitForHash(page, '#/signin');
  await page.click(tid('goto-signup'));
  await fillChecked(page, 'input[name="handle"]', handle);
  await fillChecked(page, 'input[name="displayName"]', name);
  await fillChecked(page, 'input[name="password"]', password);
  await page.click(tid('signup-submit'));
  await waitForHash(page, '#/feed');
  await waitForConnection(page, 'connected');
}
