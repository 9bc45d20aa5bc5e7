import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALARMS, allWidgets, DASHBOARD } from '../../cdk/dashboard/definition.ts';
import { METRIC } from '../../lambdas/shared/metrics.ts';
import { toPanels } from '../../local/dashboard/widget-data.ts';

const widgets = allWidgets();

describe('dashboard definition', () => {
  it('has unique ids the local API accepts', () => {
    const ids = widgets.map((w) => w.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9-]{1,64}$/);
  });

  it('names only metrics the functions publish', () => {
    const published = new Set<string>(Object.values(METRIC));
    for (const widget of widgets) {
      if (widget.kind !== 'metric') continue;
      const local = widget.local && 'metrics' in widget.local ? widget.local.metrics : [];
      for (const spec of [...widget.metrics, ...local]) {
        if (spec.source === 'app') expect(published).toContain(spec.metric);
      }
    }
  });

  it('tells the local dashboard what to show for every widget of AWS metrics', () => {
    for (const widget of widgets) {
      if (widget.kind !== 'metric') continue;
      const aws = widget.metrics.some((m) => m.source === 'aws');
      expect(aws, widget.id).toBe(widget.local !== undefined);
    }
  });

  it('runs only SQL files that exist', () => {
    for (const widget of widgets) {
      const query =
        widget.kind === 'data'
          ? widget.query
          : widget.kind === 'metric' && widget.local && 'query' in widget.local
            ? widget.local.query
            : undefined;
      if (query)
        expect(existsSync(new URL(`../../sql/${query}`, import.meta.url)), query).toBe(true);
    }
  });

  it('covers the metrics and data the issue lists', () => {
    const ids = widgets.map((w) => w.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'e2e-latency',
        'records-written',
        'records-not-written',
        'fetch-success',
        'fetch-failure',
        'rollup-buckets',
        'rollup-duration',
        'iterator-age',
        'lambda-errors',
        'lambda-throttles',
        'lambda-duration',
        'kinesis-incoming',
        'dead-letters',
        'latest-prices',
        'price-over-time',
        'latency-over-time',
        'latency-cdf',
        'records-per-minute',
        'freshness',
        'records-by-symbol',
        'gold-hourly',
        'gold-hourly-change',
        'alarms',
      ]),
    );
    expect(DASHBOARD.sections.length).toBeGreaterThan(1);
  });
});

describe('query rows to charts', () => {
  const t = (iso: string) => new Date(iso);

  it('puts long rows on the bucket grid, one panel per panel value, gaps as null', () => {
    const rows = [
      { t: t('2026-11-25T17:00:00Z'), panel: 'BTC-USD', series: 'realtime', value: 1 },
      { t: t('2026-11-25T17:00:20Z'), panel: 'BTC-USD', series: 'realtime', value: 3 },
      { t: t('2026-11-25T17:00:00Z'), panel: 'ETH-USD', series: 'batch', value: 2 },
    ];
    const grid = [0, 10, 20].map((s) => Date.parse('2026-11-25T17:00:00Z') / 1000 + s);

    const panels = toPanels(
      rows,
      { long: { time: 't', series: 'series', value: 'value', panel: 'panel' } },
      grid,
    );

    expect(panels).toEqual([
      { title: 'BTC-USD', x: grid, series: [{ label: 'realtime', values: [1, null, 3] }] },
      { title: 'ETH-USD', x: grid, series: [{ label: 'batch', values: [2, null, null] }] },
    ]);
  });

  it('reads wide rows column by column at their own times', () => {
    const rows = [
      { minute: t('2026-11-25T17:00:00Z'), realtime: 30, batch: 0 },
      { minute: t('2026-11-25T17:01:00Z'), realtime: 30, batch: 30 },
    ];

    const [panel] = toPanels(
      rows,
      { wide: { time: 'minute', columns: ['realtime', 'batch'] } },
      null,
    );

    expect(panel?.series).toEqual([
      { label: 'realtime', values: [30, 30] },
      { label: 'batch', values: [0, 30] },
    ]);
  });

  it('has the alarms the issue lists, each with a unique id and a local measurement for AWS metrics', () => {
    const ids = ALARMS.map((a) => a.id);

    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'iterator-age-realtime',
      'iterator-age-batch',
      'dead-letters-realtime',
      'dead-letters-batch',
      'errors-fetch-prices',
      'errors-realtime-consumer',
      'errors-batch-consumer',
      'errors-rollup',
      'rollup-failures-10m',
      'rollup-failures-1h',
      'fetch-failure-ratio',
      'no-rows-realtime',
      'no-rows-batch',
    ]);
    for (const alarm of ALARMS) {
      const aws = 'metric' in alarm.value && alarm.value.metric.source === 'aws';
      expect(alarm.local !== undefined, alarm.id).toBe(aws);
    }
    expect(ALARMS.filter((a) => a.missingData === 'breaching').map((a) => a.id)).toEqual([
      'no-rows-realtime',
      'no-rows-batch',
    ]);
  });
});
