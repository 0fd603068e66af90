import { describe, expect, it } from 'vitest';
import {
  busEventDefinition,
  busEventSchema,
  busEvents,
  chainMetadataSchema,
  eventChainLimits,
  eventSources,
  type InferenceCompletedDetail,
  inferenceCompletedEvent,
  type MessageReceivedDetail,
  type ModerationFlaggedDetail,
  processingStages,
  type RecommendationGeneratedDetail,
} from './events.js';
import {
  catalogUpdateDetailSchema,
  catalogUpdateTypes,
  paymentCompletedDetailSchema,
  reviewSubmittedDetailSchema,
} from './webhooks.js';

function inferenceCompletedDetail(
  overrides: Partial<InferenceCompletedDetail> = {},
): InferenceCompletedDetail {
  return {
    request_id: 'req-0001',
    tenant_id: 'tenant-a',
    session_id: 'session-0001',
    model: 'claude-haiku-4-5',
    model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    status: 'success',
    stop_reason: 'end_turn',
    cached: false,
    metrics: {
      input_tokens: 120,
      output_tokens: 48,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0,
      latency_ms: 812,
      ttft_ms: 240,
      estimated_cost_usd: '0.000412',
    },
    response_summary: 'おすすめは「ワンピース」です。',
    processing_stage: 'completed',
    inference_id: '0f8b2c1e-4d5a-4b6c-9e7f-1a2b3c4d5e6f',
    ...overrides,
  };
}

function withCost(estimated_cost_usd: string) {
  return inferenceCompletedDetail({ metrics: { ...inferenceCompletedDetail().metrics, estimated_cost_usd } });
}

const schema = inferenceCompletedEvent.schema;

describe('InferenceCompleted', () => {
  it('is published by the ai source under the InferenceCompleted detail type', () => {
    expect(inferenceCompletedEvent.source).toBe(eventSources.ai);
    expect(inferenceCompletedEvent.detailType).toBe('InferenceCompleted');
  });

  it('accepts a complete detail', () => {
    const detail = inferenceCompletedDetail();

    expect(schema.parse(detail)).toEqual(detail);
  });

  it('accepts a degraded answer without session, stop reason or time to first token', () => {
    const {
      session_id: _session,
      stop_reason: _stop,
      ...detail
    } = inferenceCompletedDetail({
      status: 'degraded',
      model: 'none',
    });
    const { ttft_ms: _ttft, ...metrics } = detail.metrics;

    expect(schema.safeParse({ ...detail, metrics }).success).toBe(true);
  });

  it('accepts a detail without inference_id (older producers) and rejects one that is not a UUID', () => {
    const { inference_id: _id, ...older } = inferenceCompletedDetail();

    expect(schema.safeParse(older).success).toBe(true);
    expect(schema.safeParse(inferenceCompletedDetail({ inference_id: 'req-1' })).success).toBe(false);
  });

  it('rejects a processing_stage other than completed', () => {
    expect(schema.safeParse({ ...inferenceCompletedDetail(), processing_stage: 'raw' }).success).toBe(false);
  });

  it('accepts a 500-character summary and rejects 501', () => {
    expect(schema.safeParse(inferenceCompletedDetail({ response_summary: 'a'.repeat(500) })).success).toBe(
      true,
    );
    expect(schema.safeParse(inferenceCompletedDetail({ response_summary: 'a'.repeat(501) })).success).toBe(
      false,
    );
  });

  it('accepts a cost written as a decimal string', () => {
    expect(schema.safeParse(withCost('0')).success).toBe(true);
    expect(schema.safeParse(withCost('12.5')).success).toBe(true);
  });

  it('rejects a cost that is not a decimal string', () => {
    for (const cost of ['', '-0.1', '1e-6', '.5', '1.', '$0.01', 'NaN']) {
      expect(schema.safeParse(withCost(cost)).success, cost).toBe(false);
    }
    expect(
      schema.safeParse({
        ...inferenceCompletedDetail(),
        metrics: { ...inferenceCompletedDetail().metrics, estimated_cost_usd: 0.1 },
      }).success,
    ).toBe(false);
  });

  it('rejects an unknown status and negative token counts', () => {
    expect(schema.safeParse({ ...inferenceCompletedDetail(), status: 'pending' }).success).toBe(false);
    expect(
      schema.safeParse({
        ...inferenceCompletedDetail(),
        metrics: { ...inferenceCompletedDetail().metrics, input_tokens: -1 },
      }).success,
    ).toBe(false);
  });
});

function messageReceivedDetail(overrides: Partial<MessageReceivedDetail> = {}): MessageReceivedDetail {
  return {
    session_id: 'session-0001',
    user_id: 'user-42',
    message: 'ワンピースの最新刊はありますか？',
    language: 'ja',
    channel: 'web',
    processing_stage: 'raw',
    ...overrides,
  };
}

