/**
 * Chromium (Debian's, never a downloaded one) and the console as an admin drives it.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

const screenshots = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

/** How long the UI may take to show something that crosses the network. */
export const TIMEOUT = 15_000;

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export async function clearScreenshots() {
  await rm(screenshots, { recursive: true, force: true });
  await mkdir(screenshots, { recursive: true });
}

/**
 * Saves `test-output/screenshots/<name>.png`: the whole page, or only the viewport (a modal
 * dialog's backdrop covers the viewport, not the page below it).
 */
export async function screenshot(page: Page, name: string, options = { fullPage: true }) {
  // Full-page captures draw sticky bars where the page was scrolled to: start from the top.
  if (options.fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), ...options });
}

export async function waitForText(locator: Locator, text: string | RegExp) {
  await expect
    .poll(async () => (await locator.textContent()) ?? '', { timeout: TIMEOUT })
    .toMatch(typeof text === 'string' ? new RegExp(escapeRegExp(text)) : text);
}

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until nothing it matches is visible (a closed <dialog> stays in the page, hidden). */
export async function waitGone(locator: Locator) {
  await expect.poll(() => locator.filter({ visible: true }).count(), { timeout: TIMEOUT }).toBe(0);
}
