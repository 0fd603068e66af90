import { setTimeout as delay } from 'node:timers/promises';
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
  /** Stops listening and drops open connections (in-flight streams end abruptly). */
  close(): Promise<void>;
}

const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });

/**
 * Starts a wire-compatible Amazon Bedrock Runtime endpoint (InvokeModel, Converse and both
 * streaming APIs) on one port that speaks HTTP/1.1 and cleartext HTTP/2. Point the real
 * `BedrockRuntimeClient` at `url` with any static credentials; the region a request is
 * signed for selects which faults apply.
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
  const server = await listenDualProtocol(
    createRequestHandler({
      faults,
      scripts,
      promptCache,
      stats,
      knownModelIds: options.knownModelIds ?? looksLikeModelId,
      sleep: options.sleep ?? defaultSleep,
      logger: options.logger ?? silentLogger,
    }),
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
    close: () => server.close(),
  };
}
