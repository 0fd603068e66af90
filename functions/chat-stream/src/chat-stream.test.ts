import { Writable } from 'node:stream';
import { ChatService } from '@mangaassist/chat';
import { silentLogger } from '@mangaassist/commons';
import { createFakeClock } from '@mangaassist/commons/testing';
import { estimateTokens, FmGateway, loadModelCatalog, ModelRouter } from '@mangaassist/fm-gateway';
import { createFakeRuntimes } from '@mangaassist/fm-gateway/testing';
import type { AwsLambdaStreamingRuntime } from '@mangaassist/http/api-gateway';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { makeChatStreamHandler } from './chat-stream.js';

/** Lambda's response stream, recording the metadata prelude apart from the body. */
class RecordingStream extends Writable {
  metadata: unknown;
  body = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.body += chunk.toString('utf8');
    callback();
  }
}

const runtime: AwsLambdaStreamingRuntime = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, metadata) {
      if (stream instanceof RecordingStream) stream.metadata = metadata;
      return stream;
    },
  },
};

function handlerWith(deltas: readonly string[]) {
  const catalog = loadModelCatalog();
  const clock = createFakeClock();
  const router = new ModelRouter({ catalog, estimateTokens });
  const gateway = new FmGateway({
    catalog,
    runtimes: createFakeRuntimes(() => ({ deltas }), clock).provider,
    selectModel: (request) => router.route(request),
    regionTargets: [{ region: 'ap-northeast-1', profile: 'jp' }],
    clock,
  });
  const flush = vi.fn((timeoutMs?: number) => gateway.flush(timeoutMs));
  const budgetChecks: string[] = [];
  const budget = {
    check: async (tenantId: string) => {
      budgetChecks.push(tenantId);
      return { allowed: true as const };
    },
    record: async () => {},
  };
  const handler = makeChatStreamHandler({
    chat: new ChatService({ gateway, budget }),
    catalog,
    firstTokenDeadlineMs: 3000,
    resolveTenant: (apiKeyId) => `tenant-of-${apiKeyId}`,
    logger: silentLogger,
    gateway: { flush },
    runtime,
  });
  return { handler, flush, budgetChecks };
}

function streamEvent(body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/v1/chat/stream',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'api-req-1', identity: { apiKeyId: 'key-123' } },
    ...overrides,
  } as APIGatewayProxyEvent;
}

describe('chat-stream handler', () => {
  it('streams the answer as Server-Sent Events ending with usage and [DONE]', async () => {
    const { handler } = handlerWith(['一巻は', '五月に出ます']);
    const stream = new RecordingStream();
    await handler(streamEvent({ messages: [{ role: 'user', content: '発売日は？' }] }), stream);

    expect(stream.metadata).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'api-req-1' },
    });
    const events = stream.body.split('\n\n').filter(Boolean);
    expect(events.slice(0, 2)).toEqual(['data: {"text":"一巻は"}', 'data: {"text":"五月に出ます"}']);
    expect(events[2]).toMatch(/^data: \{"type":"usage"/);
    expect(events.slice(3)).toEqual(['data: [DONE]']);
    expect(stream.writableFinished).toBe(true);
  });

  it("answers for the tenant of the request's API key", async () => {
    const { handler, budgetChecks } = handlerWith(['はい']);
    await handler(
      streamEvent({ messages: [{ role: 'user', content: 'こんにちは' }] }),
      new RecordingStream(),
    );
    expect(budgetChecks).toEqual(['tenant-of-key-123']);
  });

  it('answers bad input with a JSON 400 instead of a stream', async () => {
    const { handler } = handlerWith(['unused']);
    const stream = new RecordingStream();
    await handler(streamEvent({ messages: [] }), stream);
    expect(stream.metadata).toMatchObject({ statusCode: 400 });
    expect(JSON.parse(stream.body)).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it('flushes the inference events for at most 300 ms once the stream has ended', async () => {
    const { handler, flush } = handlerWith(['はい']);
    const stream = new RecordingStream();
    await handler(streamEvent({ messages: [{ role: 'user', content: 'こんにちは' }] }), stream);
    expect(flush).toHaveBeenCalledExactlyOnceWith(300);
  });
});
