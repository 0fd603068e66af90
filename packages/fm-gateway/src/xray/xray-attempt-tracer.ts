import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { AttemptRecord, AttemptTracer } from '../gateway/gateway-types.js';

/** Where the trace of the current Lambda invocation is, as the runtime sets them. */
export interface XrayEnvironment {
  /** `_X_AMZN_TRACE_ID`: `Root=…;Parent=…;Sampled=1`, set per invocation. */
  readonly traceHeader: () => string | undefined;
  /** `AWS_XRAY_DAEMON_ADDRESS`: `host:port` of the daemon Lambda runs beside the function. */
  readonly daemonAddress: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The trace and parent a subsegment belongs to, from a sampled trace header; else undefined. */
export function sampledParent(header: string | undefined): { traceId: string; parentId: string } | undefined {
  if (header === undefined) return undefined;
  const fields = new Map(
    header.split(';').map((field) => {
      const [key = '', value = ''] = field.split('=');
      return [key.trim(), value.trim()] as const;
    }),
  );
  const traceId = fields.get('Root');
  const parentId = fields.get('Parent');
  if (fields.get('Sampled') !== '1' || !traceId || !parentId) return undefined;
  return { traceId, parentId };
}

/**
 * The gateway's `AttemptTracer` as X-Ray subsegments of the Lambda invocation: one per model
 * target tried (`Bedrock <model>`), under the function's segment, annotated with the model, its
 * Bedrock id, the region, the fallback step (1 for the first target tried in the invocation),
 * the calls made and the outcome, an error or throttle flagged as X-Ray shows them. Sent to
 * the daemon over UDP as the X-Ray SDK does, without its weight in every bundle; nothing is sent
 * for an unsampled invocation. Sending never throws: a lost subsegment loses only a trace detail.
 */
/** Bedrock's answers to a request it will never take: X-Ray's errors (4xx), not faults. */
const clientErrors = new Set([
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ModelNotReadyException',
]);

export function xrayAttemptTracer(environment: XrayEnvironment): AttemptTracer {
  const now = environment.now ?? Date.now;
  const [host = '127.0.0.1', port = '2000'] = environment.daemonAddress.split(':');
  let socket: Socket | undefined;
  const send = (document: object) => {
    try {
      if (socket === undefined) {
        socket = createSocket('udp4').unref();
        // A failed bind is reported later, as an event: without a listener it would end the process.
        socket.on('error', () => {});
      }
      const message = Buffer.from(`{"format":"json","version":1}\n${JSON.stringify(document)}`);
      socket.send(message, Number(port), host, () => {});
    } catch {
      // A full or closed socket: the trace loses this subsegment, the answer loses nothing.
    }
  };
  // One invocation at a time per Lambda instance: the step counts within the current parent.
  let current = { parentId: '', step: 0 };
  return {
    start(started) {
      const parent = sampledParent(environment.traceHeader());
      if (parent === undefined) return { end: () => {} };
      const step = current.parentId === parent.parentId ? current.step + 1 : 1;
      current = { parentId: parent.parentId, step };
      const startTime = now() / 1000;
      return {
        end(attempt: AttemptRecord) {
          const throttled = attempt.error === 'ThrottlingException';
          const clientError = attempt.error !== undefined && clientErrors.has(attempt.error);
          send({
            type: 'subsegment',
            id: randomBytes(8).toString('hex'),
            trace_id: parent.traceId,
            parent_id: parent.parentId,
            name: `Bedrock ${started.model}`,
            namespace: 'aws',
            start_time: startTime,
            end_time: now() / 1000,
            // As X-Ray reads them: a throttle is a 429, the caller's own mistake a 4xx, the rest faults.
            ...(attempt.outcome === 'failed'
              ? throttled
                ? { error: true, throttle: true }
                : clientError
                  ? { error: true }
                  : { fault: true }
              : {}),
            aws: { region: attempt.region },
            annotations: {
              model: attempt.model,
              model_id: attempt.modelId,
              region: attempt.region,
              fallback_step: step,
              calls: attempt.calls,
              outcome: attempt.outcome,
              ...(attempt.error ? { error: attempt.error } : {}),
              ...(attempt.reason ? { skipped_because: attempt.reason } : {}),
            },
          });
        },
      };
    },
  };
}

/**
 * `xrayAttemptTracer` where Lambda runs the X-Ray daemon (active tracing sets
 * `AWS_XRAY_DAEMON_ADDRESS`); undefined anywhere else.
 */
export function lambdaXrayAttemptTracer(
  env: Readonly<Record<string, string | undefined>> = process.env,
): AttemptTracer | undefined {
  const daemonAddress = env.AWS_XRAY_DAEMON_ADDRESS;
  if (daemonAddress === undefined || env.AWS_LAMBDA_FUNCTION_NAME === undefined) return undefined;
  return xrayAttemptTracer({ daemonAddress, traceHeader: () => env._X_AMZN_TRACE_ID });
}
