import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { WebBuildReport } from '../../web/build';
import { progress } from '../lib/log';
import { createTodos, signIn, startBenchStack } from '../lib/stack';
import { formatStat, round, stat } from '../lib/stats';
import { emptyResult, target, type BenchOptions, type ScenarioResult } from '../lib/types';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The web app sets this mark once the todo list is on screen. */
const MARK = 'todos-rendered';

export async function web({ options, build }: { options: BenchOptions; build: WebBuildReport }): Promise<ScenarioResult> {
  const result = emptyResult('web', '5. Web: bundle size and first render');
  const jsKb = round(build.jsGzipBytes / 1024, 1);
  const cssKb = round(build.cssGzipBytes / 1024, 1);
  result.targets.push(target('web-js', 'web initial JS gzipped', '<=', 40, 'KB', jsKb));
  result.data = { jsGzipBytes: build.jsGzipBytes, cssGzipBytes: build.cssGzipBytes, files: build.files };
  const renderTable = { title: 'Web app', columns: ['figure', 'value'], rows: [['initial JS gzipped (KB)', jsKb], ['initial CSS gzipped (KB)', cssKb]] as Array<Array<string | number>> };
  result.tables.push(renderTable);
  if (!existsSync(CHROMIUM)) {
    result.skipped = `first render not measured: ${CHROMIUM} is absent (apt-get install -y chromium)`;
    result.targets.push(target('web-render', 'web first render of the todo list', '<=', 300, 'ms', Number.NaN));
    return result;
  }
  const { chromium } = await import('playwright-core');
  const stack = await startBenchStack({ quick: options.quick });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const session = await signIn(stack.url, `bench-web-${Date.now()}`);
    await createTodos(stack.url, session, options.quick ? 3 : 20);
    const repeats = options.quick ? 1 : options.repeats + 2;
    const renders: number[] = [];
    const loads: number[] = [];
    // One unmeasured navigation first: chromium's own first-run work is not the app's.
    for (let r = -1; r < repeats; r++) {
      // A fresh context each time: empty cache, as a first visit.
      const context = await browser.newContext();
      await context.addCookies([{ name: 'session', value: session.token, url: stack.url }]);
      const page = await context.newPage();
      await page.goto(stack.url, { waitUntil: 'commit' });
      const mark = await markTime(page, MARK, 10_000).catch(() => Number.NaN);
      const load = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.domContentLoadedEventEnd ?? Number.NaN);
      await context.close();
      if (r < 0) continue;
      renders.push(mark);
      loads.push(load);
      progress(`web render ${r + 1}/${repeats}: ${round(mark, 1)} ms`);
    }
    const render = stat(renders);
    if (render.n === 0) result.notes.push(`The page never set performance.mark('${MARK}') within 10 s: first render not measured.`);
    renderTable.rows.push(['DOMContentLoaded (ms after navigation)', formatStat(stat(loads))], ['todo list rendered (ms after navigation)', formatStat(render)]);
    result.targets.push(target('web-render', 'web first render of the todo list', '<=', 300, 'ms', round(render.median, 1)));
    result.charts.push({ id: 'web-render', title: 'Web: time after navigation (fresh context, 20 todos)', unit: 'ms', groups: [
      { label: 'DOMContentLoaded', bars: [{ series: 'median', value: stat(loads) }] },
      { label: `'${MARK}' mark`, bars: [{ series: 'median', value: render }] },
    ] });
    result.data = { ...result.data, renderMs: renders, domContentLoadedMs: loads };
  } finally {
    progress('web: closing the browser and the stack');
    await browser.close();
    await stack.stop();
  }
  return result;
}

/**
 * The mark's time once the page sets it, NaN after `timeoutMs`. A PerformanceObserver costs the page
 * nothing while it loads; `waitForFunction` would inject Playwright's helper script and poll on every
 * frame, on the very main thread being measured.
 */
function markTime(page: Page, name: string, timeoutMs: number): Promise<number> {
  return page.evaluate(
    ([name, timeoutMs]) =>
      new Promise<number>((resolve) => {
        const observer = new PerformanceObserver((list) => {
          const mark = list.getEntriesByName(name)[0];
          if (!mark) return;
          observer.disconnect();
          resolve(mark.startTime);
        });
        // `buffered` also delivers a mark set before the observer started.
        observer.observe({ type: 'mark', buffered: true });
        setTimeout(() => resolve(Number.NaN), timeoutMs);
      }),
    [name, timeoutMs] as const,
  );
}
