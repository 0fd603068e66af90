import { setTimeout as delay } from 'node:timers/promises';
import type { BatchJobView } from './batch/batch-job.js';
import { type BatchInferenceOptions, BatchJobBook } from './batch/batch-jobs.js';
import { listenDualProtocol } from './dual-protocol-server.js';
import { FaultBook, type FaultSpec, type LatencyDefaults } from './faults.js';
import { type EmulatorLogger, silentLogger } from './logger.js';
import { looksLikeModelId } from './model/model-names.js';
import { PromptCache } from './model/prompt-cache.js';
import type { Sleep } from './operations/pacer.js';
import { type EmulatorStats, RequestStats, type StatsFilter } from './request-stats.js';
import { createRequestHandler } from './router.js';
import { type ActiveScript, ScriptBook, type ScriptSpec } from './scripts.js';

export interface BedrockEmulatorOptions {
  /** TCP port; 0 picks a free one (read it back from `port`). @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Which model ids exist; others get Bedrock's ValidationException ("The provided model
   * identifier is invalid.").
   * @default - any id shaped like `[geo.]provider.name…` (or an ARN ending in one)
   */
  readonly knownModelIds?: (modelId: string) => boolean;
  /** Random source in [0, 1) for fractional fault rates. @default Math.random */
  readonly random?: () => number;
  /** Latency every request gets, before any fault adds more. @default - none */
  readonly latency?: LatencyDefaults;
  /** How delays are waited out; tests inject one to observe delays without a real clock. @default timers' setTimeout */
  readonly sleep?: Sleep;
  /** @default - silent */
  readonly logger?: EmulatorLogger;
  /**
   * Batch inference (CreateModelInvocationJob, Get, List, Stop): where jobs read and write S3
   * objects, and who hears of their state changes. Records are answered by the same model,
   * scripts and faults as InvokeModel.
   * @default - CreateModelInvocationJob is refused with a ValidationException saying so
   */
  readonly batch?: BatchInferenceOptions;
}

/** A running emulator. Control methods take effect for the next request. */
export interface BedrockEmulator {
  /** Base URL for `BedrockRuntimeClient({ endpoint })`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly port: number;
  readonly faults: {
    /** @throws $ZodError when the spec does not satisfy `faultSpecSchema`. */
    add(fault: FaultSpec): void;
    clear(): void;
    list(): FaultSpec[];
  };
  readonly scripts: {
    /** @throws $ZodError when the spec does not satisfy `scriptSpecSchema`. */
    add(script: ScriptSpec): void;
    clear(): void;
    list(): ActiveScript[];
  };
  /** Attempts seen per region + model and by outcome, optionally filtered. */
  stats(filter?: StatsFilter): EmulatorStats;
  resetStats(): void;
  /** Forgets every system prompt seen, so the next cache point writes again. */
  clearPromptCache(): void;
  readonly batch: {
    /**
     * Resolves with the job (as GetModelInvocationJob shows it) once it has ended and its last
     * state change has been delivered. Rejects at once for an unknown job ARN, and after
     * `timeoutMs` (default 10 s) naming the status the job is stuck in.
     */
    settled(jobArn: string, options?: { timeoutMs?: number }): Promise<BatchJobView>;
    /** Every job kept, newest first. */
    list(): BatchJobView[];
  };
  /**
   * Stops running batch jobs (no further state changes are delivered), stops listening and drops
   * open connections (in-flight streams end abruptly).
   */
  close(): Promise<void>;
}

const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });

/**
 * Starts a wire-compatible Amazon Bedrock Runtime endpoint (InvokeModel, Converse and both
 * streaming APIs) on one port that speaks HTTP/1.1 and cleartext HTTP/2. Point the real
 * `BedrockRuntimeClient` at `url` with any static credentials; the region a request is
 * signed for selects which faults apply. With the `batch` option the same URL also serves
 * batch inference to the real `BedrockClient` (`@aws-sdk/client-bedrock`).
 *
 * @example
 * const emulator = await startBedrockEmulator();
 * const client = new BedrockRuntimeClient({
 *   region: 'ap-northeast-1',
 *   endpoint: emulator.url,
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
 * });
 * emulator.faults.add({ region: 'ap-northeast-1', error: 'ThrottlingException', rate: 1 });
 */
export async function startBedrockEmulator(options: BedrockEmulatorOptions = {}): Promise<BedrockEmulator> {
  const host = options.host ?? '127.0.0.1';
  const faults = new FaultBook(options.random ?? Math.random, options.latency);
  const scripts = new ScriptBook();
  const promptCache = new PromptCache();
  const stats = new RequestStats();
  const knownModelIds = options.knownModelIds ?? looksLikeModelId;
  const sleep = options.sleep ?? defaultSleep;
  const logger = options.logger ?? silentLogger;
  const batch = new BatchJobBook(options.batch, {
    model: { faults, scripts, promptCache, sleep },
    knownModelIds,
    logger,
  });
  const server = await listenDualProtocol(
    createRequestHandler({ faults, scripts, promptCache, stats, knownModelIds, sleep, logger, batch }),
    { host, port: options.port ?? 0 },
  );
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${server.port}`,
    port: server.port,
    faults: {
      add: (fault) => faults.add(fault),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    scripts: {
      add: (script) => scripts.add(script),
      clear: () => scripts.clear(),
      list: () => scripts.list(),
    },
    stats: (filter) => stats.snapshot(filter),
    resetStats: () => stats.reset(),
    clearPromptCache: () => promptCache.clear(),
    batch: {
      settled: (jobArn, settleOptions) => batch.settled(jobArn, settleOptions?.timeoutMs),
      list: () => batch.snapshot(),
    },
    close: async () => {
      await batch.close();
      await server.close();
    },
  };
}
