/**
 * Chromium (Debian's, never a downloaded one) and the demo's UI as a user drives it. A "device"
 * is a browser context: its own IndexedDB, its own session, its own network switch.
 */
import { launchChromium, screenshots } from '@tandem/e2e-kit';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

export const PASSWORD = 'correct-horse-battery';

let accounts = 0;
export const uniqueEmail = () => `user${Date.now().toString(36)}${++accounts}@example.com`;

/** How long the UI may take to show something that crosses the network (live pokes included). */
const TIMEOUT = 15_000;

export const launchBrowser = launchChromium;

const shots = screenshots(
  fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url)),
);
export const clearScreenshots = shots.clear;
/** Saves `test-output/screenshots/<name>.png` (the whole page, or the viewport). */
export const screenshot = shots.take;

export interface Device {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in any of its pages: a test fails if there are any. */
  errors: string[];
}

export const DESKTOP = { width: 1100, height: 760 };
export const PHONE = { width: 390, height: 844 };

/** A new device on the demo (at `path`, say `/?live=off`): it starts as a guest by itself. */
export async function openDevice(
  baseUrl: string,
  browser: Browser,
  viewport = DESKTOP,
  path = '/',
) {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const device: Device = { context, page: await context.newPage(), errors: [] };
  await open(device, device.page, path);
  await waitForText(device.page.getByTestId('who'), 'Guest');
  return device;
}

/** Another tab of the same device (same IndexedDB, same session). */
export async function openTab(device: Device): Promise<Page> {
  const page = await device.context.newPage();
  await open(device, page);
  return page;
}

async function open(device: Device, page: Page, path = '/') {
  page.on('pageerror', (error) => device.errors.push(error.message));
  await page.goto(path);
  await page.getByTestId('notes').getByRole('button', { name: 'Add note' }).waitFor();
}

export async function waitForText(locator: Locator, text: string) {
  await expect.poll(() => locator.textContent(), { timeout: TIMEOUT }).toBe(text);
}

// ——— account ———

async function authenticate(page: Page, mode: 'Create account' | 'Sign in', email: string) {
  const account = page.getByTestId('account');
  await account.getByRole('button', { name: mode, exact: true }).first().click();
  await account.getByLabel('Email').fill(email);
  await account.getByLabel('Password').fill(PASSWORD);
  await account.locator('form').getByRole('button', { name: mode }).click();
  await waitForText(page.getByTestId('who'), email);
}

export const signUp = (page: Page, email: string) => authenticate(page, 'Create account', email);
export const signIn = (page: Page, email: string) => authenticate(page, 'Sign in', email);

// ——— notes and settings ———

/** The note whose text is exactly `text`. */
export const note = (page: Page, text: string) =>
  page
    .getByTestId('note')
    .filter({ has: page.getByTestId('note-text').getByText(text, { exact: true }) });

export async function addNote(page: Page, text: string) {
  await page.getByTestId('new-note').fill(text);
  await page.getByRole('button', { name: 'Add note' }).click();
  await note(page, text).waitFor();
}

export async function editNote(page: Page, from: string, to: string) {
  await note(page, from)
    .getByRole('button', { name: /^Edit note/ })
    .click();
  await page.getByTestId('edit-note').fill(to);
  await page.getByTestId('notes').getByRole('button', { name: 'Save' }).click();
  await note(page, to).waitFor();
}

export async function setTheme(page: Page, theme: 'System' | 'Light' | 'Dark') {
  // The radio itself is visually hidden inside its label (a segmented control): click the label.
  await page.getByTestId('settings').locator('label').filter({ hasText: theme }).click();
}

/** The theme the page shows (`data-theme` on <html>). */
export const shownTheme = (page: Page) =>
  page.evaluate(() => document.documentElement.dataset.theme ?? '');

export async function setDisplayName(page: Page, name: string) {
  await page.getByTestId('display-name').fill(name);
  await page.getByTestId('settings').getByRole('button', { name: 'Save' }).click();
}

// ——— sync state, as the UI shows it ———

export interface ShownSyncState {
  status: string;
  pending: number;
  syncCount: number;
}

/** The dataset's `state` as rendered by its SyncStatus (data attributes). */
export async function syncState(page: Page, dataset: string): Promise<ShownSyncState> {
  const status = page.getByTestId(`sync-${dataset}`);
  const [state, pending, syncCount] = await Promise.all([
    status.getAttribute('data-status'),
    status.getAttribute('data-pending'),
    status.getAttribute('data-sync-count'),
  ]);
  return { status: state ?? '', pending: Number(pending), syncCount: Number(syncCount) };
}

export async function waitForSyncState(page: Page, dataset: string, want: Partial<ShownSyncState>) {
  await expect.poll(() => syncState(page, dataset), { timeout: TIMEOUT }).toMatchObject(want);
}

/** Every local change of `dataset` is on the server. */
export const waitForSynced = (page: Page, dataset: string) =>
  waitForSyncState(page, dataset, { status: 'idle', pending: 0 });
