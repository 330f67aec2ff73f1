import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Todo } from '../../web/src/api';
import { addTodos, apiFetch, E2E_TIMEOUT_MS, eventually, hasChromium, openPage, registerInUi, row, startE2e, titles, uniqueName, waitForSaved, type E2eEnv } from './harness';

async function signedInPage(env: E2eEnv, prefix: string, options: Parameters<typeof openPage>[1] = {}) {
  const opened = await openPage(env, options);
  await registerInUi(opened.page, uniqueName(prefix));
  return opened;
}

async function serverTodos(page: Page): Promise<Todo[]> {
  const res = await apiFetch<Todo[]>(page, 'GET', '/api/todos');
  expect(res.status).toBe(200);
  return res.body;
}

describe.skipIf(!hasChromium)('browser: todo list (TodoMVC spec on /api/todos)', { timeout: E2E_TIMEOUT_MS }, () => {
  let env: E2eEnv;

  beforeAll(async () => {
    env = await startE2e();
  });

  afterAll(async () => {
    await env?.close();
  });

  it('adds trimmed todos, ignores blank ones, counts them, and keeps them across a reload', async () => {
    // Prepare
    const { page, context, problems } = await signedInPage(env, 'add');

    // Act
    await addTodos(page, '  buy milk  ', '   ', 'walk the dog');
    await row(page, 'walk the dog').locator('.toggle').click();
    await waitForSaved(page);

    // Assess
    expect(await titles(page)).toEqual(['buy milk', 'walk the dog']);
    expect(await page.locator('.new-todo').inputValue()).toBe('');
    expect(await page.locator('.todo-count').textContent()).toBe('1 item left');
    expect(await row(page, 'walk the dog').getAttribute('class')).toContain('completed');
    await page.reload();
    await page.locator('.todo-list li').first().waitFor();
    expect(await titles(page)).toEqual(['buy milk', 'walk the dog']);
    expect(await row(page, 'walk the dog').locator('.toggle').isChecked()).toBe(true);
    expect(await page.evaluate(() => performance.getEntriesByName('todos-rendered').length)).toBe(1);
    expect((await serverTodos(page)).map((t) => [t.title, t.completed])).toEqual([
      ['buy milk', false],
      ['walk the dog', true],
    ]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('edits on double-click: Enter saves, Escape cancels, blur saves, blank deletes', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'edit');
    await addTodos(page, 'first', 'second', 'third');

    // Act + Assess: Enter saves the trimmed title
    await row(page, 'first').locator('label').dblclick();
    expect(await page.locator('.todo-list li.editing').count()).toBe(1);
    await page.locator('.todo-list li .edit').fill('  first, edited ');
    await page.locator('.todo-list li .edit').press('Enter');
    await waitForSaved(page);
    expect(await titles(page)).toEqual(['first, edited', 'second', 'third']);
    expect(await page.locator('.todo-list li.editing').count()).toBe(0);

    // Escape cancels
    await row(page, 'second').locator('label').dblclick();
    await page.locator('.todo-list li .edit').fill('never saved');
    await page.locator('.todo-list li .edit').press('Escape');
    expect(await titles(page)).toEqual(['first, edited', 'second', 'third']);

    // Blur saves
    await row(page, 'second').locator('label').dblclick();
    await page.locator('.todo-list li .edit').fill('second, blurred');
    await page.locator('.new-todo').click();
    await waitForSaved(page);
    expect(await titles(page)).toEqual(['first, edited', 'second, blurred', 'third']);

    // A blank title deletes
    await row(page, 'third').locator('label').dblclick();
    await page.locator('.todo-list li .edit').fill('   ');
    await page.locator('.todo-list li .edit').press('Enter');
    await eventually(() => titles(page)).toEqual(['first, edited', 'second, blurred']);
    await eventually(async () => (await serverTodos(page)).map((t) => t.title)).toEqual(['first, edited', 'second, blurred']);
    await context.close();
  });

  it('toggles, toggles all, deletes, clears completed and filters by hash route', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'filters');
    await addTodos(page, 'a', 'b', 'c', 'd');

    // Act + Assess: toggle all on and off
    await page.locator('label[for=toggle-all]').click();
    await waitForSaved(page);
    expect(await page.locator('.todo-list li.completed').count()).toBe(4);
    expect(await page.locator('.todo-count').textContent()).toBe('0 items left');
    await page.locator('label[for=toggle-all]').click();
    await waitForSaved(page);
    expect(await page.locator('.todo-list li.completed').count()).toBe(0);

    // Toggle two, delete one
    await row(page, 'b').locator('.toggle').click();
    await row(page, 'c').locator('.toggle').click();
    await row(page, 'd').hover();
    await row(page, 'd').locator('.destroy').click();
    await waitForSaved(page);
    expect(await titles(page)).toEqual(['a', 'b', 'c']);
    expect(await page.locator('.todo-count').textContent()).toBe('1 item left');

    // Filters
    await page.locator('.filters a[href="#/active"]').click();
    await eventually(() => titles(page)).toEqual(['a']);
    expect(await page.locator('.filters a.selected').textContent()).toBe('Active');
    await page.locator('.filters a[href="#/completed"]').click();
    await eventually(() => titles(page)).toEqual(['b', 'c']);
    await page.goBack();
    await eventually(() => titles(page)).toEqual(['a']);
    await page.locator('.filters a[href="#/"]').click();
    await eventually(() => titles(page)).toEqual(['a', 'b', 'c']);

    // Clear completed removes only completed todos, one DELETE per id
    const deletes: string[] = [];
    page.on('request', (r) => r.method() === 'DELETE' && deletes.push(new URL(r.url()).pathname));
    await page.locator('.clear-completed').click();
    await waitForSaved(page);
    await eventually(() => titles(page)).toEqual(['a']);
    expect(deletes).toHaveLength(2);
    expect(deletes.every((p) => /^\/api\/todos\/[^/]+$/.test(p))).toBe(true);
    expect(await page.locator('.clear-completed').count()).toBe(0);
    expect((await serverTodos(page)).map((t) => t.title)).toEqual(['a']);
    await context.close();
  });

  it('renders each item as exactly its title, hovered or not, with icon buttons named by their labels (TodoMVC DOM)', async () => {
    // Prepare
    const { page, context, problems } = await signedInPage(env, 'dom');
    await addTodos(page, 'buy milk', 'walk the dog');
    const item = row(page, 'buy milk');
    const innerTexts = () => page.locator('.todo-list li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).innerText));

    // Act
    await item.hover();
    await eventually(() => item.locator('.edit-button').evaluate((b) => getComputedStyle(b).opacity)).toBe('1');

    // Assess: TodoMVC's own suite reads the item's text; the buttons' icons are drawn, not text.
    expect(await item.evaluate((li) => (li as HTMLElement).innerText)).toBe('buy milk');
    expect(await innerTexts()).toEqual(['buy milk', 'walk the dog']);
    const edit = page.getByRole('button', { name: 'Edit title: buy milk', exact: true });
    const details = page.getByRole('button', { name: 'Details: buy milk', exact: true });
    const remove = page.getByRole('button', { name: 'Delete: buy milk', exact: true });
    for (const button of [edit, details, remove]) expect(await button.textContent()).toBe('');
    expect((await edit.locator('svg').boundingBox())?.width).toBeGreaterThan(0);
    expect((await details.locator('svg').boundingBox())?.width).toBeGreaterThan(0);
    await edit.click();
    await eventually(() => page.evaluate(() => document.activeElement?.className)).toBe('edit');
    await page.keyboard.press('Escape');
    await details.click();
    expect(await details.getAttribute('aria-expanded')).toBe('true');
    await remove.click();
    await waitForSaved(page);
    expect(await innerTexts()).toEqual(['walk the dog']);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('hides main and footer when there are no todos', async () => {
    const { page, context } = await signedInPage(env, 'empty');
    expect(await page.locator('.main').count()).toBe(0);
    expect(await page.locator('.footer').count()).toBe(0);
    await context.close();
  });

  it('edits the description and status in the details form', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'details');
    await addTodos(page, 'paint the fence');

    // Act
    await row(page, 'paint the fence').locator('.details-button').click();
    await page.getByLabel('Description').fill('white, two coats');
    await page.getByLabel('Status').selectOption('done');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitForSaved(page);

    // Assess
    expect(await row(page, 'paint the fence').locator('.description-preview').textContent()).toBe('white, two coats');
    expect(await row(page, 'paint the fence').getAttribute('class')).toContain('completed');
    const [saved] = await serverTodos(page);
    expect(saved).toMatchObject({ title: 'paint the fence', description: 'white, two coats', completed: true });
    await context.close();
  });

  it('works with the keyboard only', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'keys');

    // Act: the new-todo field has focus after sign-in
    await eventually(() => page.evaluate(() => document.activeElement?.className)).toBe('new-todo');
    await page.keyboard.type('keyboard todo');
    await page.keyboard.press('Enter');
    await waitForSaved(page);
    await page.keyboard.press('Tab'); // toggle-all
    await page.keyboard.press('Tab'); // the row's checkbox
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Done: keyboard todo');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab'); // edit button
    await page.keyboard.press('Enter');
    await eventually(() => page.evaluate(() => document.activeElement?.className)).toBe('edit');
    await page.keyboard.press('End');
    await page.keyboard.type(', edited');
    await page.keyboard.press('Enter');
    await waitForSaved(page);

    // Assess
    expect(await titles(page)).toEqual(['keyboard todo, edited']);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('edit-button');
    expect((await serverTodos(page))[0]).toMatchObject({ title: 'keyboard todo, edited', completed: true });
    await context.close();
  });

  it('rolls back a refused (stale, 409) edit and says so', async () => {
    // Prepare: another device changes the todo after this page loaded it.
    const { page, context } = await signedInPage(env, 'stale');
    await addTodos(page, 'original');
    const id = await row(page, 'original').getAttribute('data-id');
    const current = await apiFetch<Todo>(page, 'GET', `/api/todos/${id}`);
    const elsewhere = await apiFetch<Todo>(page, 'PATCH', `/api/todos/${id}`, { title: 'changed elsewhere' }, { 'if-match': String(current.body.version) });
    expect(elsewhere.status).toBe(200);
    const patches: number[] = [];
    page.on('response', (r) => r.request().method() === 'PATCH' && patches.push(r.status()));

    // Act
    await row(page, 'original').locator('label').dblclick();
    await page.locator('.todo-list li .edit').fill('mine');
    await page.locator('.todo-list li .edit').press('Enter');

    // Assess
    await eventually(() => page.locator('.notice').textContent()).toMatch(/changed elsewhere, so your change was undone/);
    await eventually(() => titles(page)).toEqual(['changed elsewhere']);
    expect(patches).toEqual([409]);
    expect((await apiFetch<Todo>(page, 'GET', `/api/todos/${id}`)).body.title).toBe('changed elsewhere');

    // The next edit uses the refreshed version and goes through.
    await row(page, 'changed elsewhere').locator('.toggle').click();
    await waitForSaved(page);
    expect(patches).toEqual([409, 200]);
    await page.getByRole('button', { name: 'Dismiss message' }).click();
    expect(await page.locator('.notice').count()).toBe(0);
    await context.close();
  });

  it('rolls back when the network fails', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'offline');
    await addTodos(page, 'flaky');
    await page.route('**/api/todos/*', (route) => (route.request().method() === 'PATCH' ? route.abort('internetdisconnected') : route.continue()));

    // Act
    await row(page, 'flaky').locator('.toggle').click();

    // Assess
    await eventually(() => page.locator('.notice').textContent()).toMatch(/Cannot reach the server/);
    await waitForSaved(page);
    expect(await row(page, 'flaky').locator('.toggle').isChecked()).toBe(false);
    await page.unroute('**/api/todos/*');
    await context.close();
  });

  it('loads hundreds of todos page by page through the cursor and renders them in steps', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'many');
    await page.evaluate(async () => {
      for (let i = 0; i < 250; i += 25) {
        await Promise.all(
          Array.from({ length: 25 }, (_, j) =>
            fetch('/api/todos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: `todo ${i + j}` }) }),
          ),
        );
      }
    });
    const lists: string[] = [];
    page.on('request', (r) => r.url().includes('/api/todos?') && lists.push(r.url()));

    // Act
    await page.reload();

    // Assess
    await eventually(() => page.locator('.todo-count strong').textContent()).toBe('250');
    // A small first page for the first render, then the rest through the cursor.
    expect(new URL(lists[0]!).searchParams.get('limit')).toBe('50');
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(lists.slice(1).every((u) => new URL(u).searchParams.has('cursor'))).toBe(true);
    expect(await page.locator('.todo-list li').count()).toBe(100);
    await page.locator('.show-more').scrollIntoViewIfNeeded();
    await eventually(() => page.locator('.todo-list li').count()).toBeGreaterThan(100);
    await page.locator('.filters a[href="#/active"]').click();
    await page.locator('label[for=toggle-all]').click();
    // 250 writes: a deadline for a loaded machine (two test files share its cores), not a speed claim.
    await waitForSaved(page, 3 * E2E_TIMEOUT_MS / 4);
    expect(await page.locator('.todo-count').textContent()).toBe('0 items left');
    await context.close();
  }, 3 * E2E_TIMEOUT_MS);

  it('fits a phone-sized screen', async () => {
    // Prepare
    const { page, context } = await signedInPage(env, 'phone', { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });

    // Act
    await addTodos(page, 'a todo with a rather long title that has to wrap on a narrow phone screen');

    // Assess
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const opacity = await page.locator('.todo-list li .destroy').evaluate((el) => getComputedStyle(el).opacity);
    expect(opacity).toBe('1');
    await page.locator('.todo-list li .destroy').tap();
    await eventually(() => page.locator('.todo-list li').count()).toBe(0);
    await context.close();
  });
});
