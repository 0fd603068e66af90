/**
 * The rules, and the proof that they never loop. Patterns are matched here with a small inline
 * matcher of the EventBridge semantics these patterns use — exact values, `prefix`, `$or`, nested
 * `detail` — which throws on any other operator, so a rule that grows one fails this file until
 * the matcher learns it. (The full matcher lives in `core`, which `contracts` cannot import.)
 */
import { describe, expect, it } from 'vitest';
import {
  consumerEmissions,
  defaultTargetRetry,
  type EventEmitterName,
  type EventRule,
  eventConsumers,
  eventRule,
  eventRules,
  eventWorkflows,
  type InputTransformer,
  queueConsumers,
} from './event-rules.js';
import { type BusEventName, busEvents, eventSources, moderationSeverities } from './events.js';
import { catalogUpdateTypes, sentiments } from './webhooks.js';

type Json = Record<string, unknown>;

interface Envelope extends Json {
  id: string;
  source: string;
  'detail-type': string;
  detail: Json;
}

// ---------------------------------------------------------------------------------------------
// A matcher for the operators these rules use (EventBridge semantics).

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matches(pattern: Json, value: unknown): boolean {
  if (!isObject(value)) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') {
      if (!Array.isArray(expected)) throw new Error('$or takes an array of patterns');
      return expected.some((clause) => isObject(clause) && matches(clause, value));
    }
    if (Array.isArray(expected)) return Object.hasOwn(value, key) && leafMatches(expected, value[key]);
    if (isObject(expected)) return matches(expected, value[key]);
    throw new Error(`pattern value of ${key} must be an array or an object`);
  });
}

/** A field matches when it (or, for an array field, any element) equals or fits any alternative. */
function leafMatches(alternatives: readonly unknown[], field: unknown): boolean {
  const values = Array.isArray(field) ? field : [field];
  return alternatives.some((alternative) =>
    values.some((candidate) => {
      if (alternative === null || ['string', 'number', 'boolean'].includes(typeof alternative)) {
        return candidate === alternative;
      }
      if (isObject(alternative) && Object.keys(alternative).join() === 'prefix') {
        return typeof candidate === 'string' && candidate.startsWith(String(alternative.prefix));
      }
      throw new Error(`operator not supported by this test's matcher: ${JSON.stringify(alternative)}`);
    }),
  );
}

function rulesMatching(event: Envelope): EventRule[] {
  return eventRules.filter((rule) => rule.eventPattern !== undefined && matches(rule.eventPattern, event));
}

/** What a rule's targets run: consumer functions and workflows (an API destination leaves the platform). */
function consumersOf(rule: EventRule): EventEmitterName[] {
  return rule.targets.flatMap((target) => target.handler ?? target.workflow ?? []);
}

/** Everything a rule may start that may emit in turn. */
const ruleTargets: readonly EventEmitterName[] = [...eventConsumers, ...eventWorkflows];

// ---------------------------------------------------------------------------------------------
// Events, from factories; each detail is checked against its contract before use.

let nextId = 0;

function envelope(name: BusEventName, detail: Json, overrides: Partial<Envelope> = {}): Envelope {
  const definition = busEvents[name];
  const detailType = overrides['detail-type'] ?? definition.detailTypes[0] ?? definition.detailType;
  const parsed = definition.schema.safeParse(detail);
  if (!parsed.success) throw new Error(`${name} sample breaks its contract: ${parsed.error.message}`);
  nextId += 1;
  return {
    version: '0',
    id: `event-${nextId}`,
    'detail-type': detailType,
    source: definition.source,
    account: '123456789012',
    time: '2026-01-31T09:00:00Z',
    region: 'ap-northeast-1',
    resources: [],
    detail,
    ...overrides,
  };
}

const chain = { chain_depth: 1, source_event_id: 'event-0', processing_stage: 'processed' };

function moderationFlagged(severity: (typeof moderationSeverities)[number], overrides: Json = {}): Envelope {
  return envelope('ModerationFlagged', {
    review_id: 'review-1',
    product_id: 'manga-1',
    content_hash: 'b'.repeat(64),
    content_preview: 'preview',
    severity,
    flagged_categories: ['harassment', 'spam'],
    reason: 'Says "you are an idiot" \\ twice',
    model_id: 'model-1',
    ...chain,
    ...overrides,
  });
}

