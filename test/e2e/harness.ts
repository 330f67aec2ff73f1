import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startLocalStack, type LocalStack } from '../helpers/local-stack';

/** Debian's chromium package; CI installs it with apt-get. Never `npx playwright install`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

if (!hasChromium) {
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! SKIPPING BROWSER (e2e) TESTS: no Chromium at ${CHROMIUM_PATH}.\n` +
      `!! Install it with \`apt-get install -y chromium\` (CI does) or set CHROMIUM_PATH.\n${line}\n`,
  );
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const PASSWORD = 'correct horse battery staple';

/** Per test: the first request to each function pays for a cold worker, and CI machines are shared. */
export const E2E_TIMEOUT_MS = 90_000;
/** Per browser wait (locator, navigation): fails on the step that waits, well before the test timeout. */
const STEP_TIMEOUT_MS = 20_000;

export interface E2eEnv {
  url: string;
  /** The stack itself, for tests that act beside the browser (a backfill, a direct table write). */
  stack: LocalStack;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Builds the web app into a private directory (so parallel test files never race on dist/), starts the
 * in-memory stack serving it, and launches Chromium.
 */
export async function startE2e(): Promise<E2eEnv> {
  const stack = await startLocalStack({ privateWeb: true, env: { SCRYPT_N: '1024' } });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    url: stack.url,
    stack,
    browser,
    async close() {
      await browser.close();
      await stack.stop();
    },
  };
}

/** `expect.poll` with a timeout that allows for a loaded machine (its default is one second). */
export function eventually<T>(read: () => T | Promise<T>, timeout = STEP_TIMEOUT_MS) {
  return expect.poll(read, { timeout, interval: 100 });
}

let counter = 0;
/** User names valid for the user API (letters, digits, `.-_@`), unique per run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export interface UserPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and Content-Security-Policy violations seen by the page. */
  problems: string[];
}

export async function openPage(env: E2eEnv, options: Parameters<Browser['newContext']>[0] = {}): Promise<UserPage> {
  const context = await env.browser.newContext({ baseURL: env.url, ...options });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy/i.test(msg.text())) problems.push(`csp: ${msg.text()}`);
  });
  await page.goto('/');
  return { context, page, problems };
}

/** Registers through the sign-in screen and waits for the (empty) todo list. */
export async function registerInUi(page: Page, userName: string, password = PASSWORD): Promise<void> {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('User name').fill(userName);
  await page.getByLabel('Password').fill(password);
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.new-todo').waitFor();
  await page.locator('.user-name').waitFor();
}

export async function signInInUi(page: Page, userName: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('User name').fill(userName);
  await page.getByLabel('Password').fill(password);
  await page.locator('.auth-form button[type=submit]').click();
}

export async function addTodos(page: Page, ...titles: string[]): Promise<void> {
  const input = page.locator('.new-todo');
  for (const title of titles) {
    await input.fill(title);
    await input.press('Enter');
  }
  await waitForSaved(page);
}

/**
 * Optimistic rows carry `.saving` until the server confirms them; the list as a whole is `aria-busy`
 * while any write, including the delete of a row no longer shown, is unconfirmed.
 */
export async function waitForSaved(page: Page, timeout = STEP_TIMEOUT_MS): Promise<void> {
  await eventually(() => page.locator('.todo-list li.saving').count(), timeout).toBe(0);
  await eventually(() => page.locator('.todoapp[aria-busy=true]').count(), timeout).toBe(0);
}

export function titles(page: Page): Promise<string[]> {
  return page.locator('.todo-list li .view label').allTextContents();
}

export function row(page: Page, title: string) {
  return page.locator('.todo-list li').filter({ has: page.locator('.view label', { hasText: new RegExp(`^${escape(title)}$`) }) });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Calls the API from inside the page, so the session cookie and same-origin headers are the app's own. */
export async function apiFetch<T = unknown>(
  page: Page,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ([method, url, body, headers]) => {
      const res = await fetch(url, {
        method,
        credentials: 'same-origin',
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    [method, url, body, headers] as const,
  );
}
