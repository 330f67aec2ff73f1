import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURRENT_USER_URL, FIRST_PAGE_URL, STARTUP_URLS } from '../../web/src/api';
import type { Page } from 'playwright-core';
import { addTodos, apiFetch, E2E_TIMEOUT_MS, eventually, hasChromium, openPage, PASSWORD, registerInUi, row, signInInUi, startE2e, titles, uniqueName, type E2eEnv } from './harness';

/** Every request's path and query, and every console message, from the page's first navigation on. */
function recordTraffic(page: Page): { requests: string[]; messages: string[] } {
  const requests: string[] = [];
  const messages: string[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    requests.push(url.pathname + url.search);
  });
  page.on('console', (msg) => messages.push(`${msg.type()}: ${msg.text()}`));
  return { requests, messages };
}

describe.skipIf(!hasChromium)('browser: accounts', { timeout: E2E_TIMEOUT_MS }, () => {
  let env: E2eEnv;

  beforeAll(async () => {
    env = await startE2e();
  });

  afterAll(async () => {
    await env?.close();
  });

  it('registers, shows who is signed in, signs out and signs back in', async () => {
    // Prepare
    const { page, context, problems } = await openPage(env);
    const name = uniqueName('ada');

    // Act
    await registerInUi(page, name);

    // Assess
    expect((await page.locator('.user-name').textContent())?.toLowerCase()).toBe(name);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await apiFetch(page, 'GET', '/api/currentUser')).status).toBe(401);
    await signInInUi(page, name);
    await page.locator('.new-todo').waitFor();
    expect((await page.locator('.user-name').textContent())?.toLowerCase()).toBe(name);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a wrong password and a taken name in the page', async () => {
    // Prepare
    const name = uniqueName('grace');
    const first = await openPage(env);
    await registerInUi(first.page, name);
    await first.context.close();
    const { page, context } = await openPage(env);

    // Act: wrong password
    await signInInUi(page, name, 'not the password');

    // Assess
    await eventually(() => page.locator('.form-error').textContent()).toMatch(/wrong user name or password/i);
    expect(await page.locator('.new-todo').count()).toBe(0);

    // Act: the same name again
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.locator('.auth-form button[type=submit]').click();

    // Assess
    await eventually(() => page.locator('.form-error').textContent()).toMatch(/taken|exists|already/i);
    await context.close();
  });

  it('validates empty fields in the page instead of a browser bubble', async () => {
    const { page, context } = await openPage(env);
    await page.locator('.auth-form button[type=submit]').click();
    expect(await page.locator('.form-error').textContent()).toBe('Enter a user name.');
    await context.close();
  });

  it('sends the user back to sign in with a message when the session expires', async () => {
    // Prepare
    const { page, context } = await openPage(env);
    await registerInUi(page, uniqueName('expire'));
    await addTodos(page, 'survives the session');

    // Act: the cookie disappears (expiry, sign-out elsewhere), then the user acts.
    await context.clearCookies();
    await row(page, 'survives the session').locator('.toggle').click();

    // Assess
    await eventually(() => page.locator('.form-error').textContent()).toMatch(/session has expired/i);
    expect(await page.locator('.new-todo').count()).toBe(0);
    await context.close();
  });

  it('keeps two users’ todos apart', async () => {
    // Prepare
    const alice = await openPage(env);
    await registerInUi(alice.page, uniqueName('alice'));
    await addTodos(alice.page, 'alice secret');
    const aliceId = await row(alice.page, 'alice secret').getAttribute('data-id');
    const bob = await openPage(env);
    await registerInUi(bob.page, uniqueName('bob'));

    // Act
    await addTodos(bob.page, 'bob only');
    await bob.page.reload();
    await bob.page.locator('.todo-list li').first().waitFor();

    // Assess
    expect(await titles(bob.page)).toEqual(['bob only']);
    const peek = await apiFetch(bob.page, 'GET', `/api/todos/${aliceId}`);
    expect(peek.status).toBe(404);
    const change = await apiFetch(bob.page, 'PATCH', `/api/todos/${aliceId}`, { title: 'hijacked' });
    expect(change.status).toBe(404);
    await alice.page.reload();
    await alice.page.locator('.todo-list li').first().waitFor();
    expect(await titles(alice.page)).toEqual(['alice secret']);
    await alice.context.close();
    await bob.context.close();
  });

  it('starts a returning visitor with one request per startup URL, reusing the preloads, and a quiet console', async () => {
    // Prepare
    const first = await openPage(env);
    await registerInUi(first.page, uniqueName('back'));
    await addTodos(first.page, 'still here');
    const cookies = await first.context.cookies();
    await first.context.close();
    const context = await env.browser.newContext({ baseURL: env.url });
    await context.addCookies(cookies);
    const page = await context.newPage();
    const { requests, messages } = recordTraffic(page);

    // Act
    await page.goto('/');
    await page.locator('.todo-list li').first().waitFor();
    await page.locator('.user-name').waitFor();
    // Chromium warns about an unused preload a few seconds after the load event.
    await page.waitForTimeout(3_500);

    // Assess
    expect(await titles(page)).toEqual(['still here']);
    // Preloaded requests are reused by the app's fetch, not sent twice; the user name follows the list.
    expect(requests.filter((r) => !r.startsWith('/assets/'))).toEqual(['/', FIRST_PAGE_URL, CURRENT_USER_URL]);
    expect(messages).toEqual([]);
    expect(await page.evaluate(() => performance.getEntriesByName('todos-rendered').length)).toBe(1);
    await context.close();
  });

  it('shows a signed-out visitor the sign-in screen after one request, with only its 401 in the console', async () => {
    // Prepare
    const context = await env.browser.newContext({ baseURL: env.url });
    const page = await context.newPage();
    const { requests, messages } = recordTraffic(page);

    // Act
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.waitForTimeout(3_500);

    // Assess
    expect(await page.locator('.form-error').count()).toBe(0);
    // The browser logs every 4xx answer; nothing else (CSP, unused or mismatched preloads) may appear.
    expect(messages.filter((m) => !/status of 401/.test(m))).toEqual([]);
    expect(requests.filter((r) => r.startsWith('/api/'))).toEqual([...STARTUP_URLS]);
    await context.close();
  });
});
