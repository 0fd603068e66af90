import { type BusEventName, busEvents, eventSources } from './events.js';

/**
 * The Lambda consumers of the bus, by function name. Each is a thin door
 * onto `core`; the rules below are the only way events reach them.
 */
export const eventConsumers = [
  'moderation-handler',
  'inference-post-processor',
  'analytics',
  'embedding-regeneration',
  'fm-trigger',
] as const;
export type EventConsumer = (typeof eventConsumers)[number];

/**
 * The consumers fed by an SQS queue rather than a bus rule: no rule targets them, so they are
 * outside the rules' loop analysis, but they run behind the same idempotent wrapper and emit only
 * what `consumerEmissions` lists. `catalog-enrichment` consumes the catalog enrichment queue (SQS
 * FIFO, one message group per product), which the catalog webhook fills in catalog order.
 */
export const queueConsumers = ['catalog-enrichment'] as const;
export type QueueConsumer = (typeof queueConsumers)[number];

/** Any consumer behind the idempotent wrapper: a bus rule's or a queue's. */
export type ConsumerName = EventConsumer | QueueConsumer;

/**
 * The Step Functions state machines bus rules start, by name: `recommendation-regeneration` asks
 * the model for each segment's recommendations, a Map over the segments (six-hourly schedule).
 */
export const eventWorkflows = ['recommendation-regeneration'] as const;
export type EventWorkflow = (typeof eventWorkflows)[number];

/** Whatever may put events on the bus in reaction to one: a consumer or a workflow. */
export type EventEmitterName = ConsumerName | EventWorkflow;

/**
 * What each consumer may put on the bus — a promise its implementation must keep, and the input
 * of the loop-freedom test (`event-rules.test.ts`). A consumer that calls a model through the
 * gateway emits `InferenceCompleted` (the gateway publishes one per answer). Emitting an event
 * not listed here is a bug: it may create a loop no test has ruled out.
 */
export const consumerEmissions: { readonly [emitter in EventEmitterName]: readonly BusEventName[] } = {
  'moderation-handler': [],
  'inference-post-processor': [],
  analytics: [],
  'embedding-regeneration': ['InferenceCompleted'],
  'recommendation-regeneration': ['Recommendation.Generated', 'InferenceCompleted'],
  'fm-trigger': ['ModerationFlagged', 'InferenceCompleted'],
  'catalog-enrichment': ['InferenceCompleted'],
};

/** EventBridge's retry policy of one target (`RetryPolicy` of `AWS::Events::Rule` targets). */
export interface TargetRetryPolicy {
  /** 60 to 86 400. */
  readonly maximumEventAgeSeconds: number;
  /** 0 to 185. */
  readonly maximumRetryAttempts: number;
}

/**
 * Retry policy of every target unless it says otherwise: one hour, three retries, then the
 * target's DLQ. EventBridge's own default (24 h, 185 attempts) would hide a broken consumer for
 * a day.
 */
export const defaultTargetRetry: TargetRetryPolicy = {
  maximumEventAgeSeconds: 3600,
  maximumRetryAttempts: 3,
};

/** An EventBridge input transformer: what the target receives instead of the whole event. */
export interface InputTransformer {
  /** Variable name -> JSONPath into the event (`$.detail.product_id`). At most 100. */
  readonly inputPathsMap: Readonly<Record<string, string>>;
  /**
   * The payload with `<variable>` placeholders. Placeholders stand outside quotes, where
   * EventBridge inserts the value as JSON (a string quoted and escaped), so a title with quotes
   * or backslashes still gives valid JSON.
   */
  readonly inputTemplate: string;
}

export interface EventRuleTarget {
  /** Unique within the rule; `[.\-_A-Za-z0-9]`, at most 64 characters. */
  readonly id: string;
  readonly kind: 'lambda' | 'api-destination' | 'state-machine';
  /** The consumer function, for `kind: 'lambda'`. */
  readonly handler?: EventConsumer;
  /** The state machine an execution of which the event starts, for `kind: 'state-machine'`. */
  readonly workflow?: EventWorkflow;
  /** What the target receives instead of the event. @default the whole event */
  readonly inputTransformer?: InputTransformer;
  readonly retry: TargetRetryPolicy;
}

/** An EventBridge rule: an event pattern on the MangaAssist bus, or a schedule. */
export interface EventRule {
  /** `[.\-_A-Za-z0-9]`, at most 64 characters. */
  readonly name: string;
  readonly description: string;
  /** EventBridge pattern JSON, keys as on the wire (`detail-type`). Either this or `schedule`. */
  readonly eventPattern?: Readonly<Record<string, unknown>>;
  /**
   * A schedule expression. EventBridge runs scheduled rules on the account's default bus only
   * (CDK throws for a scheduled rule given an `eventBus`), so this rule belongs there.
   */
  readonly schedule?: `rate(${string})`;
  readonly targets: readonly EventRuleTarget[];
}

const { ai, payments, reviews, catalog } = eventSources;
const moderationFlagged = busEvents.ModerationFlagged.detailType;
const catalogPrefix = busEvents['CatalogUpdate.*'].detailTypePrefix;

