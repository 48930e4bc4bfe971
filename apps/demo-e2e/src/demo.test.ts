/**
 * The demo app in Chromium against the real API: devices of one account converging live,
 * offline edits, a conflict resolved by the user, tabs that act as one device, a guest's data
 * merged into an account, and a push synced in the background by the service worker. Each step
 * saves a screenshot in test-output/screenshots/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import {
  addNote,
  clearScreenshots,
  editNote,
  launchBrowser,
  note,
  DESKTOP,
  openDevice,
  openTab,
  PHONE,
  screenshot,
  setDisplayName,
  setTheme,
  shownTheme,
  signIn,
  signUp,
  syncState,
  uniqueEmail,
  waitForSynced,
  waitForText,
  waitForSyncState,
  type Device,
} from './testing/browser.js';
import { enablePushOnDefaultPool } from './testing/admin.js';
import { buildDemo, previewDemo, startApi, type Api, type Service } from './testing/processes.js';
import { activeServiceWorker } from './testing/service-worker.js';

let api: Api | undefined;
let demo: Service | undefined;
let removeBuild: (() => Promise<void>) | undefined;
let browser: Browser | undefined;
let devices: Device[] = [];

beforeAll(async () => {
  // The API's fresh database takes longest: build the demo and start Chromium meanwhile.
  const [apiService, build, chromium] = await Promise.all([
    startApi(),
    buildDemo(),
    launchBrowser(),
    clearScreenshots(),
  ]);
  api = apiService;
  removeBuild = build.remove;
  browser = chromium;
  demo = await previewDemo(build.outDir, api.url);
});

afterEach(async () => {
  const errors = devices.flatMap((device) => device.errors);
  await Promise.all(devices.map((device) => device.context.close()));
  devices = [];
  expect(errors, 'uncaught errors in the app').toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await api?.stop();
  await removeBuild?.();
});

async function device(viewport?: { width: number; height: number }, path?: string) {
  const opened = await openDevice(demo!.url, browser!, viewport, path);
  devices.push(opened);
  return opened;
}

/** Device A signs up (from its guest session), device B signs in to the same account. */
async function oneAccountOnTwoDevices() {
  const email = uniqueEmail();
  const a = await device();
  await signUp(a.page, email);
  const b = await device();
  await signIn(b.page, email);
  return { a, b, email };
}

test('an edit made offline on one device reaches the other by itself, without a reload', async () => {
  const email = uniqueEmail();
  const a = await device();
  await screenshot(a.page, '01-guest-start');
  await signUp(a.page, email);
  await addNote(a.page, 'Buy milk');
  await waitForSynced(a.page, 'notes');

  const b = await device();
  await signIn(b.page, email);
  await note(b.page, 'Buy milk').waitFor();
  await screenshot(b.page, '02-second-device-signed-in');

  await a.context.setOffline(true);
  await waitForSyncState(a.page, 'notes', { status: 'offline' });
  await editNote(a.page, 'Buy milk', 'Buy oat milk');
  await waitForSyncState(a.page, 'notes', { status: 'offline', pending: 1 });
  await note(a.page, 'Buy oat milk').getByTestId('not-synced').waitFor();
  await screenshot(a.page, '03-offline-edit-pending');

  // Back online: the SDK syncs on the browser's `online` event, the server pokes B's live
  // channel, and B syncs by itself.
  await a.context.setOffline(false);
  await waitForSynced(a.page, 'notes');
  await note(b.page, 'Buy oat milk').waitFor();
  expect(await note(b.page, 'Buy milk').count()).toBe(0);
  await waitForSynced(b.page, 'notes');
  await screenshot(b.page, '04-other-device-updated-live');

  // Settings are data too: a theme picked on B applies on A.
  await setTheme(b.page, 'Dark');
  await expect.poll(() => shownTheme(a.page), { timeout: 15_000 }).toBe('dark');
  await waitForSynced(a.page, 'settings');
  await screenshot(a.page, '05-theme-synced-dark');
});

