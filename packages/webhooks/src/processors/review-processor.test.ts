import { awsError, createFakeClock } from '@mangaassist/commons/testing';
import { EventPublishError } from '@mangaassist/events';
import { recordingPublisher } from '@mangaassist/events/testing';
import { estimateTokens, FmGateway, loadModelCatalog, ModelRouter } from '@mangaassist/fm-gateway';
import { createFakeRuntimes, type FakeReply } from '@mangaassist/fm-gateway/testing';
import { describe, expect, it } from 'vitest';
import { reviewPayload, webhookContext } from '../testing/processor-fixtures.js';
import { makeReviewProcessor } from './review-processor.js';
import { makeSentimentClassifier, type SentimentClassifier } from './review-sentiment.js';

/** The processor over a real FmGateway whose fake model answers every call with `reply`. */
function withModel(reply: FakeReply) {
  const clock = createFakeClock();
  const catalog = loadModelCatalog();
  const router = new ModelRouter({ catalog, estimateTokens });
  const gateway = new FmGateway({
    catalog,
    runtimes: createFakeRuntimes(() => reply, clock).provider,
    selectModel: (request) => router.route(request),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
    random: () => 0,
  });
  const bus = recordingPublisher();
  const process = makeReviewProcessor({
    events: bus.publisher,
    classifySentiment: makeSentimentClassifier({ gateway, clock }),
  });
  return { ...bus, process, clock };
}

const context = () => webhookContext({ source: 'reviews', eventId: 'rev-1' });

describe('the reviews processor', () => {
  it('publishes ReviewSubmitted with the review and the model’s sentiment', async () => {
    const { process, published } = withModel({ text: 'positive' });
    const outcome = await process(reviewPayload(), context());

    expect(outcome).toEqual({
      status: 'processed',
      events: 1,
      detail: { review_id: 'rev-1', sentiment: 'positive', sentiment_basis: 'model' },
    });
    expect(published).toEqual([
      {
        source: 'mangaassist.reviews',
        detailType: 'ReviewSubmitted',
        detail: {
          review_id: 'rev-1',
          product_id: 'manga-0001',
          rating: 5,
          review_text: '作画が素晴らしく、最後まで一気に読みました。',
          sentiment: 'positive',
          processing_stage: 'raw',
        },
      },
    ]);
  });

  it('still publishes the review, with sentiment unknown, when the model fails', async () => {
    const { process, published } = withModel({ error: awsError('ValidationException') });
    const outcome = await process(reviewPayload(), context());

    expect(outcome).toMatchObject({ status: 'processed', events: 1, detail: { sentiment: 'unknown' } });
    expect(published[0]?.detail.sentiment).toBe('unknown');
  });

  it('still publishes the review, with sentiment unknown, when the model is too slow', async () => {
    const { process, published, clock } = withModel({ delayMs: 60_000, reply: { text: 'negative' } });
    const outcome = process(reviewPayload(), context());
    await clock.advance(1500);

    await expect(outcome).resolves.toMatchObject({
      detail: { sentiment: 'unknown', sentiment_basis: 'timeout' },
    });
    expect(published).toHaveLength(1);
  });

  it('leaves the rating out when the review has none', async () => {
    const { process, published } = withModel({ text: 'neutral' });
    await process(reviewPayload({ rating: undefined }), context());
    expect(published[0]?.detail).not.toHaveProperty('rating');
  });

  it('hands the delivery’s signal and request id to the classifier', async () => {
    const seen: unknown[] = [];
    const classifySentiment: SentimentClassifier = async (_text, options) => {
      seen.push(options);
      return { sentiment: 'mixed', basis: 'model' };
    };
    const { publisher } = recordingPublisher();
    const delivery = context();
    await makeReviewProcessor({ events: publisher, classifySentiment })(reviewPayload(), delivery);
    expect(seen).toEqual([{ signal: delivery.signal, requestId: 'req-1' }]);
  });

  it('publishes under the delivery’s abort signal, so a stalled bus cannot outlive the delivery', async () => {
    const { process, signals } = withModel({ text: 'positive' });
    const delivery = context();
    await process(reviewPayload(), delivery);
    expect(signals).toEqual([delivery.signal]);
  });

  it('fails the delivery when the bus does not accept the event', async () => {
    const bus = recordingPublisher(() => new Map([[0, 'ThrottlingException']]));
    const process = makeReviewProcessor({
      events: bus.publisher,
      classifySentiment: async () => ({ sentiment: 'positive', basis: 'model' }),
    });
    await expect(process(reviewPayload(), context())).rejects.toBeInstanceOf(EventPublishError);
  });
});