function recommendationGenerated(): Envelope {
  return envelope('Recommendation.Generated', {
    customer_id: 'customer-1',
    product_ids: ['manga-1'],
    model_id: 'model-1',
    generated_at: '2026-01-31T09:00:00Z',
    ...chain,
  });
}

function inferenceCompleted(): Envelope {
  return envelope('InferenceCompleted', {
    request_id: 'req-1',
    tenant_id: 'tenant-a',
    model: 'claude-haiku-4-5',
    model_id: 'model-1',
    region: 'ap-northeast-1',
    status: 'success',
    cached: false,
    metrics: {
      input_tokens: 1,
      output_tokens: 1,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0,
      latency_ms: 10,
      estimated_cost_usd: '0.000001',
    },
    response_summary: 'ok',
    processing_stage: 'completed',
  });
}

function paymentCompleted(overrides: Partial<Envelope> = {}): Envelope {
  return envelope(
    'PaymentCompleted',
    {
      order_id: 'order-1',
      stripe_event_id: 'evt_1',
      checkout_session_id: 'cs_1',
      amount: 1980,
      currency: 'jpy',
      processing_stage: 'raw',
    },
    overrides,
  );
}

function reviewSubmitted(overrides: Partial<Envelope> = {}): Envelope {
  return envelope(
    'ReviewSubmitted',
    {
      review_id: 'review-1',
      product_id: 'manga-1',
      review_text: '最高の漫画！',
      sentiment: sentiments[0],
      processing_stage: 'raw',
    },
    overrides,
  );
}

function catalogUpdate(type: (typeof catalogUpdateTypes)[number], title = 'ワンピース 107'): Envelope {
  return envelope(
    'CatalogUpdate.*',
    {
      batch_id: 'batch-1',
      product_id: 'manga-1',
      title,
      update_type: type,
      data: {},
      processing_stage: 'raw',
    },
    { 'detail-type': `CatalogUpdate.${type}` },
  );
}

function messageReceived(): Envelope {
  return envelope('MessageReceived', {
    session_id: 'session-0001',
    message: 'こんにちは',
    language: 'ja',
    channel: 'web',
    processing_stage: 'raw',
  });
}

/** Every event `consumer` may emit, in every variant a pattern could tell apart. */
function emittedBy(consumer: EventEmitterName): Envelope[] {
  const samples: { readonly [name in BusEventName]?: () => Envelope[] } = {
    ModerationFlagged: () => moderationSeverities.map((severity) => moderationFlagged(severity)),
    'Recommendation.Generated': () => [recommendationGenerated()],
    InferenceCompleted: () => [inferenceCompleted()],
  };
  return consumerEmissions[consumer].flatMap((name) => {
    const make = samples[name];
    if (make === undefined) throw new Error(`no sample for ${name}, which ${consumer} emits`);
    return make();
  });
}

/** `consumer -> consumers its output reaches`, through every rule. */
function consumerGraph(): Map<EventEmitterName, Set<EventEmitterName>> {
  return new Map(
    ruleTargets.map((consumer) => [
      consumer,
      new Set(emittedBy(consumer).flatMap((event) => rulesMatching(event).flatMap(consumersOf))),
    ]),
  );
}

