/** Debian's Chromium (never a downloaded browser), and screenshots a person can look at. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Without the background-networking flags Chromium keeps dialling Google on this closed
    // network; no sandbox because CI runs as root.
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

/** Screenshots into `directory` (emptied by `clear()`), one PNG per name. */
export function screenshots(directory: string) {
  return {
    async clear() {
      await rm(directory, { recursive: true, force: true });
      await mkdir(directory, { recursive: true });
    },
    /**
     * The whole page, or only the viewport (a modal dialog's backdrop covers the viewport, not
     * the page below it).
     */
    async take(page: Page, name: string, options = { fullPage: true }) {
      // Full-page captures draw sticky bars where the page was scrolled to: start from the top.
      if (options.fullPage) await page.evaluate('window.scrollTo(0, 0)');
      await page.waitForTimeout(150);
      await page.screenshot({ path: path.join(directory, `${name}.png`), ...options });
    },
  };
}
