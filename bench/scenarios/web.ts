import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { WebBuildReport } from '../../bundle/web';
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
    const cookie = { name: 'session', value: session.token, url: stack.url };
    const visit = async (page: Page, url: string) => {
      await page.goto(url, { waitUntil: 'commit' });
      const mark = await markTime(page, MARK, 10_000).catch(() => Number.NaN);
      const load = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.domContentLoadedEventEnd ?? Number.NaN);
      return { mark, load };
    };
    /** `repeats` visits after one unmeasured round (Chromium's own first-run work is not the app's). */
    const sample = async (label: string, visitOnce: (round: number) => Promise<{ mark: number; load: number }>) => {
      const samples = { renders: [] as number[], loads: [] as number[] };
      for (let r = -1; r < repeats; r++) {
        const { mark, load } = await visitOnce(r + 1);
        if (r < 0) continue;
        samples.renders.push(mark);
        samples.loads.push(load);
        progress(`web render (${label}) ${r + 1}/${repeats}: ${round(mark, 1)} ms`);
      }
      return samples;
    };

    // A: a new tab in a fresh context each time: empty cache, and Chromium starts a renderer process
    // (~250 ms here before the first byte is even requested).
    const fresh = await sample('new tab', async () => {
      const context = await browser.newContext();
      await context.addCookies([cookie]);
      const visited = await visit(await context.newPage(), stack.url);
      await context.close();
      return visited;
    });

    // B: the navigation a user makes in an open tab, with the HTTP cache disabled so every byte is
    // fetched again: what the app and the stack cost, without the browser's process start.
    const context = await browser.newContext();
    await context.addCookies([cookie]);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const inTab = await sample('in tab, no cache', (round) => visit(page, `${stack.url}/?visit=${round}`));
    await context.close();

    const render = stat(inTab.renders);
    if (render.n === 0) result.notes.push(`The page never set performance.mark('${MARK}') within 10 s: first render not measured.`);
    renderTable.rows.push(
      ['DOMContentLoaded, navigation in an open tab, cache disabled (ms)', formatStat(stat(inTab.loads))],
      ['todo list rendered, navigation in an open tab, cache disabled (ms)', formatStat(render)],
      ['DOMContentLoaded, new tab in a fresh context (ms)', formatStat(stat(fresh.loads))],
      ['todo list rendered, new tab in a fresh context (ms)', formatStat(stat(fresh.renders))],
    );
    result.targets.push(target('web-render', 'web first render of the todo list (navigation in an open tab, no cache)', '<=', 300, 'ms', round(render.median, 1)));
    result.notes.push('First render is the time from navigation start to `performance.mark(\'todos-rendered\')` (20 todos, session cookie set). The target is judged on a navigation in an open tab with the HTTP cache disabled; a new tab in a fresh context adds Chromium\'s renderer process start, reported alongside.');
    result.charts.push({ id: 'web-render', title: 'Web: time after navigation (20 todos, no cache)', unit: 'ms', groups: [
      { label: 'open tab: DOMContentLoaded', bars: [{ series: 'median', value: stat(inTab.loads) }] },
      { label: `open tab: '${MARK}'`, bars: [{ series: 'median', value: render }] },
      { label: 'new tab: DOMContentLoaded', bars: [{ series: 'median', value: stat(fresh.loads) }] },
      { label: `new tab: '${MARK}'`, bars: [{ series: 'median', value: stat(fresh.renders) }] },
    ] });
    result.data = { ...result.data, renderMs: inTab.renders, domContentLoadedMs: inTab.loads, freshContextRenderMs: fresh.renders, freshContextDomContentLoadedMs: fresh.loads };
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
