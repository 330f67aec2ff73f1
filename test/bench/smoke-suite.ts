import { beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../bench/run-bench';
import { barChart } from '../../bench/lib/svg';
import { renderMarkdown } from '../../bench/lib/report';
import type { BenchRun, ScenarioId, ScenarioResult } from '../../bench/lib/types';

/**
 * A tiny run of some scenarios, so the harness keeps working; figures are checked for shape, never speed.
 * The scenarios are split over two test files (the API scenario alone takes as long as all the others),
 * so the suite's two workers can run them side by side.
 */
export function smokeSuite(ids: readonly ScenarioId[]): void {
  let run: BenchRun;

  beforeAll(async () => {
    run = await runBench({ only: ids, quick: true, repeats: 1 });
  }, 900_000);

  function scenario(id: string): ScenarioResult {
    const found = run.scenarios.find((s) => s.id === id);
    if (!found) throw new Error(`scenario ${id} missing`);
    return found;
  }

  describe(`npm run bench --quick --only ${ids.join(',')}`, () => {
    it('records the machine it ran on', () => {
      // Assess
      expect(run.machine.cpus).toBeGreaterThan(0);
      expect(run.machine.node).toMatch(/^v\d+/);
      expect(run.machine.loadAverage).toHaveLength(3);
    });

    it.each(ids)('scenario %s runs and reports finite figures', (id) => {
      const s = scenario(id);
      // Assess
      expect(s.error).toBeUndefined();
      expect(s.tables.length).toBeGreaterThan(0);
      expect(s.tables.every((t) => t.rows.every((r) => r.length === t.columns.length))).toBe(true);
      if (s.skipped) return;
      // No target is set for `npm start`: its figures are the table's numbers.
      const numbers = s.tables.flatMap((t) => t.rows.flat()).filter((c): c is number => typeof c === 'number');
      expect(s.targets.length + numbers.filter(Number.isFinite).length).toBeGreaterThan(0);
      for (const t of s.targets) expect(Number.isFinite(t.measured), `${t.id} measured ${t.measured}`).toBe(true);
    });

    it('renders the report and every chart', () => {
      // Act
      const markdown = renderMarkdown(run, 'bench/results/smoke.json', '## Analysis');
      const svgs = run.scenarios.flatMap((s) => s.charts).map(barChart);
      // Assess
      expect(markdown).toContain('| target | goal | measured | verdict |');
      for (const svg of svgs) expect(svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    });
  });
}
