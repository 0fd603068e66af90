import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface BedrockClientOptions {
  readonly region: string;
  /** A custom endpoint such as the local emulator (`http://127.0.0.1:4010`); unset = AWS. */
  readonly endpoint?: string;
  /** Static credentials (the local emulator); unset = the default provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * `http1` (default): keep-alive HTTP/1.1 sockets, measured faster than the SDK's default
   * HTTP/2 handler under concurrency (see `pnpm bench`). `http2`: the SDK's default handler.
   */
  readonly transport?: 'http1' | 'http2';
  /** Upper bound of pooled sockets per client (HTTP/1.1). Default 64. */
  readonly maxSockets?: number;
  /** Connection establishment timeout, ms. Default 3000 (seed 002 §3.2). */
  readonly connectionTimeoutMs?: number;
}

/**
 * Builds one Bedrock Runtime client for a region, configured for the gateway: the SDK's own
 * retries are off (`maxAttempts: 1`) because the gateway's resilience layer owns retries,
 * failover and the circuit breaker, and sockets are pooled and kept alive for reuse.
 * Build one per region per process and share it.
 */
export function createBedrockRuntimeClient(options: BedrockClientOptions): BedrockRuntimeClient {
  const transport = options.transport ?? 'http1';
  const maxSockets = options.maxSockets ?? 64;
  const connectionTimeout = options.connectionTimeoutMs ?? 3000;
  return traceAwsClient(
    new BedrockRuntimeClient({
      region: options.region,
      maxAttempts: 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(transport === 'http1'
        ? {
            requestHandler: new NodeHttpHandler({
              connectionTimeout,
              httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
              httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
            }),
          }
        : {}),
    }),
  );
}
