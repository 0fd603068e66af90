import { once } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http';
import { encodeException, eventStreamContentType } from '../event-stream.js';
import type { RequestOutcome } from '../request-stats.js';
import { elapsedMs, type OperationContext } from './operation.js';

/** How one streaming API frames a completion. */
export interface StreamFraming {
  /** Extra response headers beyond the event-stream content type. */
  readonly headers: OutgoingHttpHeaders;
  /** Frames sent just before the first delta. */
  opening(): Uint8Array[];
  delta(text: string): Uint8Array;
  closing(latency: { firstByteMs: number; totalMs: number }): Uint8Array[];
}

// "After the first few deltas": enough for a client to have shown partial text.
const deltasBeforeStreamError = 2;

/**
 * Streams a completion frame by frame as it is due (time to first token, then the token delay
 * between deltas); nothing is buffered. An injected `ModelStreamErrorException` is sent as an
 * exception frame after the first deltas, and the stream ends there.
 */
export async function streamCompletion(
  context: OperationContext,
  framing: StreamFraming,
): Promise<RequestOutcome> {
  const { response, pacer, plan, completion } = context;
  response.writeHead(200, {
    'content-type': eventStreamContentType,
    'x-amzn-requestid': context.requestId,
    ...framing.headers,
  });
  response.flushHeaders?.();

  const send = async (frame: Uint8Array): Promise<boolean> => {
    if (pacer.signal.aborted) return false;
    if (response.write(frame)) return true;
    try {
      await once(response, 'drain', { signal: pacer.signal });
      return true;
    } catch {
      return false;
    }
  };
  const failAfter =
    plan.error === 'ModelStreamErrorException'
      ? Math.min(deltasBeforeStreamError, completion.deltas.length)
      : -1;
  const failStream = (): RequestOutcome => {
    response.end(
      encodeException('modelStreamErrorException', {
        message: 'The model stream failed part-way (injected by the local emulator).',
        originalStatusCode: 500,
        originalMessage: 'Injected stream failure.',
      }),
    );
    return 'ModelStreamErrorException';
  };

  if (!(await pacer.wait(plan.ttftMs))) return 'aborted';
  const firstByteMs = elapsedMs(context.startedAt);
  for (const frame of framing.opening()) {
    if (!(await send(frame))) return 'aborted';
  }
  if (failAfter === 0) return failStream();
  for (const [index, text] of completion.deltas.entries()) {
    if (index > 0 && !(await pacer.wait(plan.tokenDelayMs))) return 'aborted';
    if (!(await send(framing.delta(text)))) return 'aborted';
    if (index + 1 === failAfter) return failStream();
  }
  const frames = framing.closing({ firstByteMs, totalMs: elapsedMs(context.startedAt) });
  for (const frame of frames) {
    if (!(await send(frame))) return 'aborted';
  }
  response.end();
  return 'ok';
}