function moderationFlaggedDetail(overrides: Partial<ModerationFlaggedDetail> = {}): ModerationFlaggedDetail {
  return {
    review_id: 'review-0001',
    product_id: 'manga-0001',
    content_hash: 'a'.repeat(64),
    content_preview: 'This review contains…',
    severity: 'high',
    flagged_categories: ['harassment'],
    reason: 'Insults another customer.',
    model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    chain_depth: 1,
    source_event_id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    processing_stage: 'processed',
    ...overrides,
  };
}

function recommendationGeneratedDetail(
  overrides: Partial<RecommendationGeneratedDetail> = {},
): RecommendationGeneratedDetail {
  return {
    customer_id: 'customer-7',
    product_ids: ['manga-0001', 'manga-0002'],
    model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    generated_at: '2026-01-31T09:00:00Z',
    chain_depth: 1,
    source_event_id: 'scheduled-event-id',
    processing_stage: 'processed',
    ...overrides,
  };
}

describe('MessageReceived', () => {
  const schema = busEvents.MessageReceived.schema;

  it('accepts a raw chat message with or without a user id', () => {
    expect(schema.safeParse(messageReceivedDetail()).success).toBe(true);
    const { user_id: _user, ...anonymous } = messageReceivedDetail();
    expect(schema.safeParse(anonymous).success).toBe(true);
  });

  it('accepts a 4000-character message and rejects 4001', () => {
    expect(schema.safeParse(messageReceivedDetail({ message: 'あ'.repeat(4000) })).success).toBe(true);
    expect(schema.safeParse(messageReceivedDetail({ message: 'あ'.repeat(4001) })).success).toBe(false);
  });

  it('rejects an unknown language, an unknown channel and a processed stage', () => {
    expect(schema.safeParse({ ...messageReceivedDetail(), language: 'fr' }).success).toBe(false);
    expect(schema.safeParse({ ...messageReceivedDetail(), channel: 'email' }).success).toBe(false);
    expect(schema.safeParse({ ...messageReceivedDetail(), processing_stage: 'processed' }).success).toBe(
      false,
    );
  });
});

describe('ModerationFlagged', () => {
  const schema = busEvents.ModerationFlagged.schema;

  it('accepts a flagged review carrying its chain metadata', () => {
    expect(schema.parse(moderationFlaggedDetail())).toEqual(moderationFlaggedDetail());
  });

  it('accepts a verdict that needs human review', () => {
    expect(
      schema.safeParse(moderationFlaggedDetail({ review_required: true, severity: 'medium' })).success,
    ).toBe(true);
  });

  it('rejects a content hash that is not 64 lower-case hex digits', () => {
    for (const hash of ['a'.repeat(63), 'A'.repeat(64), 'g'.repeat(64), '']) {
      expect(schema.safeParse(moderationFlaggedDetail({ content_hash: hash })).success, hash).toBe(false);
    }
  });

  it('accepts a 200-character preview and rejects 201', () => {
    expect(schema.safeParse(moderationFlaggedDetail({ content_preview: 'x'.repeat(200) })).success).toBe(
      true,
    );
    expect(schema.safeParse(moderationFlaggedDetail({ content_preview: 'x'.repeat(201) })).success).toBe(
      false,
    );
  });

  it('rejects a severity outside low, medium, high and critical', () => {
    expect(schema.safeParse({ ...moderationFlaggedDetail(), severity: 'none' }).success).toBe(false);
  });

  it('rejects a detail without chain metadata or with a chain depth below 1', () => {
    const { chain_depth: _depth, source_event_id: _source, ...unchained } = moderationFlaggedDetail();
    expect(schema.safeParse(unchained).success).toBe(false);
    expect(schema.safeParse(moderationFlaggedDetail({ chain_depth: 0 })).success).toBe(false);
    expect(schema.safeParse(moderationFlaggedDetail({ chain_depth: 1.5 })).success).toBe(false);
    expect(schema.safeParse({ ...moderationFlaggedDetail(), chain_depth: '1' }).success).toBe(false);
  });

  it('rejects a raw processing stage', () => {
    expect(schema.safeParse({ ...moderationFlaggedDetail(), processing_stage: 'raw' }).success).toBe(false);
  });
});

describe('Recommendation.Generated', () => {
  const schema = busEvents['Recommendation.Generated'].schema;

  it('accepts a list for a customer and a list for a segment', () => {
    expect(schema.safeParse(recommendationGeneratedDetail()).success).toBe(true);
    const { customer_id: _customer, ...forSegment } = recommendationGeneratedDetail({
      segment: 'shonen-fans',
    });
    expect(schema.safeParse(forSegment).success).toBe(true);
  });

  it('rejects a generation time that is not an ISO 8601 UTC timestamp', () => {
    expect(schema.safeParse(recommendationGeneratedDetail({ generated_at: '31/01/2026' })).success).toBe(
      false,
    );
  });
});

