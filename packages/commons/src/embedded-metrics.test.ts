import { describe, expect, it } from 'vitest';
import {
  EmfFormatError,
  emfLimits,
  emfWriter,
  formatEmf,
  type MetricSet,
  type MetricValue,
} from './embedded-metrics.js';

const timestamp = Date.UTC(2026, 0, 1, 12);

function metricSet(overrides: Partial<MetricSet> = {}): MetricSet {
  return {
    namespace: 'MangaAssist/Inference',
    dimensions: { model: 'haiku' },
    metrics: [
      { name: 'Requests', unit: 'Count', value: 1 },
      { name: 'LatencyMs', unit: 'Milliseconds', value: 842 },
    ],
    ...overrides,
  };
}

function manyMetrics(count: number): MetricValue[] {
  return Array.from({ length: count }, (_, index) => ({ name: `M${index}`, unit: 'Count', value: 1 }));
}

describe('formatEmf', () => {
  it('writes one JSON document with the CloudWatchMetrics directive and the values at the root', () => {
    const document = JSON.parse(formatEmf(metricSet(), timestamp));

    expect(document).toEqual({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: 'MangaAssist/Inference',
            Dimensions: [['model']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'LatencyMs', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      model: 'haiku',
      Requests: 1,
      LatencyMs: 842,
    });
  });

  it('is a single line', () => {
    expect(formatEmf(metricSet({ properties: { note: 'a\nb' } }), timestamp)).not.toContain('\n');
  });

  it('keeps properties as plain members that are not metrics', () => {
    const document = JSON.parse(
      formatEmf(metricSet({ properties: { request_id: 'req-1', reasons: ['slow'] } }), timestamp),
    );

    expect(document.request_id).toBe('req-1');
    expect(document.reasons).toEqual(['slow']);
    expect(document._aws.CloudWatchMetrics[0].Metrics).toHaveLength(2);
  });

  it('declares an empty dimension set when no dimensions are given', () => {
    const document = JSON.parse(formatEmf(metricSet({ dimensions: {} }), timestamp));

    expect(document._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
  });

  it('marks high-resolution metrics with StorageResolution 1', () => {
    const set = metricSet({ metrics: [{ name: 'Requests', unit: 'Count', value: 1, highResolution: true }] });

    expect(JSON.parse(formatEmf(set, timestamp))._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'Requests', Unit: 'Count', StorageResolution: 1 },
    ]);
  });

  it('accepts an array of values for one metric', () => {
    const set = metricSet({ metrics: [{ name: 'LatencyMs', unit: 'Milliseconds', value: [10, 20, 30] }] });

    expect(JSON.parse(formatEmf(set, timestamp)).LatencyMs).toEqual([10, 20, 30]);
  });

  it.each([
    ['an empty namespace', metricSet({ namespace: '' })],
    ['no metrics', metricSet({ metrics: [] })],
    ['more than 100 metrics', metricSet({ metrics: manyMetrics(emfLimits.maxMetrics + 1) })],
    [
      'more than 30 dimensions',
      metricSet({
        dimensions: Object.fromEntries(Array.from({ length: 31 }, (_, index) => [`d${index}`, 'x'])),
      }),
    ],
    ['an empty dimension value', metricSet({ dimensions: { model: '' } })],
    [
      'a repeated metric name',
      metricSet({
        metrics: [
          { name: 'Requests', unit: 'Count', value: 1 },
          { name: 'Requests', unit: 'Count', value: 2 },
        ],
      }),
    ],
    ['a metric named like a dimension', metricSet({ metrics: [{ name: 'model', unit: 'Count', value: 1 }] })],
    ['a property named like a metric', metricSet({ properties: { Requests: 'x' } })],
    ['a property named _aws', metricSet({ properties: { _aws: {} } })],
    ['a NaN value', metricSet({ metrics: [{ name: 'Requests', unit: 'Count', value: Number.NaN }] })],
    [
      'an infinite value',
      metricSet({ metrics: [{ name: 'Requests', unit: 'Count', value: Number.POSITIVE_INFINITY }] }),
    ],
    ['an empty value array', metricSet({ metrics: [{ name: 'Requests', unit: 'Count', value: [] }] })],
  ])('rejects %s', (_, set) => {
    expect(() => formatEmf(set, timestamp)).toThrow(EmfFormatError);
  });

  it('rejects a timestamp that is not whole epoch milliseconds', () => {
    expect(() => formatEmf(metricSet(), 1.5)).toThrow(EmfFormatError);
  });
});

describe('emfWriter', () => {
  it('writes one newline-terminated EMF line per set, stamped with its clock', () => {
    const lines: string[] = [];
    const metrics = emfWriter({ write: (line) => lines.push(line), now: () => timestamp });

    metrics.emit(metricSet());
    metrics.emit(metricSet({ dimensions: { model: 'sonnet' } }));

    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((line) => JSON.parse(line).model)).toEqual(['haiku', 'sonnet']);
    expect(JSON.parse(lines[0] ?? '')._aws.Timestamp).toBe(timestamp);
  });

  it('throws for an invalid set instead of writing a line CloudWatch would drop', () => {
    const lines: string[] = [];
    const metrics = emfWriter({ write: (line) => lines.push(line), now: () => timestamp });

    expect(() => metrics.emit(metricSet({ namespace: '' }))).toThrow(EmfFormatError);
    expect(lines).toEqual([]);
  });
});