function findCycle(graph: Map<EventEmitterName, Set<EventEmitterName>>): EventEmitterName[] | undefined {
  const visit = (node: EventEmitterName, path: EventEmitterName[]): EventEmitterName[] | undefined => {
    if (path.includes(node)) return [...path, node];
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle !== undefined) return cycle;
    }
    return undefined;
  };
  for (const start of graph.keys()) {
    const cycle = visit(start, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** Every `source` list and `detail.processing_stage` list of a pattern, one per `$or` branch. */
function branches(pattern: Json): Json[] {
  const { $or, ...rest } = pattern;
  if (!Array.isArray($or)) return [rest];
  return $or.filter(isObject).map((clause) => ({ ...rest, ...clause }));
}

// ---------------------------------------------------------------------------------------------
// A JSONPath subset (`$.a.b`) and EventBridge's placeholder substitution outside quotes.

function resolve(event: Envelope, path: string): unknown {
  if (!path.startsWith('$.')) throw new Error(`unsupported path ${path}`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), event);
}

function transform(transformer: InputTransformer, event: Envelope): unknown {
  const text = transformer.inputTemplate.replace(/<([A-Za-z0-9_.-]+)>/g, (_, name: string) => {
    const path = transformer.inputPathsMap[name];
    if (path === undefined) throw new Error(`placeholder <${name}> has no input path`);
    return JSON.stringify(resolve(event, path));
  });
  return JSON.parse(text);
}

const consumersThatEmit = ruleTargets.filter((consumer) => consumerEmissions[consumer].length > 0);

// ---------------------------------------------------------------------------------------------

describe('event rules never loop', () => {
  it('route no event a consumer emits back to that consumer', () => {
    for (const consumer of ruleTargets) {
      for (const event of emittedBy(consumer)) {
        for (const rule of rulesMatching(event)) {
          expect(consumersOf(rule), `${consumer} -> ${event['detail-type']} -> ${rule.name}`).not.toContain(
            consumer,
          );
        }
      }
    }
  });

  it('form no cycle of consumers, however many hops', () => {
    const graph = consumerGraph();

    expect(findCycle(graph)).toBeUndefined();
    expect([...(graph.get('fm-trigger') ?? [])].sort()).toEqual([
      'analytics',
      'inference-post-processor',
      'moderation-handler',
    ]);
  });

  it('guard 1: no rule feeding a consumer that emits matches a source that consumer emits', () => {
    for (const rule of eventRules) {
      if (rule.eventPattern === undefined) continue;
      for (const consumer of consumersOf(rule).filter((name) => consumersThatEmit.includes(name))) {
        const emittedSources = new Set<unknown>(
          consumerEmissions[consumer].map((name) => busEvents[name].source),
        );
        for (const branch of branches(rule.eventPattern)) {
          const sources = branch.source;
          expect(Array.isArray(sources), `${rule.name} names its sources`).toBe(true);
          for (const source of sources as unknown[]) {
            expect(emittedSources.has(source), `${rule.name} matches ${String(source)}`).toBe(false);
          }
        }
      }
    }
  });

  it('guard 2: every rule feeding a consumer that emits requires processing_stage raw', () => {
    const guarded = eventRules.filter(
      (rule) =>
        rule.eventPattern !== undefined && consumersOf(rule).some((name) => consumersThatEmit.includes(name)),
    );

    expect(guarded.map((rule) => rule.name).sort()).toEqual(['catalog-updates', 'payments-and-reviews']);
    for (const rule of guarded) {
      for (const branch of branches(rule.eventPattern ?? {})) {
        const detail = isObject(branch.detail) ? branch.detail : {};
        expect(detail.processing_stage, rule.name).toEqual(['raw']);
      }
    }
  });

  it('guard 2: a raw event re-published as processed matches none of the model-work rules', () => {
    const raw = [
      paymentCompleted(),
      reviewSubmitted(),
      ...catalogUpdateTypes.map((type) => catalogUpdate(type)),
    ];
    for (const event of raw) {
      const processed = { ...event, detail: { ...event.detail, ...chain } };
      expect(
        rulesMatching(processed).map((rule) => rule.name),
        event['detail-type'],
      ).toEqual([]);
    }
  });

  it('emit nothing but mangaassist.ai events from consumers', () => {
    for (const consumer of [...ruleTargets, ...queueConsumers]) {
      for (const name of consumerEmissions[consumer]) expect(busEvents[name].source).toBe(eventSources.ai);
    }
  });
});

describe('event rules route', () => {
  const names = (event: Envelope) => rulesMatching(event).map((rule) => rule.name);

  it('high and critical moderation flags to the moderation handler, and not low or medium ones', () => {
    expect(names(moderationFlagged('high'))).toEqual(['moderation-high-severity']);
    expect(names(moderationFlagged('critical'))).toEqual([
      'moderation-high-severity',
      'moderation-critical-notification',
    ]);
    expect(names(moderationFlagged('medium'))).toEqual([]);
    expect(names(moderationFlagged('low'))).toEqual([]);
    expect(consumersOf(eventRule('moderation-high-severity'))).toEqual(['moderation-handler']);
  });

  it('critical moderation flags to an API destination', () => {
    const [target] = eventRule('moderation-critical-notification').targets;

    expect(target?.kind).toBe('api-destination');
    expect(target?.handler).toBeUndefined();
  });

  it('every InferenceCompleted event to both the post-processor and analytics', () => {
    expect(names(inferenceCompleted())).toEqual(['inference-completed-fan-out']);
    expect(consumersOf(eventRule('inference-completed-fan-out'))).toEqual([
      'inference-post-processor',
      'analytics',
    ]);
  });

  it('raw catalog updates of every type to embedding regeneration only (enrichment takes the FIFO queue)', () => {
    for (const type of catalogUpdateTypes)
      expect(names(catalogUpdate(type)), type).toEqual(['catalog-updates']);
    expect(consumersOf(eventRule('catalog-updates'))).toEqual(['embedding-regeneration']);
  });

  it('nothing to a queue consumer: no rule targets one', () => {
    const targeted = eventRules.flatMap(consumersOf);
    for (const consumer of queueConsumers) expect(targeted).not.toContain(consumer);
  });

  it('raw payments and reviews to the FM trigger, each only from its own source', () => {
    expect(names(paymentCompleted())).toEqual(['payments-and-reviews']);
    expect(names(reviewSubmitted())).toEqual(['payments-and-reviews']);
    expect(names(paymentCompleted({ source: eventSources.reviews }))).toEqual([]);
    expect(names(reviewSubmitted({ source: eventSources.payments }))).toEqual([]);
    expect(names(reviewSubmitted({ source: eventSources.ai }))).toEqual([]);
    expect(consumersOf(eventRule('payments-and-reviews'))).toEqual(['fm-trigger']);
  });

  it('catalog-looking events from another source nowhere', () => {
    expect(names({ ...catalogUpdate('new_release'), source: eventSources.ai })).toEqual([]);
  });

  it('chat messages nowhere (no consumer reads them yet)', () => {
    expect(names(messageReceived())).toEqual([]);
  });

  it('the 6-hour schedule to the recommendation state machine', () => {
    const rule = eventRule('recommendation-schedule');

    expect(rule.schedule).toBe('rate(6 hours)');
    expect(rule.eventPattern).toBeUndefined();
    expect(rule.targets.map(({ kind, workflow }) => ({ kind, workflow }))).toEqual([
      { kind: 'state-machine', workflow: 'recommendation-regeneration' },
    ]);
  });
});

describe('event rule input transformers', () => {
  it('give embedding regeneration {action, product_id, title}, as valid JSON even for quotes and backslashes', () => {
    const target = eventRule('catalog-updates').targets.find(
      (candidate) => candidate.id === 'embedding-regeneration',
    );
    const title = 'He said "無限\\列車" \n';

    expect(target?.inputTransformer).toBeDefined();
    expect(
      transform(target?.inputTransformer as InputTransformer, catalogUpdate('new_release', title)),
    ).toEqual({
      action: 'regenerate',
      product_id: 'manga-1',
      title,
    });
  });

  it('send the FM trigger the whole catalog event', () => {
    const target = eventRule('catalog-updates').targets.find((candidate) => candidate.id === 'fm-trigger');

    expect(target?.inputTransformer).toBeUndefined();
  });

  it('give the notification webhook a Slack-style text and the facts, without the review text', () => {
    const [target] = eventRule('moderation-critical-notification').targets;
    const event = moderationFlagged('critical');

    const payload = transform(target?.inputTransformer as InputTransformer, event) as Json;

    expect(typeof payload.text).toBe('string');
    expect(payload).toMatchObject({
      event_id: event.id,
      review_id: 'review-1',
      product_id: 'manga-1',
      severity: 'critical',
      categories: ['harassment', 'spam'],
      reason: 'Says "you are an idiot" \\ twice',
    });
    expect(JSON.stringify(payload)).not.toContain('preview');
  });
});

describe('event rule definitions', () => {
  it('have unique names EventBridge accepts, each with a pattern or a schedule', () => {
    const names = eventRules.map((rule) => rule.name);

    expect(new Set(names).size).toBe(names.length);
    for (const rule of eventRules) {
      expect(rule.name).toMatch(/^[.\-_A-Za-z0-9]{1,64}$/);
      expect(rule.description.length, rule.name).toBeLessThanOrEqual(512);
      expect((rule.eventPattern === undefined) !== (rule.schedule === undefined), rule.name).toBe(true);
      if (rule.eventPattern !== undefined) {
        expect(JSON.stringify(rule.eventPattern).length, rule.name).toBeLessThanOrEqual(4096);
      }
    }
  });

  it('have at most five targets per rule, with unique ids EventBridge accepts', () => {
    for (const rule of eventRules) {
      const ids = rule.targets.map((target) => target.id);
      expect(rule.targets.length, rule.name).toBeGreaterThan(0);
      expect(rule.targets.length, rule.name).toBeLessThanOrEqual(5);
      expect(new Set(ids).size, rule.name).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[.\-_A-Za-z0-9]{1,64}$/);
    }
  });

  it('name a handler for every Lambda target, a workflow for every state machine and neither for API destinations', () => {
    for (const target of eventRules.flatMap((rule) => rule.targets)) {
      expect(target.handler === undefined, target.id).toBe(target.kind !== 'lambda');
      expect(target.workflow === undefined, target.id).toBe(target.kind !== 'state-machine');
    }
  });

  it('give every target a retry policy within EventBridge limits, by default one hour and three retries', () => {
    expect(defaultTargetRetry).toEqual({ maximumEventAgeSeconds: 3600, maximumRetryAttempts: 3 });
    for (const target of eventRules.flatMap((rule) => rule.targets)) {
      expect(target.retry.maximumEventAgeSeconds).toBeGreaterThanOrEqual(60);
      expect(target.retry.maximumEventAgeSeconds).toBeLessThanOrEqual(86_400);
      expect(target.retry.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(target.retry.maximumRetryAttempts).toBeLessThanOrEqual(185);
    }
  });

  it('define every placeholder of an input template in its paths map', () => {
    for (const target of eventRules.flatMap((rule) => rule.targets)) {
      const transformer = target.inputTransformer;
      if (transformer === undefined) continue;
      const placeholders = [...transformer.inputTemplate.matchAll(/<([^>]+)>/g)].map((match) => match[1]);
      expect(Object.keys(transformer.inputPathsMap).length).toBeLessThanOrEqual(100);
      for (const name of placeholders)
        expect(transformer.inputPathsMap, target.id).toHaveProperty(name as string);
    }
  });

  it('reach every consumer through some rule', () => {
    const targeted = new Set(eventRules.flatMap(consumersOf));

    expect(ruleTargets.filter((consumer) => !targeted.has(consumer))).toEqual([]);
  });

  it('throw for an unknown rule name', () => {
    expect(() => eventRule('no-such-rule')).toThrow('unknown event rule: no-such-rule');
  });
});

describe('the test matcher', () => {
  it('refuses operators it does not implement, so a new pattern cannot pass unchecked', () => {
    expect(() => matches({ detail: { n: [{ numeric: ['>', 1] }] } }, { detail: { n: 2 } })).toThrow(
      'operator not supported',
    );
  });

  it('requires a field to exist and matches any element of an array field', () => {
    expect(matches({ detail: { tags: ['b'] } }, { detail: { tags: ['a', 'b'] } })).toBe(true);
    expect(matches({ detail: { missing: ['x'] } }, { detail: {} })).toBe(false);
    expect(matches({ 'detail-type': [{ prefix: 'Catalog' }] }, { 'detail-type': 'CatalogUpdate.x' })).toBe(
      true,
    );
  });
});
