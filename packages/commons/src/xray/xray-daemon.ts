import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/** The segment a subsegment hangs from: the trace and its parent's id. */
export interface TraceParent {
  readonly traceId: string;
  readonly parentId: string;
  /** The whole header it was read from, whose other fields (`Lineage`) a child call passes on. */
  readonly header?: string;
}

/** What X-Ray reads as an annotation value: indexed, searchable in the console. */
export type AnnotationValue = string | number | boolean;

/** An X-Ray subsegment document, as the daemon takes it (the fields this code sends). */
export interface XraySubsegment {
  readonly name: string;
  /** `aws` for an AWS SDK call, `remote` for another downstream call. */
  readonly namespace?: 'aws' | 'remote';
  /** Epoch seconds. */
  readonly startTime: number;
  readonly endTime: number;
  /** Keys of letters, digits and underscores only: X-Ray drops any other. */
  readonly annotations?: Readonly<Record<string, AnnotationValue>>;
  /** The `aws` block: `operation`, `region`, `request_id`, `retries`, `table_name` … */
  readonly aws?: Readonly<Record<string, unknown>>;
  readonly http?: { readonly response: { readonly status: number } };
  /** X-Ray's three failure flags: a 4xx is an error, a 429 an error and a throttle, a 5xx a fault. */
  readonly error?: boolean;
  readonly throttle?: boolean;
  readonly fault?: boolean;
}

/**
 * Where subsegments go: the sampled segment of the work in progress, and the daemon. One per
 * process; the Lambda one reads the invocation's trace header at each call.
 */
export interface TraceSink {
  /** The segment new subsegments belong to; undefined when the work is not sampled. */
  parent(): TraceParent | undefined;
  /** Sends a finished subsegment of `parent`, under `id`. Never throws. */
  send(parent: TraceParent, id: string, subsegment: XraySubsegment): void;
  /** Epoch milliseconds. */
  now(): number;
}

/** A new subsegment id: 16 hex digits, as X-Ray wants them. */
export function subsegmentId(): string {
  return randomBytes(8).toString('hex');
}

/** The trace and parent of a sampled trace header (`Root=…;Parent=…;Sampled=1`); else undefined. */
export function sampledParent(header: string | undefined): TraceParent | undefined {
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
  return { traceId, parentId, header };
}

/**
 * The daemon's UDP address from `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or the
 * `udp:host:port tcp:host:port` form, whose UDP half is the one subsegments go to.
 */
export function daemonEndpoint(address: string): { host: string; port: number } {
  const udp = address.split(/\s+/).find((part) => part.startsWith('udp:')) ?? address.trim();
  const hostAndPort = udp.startsWith('udp:') ? udp.slice('udp:'.length) : udp;
  const separator = hostAndPort.lastIndexOf(':');
  const port = Number(hostAndPort.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`AWS_XRAY_DAEMON_ADDRESS must be host:port, got "${address}"`);
  }
  return { host: hostAndPort.slice(0, separator), port };
}

export interface XrayDaemonOptions {
  /** `AWS_XRAY_DAEMON_ADDRESS`: where the daemon listens for UDP. */
  readonly daemonAddress: string;
  /** The current trace header: `_X_AMZN_TRACE_ID`, which Lambda sets per invocation. */
  readonly traceHeader: () => string | undefined;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Subsegments sent to the X-Ray daemon over UDP, as the X-Ray SDK sends them, without its weight
 * in every bundle. The socket is opened at the first send and never keeps the process alive.
 * Sending never throws: a lost subsegment loses a trace detail, never an answer.
 */
export function xrayDaemonSink(options: XrayDaemonOptions): TraceSink {
  const { host, port } = daemonEndpoint(options.daemonAddress);
  let socket: Socket | undefined;
  return {
    parent: () => sampledParent(options.traceHeader()),
    now: options.now ?? Date.now,
    send(parent, id, subsegment) {
      const { startTime, endTime, ...fields } = subsegment;
      const document = {
        type: 'subsegment',
        id,
        trace_id: parent.traceId,
        parent_id: parent.parentId,
        start_time: startTime,
        end_time: endTime,
        ...fields,
      };
      try {
        if (socket === undefined) {
          socket = createSocket('udp4').unref();
          // A failed send is reported later, as an event: without a listener it would end the process.
          socket.on('error', () => {});
        }
        socket.send(`{"format":"json","version":1}\n${JSON.stringify(document)}`, port, host, () => {});
      } catch {
        // A closed socket or an oversized document: the trace loses this subsegment, nothing else.
      }
    },
  };
}

/**
 * The daemon sink where Lambda runs the X-Ray daemon (active tracing sets
 * `AWS_XRAY_DAEMON_ADDRESS`); undefined anywhere else, `pnpm dev` and tests included.
 */
export function lambdaTraceSink(
  env: Readonly<Record<string, string | undefined>> = process.env,
): TraceSink | undefined {
  const daemonAddress = env.AWS_XRAY_DAEMON_ADDRESS;
  if (daemonAddress === undefined || env.AWS_LAMBDA_FUNCTION_NAME === undefined) return undefined;
  return xrayDaemonSink({ daemonAddress, traceHeader: () => env._X_AMZN_TRACE_ID });
}
