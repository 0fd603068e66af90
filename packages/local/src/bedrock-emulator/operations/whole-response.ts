import type { OutgoingHttpHeaders } from 'node:http';
import type { FaultPlan } from '../faults.js';
import { sendJson } from '../http-exchange.js';
import type { Completion } from '../model/completion.js';
import type { RequestOutcome } from '../request-stats.js';
import { elapsedMs, type OperationContext } from './operation.js';

/**
 * Writes a non-streaming answer once the emulated generation time has passed: time to first
 * token plus the token delay for every further delta, as a real model would take.
 */
export async function sendWholeResponse(
  context: OperationContext,
  body: (latencyMs: number) => unknown,
  headers: (latencyMs: number) => OutgoingHttpHeaders = () => ({}),
): Promise<RequestOutcome> {
  const { plan, completion, pacer } = context;
  if (!(await pacer.wait(generationMs(plan, completion)))) return 'aborted';
  const latencyMs = elapsedMs(context.startedAt);
  sendJson(context.response, 200, body(latencyMs), {
    'x-amzn-requestid': context.requestId,
    ...headers(latencyMs),
  });
  return 'ok';
}

/** How long a whole answer takes: time to first token, then the token delay for every further delta. */
export function generationMs(plan: FaultPlan, completion: Completion): number {
  return plan.ttftMs + plan.tokenDelayMs * Math.max(0, completion.deltas.length - 1);
}
