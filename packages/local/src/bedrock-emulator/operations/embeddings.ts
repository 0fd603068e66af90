import { randomUUID } from 'node:crypto';
import { hashingEmbedding } from '@mangaassist/retrieval';
import { EmulatedServiceError } from '../errors.js';
import { sendJson } from '../http-exchange.js';
import { countTokens } from '../model/tokens.js';

/** The embedding models the emulator answers on InvokeModel, by the request body each takes. */
export type EmbeddingFamily = 'cohere' | 'titan';

/**
 * The family of an embedding model the emulator answers (`cohere.embed-multilingual-v3` or
 * `-english-v3`, `amazon.titan-embed-text-v2:0`, also as an ARN), or undefined for any other.
 */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  const id = modelId.slice(modelId.lastIndexOf('/') + 1);
  if (/^cohere\.embed-(?:multilingual|english)-v3$/u.test(id)) return 'cohere';
  if (/^amazon\.titan-embed-text-v2:0$/u.test(id)) return 'titan';
  return undefined;
}

/** Whether `modelId` is an embedding model of a kind the emulator does not answer, or writes no text. */
export function isEmbeddingModel(modelId: string): boolean {
  const id = modelId.slice(modelId.lastIndexOf('/') + 1);
  return /^(?:cohere\.embed-|amazon\.titan-embed-)/u.test(id);
}

/** An embedding request, read: the texts, and how many dimensions Titan was asked for. */
export interface EmbeddingRequest {
  readonly family: EmbeddingFamily;
  readonly texts: readonly string[];
  readonly dimensions: number;
  /** Cohere's `embedding_types`: the response groups vectors by type when it is given. */
  readonly byType: boolean;
}

const cohereInputTypes = ['search_document', 'search_query', 'classification', 'clustering'];
const cohereMaxTexts = 96;
const cohereMaxCharacters = 2048;
const titanDimensions = [256, 512, 1024];
const titanMaxCharacters = 50_000;

function invalid(message: string): EmulatedServiceError {
  return new EmulatedServiceError(
    'ValidationException',
    `Malformed input request: ${message}, please reformat your input and try again.`,
  );
}

/** Reads an embedding body as Bedrock validates it; a body it refuses is a ValidationException. */
export function readEmbeddingRequest(family: EmbeddingFamily, body: unknown): EmbeddingRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('expected a JSON object');
  const fields = body as Record<string, unknown>;
  if (family === 'cohere') {
    const { texts, input_type: inputType, embedding_types: types, truncate } = fields;
    if (!Array.isArray(texts) || texts.length > cohereMaxTexts) {
      throw invalid(`texts: expected at most ${cohereMaxTexts} strings`);
    }
    if (!texts.every((text) => typeof text === 'string' && [...text].length <= cohereMaxCharacters)) {
      throw invalid(`texts: every text must be a string of at most ${cohereMaxCharacters} characters`);
    }
    if (typeof inputType !== 'string' || !cohereInputTypes.includes(inputType)) {
      throw invalid(`input_type: expected one of ${cohereInputTypes.join(', ')}`);
    }
    if (truncate !== undefined && !['NONE', 'START', 'END'].includes(truncate as string)) {
      throw invalid('truncate: expected NONE, START or END');
    }
    if (
      types !== undefined &&
      !(Array.isArray(types) && types.length > 0 && types.every((type) => type === 'float'))
    ) {
      throw invalid('embedding_types: the emulator answers ["float"] only');
    }
    return { family, texts: texts as string[], dimensions: 1024, byType: types !== undefined };
  }
  const { inputText, dimensions = 1024, normalize = true } = fields;
  if (typeof inputText !== 'string' || inputText.length === 0 || [...inputText].length > titanMaxCharacters) {
    throw invalid(`inputText: expected a string of 1 to ${titanMaxCharacters} characters`);
  }
  if (typeof dimensions !== 'number' || !titanDimensions.includes(dimensions)) {
    throw invalid(`dimensions: expected one of ${titanDimensions.join(', ')}`);
  }
  if (normalize !== true) throw invalid('normalize: the emulator answers normalized vectors only');
  return { family, texts: [inputText], dimensions, byType: false };
}

/** The body Bedrock's model returns, with `hashingEmbedding` vectors: texts sharing characters are close. */
export function embeddingResponseBody(request: EmbeddingRequest, requestId: string): unknown {
  const vectors = request.texts.map((text) => Array.from(hashingEmbedding(text, request.dimensions)));
  if (request.family === 'titan') {
    return { embedding: vectors[0], inputTextTokenCount: countTokens(request.texts[0] ?? '') };
  }
  return request.byType
    ? {
        id: requestId,
        texts: request.texts,
        embeddings: { float: vectors },
        response_type: 'embeddings_by_type',
      }
    : { id: requestId, texts: request.texts, embeddings: vectors, response_type: 'embeddings_floats' };
}

/** Answers an embedding InvokeModel: the vectors, and the input token count Bedrock reports in a header. */
export function sendEmbeddings(
  response: Parameters<typeof sendJson>[0],
  request: EmbeddingRequest,
  requestId: string = randomUUID(),
  latencyMs = 0,
): void {
  const inputTokens = request.texts.reduce((sum, text) => sum + countTokens(text), 0);
  sendJson(response, 200, embeddingResponseBody(request, requestId), {
    'x-amzn-requestid': requestId,
    'x-amzn-bedrock-input-token-count': inputTokens,
    'x-amzn-bedrock-invocation-latency': latencyMs,
  });
}