function lambda(handler: EventConsumer, inputTransformer?: InputTransformer): EventRuleTarget {
  return {
    id: handler,
    kind: 'lambda',
    handler,
    ...(inputTransformer === undefined ? {} : { inputTransformer }),
    retry: defaultTargetRetry,
  };
}

/** A target starting an execution of `workflow`, the event as its input. */
function stateMachine(workflow: EventWorkflow): EventRuleTarget {
  return { id: workflow, kind: 'state-machine', workflow, retry: defaultTargetRetry };
}

/**
 * Every rule of the bus, defined once: the CDK creates them, and the local bus applies them with
 * EventBridge pattern semantics.
 *
 * Loop guards (seed 000 §3.3), proven for every rule and every event a consumer emits by
 * `event-rules.test.ts`:
 * 1. source differentiation: consumers emit only `mangaassist.ai`, and no rule that starts model
 *    work (`fm-trigger`, `embedding-regeneration`) matches that source;
 * 2. `processing_stage` filtering: those rules also require `processing_stage: raw`, which no
 *    consumer emits (`processed`, or `completed` for the gateway's `InferenceCompleted`);
 * 3. chain depth (in `core`): every emitted event carries `chain_depth`; a consumer refuses one
 *    that reached `eventChainLimits.maxChainDepth`.
 *
 * Catalog updates reach the embedding regeneration (transformed input) from the bus. Their
 * enrichment (description and tags in the products table) does not go through the bus: EventBridge
 * neither keeps events in order nor sets an SQS FIFO target's message group from the event (a
 * rule's `SqsParameters.MessageGroupId` is one fixed string), so the catalog webhook puts each item
 * on the catalog enrichment queue itself, in catalog order, grouped by product
 * (`catalogEnrichmentMessageSchema`), for the `catalog-enrichment` queue consumer.
 */
export const eventRules: readonly EventRule[] = [
  {
    name: 'moderation-high-severity',
    description:
      'Content-based routing: high and critical ModerationFlagged events to the moderation handler.',
    eventPattern: {
      source: [ai],
      'detail-type': [moderationFlagged],
      detail: { severity: ['high', 'critical'] },
    },
    targets: [lambda('moderation-handler')],
  },
  {
    name: 'inference-completed-fan-out',
    description: 'Fan-out: every InferenceCompleted event to the post-processor and to analytics.',
    eventPattern: {
      source: [busEvents.InferenceCompleted.source],
      'detail-type': [busEvents.InferenceCompleted.detailType],
    },
    targets: [lambda('inference-post-processor'), lambda('analytics')],
  },
  {
    name: 'catalog-updates',
    description:
      'Input transformation: raw catalog updates to embedding regeneration ({action, product_id, title}).',
    eventPattern: {
      source: [catalog],
      'detail-type': [{ prefix: catalogPrefix }],
      detail: { processing_stage: ['raw'] },
    },
    targets: [
      lambda('embedding-regeneration', {
        inputPathsMap: { product_id: '$.detail.product_id', title: '$.detail.title' },
        inputTemplate: '{"action":"regenerate","product_id":<product_id>,"title":<title>}',
      }),
    ],
  },
  {
    name: 'recommendation-schedule',
    description: 'Schedule: regenerate recommendations every 6 hours (a state machine, a Map per segment).',
    schedule: 'rate(6 hours)',
    targets: [stateMachine('recommendation-regeneration')],
  },
  {
    name: 'payments-and-reviews',
    description:
      'Raw PaymentCompleted and ReviewSubmitted events to the FM trigger (confirmation, moderation).',
    eventPattern: {
      $or: [
        { source: [payments], 'detail-type': [busEvents.PaymentCompleted.detailType] },
        { source: [reviews], 'detail-type': [busEvents.ReviewSubmitted.detailType] },
      ],
      detail: { processing_stage: ['raw'] },
    },
    targets: [lambda('fm-trigger')],
  },
  {
    name: 'moderation-critical-notification',
    description: 'Critical ModerationFlagged events to the outbound notification webhook (API destination).',
    eventPattern: {
      source: [ai],
      'detail-type': [moderationFlagged],
      detail: { severity: ['critical'] },
    },
    targets: [
      {
        id: 'moderation-alert-webhook',
        kind: 'api-destination',
        // Slack-style `text`, plus the facts as fields; the review text stays out of the chat.
        inputTransformer: {
          inputPathsMap: {
            event_id: '$.id',
            review_id: '$.detail.review_id',
            product_id: '$.detail.product_id',
            severity: '$.detail.severity',
            categories: '$.detail.flagged_categories',
            reason: '$.detail.reason',
          },
          inputTemplate:
            '{"text":"MangaAssist: a review was flagged as critical and needs attention.",' +
            '"event_id":<event_id>,"review_id":<review_id>,"product_id":<product_id>,' +
            '"severity":<severity>,"categories":<categories>,"reason":<reason>}',
        },
        retry: defaultTargetRetry,
      },
    ],
  },
];

/** The rule with this name; throws `Error` for an unknown name (a typo in wiring, caught at synth). */
export function eventRule(name: string): EventRule {
  const rule = eventRules.find((candidate) => candidate.name === name);
  if (rule === undefined) throw new Error(`unknown event rule: ${name}`);
  return rule;
}