describe('busEvents', () => {
  it('lists every event of the bus under its detail type', () => {
    expect(Object.keys(busEvents).sort()).toEqual(
      [
        'CatalogUpdate.*',
        'InferenceCompleted',
        'JobCompleted',
        'JobFailed',
        'MessageReceived',
        'ModerationFlagged',
        'PaymentCompleted',
        'Recommendation.Generated',
        'ReviewSubmitted',
      ].sort(),
    );
  });

  it('reuses the webhook and InferenceCompleted schemas rather than copies', () => {
    expect(busEvents.PaymentCompleted.schema).toBe(paymentCompletedDetailSchema);
    expect(busEvents.ReviewSubmitted.schema).toBe(reviewSubmittedDetailSchema);
    expect(busEvents['CatalogUpdate.*'].schema).toBe(catalogUpdateDetailSchema);
    expect(busEvents.InferenceCompleted.schema).toBe(inferenceCompletedEvent.schema);
  });

  it('gives every event a schema that pins its processing stage', () => {
    const samples: Record<string, Record<string, unknown>> = {
      MessageReceived: messageReceivedDetail(),
      InferenceCompleted: inferenceCompletedDetail(),
      ModerationFlagged: moderationFlaggedDetail(),
      'Recommendation.Generated': recommendationGeneratedDetail(),
    };
    for (const [name, detail] of Object.entries(samples)) {
      const definition = busEventDefinition(
        busEvents[name as keyof typeof busEvents].source,
        busEvents[name as keyof typeof busEvents].detailType,
      );
      expect(definition?.schema.safeParse(detail).success, name).toBe(true);
      for (const stage of processingStages.filter((other) => other !== definition?.stage)) {
        expect(
          definition?.schema.safeParse({ ...detail, processing_stage: stage }).success,
          `${name} ${stage}`,
        ).toBe(false);
      }
    }
  });

  it('marks exactly the events a consumer emits as carrying chain metadata', () => {
    const chained = Object.entries(busEvents)
      .filter(([, definition]) => definition.chained)
      .map(([name]) => name);

    expect(chained.sort()).toEqual(['ModerationFlagged', 'Recommendation.Generated']);
    for (const definition of Object.values(busEvents)) {
      expect(definition.chained, definition.detailType).toBe(definition.stage === 'processed');
    }
  });

  it('names one detail type per catalog update type', () => {
    expect(busEvents['CatalogUpdate.*'].detailTypes).toEqual(
      catalogUpdateTypes.map((type) => `CatalogUpdate.${type}`),
    );
  });
});

describe('busEventSchema', () => {
  it('finds a schema by source and exact detail type', () => {
    expect(busEventSchema(eventSources.ai, 'ModerationFlagged')).toBe(busEvents.ModerationFlagged.schema);
    expect(busEventSchema(eventSources.chat, 'MessageReceived')).toBe(busEvents.MessageReceived.schema);
  });

  it('finds the catalog update schema by the CatalogUpdate. prefix', () => {
    expect(busEventSchema(eventSources.catalog, 'CatalogUpdate.restock')).toBe(catalogUpdateDetailSchema);
    expect(busEventSchema(eventSources.catalog, 'CatalogUpdate.future_type')).toBe(catalogUpdateDetailSchema);
  });

  it('finds nothing for the bare prefix, an unknown detail type or the wrong source', () => {
    expect(busEventSchema(eventSources.catalog, 'CatalogUpdate.')).toBeUndefined();
    expect(busEventSchema(eventSources.catalog, 'CatalogUpdate')).toBeUndefined();
    expect(busEventSchema(eventSources.ai, 'Unknown')).toBeUndefined();
    expect(busEventSchema(eventSources.chat, 'ModerationFlagged')).toBeUndefined();
    expect(busEventSchema(eventSources.ai, 'CatalogUpdate.restock')).toBeUndefined();
  });
});

describe('chainMetadataSchema', () => {
  it('requires a positive integer depth, a source event id and the processed stage', () => {
    expect(
      chainMetadataSchema.safeParse({ chain_depth: 3, source_event_id: 'e-1', processing_stage: 'processed' })
        .success,
    ).toBe(true);
    expect(
      chainMetadataSchema.safeParse({ chain_depth: 1, source_event_id: '', processing_stage: 'processed' })
        .success,
    ).toBe(false);
    expect(eventChainLimits.maxChainDepth).toBe(3);
  });
});
