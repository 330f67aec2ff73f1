import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { atRest, MONTHLY_RESOURCES, PRICES } from '../../bench/cost-model';
import { renderCost } from '../../bench/cost-report';
import { runProgram, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

const doc = (name: string) => readFile(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
const total = `$${atRest().reduce((s, i) => s + i.usd, 0).toFixed(2)}`;

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram();
});

describe('the cost model behind docs/cost.md and docs/deploy.md', () => {
  it('bills every monthly resource the program creates: the stream, each secret, each alarm and the dashboard', () => {
    expect({
      streams: run.ofType('aws:kinesis/stream:Stream').length,
      secrets: run.ofType('aws:secretsmanager/secret:Secret').length,
      alarms: run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').length,
      dashboards: run.ofType('aws:cloudwatch/dashboard:Dashboard').length,
    }).toEqual(MONTHLY_RESOURCES);
    expect(atRest().map((i) => i.service)).toEqual(expect.arrayContaining(['CloudWatch alarms (standard resolution)', 'CloudWatch dashboard']));
  });

  it('is what docs/cost.md shows at rest, and docs/deploy.md quotes the same total and price date', async () => {
    const [cost, deploy] = await Promise.all([doc('cost.md'), doc('deploy.md')]);
    const atRestSection = (text: string) => text.slice(text.indexOf('## At rest'), text.indexOf('## Per million'));
    expect(atRestSection(cost)).toBe(atRestSection(renderCost()));
    expect(cost).toContain(`**${total}**`);
    expect(deploy).toContain(`**${total} per month**`);
    expect(deploy).toContain(`prices of ${PRICES.date}`);
    expect(deploy).toContain('(cost.md)');
  });
});

describe('docs/deploy.md', () => {
  it('copies the example stack file before `pulumi stack init` and `pulumi config set`, which write into it', async () => {
    const deploy = await doc('deploy.md');
    const block = deploy.slice(deploy.indexOf('## Create a stack'), deploy.indexOf('## Configuration'));
    const at = (text: string) => block.indexOf(text);
    expect(at('cp Pulumi.example.yaml Pulumi.dev.yaml')).toBeGreaterThan(-1);
    expect(at('cp Pulumi.example.yaml Pulumi.dev.yaml')).toBeLessThan(at('pulumi stack init dev'));
    expect(at('pulumi stack init dev')).toBeLessThan(at('pulumi config set aws:region'));
  });
});
