import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, JS_BUDGET_GZIP_BYTES, type WebBuildReport } from '../../../bundle/web';
import { STARTUP_URLS } from '../../../web/src/api';

let dir: string;
let report: WebBuildReport;
let html: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'web-build-'));
  report = await buildWeb(dir);
  html = await readFile(path.join(dir, 'index.html'), 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('web build', () => {
  it('starts every request of the first render from the head: API preloads, stylesheet, module script', () => {
    // Prepare
    const head = html.slice(0, html.indexOf('</head>'));
    const js = report.files.find((f) => f.endsWith('.js'));
    const css = report.files.find((f) => f.endsWith('.css'));

    // Act
    const order = [...STARTUP_URLS.map((url) => `<link rel="preload" href="${url}" as="fetch" crossorigin>`), `<link rel="stylesheet" href="/${css}">`, `<script type="module" src="/${js}"></script>`].map((tag) => head.indexOf(tag));

    // Assess
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('inlines nothing the Content-Security-Policy would refuse', () => {
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('stays within the JavaScript budget', () => {
    expect(report.jsGzipBytes).toBeGreaterThan(0);
    expect(report.jsGzipBytes).toBeLessThanOrEqual(JS_BUDGET_GZIP_BYTES);
  });
});
