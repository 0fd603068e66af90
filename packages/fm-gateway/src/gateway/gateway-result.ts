// Result shaping: however a call ends (a model's answer, a cached one, or none at all), the
// caller gets the same `GatewayResult`, with latency, cost and the attempts so far. One module
// builds them, so `complete`, `stream` and the last resort cannot drift apart.

import type { Clock } from '@mangaassist/commons';
import type { CacheLookup } from '../cache/response-cache.js';
import { estimateCostUsd } from '../cost/estimate-cost.js';
import { emptyUsage, type ModelOutput } from '../runtime/model-runtime.js';
import type { Answered, GatewayCall } from './gateway-call.js';
import type { GatewayResult, GatewayStreamEvent } from './gateway-types.js';

/** The result of a model's answer, its cost estimated from the catalog prices of the model that answered. */
export function resultFromModel(
  call: GatewayCall,
  answered: Answered<unknown>,
  output: ModelOutput,
  clock: Clock,
): GatewayResult {
  return {
    ...resultBase(call, clock),
    text: output.text,
    model: answered.key,
    modelId: answered.target.modelId,
    region: answered.target.region,
    stopReason: output.stopReason,
    usage: output.usage,
    costUsd: estimateCostUsd(answered.spec, output.usage),
    ...(output.guardrail ? { guardrail: output.guardrail } : {}),
  };
}

/**
 * The result of a cached answer: no usage and no cost. A stale entry is flagged `stale` and
 * `degraded`, since it is served only when no model could answer.
 */
export function resultFromCache(call: GatewayCall, lookup: CacheLookup, clock: Clock): GatewayResult {
  const { answer, fresh } = lookup;
  return {
    ...resultBase(call, clock),
    text: answer.text,
    model: answer.model,
    modelId: answer.modelId,
    region: answer.region,
    stopReason: answer.stopReason,
    usage: emptyUsage,
    costUsd: 0,
    cached: true,
    stale: !fresh,
    degraded: !fresh,
  };
}

/**
 * The result of a call no model answered: empty text, model, id and region `none`. It is what
 * the failure's `InferenceCompleted` reports, and the base of the degraded answer.
 */
export function resultWithoutAnswer(call: GatewayCall, clock: Clock): GatewayResult {
  return {
    ...resultBase(call, clock),
    text: '',
    model: 'none',
    modelId: 'none',
    region: 'none',
    stopReason: 'other',
    usage: emptyUsage,
    costUsd: 0,
  };
}

/**
 * A finished result as a stream: its text as one delta (none when empty), then `complete`, with
 * the time to first token equal to the latency.
 */
export async function* resultAsStream(result: GatewayResult): AsyncGenerator<GatewayStreamEvent> {
  if (result.text) yield { type: 'delta', text: result.text };
  yield { type: 'complete', result: { ...result, ttftMs: result.latencyMs } };
}

function resultBase(call: GatewayCall, clock: Clock) {
  return {
    requestId: call.requestId,
    latencyMs: clock.now() - call.startedAt,
    cached: false,
    stale: false,
    degraded: false,
    routing: call.routing,
    attempts: call.attempts,
  };
}
