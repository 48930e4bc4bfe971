/**
 * The console in Chromium against the real API, walked as an admin would: first-run setup,
 * identity pools, the dashboard, the identity browser, datasets and records (staged changes,
 * Synchronize, a conflict with a device, invalid JSON), deleting datasets, the pool's settings,
 * errors, and a non-admin account. Devices are real HTTP clients of the API. Every step saves a
 * screenshot in test-output/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  clearScreenshots,
  DESKTOP,
  launchBrowser,
  PHONE,
  screenshot,
  TIMEOUT,
  waitForText,
  waitGone,
} from './testing/browser.js';
import { Device, PASSWORD, signUpUser, uniqueEmail } from './testing/device.js';
import {
  buildConsole,
  startApi,
  startConsole,
  type Api,
  type Service,
} from './testing/processes.js';

let api: Api;
let web: Service;
let browser: Browser;
let admin: { context: BrowserContext; page: Page };
const pageErrors: string[] = [];
const adminEmail = uniqueEmail('admin');

/** What the tests create, shared in order. */
const state = {
  poolId: '',
  poolName: 'Notes app',
  user: null as Device | null,
};

beforeAll(async () => {
  const started = Date.now();
  const [apiService, build, chromium] = await Promise.all([
    startApi(),
    buildConsole(),
    launchBrowser(),
    clearScreenshots(),
  ]);
  api = apiService;
  browser = chromium;
  web = await startConsole(api.url);
  console.info(
    `console build: ${build.reused ? 'reused' : `${(build.ms / 1000).toFixed(1)} s`}; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const context = await browser.newContext({ viewport: DESKTOP, baseURL: web.url });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  admin = { context, page };
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await api?.stop();
  expect(pageErrors, 'uncaught errors in the console').toEqual([]);
});

const page = () => admin.page;
const heading = (text: string) => page().getByRole('heading', { level: 1, name: text });
const dialog = (testId: string) => page().getByTestId(testId);
const toast = (text: string | RegExp) => page().getByTestId('toast').filter({ hasText: text });
const recordRow = (key: string) => page().locator(`[data-testid="record-row"][data-key="${key}"]`);
const pending = (key: string) =>
  page().locator(`[data-testid="pending-change"][data-key="${key}"]`);
const datasetPath = (name: string) =>
  `/pools/${encodeURIComponent(state.poolId)}/identities/${encodeURIComponent(state.user!.identityId)}/datasets/${name}`;

test('first run: the setup page creates the first admin with the API’s setup token', async () => {
  await page().goto('/');
  await page().waitForURL('**/setup');
  await heading('Create the first administrator').waitFor();
  await screenshot(page(), '01-setup');

  await page().getByLabel('Email').fill(adminEmail);
  await page().getByLabel('Name').fill('Ada Admin');
  await page().getByLabel('Password').fill(PASSWORD);
  await page().getByLabel('Setup token').fill('not-the-token');
  await page().getByRole('button', { name: 'Create administrator and sign in' }).click();
  await waitForText(page().getByTestId('error-notice'), 'The setup token was not accepted');
  await screenshot(page(), '02-setup-wrong-token');

  await page().getByLabel('Setup token').fill(api.setupToken);
  await page().getByRole('button', { name: 'Create administrator and sign in' }).click();
  await page().waitForURL('**/pools');
  await heading('Identity pools').waitFor();
  await waitForText(page().getByTestId('signed-in-admin'), adminEmail);

  // Setup is closed for good.
  await page().goto('/setup');
  await page().getByTestId('setup-done').waitFor();
});

test('sign out, and sign in again', async () => {
  await page().goto('/pools');
  await page().getByRole('button', { name: 'Sign out' }).click();
  await page().waitForURL('**/sign-in');
  await page().getByLabel('Email').fill(adminEmail);
  await page().getByLabel('Password').fill('wrong-password');
  await page().getByRole('button', { name: 'Sign in' }).click();
  await waitForText(page().getByTestId('sign-in-error'), /password/i);
  await screenshot(page(), '03-sign-in-error');
  await page().getByLabel('Password').fill(PASSWORD);
  await page().getByRole('button', { name: 'Sign in' }).click();
  await page().waitForURL('**/pools');
  await heading('Identity pools').waitFor();
});

test('identity pools: list, create (name, guests), open', async () => {
  await page().getByTestId('pool-row').first().waitFor();
  expect(await page().getByTestId('pool-row').count()).toBe(1); // the API's default pool
  await screenshot(page(), '04-pools');

  await page().getByRole('button', { name: 'Create identity pool' }).first().click();
  const create = dialog('create-pool-dialog');
  await create.getByRole('button', { name: 'Create pool' }).click();
  await waitForText(create.locator('.error'), 'Enter a name for the pool.');
  await create.getByLabel('Name').fill(state.poolName);
  await screenshot(page(), '05-create-pool-dialog', { fullPage: false });
  await create.getByRole('button', { name: 'Create pool' }).click();

  await heading(state.poolName).waitFor();
  state.poolId = decodeURIComponent(new URL(page().url()).pathname.split('/')[2]!);
  expect(state.poolId).toMatch(/^local-1:/);
  await page().getByTestId('stat-identities').waitFor();
  await screenshot(page(), '06-dashboard-empty');

  await page()
    .getByRole('navigation', { name: 'Breadcrumb' })
    .getByRole('link', { name: 'Identity pools' })
    .click();
  const row = page().getByTestId('pool-row').filter({ hasText: state.poolName });
  await row.waitFor();
  await waitForText(row, 'Allowed');
  await waitForText(row, state.poolId);
  await screenshot(page(), '07-pools-with-new-pool');
  await row.getByRole('link', { name: state.poolName }).click();
  await heading(state.poolName).waitFor();
});

test('dashboard: totals, syncs over time and recent changes', async () => {
  state.user = await Device.user(api.url, state.poolId);
  await state.user.write('settings', { theme: 'dark', fontSize: '14' });
  await state.user.write('settings', { theme: 'light' });

  await page().getByRole('button', { name: 'Refresh' }).click();
  await waitForText(page().getByTestId('stat-identities'), /Identities\s*1/);
  await waitForText(page().getByTestId('stat-datasets'), /Datasets\s*1/);
  await waitForText(page().getByTestId('stat-records'), /Records\s*2/);
  const changes = page().getByTestId('recent-changes').locator('tbody tr');
  await expect.poll(() => changes.count(), { timeout: TIMEOUT }).toBe(2);
  await waitForText(changes.first(), 'Update · device');
  await page().getByTestId('syncs-chart').waitFor();
  await screenshot(page(), '08-dashboard');
});

test('identity browser: search by ID prefix, and pages with Next / Previous', async () => {
  // 12 guests and the user: 13 identities, two pages of 10.
  await Promise.all(Array.from({ length: 12 }, () => Device.guest(api.url, state.poolId)));
  await page()
    .getByRole('navigation', { name: 'Identity pool' })
    .getByRole('link', { name: 'Identity browser' })
    .click();
  await heading('Identity browser').waitFor();
  await page().getByTestId('identity-row').first().waitFor();
  expect(await page().getByTestId('identity-row').count()).toBe(13);
  await page().getByLabel('Identities per page').selectOption('10');
  await expect
    .poll(() => page().getByTestId('identity-row').count(), { timeout: TIMEOUT })
    .toBe(10);
  await screenshot(page(), '09-identity-browser-page-1');
  const next = page().getByRole('button', { name: 'Next →' });
  const previous = page().getByRole('button', { name: '← Previous' });
  expect(await previous.isDisabled()).toBe(true);
  const firstPage = await page().getByTestId('identity-row').allTextContents();
  await next.click();
  await expect.poll(() => page().getByTestId('identity-row').count(), { timeout: TIMEOUT }).toBe(3);
  await waitForText(page().getByTestId('page-info'), 'Page 2');
  expect(await next.isDisabled()).toBe(true);
  const secondPage = await page().getByTestId('identity-row').allTextContents();
  expect(secondPage.filter((row) => firstPage.includes(row))).toEqual([]);
  await screenshot(page(), '10-identity-browser-page-2');
  await previous.click();
  await expect
    .poll(() => page().getByTestId('identity-row').count(), { timeout: TIMEOUT })
    .toBe(10);
  await waitForText(page().getByTestId('page-info'), 'Page 1');

  // A prefix narrows the list.
  const userId = state.user!.identityId;
  const prefix = userId.slice(0, 'local-1:'.length + 6);
  await page().getByLabel('Identity ID').fill(prefix);
  await page().getByRole('button', { name: 'Search' }).click();
  await expect
    .poll(
      async () =>
        (await page().getByTestId('identity-row').allTextContents()).every((t) =>
          t.startsWith(prefix),
        ),
      { timeout: TIMEOUT },
    )
    .toBe(true);
  await waitForText(page().getByTestId('identities-table'), userId);
  await screenshot(page(), '11-identity-search-prefix');

  // No match: an empty state that says so.
  await page().getByLabel('Identity ID').fill('local-1:ffffffff-nothing');
  await page().getByRole('button', { name: 'Search' }).click();
  await waitForText(page().getByTestId('empty-state'), 'No identity matches');
  await screenshot(page(), '12-identity-search-no-match');

  // A whole identity ID opens its details, as in Cognito's console.
  await page().getByLabel('Identity ID').fill(userId);
  await page().getByRole('button', { name: 'Search' }).click();
  await heading('Identity details').waitFor();
  await waitForText(page().getByTestId('identity-id'), userId);
});

test('identity details: datasets, and Create dataset validated like the server', async () => {
  const row = page().locator('[data-testid="dataset-row"][data-dataset="settings"]');
  await row.waitFor();
  await waitForText(row, 'settings');
  await screenshot(page(), '13-identity-details');

  // Dialogs are keyboard-driven: focus starts in the dialog, Escape closes it.
  await page().getByRole('button', { name: 'Create dataset' }).first().click();
  const create = dialog('create-dataset-dialog');
  await expect
    .poll(() => page().evaluate(() => document.activeElement?.closest('dialog') !== null))
    .toBe(true);
  await page().keyboard.press('Escape');
  await waitGone(create);
  await page().getByRole('button', { name: 'Create dataset' }).first().click();
  await create.getByLabel('Dataset name').fill('my notes');
  await create.getByRole('button', { name: 'Create and edit dataset' }).click();
  await waitForText(create.locator('.error'), 'Use only letters, digits');
  await screenshot(page(), '14-create-dataset-invalid-name', { fullPage: false });
  await create.getByLabel('Dataset name').fill('settings');
  await create.getByRole('button', { name: 'Create and edit dataset' }).click();
  await waitForText(create.locator('.error'), 'already has a dataset');
  await create.getByLabel('Dataset name').fill('notes');
  await create.getByRole('button', { name: 'Create and edit dataset' }).click();
  await page().waitForURL(`**${datasetPath('notes')}`);
  await page().getByTestId('new-dataset-notice').waitFor();
  await screenshot(page(), '15-new-dataset');
});

test('create record: invalid JSON is refused with a clear message; Format as JSON pretty-prints', async () => {
  await page().getByRole('button', { name: 'Create record' }).first().click();
  const record = dialog('record-dialog');
  await record.getByLabel('Key').fill('groceries');
  await record.getByLabel('Value', { exact: true }).fill('{"items": ["milk", "eggs"]');
  await record.getByRole('button', { name: 'Format as JSON' }).click();
  await waitForText(record.locator('.error'), 'This is not well-formed JSON');
  await screenshot(page(), '16-record-invalid-json', { fullPage: false });
  // It cannot be staged either.
  await record.getByRole('button', { name: 'Save changes' }).click();
  await waitForText(record.locator('.error'), 'not well-formed JSON');
  expect(await page().getByTestId('pending-changes').count()).toBe(0);

  await record.getByLabel('Value', { exact: true }).fill('{"items": ["milk", "eggs"]}');
  await record.getByRole('button', { name: 'Format as JSON' }).click();
  await record.getByTestId('json-ok').waitFor();
  expect(await record.getByLabel('Value', { exact: true }).inputValue()).toBe(
    '{\n  "items": [\n    "milk",\n    "eggs"\n  ]\n}',
  );
  await screenshot(page(), '17-record-formatted-json', { fullPage: false });
  await record.getByRole('button', { name: 'Save changes' }).click();
  await waitGone(record);
  await pending('groceries').waitFor();
  await waitForText(pending('groceries'), 'Add');
});

test('a staged record survives a reload and stays invisible to the device until Synchronize', async () => {
  await page().reload();
  await pending('groceries').waitFor();
  await screenshot(page(), '18-staged-change-after-reload');
  // Nothing reached the server.
  expect((await state.user!.pull('notes')).datasetExists).toBe(false);

  await page().getByRole('button', { name: 'Synchronize' }).first().click();
  await toast(/Synchronized 1 change/).waitFor();
  await waitGone(page().getByTestId('pending-changes'));
  await recordRow('groceries').waitFor();
  await waitForText(recordRow('groceries'), `admin:${adminEmail}`);
  await screenshot(page(), '19-synchronized');

  // The device sees it at its next sync.
  expect(await state.user!.values('notes')).toEqual({
    groceries: '{\n  "items": [\n    "milk",\n    "eggs"\n  ]\n}',
  });
});

test('a device’s write appears after Refresh', async () => {
  await state.user!.write('notes', { todo: 'call Bob' });
  expect(await recordRow('todo').count()).toBe(0);
  await page().getByRole('button', { name: 'Refresh' }).click();
  await recordRow('todo').waitFor();
  await waitForText(recordRow('todo'), 'call Bob');
  await waitForText(recordRow('todo'), state.user!.identityId);
  await screenshot(page(), '20-device-write-after-refresh');
});

test('edit and remove are staged with before/after, and can be discarded one by one or all', async () => {
  await recordRow('groceries').getByRole('button', { name: 'Remove groceries' }).click();
  await waitForText(pending('groceries'), 'Remove');
  await recordRow('todo').getByRole('button', { name: 'Edit todo' }).click();
  const record = dialog('record-dialog');
  // A plain-text value opens as Text, and is stored exactly as typed.
  expect(await record.getByRole('radio', { name: /Text/ }).isChecked()).toBe(true);
  await record.getByLabel('Value', { exact: true }).fill('call Bob at 5');
  await record.getByRole('button', { name: 'Save changes' }).click();
  await waitGone(record);
  await waitForText(pending('todo'), 'Edit');
  await waitForText(pending('todo'), 'call Bob');
  await waitForText(pending('todo'), 'call Bob at 5');
  await screenshot(page(), '21-pending-edit-and-remove');

  await pending('groceries')
    .getByRole('button', { name: 'Discard the change to groceries' })
    .click();
  await waitGone(pending('groceries'));
  expect(await pending('todo').count()).toBe(1);
});

test('a conflicting Synchronize is shown, not silently overwritten, and resolving it works', async () => {
  // The edit of "todo" was staged on its sync count; now the device writes the same key.
  await state.user!.write('notes', { todo: 'call Bob tomorrow' });
  await page().getByRole('button', { name: 'Synchronize' }).first().click();
  const conflicts = dialog('conflict-dialog');
  await conflicts.waitFor();
  const conflict = conflicts.locator('[data-testid="conflict"][data-key="todo"]');
  await waitForText(conflict.getByTestId('conflict-theirs'), 'call Bob tomorrow');
  await waitForText(conflict.getByTestId('conflict-mine'), 'call Bob at 5');
  await screenshot(page(), '22-conflict', { fullPage: false });
  // Nothing was written: the device's value is still there.
  expect((await state.user!.values('notes')).todo).toBe('call Bob tomorrow');

  await conflict.getByRole('radio', { name: /Keep my change/ }).check();
  await conflicts.getByRole('button', { name: 'Apply choices' }).click();
  await waitGone(conflicts);
  // Re-staged on the device's version: "before" is now the device's value.
  await waitForText(pending('todo'), /Before\s*call Bob tomorrow/);
  await screenshot(page(), '23-conflict-resolved-restaged');
  await page().getByRole('button', { name: 'Synchronize' }).first().click();
  await toast(/Synchronized 1 change/).waitFor();
  await waitGone(page().getByTestId('pending-changes'));
  expect((await state.user!.values('notes')).todo).toBe('call Bob at 5');

  // The other choice: drop the change, the device's value stays.
  await recordRow('todo').getByRole('button', { name: 'Remove todo' }).click();
  await state.user!.write('notes', { todo: 'done' });
  await page().getByRole('button', { name: 'Synchronize' }).first().click();
  await conflicts.waitFor();
  await conflicts.getByRole('radio', { name: /Drop my change/ }).check();
  await conflicts.getByRole('button', { name: 'Apply choices' }).click();
  await waitGone(conflicts);
  await waitGone(page().getByTestId('pending-changes'));
  await waitForText(recordRow('todo'), 'done');
  expect((await state.user!.values('notes')).todo).toBe('done');
});

test('records: filter and pages for a large dataset', async () => {
  const many = Object.fromEntries(
    Array.from({ length: 60 }, (_, i) => [
      `item-${String(i).padStart(3, '0')}`,
      JSON.stringify({ n: i }),
    ]),
  );
  await state.user!.write('big', many);
  await page().goto(datasetPath('big'));
  await recordRow('item-000').waitFor();
  expect(await page().getByTestId('record-row').count()).toBe(25);
  await page().getByRole('button', { name: 'Next →' }).click();
  await recordRow('item-025').waitFor();
  await page().getByLabel('Filter records').fill('item-05');
  await expect.poll(() => page().getByTestId('record-row').count(), { timeout: TIMEOUT }).toBe(10);
  await screenshot(page(), '24-records-filtered');
});

test('delete selected datasets, after a confirmation', async () => {
  await page().goto(
    `/pools/${encodeURIComponent(state.poolId)}/identities/${encodeURIComponent(state.user!.identityId)}`,
  );
  await page().locator('[data-testid="dataset-row"][data-dataset="big"]').waitFor();
  await page().getByLabel('Select settings').check();
  await page().getByLabel('Select big').check();
  await page()
    .getByRole('button', { name: /Delete selected \(2\)/ })
    .click();
  const confirm = dialog('delete-datasets-dialog');
  await waitForText(confirm, 'settings');
  await waitForText(confirm, 'big');
  await screenshot(page(), '25-delete-datasets-confirm', { fullPage: false });
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await toast('Deleted 2 datasets').waitFor();
  await waitGone(page().locator('[data-testid="dataset-row"][data-dataset="settings"]'));
  await waitGone(page().locator('[data-testid="dataset-row"][data-dataset="big"]'));
  await page().locator('[data-testid="dataset-row"][data-dataset="notes"]').waitFor();
  await screenshot(page(), '26-datasets-deleted');
  expect(await state.user!.datasets()).toEqual(['notes']);
});

test('edit identity pool: name, guests, push key and rotation, streams, sync trigger, bulk publish, AWS developer keys', async () => {
  await page().goto(`/pools/${encodeURIComponent(state.poolId)}/settings`);
  await heading('Edit identity pool').waitFor();
  const general = page().getByTestId('section-general');
  await general.getByLabel('Name').fill('Notes app (prod)');
  await general.getByRole('checkbox', { name: /Allow guests/ }).uncheck();
  await general.getByRole('button', { name: 'Save' }).click();
  await toast('Pool saved').waitFor();

  // Bulk publish is refused until streams are enabled; the button says why.
  const bulk = page().getByTestId('section-bulk');
  await waitForText(bulk.getByTestId('bulk-blocked'), 'Configure streams first');
  expect(await bulk.getByRole('button', { name: 'Start bulk publish' }).isDisabled()).toBe(true);

  const push = page().getByTestId('section-push');
  expect(await push.getByTestId('vapid-public-key').count()).toBe(0);
  await push.getByRole('checkbox', { name: /Enable push synchronization/ }).check();
  await push.getByRole('button', { name: 'Save push settings' }).click();
  await toast('Push synchronization is on').waitFor();
  const key = push.getByTestId('vapid-public-key');
  await key.waitFor();
  const firstKey = await key.inputValue();
  expect(firstKey).toMatch(/^[A-Za-z0-9_-]{80,}$/);

  // Streams: the fields of the chosen kind, checked before saving.
  const streams = page().getByTestId('section-streams');
  await streams.getByLabel('Sink').selectOption('nats');
  await streams.getByLabel('Host').fill('');
  await streams.getByRole('button', { name: 'Save streams' }).click();
  await waitForText(streams.locator('.error'), 'Required.');
  await streams.getByLabel('Host').fill('nats server!');
  await streams.getByLabel('Subject prefix').fill('tandem..changes');
  await streams.getByRole('button', { name: 'Save streams' }).click();
  await waitForText(streams, 'Must be a host name or IP address');
  await waitForText(streams, 'Dot-separated tokens');
  await screenshot(page(), '27-settings-validation');
  await streams.getByLabel('Host').fill('127.0.0.1');
  await streams.getByLabel('Subject prefix').fill('tandem.changes');
  await streams.getByRole('button', { name: 'Save streams' }).click();
  await toast('Streams saved').waitFor();

  // A sync trigger whose source does not compile: the server's message, next to the source.
  const trigger = page().getByTestId('section-trigger');
  await trigger
    .getByLabel('Function source')
    .fill('export default async function (event) {\n  return event\n');
  await trigger.getByRole('button', { name: 'Save sync trigger' }).click();
  await waitForText(trigger.locator('.error'), 'does not compile');
  await screenshot(page(), '28-trigger-syntax-error');
  await trigger
    .getByLabel('Function source')
    .fill('export default async function (event) {\n  return event;\n}\n');
  await trigger.getByRole('button', { name: 'Save sync trigger' }).click();
  await toast('Sync trigger saved').waitFor();

  // Everything is still there after a reload.
  await page().reload();
  await heading('Edit identity pool').waitFor();
  expect(await general.getByLabel('Name').inputValue()).toBe('Notes app (prod)');
  expect(await general.getByRole('checkbox', { name: /Allow guests/ }).isChecked()).toBe(false);
  expect(await push.getByTestId('vapid-public-key').inputValue()).toBe(firstKey);
  expect(await streams.getByLabel('Sink').inputValue()).toBe('nats');
  expect(await streams.getByLabel('Host').inputValue()).toBe('127.0.0.1');
  await waitForText(streams.getByTestId('streams-health'), 'Health');
  expect(await trigger.getByLabel('Function source').inputValue()).toContain('return event;');
  await screenshot(page(), '29-settings-saved');

  // Rotating warns first, then changes the key.
  await push.getByRole('button', { name: 'Rotate key…' }).click();
  const rotate = dialog('rotate-dialog');
  await waitForText(rotate, 'Every existing browser subscription stops working');
  await screenshot(page(), '30-rotate-warning', { fullPage: false });
  await rotate.getByRole('button', { name: 'Rotate key' }).click();
  await waitGone(rotate);
  await expect
    .poll(() => push.getByTestId('vapid-public-key').inputValue(), { timeout: TIMEOUT })
    .not.toBe(firstKey);

  // The built-in sink: the worker (in the API process here) picks it up and reports health.
  await streams.getByLabel('Sink').selectOption('postgres');
  await streams.getByRole('button', { name: 'Save streams' }).click();
  await toast('Streams saved').waitFor();
  await waitForText(streams.getByTestId('streams-health'), 'Healthy');
  await waitForText(streams.getByTestId('streams-health'), '0 changes waiting');

  // Bulk publish: allowed now that streams are enabled; the worker runs it to the end, and a
  // second run is refused for 24 hours.
  expect(await bulk.getByRole('button', { name: 'Start bulk publish' }).isDisabled()).toBe(false);
  await bulk.getByRole('button', { name: 'Start bulk publish' }).click();
  await waitForText(bulk.getByTestId('bulk-status'), 'Succeeded');
  await waitForText(bulk.getByTestId('bulk-blocked'), 'the next one is possible after');
  expect(await bulk.getByRole('button', { name: 'Start bulk publish' }).isDisabled()).toBe(true);
  await screenshot(page(), '31-bulk-publish-succeeded');

  // AWS SDK access: a developer key's secret is shown once, then the key is revoked.
  const aws = page().getByTestId('section-aws');
  expect(await aws.getByTestId('aws-region').inputValue()).toBe(state.poolId.split(':')[0]);
  await waitForText(aws.getByTestId('aws-sdk-snippet'), 'new CognitoSyncClient({');
  await aws.getByTestId('aws-no-keys').waitFor();
  await aws.getByLabel('New developer key').fill('Backend server');
  await aws.getByRole('button', { name: 'Create key' }).click();
  const secretBox = aws.getByTestId('aws-new-secret');
  await waitForText(secretBox, 'it will not be shown again');
  const secret = await secretBox.getByTestId('aws-new-secret-access-key').inputValue();
  expect(secret).toMatch(/^[A-Za-z0-9]{40}$/);
  const accessKeyId = await secretBox.getByTestId('aws-new-access-key-id').inputValue();
  const keyRow = aws.locator(`[data-testid="aws-key-row"][data-key="${accessKeyId}"]`);
  await waitForText(keyRow, 'Active');
  await waitForText(keyRow, adminEmail);
  expect(await aws.getByTestId('aws-keys-table').textContent()).not.toContain(secret);
  await aws.scrollIntoViewIfNeeded();
  await screenshot(page(), '42-aws-developer-key-created');
  await keyRow.getByRole('button', { name: 'Revoke…' }).click();
  const revokeDialog = dialog('revoke-key-dialog');
  await waitForText(revokeDialog, 'Apps using this key stop working at once');
  await revokeDialog.getByRole('button', { name: 'Revoke key' }).click();
  await waitGone(revokeDialog);
  await toast('Key revoked').waitFor();
  await waitForText(keyRow, 'Revoked');
  await waitGone(secretBox);
  expect(await keyRow.getByRole('button', { name: 'Revoke…' }).count()).toBe(0);
  await screenshot(page(), '43-aws-developer-key-revoked');
});

test('errors are explained in plain words, with what to do', async () => {
  await page().goto(
    `/pools/${encodeURIComponent(state.poolId)}/identities/local-1:00000000-0000-0000-0000-000000000000`,
  );
  const notice = page().getByTestId('error-notice').first();
  await waitForText(notice, 'Not found');
  await waitForText(notice, 'Go back and open it from the list');
  expect(await notice.textContent()).not.toMatch(/at \w+ \(|\.ts:\d+/); // no stack
  await screenshot(page(), '32-error-not-found');

  // At 20 datasets: Create dataset is disabled, and a dataset staged anyway is refused by the
  // server with its limit, explained.
  for (let i = 1; i <= 19; i++) {
    await state.user!.write(`extra-${String(i).padStart(2, '0')}`, { k: 'v' });
  }
  await page().goto(
    `/pools/${encodeURIComponent(state.poolId)}/identities/${encodeURIComponent(state.user!.identityId)}`,
  );
  await waitForText(page().locator('.notice-warning'), 'maximum of 20 datasets');
  expect(await page().getByRole('button', { name: 'Create dataset' }).isDisabled()).toBe(true);
  await page().goto(datasetPath('one-too-many'));
  await page().getByRole('button', { name: 'Create record' }).first().click();
  await dialog('record-dialog').getByLabel('Key').fill('k');
  await dialog('record-dialog').getByLabel('Value', { exact: true }).fill('1');
  await dialog('record-dialog').getByRole('button', { name: 'Save changes' }).click();
  await page().getByRole('button', { name: 'Synchronize' }).first().click();
  const limit = page().getByTestId('error-notice');
  await waitForText(limit, 'Synchronize failed; nothing was saved on the server');
  await waitForText(limit, 'An identity holds at most 20 datasets');
  await screenshot(page(), '33-error-limit-exceeded');
  await page().getByRole('button', { name: 'Discard all' }).click();
  await waitGone(page().getByTestId('pending-changes'));

  // The proxy refuses state-changing requests from another origin (CSRF).
  const cookies = await admin.context.cookies();
  const forged = await fetch(`${web.url}/trpc/admin.identityPool.create`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: 'https://evil.example',
      cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
    },
    body: JSON.stringify({ name: 'forged' }),
  });
  expect(forged.status).toBe(403);
});

test('phone width: the pool navigation collapses, pages stay readable', async () => {
  const phone = await browser.newContext({
    viewport: PHONE,
    baseURL: web.url,
    storageState: await admin.context.storageState(),
  });
  const p = await phone.newPage();
  p.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await p.goto('/pools');
    await p.getByTestId('pool-row').first().waitFor();
    await screenshot(p, '34-phone-pools');
    await p.goto(`/pools/${encodeURIComponent(state.poolId)}`);
    await p.getByTestId('stat-identities').waitFor();
    const nav = p.getByTestId('pool-nav');
    expect(await nav.getByRole('link', { name: 'Identity browser' }).isVisible()).toBe(false);
    await screenshot(p, '35-phone-dashboard');
    await nav.getByRole('button', { expanded: false }).click();
    await nav.getByRole('link', { name: 'Identity browser' }).waitFor({ state: 'visible' });
    await screenshot(p, '36-phone-nav-open', { fullPage: false });
    await nav.getByRole('link', { name: 'Identity browser' }).click();
    await p.getByTestId('identity-row').first().waitFor();
    await screenshot(p, '37-phone-identity-browser');
    await p.goto(datasetPath('notes'));
    await p.locator('[data-testid="record-row"][data-key="todo"]').waitFor();
    await screenshot(p, '38-phone-dataset');
    await p.getByRole('button', { name: 'Create record' }).first().click();
    await p.getByTestId('record-dialog').waitFor();
    await screenshot(p, '39-phone-record-dialog', { fullPage: false });
    await p.goto(`/pools/${encodeURIComponent(state.poolId)}/settings`);
    await p.getByTestId('section-push').waitFor();
    await screenshot(p, '40-phone-settings');
  } finally {
    await phone.close();
  }
});

test('a non-admin account sees nothing but “this account is not an admin”, and can sign out', async () => {
  const email = uniqueEmail('plain');
  await signUpUser(api.url, email);
  const context = await browser.newContext({ viewport: DESKTOP, baseURL: web.url });
  const p = await context.newPage();
  p.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await p.goto(`/pools/${encodeURIComponent(state.poolId)}`);
    await p.waitForURL('**/sign-in?next=**');
    await p.getByLabel('Email').fill(email);
    await p.getByLabel('Password').fill(PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    const notice = p.getByTestId('not-admin');
    await waitForText(notice, 'This account is not an admin');
    await waitForText(notice, email);
    expect(await p.getByText(state.poolName).count()).toBe(0);
    expect(await p.getByTestId('pool-row').count()).toBe(0);
    await screenshot(p, '41-not-admin');
    // The API refuses the admin procedures to this session as well.
    const cookies = await context.cookies();
    const refused = await fetch(
      `${web.url}/trpc/admin.identityPool.list?input=${encodeURIComponent('{}')}`,
      {
        headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
      },
    );
    expect(refused.status).toBe(403);
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.waitForURL('**/sign-in');
  } finally {
    await context.close();
  }
});