test('a conflict is shown to the user, and their choice ends up on both devices', async () => {
  const { a, b } = await oneAccountOnTwoDevices();
  await addNote(a.page, 'Call mom');
  await note(b.page, 'Call mom').waitFor();

  await a.context.setOffline(true);
  await b.context.setOffline(true);
  await editNote(a.page, 'Call mom', 'Call mom at 6');
  await editNote(b.page, 'Call mom', 'Call mom on Sunday');

  await a.context.setOffline(false);
  await waitForSynced(a.page, 'notes');
  await b.context.setOffline(false);

  const dialog = b.page.getByTestId('conflict-dialog');
  await dialog.waitFor();
  const conflict = dialog.getByTestId('conflict');
  expect(await conflict.count()).toBe(1);
  await expect.poll(() => conflict.textContent()).toContain('Call mom on Sunday'); // mine
  await expect.poll(() => conflict.textContent()).toContain('Call mom at 6'); // theirs
  await screenshot(b.page, '06-conflict-dialog', { fullPage: false });

  await conflict.getByRole('radio', { name: 'Write a merged version' }).check();
  await dialog.getByTestId('conflict-merged-value').fill('Call mom on Sunday at 6');
  await screenshot(b.page, '07-conflict-merged-value', { fullPage: false });
  await dialog.getByTestId('conflict-apply').click();

  await dialog.waitFor({ state: 'detached' });
  await note(b.page, 'Call mom on Sunday at 6').waitFor();
  await waitForSynced(b.page, 'notes');
  await note(a.page, 'Call mom on Sunday at 6').waitFor();
  await waitForSynced(a.page, 'notes');
  expect(await a.page.getByTestId('note').count()).toBe(1);
  await screenshot(a.page, '08-conflict-resolved-everywhere');
});

test('two tabs of one browser push an edit once, and both show it', async () => {
  const a = await device();
  const first = a.page;
  await addNote(first, 'Water the plants');
  await waitForSynced(first, 'notes');
  const second = await openTab(a);
  await note(second, 'Water the plants').waitFor();
  await waitForSynced(second, 'notes');
  const before = (await syncState(first, 'notes')).syncCount;
  expect((await syncState(second, 'notes')).syncCount).toBe(before);

  let pushes = 0;
  for (const page of [first, second]) {
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/trpc/record.update') pushes += 1;
    });
  }
  await editNote(first, 'Water the plants', 'Water the plants (not the cactus)');
  await note(second, 'Water the plants (not the cactus)').waitFor();
  for (const page of [first, second]) {
    await waitForSyncState(page, 'notes', { status: 'idle', pending: 0, syncCount: before + 1 });
  }
  // Anything a second tab might push would have gone by now; then pull from the server again.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await second.getByTestId('sync-now').click();
  await waitForSyncState(second, 'notes', { status: 'idle', pending: 0, syncCount: before + 1 });
  expect(pushes).toBe(1);
  await screenshot(first, '09-tab-one');
  await screenshot(second, '10-tab-two');
});

test("a guest who signs in to an account with data is offered the guest's data", async () => {
  // An account with a note, made on another device.
  const email = uniqueEmail();
  const a = await device();
  await signUp(a.page, email);
  await addNote(a.page, 'Account note');
  await waitForSynced(a.page, 'notes');

  // A phone, used as a guest first.
  const phone = await device(PHONE);
  await addNote(phone.page, 'Guest note');
  await setDisplayName(phone.page, 'Robin');
  await waitForSynced(phone.page, 'notes');
  await waitForSynced(phone.page, 'settings');
  await screenshot(phone.page, '11-phone-guest-with-data');

  await signIn(phone.page, email);
  const banner = phone.page.getByTestId('merge-banner');
  await banner.waitFor();
  await expect.poll(() => banner.textContent()).toMatch(/notes\.local-1:/);
  await expect.poll(() => banner.textContent()).toMatch(/settings\.local-1:/);
  // Until imported, the account's own data is what shows.
  await note(phone.page, 'Account note').waitFor();
  expect(await note(phone.page, 'Guest note').count()).toBe(0);
  await screenshot(phone.page, '12-merge-banner');

  await banner.getByRole('button', { name: 'Import into my account' }).click();
  await banner.waitFor({ state: 'detached' });
  await note(phone.page, 'Guest note').waitFor();
  await note(phone.page, 'Account note').waitFor();
  await expect.poll(() => phone.page.getByTestId('display-name').inputValue()).toBe('Robin');
  await waitForSynced(phone.page, 'notes');
  await waitForSynced(phone.page, 'settings');
  await screenshot(phone.page, '13-guest-data-imported');

  // The other device of the account gets the imported data too.
  await note(a.page, 'Guest note').waitFor();
  await expect.poll(() => a.page.getByTestId('display-name').inputValue()).toBe('Robin');
});

