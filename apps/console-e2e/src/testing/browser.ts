/**
 * Chromium (Debian's, never a downloaded one) and the console as an admin drives it.
 */
import { launchChromium, screenshots } from '@tandem/e2e-kit';
import { fileURLToPath } from 'node:url';
import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

/** How long the UI may take to show something that crosses the network. */
export const TIMEOUT = 15_000;

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export const launchBrowser = launchChromium;

const shots = screenshots(
  fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url)),
);
export const clearScreenshots = shots.clear;
/** Saves `test-output/screenshots/<name>.png` (the whole page, or the viewport). */
export const screenshot = shots.take;

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
