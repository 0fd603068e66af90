import type { OutgoingHttpHeaders } from 'node:http';
import { sendJson } from '../http-exchange.js';
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
  const generationMs = plan.ttftMs + plan.tokenDelayMs * Math.max(0, completion.deltas.length - 1);
  if (!(await pacer.wait(generationMs))) return 'aborted';
  const latencyMs = elapsedMs(context.startedAt);
  sendJson(context.response, 200, body(latencyMs), {
    'x-amzn-requestid': context.requestId,
    ...headers(latencyMs),
  });
  return 'ok';
}
