/**
 * Takes the README's screenshots from the real app on the in-memory local stack and measures what the web
 * app is judged by: initial JS/CSS gzipped and the time to first render of the todo list in headless
 * Chromium (the `todos-rendered` performance mark, in ms since navigation start).
 *
 *   npm run build && npx tsx scripts/screenshots.ts
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../bundle';
import { startStack } from '../local/index';
import { buildWeb, formatKb } from '../bundle/web';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = path.join(ROOT, 'docs/screenshots');
const RUNS = 9;
const PASSWORD = 'correct horse battery staple';

if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);

const webRoot = await mkdtemp(path.join(tmpdir(), 'noops-todo-shots-'));
const build = await buildWeb(webRoot);
const stack = await startStack({ memory: true, port: 0, quiet: true, env: { SCRYPT_N: '1024', WEB_ROOT: webRoot } });
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  await mkdir(OUT, { recursive: true });
  const desktop = await browser.newContext({ baseURL: stack.url, viewport: { width: 1024, height: 720 } });
  // Generous: the first request to each function pays for a cold worker.
  desktop.setDefaultTimeout(60_000);
  const page = await desktop.newPage();
  await page.goto('/');
  await page.locator('.auth-form').waitFor();
  await shot(page, 'sign-in.png');

  await register(page, 'ada');
  await add(page, 'Buy milk', 'Walk the dog', 'Write the replication notes', 'Book the dentist');
  await page.locator('.todo-list li').nth(1).locator('.toggle').click();
  await page.locator('.todo-list li').nth(0).locator('.details-button').click();
  await page.getByLabel('Description').fill('Two litres, semi-skimmed');
  await page.getByRole('button', { name: 'Save' }).click();
  await settle(page);
  await page.locator('.new-todo').focus();
  await shot(page, 'todo-list.png');

  await page.locator('.todo-list li').nth(2).locator('.details-button').click();
  await shot(page, 'todo-details.png');
  await page.getByRole('button', { name: 'Cancel' }).click();

  // A refused change: make the todo stale behind the page's back, then edit it in the page.
  const id = await page.locator('.todo-list li').nth(3).getAttribute('data-id');
  await page.evaluate(async (id) => {
    const todo = (await (await fetch(`/api/todos/${id}`)).json()) as { version: number };
    await fetch(`/api/todos/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': String(todo.version) },
      body: JSON.stringify({ title: 'Book the dentist (changed on the phone)' }),
    });
  }, id);
  await page.locator('.todo-list li').nth(3).locator('label').dblclick();
  await page.locator('.todo-list li .edit').fill('Book the dentist for Tuesday');
  await page.locator('.todo-list li .edit').press('Enter');
  await page.locator('.notice').waitFor();
  await settle(page);
  await shot(page, 'conflict-rolled-back.png');
  await page.getByRole('button', { name: 'Dismiss message' }).click();

  await page.getByRole('link', { name: 'Replication' }).click();
  await page.locator('tr[data-replica]').first().waitFor();
  await page.waitForTimeout(1500);
  await shot(page, 'replication.png');

  const phone = await browser.newContext({
    baseURL: stack.url,
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    storageState: await desktop.storageState(),
  });
  phone.setDefaultTimeout(60_000);
  const phonePage = await phone.newPage();
  await phonePage.goto('/');
  await phonePage.locator('.todo-list li').first().waitFor();
  await shot(phonePage, 'phone.png');
  await phone.close();

  const small = await firstRender(browser, desktop);
  const many = await browser.newContext({ baseURL: stack.url, viewport: { width: 1024, height: 720 } });
  const manyPage = await many.newPage();
  await manyPage.goto('/');
  await register(manyPage, 'grace');
  // No named functions inside evaluate: tsx's keepNames would reference a helper the page lacks.
  await manyPage.evaluate(async () => {
    for (let i = 0; i < 300; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          fetch('/api/todos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: `todo ${i + j}` }) }),
        ),
      );
    }
  });
  const large = await firstRender(browser, many);

  const metrics = {
    measuredAt: new Date().toISOString(),
    browser: `Chromium ${browser.version()} (headless)`,
    bundle: { files: build.files, jsGzipBytes: build.jsGzipBytes, cssGzipBytes: build.cssGzipBytes },
    firstRenderMs: { runs: RUNS, todos4: small, todos300: large },
  };
  await writeFile(path.join(OUT, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`initial JS ${formatKb(build.jsGzipBytes)} gzipped, CSS ${formatKb(build.cssGzipBytes)} gzipped`);
  console.log(`first render of the todo list (median of ${RUNS}): ${small.median} ms with 4 todos, ${large.median} ms with 300 todos`);
  console.log(`  of which waiting for the API: ${small.apiWaitMedian} ms and ${large.apiWaitMedian} ms`);
  console.log(`screenshots in ${path.relative(ROOT, OUT)}/`);
} finally {
  await browser.close();
  await stack.stop();
  await rm(webRoot, { recursive: true, force: true });
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(OUT, name), fullPage: false });
  console.log(`wrote ${name}`);
}

async function register(page: Page, userName: string) {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('User name').fill(userName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.locator('.auth-form button[type=submit]').click();
  await page.locator('.new-todo').waitFor();
}

async function add(page: Page, ...titles: string[]) {
  for (const title of titles) {
    await page.locator('.new-todo').fill(title);
    await page.locator('.new-todo').press('Enter');
  }
  await settle(page);
}

async function settle(page: Page) {
  await page.waitForFunction(() => document.querySelectorAll('.todo-list li.saving').length === 0);
}

/** Fresh page loads with a signed-in session: navigation start → the first page of todos in the DOM. */
async function firstRender(browser: Browser, signedIn: BrowserContext) {
  const context = await browser.newContext({ baseURL: stack.url, viewport: { width: 1024, height: 720 }, storageState: await signedIn.storageState() });
  const samples: number[] = [];
  const apiWaits: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const page = await context.newPage();
    await page.goto('/');
    const ms = await page.waitForFunction(() => performance.getEntriesByName('todos-rendered')[0]?.startTime, undefined, { timeout: 30_000 });
    samples.push(Math.round(Number(await ms.jsonValue())));
    // How much of it was spent waiting for the first page of todos (preloaded; it also proves the session).
    apiWaits.push(
      Math.round(
        await page.evaluate(() =>
          Math.max(0, ...performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/todos')).map((e) => (e as PerformanceResourceTiming).responseEnd - e.startTime)),
        ),
      ),
    );
    await page.close();
  }
  await context.close();
  // The first load also pays for cold function workers; it stays in the sample, the median absorbs it.
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples, apiWaitMedian: median(apiWaits) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
