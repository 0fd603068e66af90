import { createChatCore } from '@mangaassist/chat/platform';
import { discardMetrics, silentLogger } from '@mangaassist/commons';
import {
  type AdmissionOptions,
  apiKeyIdentity,
  type Orchestrator,
  type RequestTracing,
} from '@mangaassist/orchestrator';
import { createOrchestratorPlatform, orchestratorCoreOptions } from '@mangaassist/orchestrator/platform';
import { createLocalApiKeys, devTenants } from '@mangaassist/tenants';
import { localChatConfig } from '../dev-server/dev-doors.js';
import type { DevServerOptions } from '../dev-server/dev-server.js';
import { type LocalAws, localCredentials, localRegion, startLocalAws } from '../dev-server/local-aws.js';
import { localCatalogGrounding } from '../dev-server/local-catalog.js';

/** As `pnpm dev`'s (`host` 127.0.0.1, Redis when given), with the orchestrator's two ports. */
export interface LocalOrchestratorOptions
  extends Pick<DevServerOptions, 'host' | 'redisUrl' | 'chatDeadlineMs' | 'emulator' | 'gateway' | 'logger'> {
  /** The public API's port. @default 8000; 0 picks a free one */
  readonly port?: number;
  /** The FM proxy's port. @default 8080; 0 picks a free one */
  readonly proxyPort?: number;
  /** @default defaultAdmission */
  readonly admission?: AdmissionOptions;
  /** @default - not traced */
  readonly tracing?: RequestTracing;
  /** Load the sample catalog, so that chat answers cite it (`pnpm orchestrator` does unless `CATALOG=0`). @default false */
  readonly catalog?: boolean;
}

export interface LocalOrchestrator {
  /** The public API (`/v1/chat`, `/v1/chat/stream`, the task routes) behind dev API keys. */
  readonly url: string;
  /** The FM proxy (`x-calling-service` names the caller). */
  readonly proxyUrl: string;
  readonly orchestrator: Orchestrator;
  readonly aws: LocalAws;
  /** The dev tenants' API keys. */
  readonly apiKeys: readonly { readonly tenant: string; readonly key: string }[];
  /** Drains (`drainMs`, default 0), sends the pending events, then stops the local services. */
  close(drainMs?: number): Promise<void>;
}

/**
 * `pnpm orchestrator`: the Fargate orchestrator's server, built by its composition root as in the
 * container, over the local services (the Bedrock emulator, the embedded DynamoDB, the local
 * EventBridge, Redis when given). With no API Gateway in front, the public listener checks the
 * dev tenants' `x-api-key` itself, as `pnpm dev` does.
 */
export async function startLocalOrchestrator(
  options: LocalOrchestratorOptions = {},
): Promise<LocalOrchestrator> {
  const logger = options.logger ?? silentLogger;
  const aws = await startLocalAws({ logger, ...(options.emulator ? { emulator: options.emulator } : {}) });
  const catalog = options.catalog
    ? await localCatalogGrounding(aws.emulator.url).catch(async (error: unknown) => {
        await aws.close();
        throw error;
      })
    : undefined;
  const keys = createLocalApiKeys(devTenants);
  const config = localChatConfig(aws, {
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.chatDeadlineMs ? { chatDeadlineMs: options.chatDeadlineMs } : {}),
  });
  const core = createChatCore(
    config,
    orchestratorCoreOptions(
      {
        region: localRegion,
        credentials: localCredentials,
        logger,
        metrics: discardMetrics,
        tenants: keys.directory,
        ...(options.gateway ? { gateway: options.gateway } : {}),
        ...(catalog ? { grounding: catalog.grounding } : {}),
      },
      options.tracing,
    ),
  );
  const platform = createOrchestratorPlatform(config, {
    core,
    identifyApi: apiKeyIdentity((value) => keys.tenantForKey(value)?.id),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  let ports: { api?: number; proxy: number };
  try {
    ports = await platform.orchestrator.listen({
      api: options.port ?? 8000,
      proxy: options.proxyPort ?? 8080,
      host,
    });
  } catch (error) {
    await core.close();
    catalog?.close();
    await aws.close();
    throw error;
  }
  return {
    url: `http://${host}:${ports.api}`,
    proxyUrl: `http://${host}:${ports.proxy}`,
    orchestrator: platform.orchestrator,
    aws,
    apiKeys: keys.list(),
    async close(drainMs = 0) {
      await platform.orchestrator.shutdown({ drainMs });
      await platform.close();
      await core.close();
      catalog?.close();
      await aws.close();
    },
  };
}
