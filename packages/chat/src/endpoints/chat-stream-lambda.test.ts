// The chat stream endpoint behind Lambda response streaming (API Gateway REST), as deployed.
import { createFakeClock, type FakeClock } from '@mangaassist/commons/testing';
import { estimateTokens, FmGateway, loadModelCatalog, ModelRouter } from '@mangaassist/fm-gateway';
import { createFakeRuntimes } from '@mangaassist/fm-gateway/testing';
import { makeStreamingApiGatewayHandler } from '@mangaassist/http/api-gateway';
import {
  FakeResponseStream,
  fakeStreamingRuntime,
  settle,
  streamingProxyEvent,
} from '@mangaassist/http/testing';
import { describe, expect, it } from 'vitest';
import { ChatService } from '../chat-service.js';
import { makeChatRequestParser } from './chat-endpoint.js';
import { makeChatStreamEndpoint } from './chat-stream-endpoint.js';

function chatStreamEndpoint(deltas: readonly string[] = ['一', '二']) {
  return chatStreamSetup(deltas, createFakeClock()).endpoint;
}

/** The chat stream endpoint over fake model runtimes, on the given clock. */
function chatStreamSetup(deltas: readonly string[], clock: FakeClock) {
  const catalog = loadModelCatalog();
  const router = new ModelRouter({ catalog, estimateTokens });
  const runtimes = createFakeRuntimes(() => ({ deltas }), clock);
  const gateway = new FmGateway({
    catalog,
    runtimes: runtimes.provider,
    selectModel: (request) => router.route(request),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
  });
  const endpoint = makeChatStreamEndpoint({
    chat: new ChatService({ gateway }),
    parse: makeChatRequestParser({ catalog }),
    clock,
  });
  return { endpoint, runtimes };
}

const hello = { messages: [{ role: 'user', content: 'こんにちは' }] };

describe('POST /v1/chat/stream on Lambda response streaming', () => {
  it('sends the status and headers as the metadata prelude, then the events as the body', async () => {
    const { runtime } = fakeStreamingRuntime();
    const stream = new FakeResponseStream();
    await makeStreamingApiGatewayHandler(chatStreamEndpoint(), runtime)(streamingProxyEvent(hello), stream);

    const { metadata, body } = stream.received();
    expect(metadata).toEqual({
      statusCode: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-request-id': 'api-req-1',
      },
    });
    expect(body).toMatch(
      /^data: \{"text":"一"\}\n\ndata: \{"text":"二"\}\n\ndata: \{"type":"usage".*\n\ndata: \[DONE\]\n\n$/,
    );
    expect(stream.writableFinished).toBe(true);
  });

  it('sends a failure before the first token as a JSON status, not a stream', async () => {
    const { runtime } = fakeStreamingRuntime();
    const stream = new FakeResponseStream();
    await makeStreamingApiGatewayHandler(chatStreamEndpoint(), runtime)(
      streamingProxyEvent('{"messages": ['),
      stream,
    );

    const { metadata, body } = stream.received();
    expect(metadata).toMatchObject({
      statusCode: 400,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'malformed_json', request_id: 'api-req-1' } });
  });

  it('cancels the model call when the client stops reading mid-stream', async () => {
    const { runtime } = fakeStreamingRuntime();
    const clock = createFakeClock();
    const { endpoint, runtimes } = chatStreamSetup(['一', '二', '三', '四'], clock);
    const stream = new FakeResponseStream(true);
    const done = makeStreamingApiGatewayHandler(endpoint, runtime, { clock })(
      streamingProxyEvent(hello),
      stream,
    );
    await settle();
    await clock.advance(15_000);
    await done;
    expect(runtimes.streamsClosedEarly()).toBe(1);
    expect(stream.received().body).toBe('data: {"text":"一"}\n\n');
    expect(stream.destroyed).toBe(true);
  });
});
