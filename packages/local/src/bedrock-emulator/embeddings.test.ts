import {
  ConverseCommand,
  InvokeModelCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { dot, hashingEmbedding } from '@mangaassist/retrieval';
import { describe, expect, it } from 'vitest';
import { embeddingFamily } from './operations/embeddings.js';
import { useEmulator } from './test-support.js';

const local = useEmulator();

const cohere = 'cohere.embed-multilingual-v3';
const titan = 'amazon.titan-embed-text-v2:0';

async function invoke(modelId: string, body: unknown) {
  const output = await local.client().send(
    new InvokeModelCommand({
      modelId,
      contentType: 'application/json',
      body: new TextEncoder().encode(JSON.stringify(body)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(output.body)) as Record<string, unknown>;
}

describe('embedding models on InvokeModel', () => {
  it('knows the embedding models by id, with a geography or as an ARN, and no text model', () => {
    expect(embeddingFamily(cohere)).toBe('cohere');
    expect(embeddingFamily('cohere.embed-english-v3')).toBe('cohere');
    expect(embeddingFamily('cohere.embed-v4:0')).toBeUndefined();
    expect(embeddingFamily('amazon.titan-embed-text-v1')).toBeUndefined();
    expect(
      embeddingFamily('arn:aws:bedrock:ap-northeast-1::foundation-model/cohere.embed-multilingual-v3'),
    ).toBe('cohere');
    expect(embeddingFamily(titan)).toBe('titan');
    expect(embeddingFamily('jp.anthropic.claude-haiku-4-5-20251001-v1:0')).toBeUndefined();
  });

  it('answers Cohere Embed with one 1,024-dimension unit vector per text, in order', async () => {
    const texts = ['ワンピース 110巻', 'NARUTO 72'];
    const body = await invoke(cohere, { texts, input_type: 'search_document' });
    expect(body).toMatchObject({ texts, response_type: 'embeddings_floats', id: expect.any(String) });
    const embeddings = body.embeddings as number[][];
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]).toHaveLength(1024);
    expect(Float32Array.from(embeddings[0] ?? [])).toEqual(hashingEmbedding(texts[0] ?? ''));
    const [first, second] = embeddings.map((vector) => Float32Array.from(vector));
    expect(dot(first as Float32Array, first as Float32Array)).toBeCloseTo(1, 5);
    expect(
      dot(first as Float32Array, Float32Array.from(hashingEmbedding('ワンピースの最新刊'))),
    ).toBeGreaterThan(dot(second as Float32Array, Float32Array.from(hashingEmbedding('ワンピースの最新刊'))));
  });

  it('groups vectors by type when embedding_types asks for floats', async () => {
    const body = await invoke(cohere, {
      texts: ['鬼滅の刃'],
      input_type: 'search_query',
      embedding_types: ['float'],
    });
    expect(body.response_type).toBe('embeddings_by_type');
    expect((body.embeddings as { float: number[][] }).float[0]).toHaveLength(1024);
  });

  it('answers Titan Text Embeddings V2 in the dimensions asked for, with its token count', async () => {
    const body = await invoke(titan, { inputText: '葬送のフリーレン', dimensions: 256 });
    expect(body.embedding as number[]).toHaveLength(256);
    expect(body.inputTextTokenCount).toBe(8);
  });

  it.each([
    [
      cohere,
      { texts: Array.from({ length: 97 }, () => 'a'), input_type: 'search_document' },
      'texts: expected at most 96',
    ],
    [
      cohere,
      { texts: ['a'], input_type: 'search_document', truncate: 'MIDDLE' },
      'truncate: expected NONE, START or END',
    ],
    [cohere, { texts: ['a'.repeat(2049)], input_type: 'search_document' }, 'at most 2048 characters'],
    [cohere, { texts: ['a'] }, 'input_type: expected one of'],
    [cohere, { texts: ['a'], input_type: 'search_document', embedding_types: ['int8'] }, 'embedding_types'],
    [titan, { inputText: '' }, 'inputText: expected a string'],
    [titan, { inputText: 'a', dimensions: 300 }, 'dimensions: expected one of 256, 512, 1024'],
    [titan, ['a'], 'expected a JSON object'],
  ])('refuses a %s body Bedrock would refuse (%j)', async (modelId, body, message) => {
    const sending = invoke(modelId, body);
    await expect(sending).rejects.toBeInstanceOf(ValidationException);
    await expect(sending).rejects.toThrow(message);
  });

  it('fails as injected, as text models do', async () => {
    local.emulator().faults.add({ error: 'ThrottlingException', rate: 1, match: 'ワンピース' });
    await expect(
      invoke(cohere, { texts: ['ワンピース'], input_type: 'search_query' }),
    ).rejects.toBeInstanceOf(ThrottlingException);
    await expect(invoke(cohere, { texts: ['NARUTO'], input_type: 'search_query' })).resolves.toMatchObject({
      response_type: 'embeddings_floats',
    });
  });

  it('counts characters, not UTF-16 units, and embeds no text for an empty list', async () => {
    const emoji = '😀'.repeat(1500);
    await expect(invoke(cohere, { texts: [emoji], input_type: 'search_document' })).resolves.toMatchObject({
      texts: [emoji],
    });
    await expect(invoke(cohere, { texts: [], input_type: 'search_document' })).resolves.toMatchObject({
      embeddings: [],
    });
  });

  it('refuses what Bedrock refuses for embedding models: other versions, and chat', async () => {
    await expect(
      invoke('cohere.embed-v4:0', { texts: ['a'], input_type: 'search_document' }),
    ).rejects.toThrow('Cohere Embed v3 and Titan Text Embeddings V2 only');
    const chat = local
      .client()
      .send(
        new ConverseCommand({ modelId: cohere, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      );
    await expect(chat).rejects.toBeInstanceOf(ValidationException);
    await expect(chat).rejects.toThrow("doesn't support the model");
  });
});
