/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the console's
 * end-to-end tests. Every launch gets a fresh profile directory, removed on close.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOT_DIR = join(ROOT, 'test-output');

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Builds the console with Vite when no build is there (npm ci's prepare normally did it). */
export async function ensureConsoleBuilt(): Promise<void> {
  if (existsSync(join(ROOT, 'dist/console/public/index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'src/console/app/vite.config.ts'), logLevel: 'warn' });
}

/**
 * `home` sets Chromium's HOME: on Linux it trusts the certificate authorities in
 * $HOME/.pki/nssdb (see test/helpers/tls.ts), as a desktop user's Chromium does.
 */
export async function launchBrowser(options: { home?: string } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'kmsd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    ...(options.home ? { env: { ...process.env, HOME: options.home } } : {}),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    context,
    page,
    async screenshot(name: string) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, `console-${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
