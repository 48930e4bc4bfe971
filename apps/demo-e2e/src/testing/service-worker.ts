/**
 * A device's service worker seen through the Chrome DevTools Protocol, which can also hand it a
 * push message as if a push service had delivered one (what DevTools' "Push" button does). The
 * browser never needs a real push subscription for that, so it works offline and headless.
 */
import type { CDPSession, Page } from 'playwright-core';

/** The parts of the protocol's ServiceWorkerVersion used here. */
interface WorkerVersion {
  registrationId: string;
  scriptURL: string;
  status: string;
}

export interface DeviceServiceWorker {
  registrationId: string;
  scriptURL: string;
  /** Fires a `push` event with `data` (a push message's decrypted payload) at the worker. */
  deliverPush(data: unknown): Promise<void>;
  close(): Promise<void>;
}

/** Waits until `page`'s origin has an activated worker at `scriptPath` and returns it. */
export async function activeServiceWorker(
  page: Page,
  scriptPath: string,
  timeoutMs = 15_000,
): Promise<DeviceServiceWorker> {
  const origin = new URL(page.url()).origin;
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const active = new Promise<WorkerVersion>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no activated service worker ${scriptPath} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Sent for every known version once the domain is enabled, then on every change.
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      const version = versions.find(
        (v) => v.status === 'activated' && new URL(v.scriptURL).pathname === scriptPath,
      );
      if (version && new URL(version.scriptURL).origin === origin) {
        clearTimeout(timer);
        resolve(version);
      }
    });
  });
  await cdp.send('ServiceWorker.enable');
  let version: WorkerVersion;
  try {
    version = await active;
  } catch (error) {
    await cdp.detach();
    throw error;
  }
  return {
    registrationId: version.registrationId,
    scriptURL: version.scriptURL,
    async deliverPush(data) {
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin,
        registrationId: version.registrationId,
        data: JSON.stringify(data),
      });
    },
    close: () => cdp.detach(),
  };
}