test('a push wakes the service worker, which syncs in the background, and the open tab shows it', async () => {
  const identityPoolId = await enablePushOnDefaultPool(api!);
  const email = uniqueEmail();
  // Device A without its live connection (`?live=off`): nothing but the service worker can
  // bring it another device's change while the page sits there.
  const a = await device(DESKTOP, '/?live=off');
  await signUp(a.page, email);
  await addNote(a.page, 'Pack the tent');
  await waitForSynced(a.page, 'notes');
  const identityId = await a.page.getByTestId('account').locator('.identity code').textContent();
  expect(identityId).toBeTruthy();

  // The pool offers push, but Chromium refuses this browser a subscription (a Playwright
  // context is private, like an incognito window, and there is no push service to reach
  // anyway): the panel says so in plain words instead of failing silently.
  await a.context.grantPermissions(['notifications'], { origin: demo!.url });
  const panel = a.page.getByTestId('background-sync');
  await waitForText(panel.getByTestId('push-state'), 'Off');
  await panel.getByRole('button', { name: 'Enable' }).click();
  await expect
    .poll(() => panel.getByTestId('push-error').textContent(), { timeout: 15_000 })
    .toMatch(/^This browser could not subscribe to push messages \(.+\)\. Notifications may/);
  await waitForText(panel.getByTestId('push-state'), 'Off');
  await screenshot(a.page, '14-background-sync-cannot-subscribe');

  const worker = await activeServiceWorker(a.page, '/service-worker.js');
  // From here on, A's page itself must not talk to the sync API: the worker does.
  const pageSyncCalls: string[] = [];
  a.page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/trpc/record.') || pathname.startsWith('/trpc/dataset.')) {
      pageSyncCalls.push(pathname);
    }
  });
  // …and Playwright sees the worker's own requests on the context.
  const workerSyncCalls: string[] = [];
  a.context.on('request', (request) => {
    if (request.serviceWorker()) workerSyncCalls.push(new URL(request.url()).pathname);
  });

  // Device B, same account, writes a note: the server's sync count moves ahead of A's.
  const b = await device();
  await signIn(b.page, email);
  await note(b.page, 'Pack the tent').waitFor();
  await addNote(b.page, 'Bring the stove');
  await waitForSynced(b.page, 'notes');
  const { syncCount } = await syncState(b.page, 'notes');
  await screenshot(b.page, '15-other-device-wrote');

  const before = await syncState(a.page, 'notes');
  expect(before.syncCount).toBeLessThan(syncCount);
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // A stays as it is…
  expect(await note(a.page, 'Bring the stove').count()).toBe(0);
  await screenshot(a.page, '16-before-push');

  // …until the push service delivers what the API's fan-out sends (the payload of spec §12).
  await worker.deliverPush({
    source: 'cognito-sync',
    identityPoolId,
    identityId,
    datasetName: 'notes',
    syncCount,
  });
  await note(a.page, 'Bring the stove').waitFor();
  await waitForSyncState(a.page, 'notes', { status: 'idle', pending: 0, syncCount });
  const lastPush = panel.getByTestId('last-push');
  await expect.poll(() => lastPush.getAttribute('data-count')).toBe('1');
  await expect.poll(() => lastPush.textContent()).toContain(`notes (sync count ${syncCount})`);
  expect(pageSyncCalls).toEqual([]);
  expect(workerSyncCalls).toContain('/trpc/record.list');
  await screenshot(a.page, '17-synced-in-background-by-push');
  await worker.close();
});
