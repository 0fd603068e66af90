import type { FaultPlan } from '../faults.js';
import type { ResponseSink } from '../http-exchange.js';
import type { Completion } from '../model/completion.js';
import type { ModelPrompt } from '../model/model-prompt.js';
import type { RequestOutcome } from '../request-stats.js';
import type { Pacer } from './pacer.js';

export type OperationName = 'InvokeModel' | 'InvokeModelWithResponseStream' | 'Converse' | 'ConverseStream';

/** Everything an operation needs to write its answer. */
export interface OperationContext {
  readonly requestId: string;
  readonly modelId: string;
  readonly completion: Completion;
  readonly plan: FaultPlan;
  readonly response: ResponseSink;
  readonly pacer: Pacer;
  /** `performance.now()` when the request arrived, for the latency metrics Bedrock reports. */
  readonly startedAt: number;
}

/** One Bedrock Runtime operation: how it reads a body and how it writes a completion. */
export interface Operation {
  readonly name: OperationName;
  readonly streaming: boolean;
  /** @throws EmulatedServiceError ValidationException for a body the operation cannot read. */
  readPrompt(body: unknown): ModelPrompt;
  respond(context: OperationContext): Promise<RequestOutcome>;
}

export function elapsedMs(startedAt: number): number {
  return Math.max(0, Math.round(performance.now() - startedAt));
}
