import * as z from 'zod/mini';
import type { ModelOutput, ModelRequest } from '../../runtime/model-runtime.js';
import { anthropicMessageSchema, toAnthropicBody, toModelOutput } from '../anthropic-messages.js';

/** One line of a batch job's input: the record's id and the model's InvokeModel body. */
export interface BatchInputRecord {
  readonly recordId: string;
  readonly modelInput: Record<string, unknown>;
}

/** A record the model answered: its text, stop reason and token usage. */
export interface BatchRecordAnswer extends ModelOutput {
  readonly recordId: string;
}

/** A record Bedrock could not answer; `code` is the HTTP status it reports (`400`, `429`, …). */
export interface BatchRecordFailure {
  readonly recordId: string;
  readonly error: { readonly code: string; readonly message: string };
}

/** One line of a batch job's output; tell the two apart with `'error' in result`. */
export type BatchRecordResult = BatchRecordAnswer | BatchRecordFailure;

/** A model the batch helpers cannot write a native body for. */
export class UnsupportedBatchModelError extends Error {
  constructor(readonly modelId: string) {
    super(
      `Batch records are written in the Anthropic Messages body, which ${modelId} does not take; ` +
        'use a Claude model id or inference profile.',
    );
    this.name = 'UnsupportedBatchModelError';
  }
}

/** An output line that is not what Bedrock writes: the file is damaged or not a batch output. */
export class BatchOutputLineError extends Error {
  constructor(
    message: string,
    /** 1-based line number within the file, when parsing a whole file. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `Line ${line}: ${message}`);
    this.name = 'BatchOutputLineError';
  }
}

// `anthropic.claude…`, `jp.anthropic.claude…`, or an ARN ending in either.
const anthropicModelId = /(?:^|[./])anthropic\.[a-z0-9]/;

/**
 * The input record for one prompt: `{recordId, modelInput}` with `modelInput` the same InvokeModel
 * body the gateway sends on demand (Anthropic Messages for Claude). Submit the job with the same
 * model id as `request.modelId`.
 *
 * @throws UnsupportedBatchModelError for a model that does not take the Anthropic body.
 * @throws TypeError for an empty `recordId`.
 */
export function batchInputRecord(recordId: string, request: ModelRequest): BatchInputRecord {
  if (recordId === '') throw new TypeError('A batch record needs a non-empty recordId.');
  if (!anthropicModelId.test(request.modelId)) throw new UnsupportedBatchModelError(request.modelId);
  return { recordId, modelInput: toAnthropicBody(request) };
}

/** `batchInputRecord` as one JSONL line (no trailing newline); join lines with `\n`. */
export function batchInputLine(recordId: string, request: ModelRequest): string {
  return JSON.stringify(batchInputRecord(recordId, request));
}

const outputLineSchema = z.object({
  recordId: z.string().check(z.minLength(1)),
  modelOutput: z.optional(z.unknown()),
  error: z.optional(
    z.object({
      errorCode: z.union([z.number(), z.string()]),
      errorMessage: z.optional(z.string()),
    }),
  ),
});

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function describeIssues({ issues }: { readonly issues: readonly Issue[] }): string {
  return issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(line)'}: ${issue.message}`,
    )
    .join('; ');
}

/**
 * Reads one line of a batch output file (`<input>.jsonl.out`): the model's answer for a record, or
 * the error Bedrock recorded in its place.
 *
 * @example
 * const result = parseBatchOutputLine(line);
 * if ('error' in result) markFailed(result.recordId, result.error.message);
 * else saveDescription(result.recordId, result.text);
 * @throws BatchOutputLineError for a line that is not JSON, has no `recordId`, has neither
 *   `modelOutput` nor `error`, or whose `modelOutput` is not a Claude message.
 */
export function parseBatchOutputLine(line: string, lineNumber?: number): BatchRecordResult {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new BatchOutputLineError(
      `not JSON (${error instanceof Error ? error.message : String(error)})`,
      lineNumber,
    );
  }
  const parsed = outputLineSchema.safeParse(json);
  if (!parsed.success) {
    throw new BatchOutputLineError(`not a batch output record: ${describeIssues(parsed.error)}`, lineNumber);
  }
  const { recordId, modelOutput, error } = parsed.data;
  if (error !== undefined) {
    return {
      recordId,
      error: { code: String(error.errorCode), message: error.errorMessage ?? 'No error message given.' },
    };
  }
  if (modelOutput === undefined) {
    throw new BatchOutputLineError(`record ${recordId} has neither modelOutput nor error`, lineNumber);
  }
  const message = anthropicMessageSchema.safeParse(modelOutput);
  if (!message.success) {
    throw new BatchOutputLineError(
      `record ${recordId}: modelOutput is not a Claude message (${describeIssues(message.error)})`,
      lineNumber,
    );
  }
  return { recordId, ...toModelOutput(message.data) };
}

/**
 * Reads a whole batch output file, one result per non-blank line, in file order.
 * @throws BatchOutputLineError naming the first bad line.
 */
export function parseBatchOutput(text: string): BatchRecordResult[] {
  return text
    .split('\n')
    .flatMap((line, index) => (line.trim() === '' ? [] : [parseBatchOutputLine(line, index + 1)]));
}
