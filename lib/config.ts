/**
 * An environment's typed configuration, and the one entry point to it. `bin/app.ts` picks an
 * environment with `cdk … -c env=dev|staging|prod` (default `dev`, from cdk.json); stacks and
 * constructs receive the resulting values and never branch on the stage name themselves.
 *
 * This module builds the configuration from its parts: the types (`config/types.ts`), each stage's
 * own settings (`config/stages.ts`), and the checks and deployment overrides (`config/validation.ts`).
 */
import { stages } from '@mangaassist/contracts';
import { defaultRegionTargets, loadModelCatalog, regionTargetsSchema } from '@mangaassist/fm-gateway/catalog';
import { Duration, type Environment } from 'aws-cdk-lib';
import { isStage, primaryRegion, stageSettings } from './config/stages.js';
import type {
  BedrockConfig,
  EndUsersConfig,
  EnvironmentConfig,
  EventsConfig,
  JobsConfig,
  NetworkConfig,
  OrchestratorConfig,
  WebhooksConfig,
} from './config/types.js';
import {
  ConfigError,
  checkEndUsers,
  checkEvents,
  checkJobs,
  checkModelReach,
  checkOrchestrator,
  checkSharedAccounts,
  checkWebhooks,
  type DeploymentOverrides,
  emailDomain,
  parseTenants,
} from './config/validation.js';

export { stages } from '@mangaassist/contracts';
export { isStage, primaryRegion } from './config/stages.js';
export type {
  AlarmsConfig,
  ApiConfig,
  BedrockConfig,
  CacheConfig,
  ChatFunctionConfig,
  EndUsersConfig,
  EnvironmentConfig,
  EventsConfig,
  FirewallConfig,
  JobsConfig,
  ModerationWebhookConfig,
  NetworkConfig,
  Stage,
  TenantSettings,
  WebhooksConfig,
  WebSocketConfig,
} from './config/types.js';
export {
  ConfigError,
  checkEndUsers,
  checkEvents,
  checkJobs,
  checkWebhooks,
  type DeploymentOverrides,
  overridesFromContext,
  parseTenants,
} from './config/validation.js';

/**
 * The configuration of one environment, with a deployment's `overrides`. Throws `ConfigError` for
 * an unknown environment name, invalid region targets or model catalog overrides, or invalid
 * event settings, so `cdk synth` fails before any template.
 */
export function environmentConfig(
  environment: unknown,
  overrides: DeploymentOverrides = {},
): EnvironmentConfig {
  if (!isStage(environment)) {
    throw new ConfigError(
      `unknown environment ${JSON.stringify(environment)}: use -c env=${stages.join('|')}`,
    );
  }
  const settings = stageSettings[environment];
  checkSharedAccounts(stageSettings, primaryRegion);
  const targets = regionTargetsSchema.safeParse(settings.regionTargets ?? defaultRegionTargets);
  if (!targets.success) {
    throw new ConfigError(`${environment}: invalid Bedrock region targets: ${targets.error.message}`);
  }
  try {
    loadModelCatalog(settings.modelCatalogOverridesJson);
  } catch (error) {
    throw new ConfigError(`${environment}: ${(error as Error).message}`);
  }
  const tenants = parseTenants(environment, settings.tenants);
  const endUsers: EndUsersConfig = {
    ...(settings.endUsersOidc ? { oidc: settings.endUsersOidc } : {}),
    tenantClaim: 'custom:tenant',
  };
  checkEndUsers(environment, endUsers);
  const network: NetworkConfig = {
    maxAzs: settings.availabilityZones?.length ?? 2,
    ...(settings.availabilityZones ? { availabilityZones: settings.availabilityZones } : {}),
    natGateways: settings.natGateways,
  };
  if (
    !Number.isInteger(network.natGateways) ||
    network.natGateways < 1 ||
    network.natGateways > network.maxAzs
  ) {
    throw new ConfigError(
      `${environment}: natGateways must be a whole number from 1 to ${network.maxAzs}: the functions need egress for the WebSocket @connections API`,
    );
  }
  const webhooks: WebhooksConfig = {
    memorySize: 512,
    timeout: Duration.seconds(30),
    ...(settings.webhookReservedConcurrency !== undefined
      ? { reservedConcurrency: settings.webhookReservedConcurrency }
      : {}),
    ...(settings.webhookProvisionedConcurrency
      ? { provisionedConcurrency: settings.webhookProvisionedConcurrency }
      : {}),
  };
  checkWebhooks(environment, webhooks);
  const crossAccountBusArn = overrides.crossAccountBusArn;
  const events: EventsConfig = {
    archiveRetention: Duration.days(30),
    consumerMemorySize: 512,
    consumerTimeout: Duration.seconds(60),
    senderEmail: overrides.senderEmail ?? settings.senderEmail,
    senderIdentity:
      overrides.senderIdentity ??
      (overrides.senderEmail === undefined ? settings.senderIdentity : emailDomain(overrides.senderEmail)),
    moderationWebhook: {
      url: overrides.moderationWebhookUrl ?? settings.moderationWebhookUrl,
      apiKeyHeader: 'x-api-key',
      rateLimitPerSecond: 10,
    },
    ...(crossAccountBusArn === undefined ? {} : { crossAccountBusArn }),
  };
  checkEvents(environment, events);
  const jobs: JobsConfig = {
    chunkConcurrency: settings.jobChunkConcurrency,
    laneConcurrency: { normal: 10, low: 2 },
    starterTimeout: Duration.seconds(30),
    callbackConcurrency: 5,
    jobsPerTenant: 5,
    stepsMemorySize: 1024,
    // Below ProcessChunk's 300 s, so Lambda's own timeout error (not States.Timeout) ends a hung
    // step; well above a model call's 120 s deadline.
    stepsTimeout: Duration.seconds(280),
  };
  checkJobs(environment, jobs);
  const orchestrator: OrchestratorConfig = {
    desiredCount: settings.orchestratorTasks.desired,
    maxCount: settings.orchestratorTasks.max,
    cpu: 1024,
    memoryLimitMiB: 2048,
  };
  checkOrchestrator(environment, orchestrator);
  const bedrock: BedrockConfig = {
    regionTargets: targets.data,
    ...(settings.allowedGeographies ? { allowedGeographies: settings.allowedGeographies } : {}),
    ...(settings.modelCatalogOverridesJson
      ? { modelCatalogOverridesJson: settings.modelCatalogOverridesJson }
      : {}),
    ...(settings.unreachableAliases ? { unreachableAliases: settings.unreachableAliases } : {}),
    ...(settings.promptAttackStrength
      ? { guardrail: { promptAttackStrength: settings.promptAttackStrength } }
      : {}),
    ...(settings.invocationLogging ? { invocationLogging: settings.invocationLogging } : {}),
  };
  checkModelReach(environment, bedrock);
  return {
    stage: environment,
    stackPrefix: `MangaAssist-${environment}`,
    ...(settings.account ? { account: settings.account } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    bedrock,
    api: {
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      manageCloudWatchRole: settings.manageApiGatewayAccount ?? true,
      // At least twice each route's modelled peak (capacity.ts; the config tests check it).
      methodThrottles: {
        '/v1/chat/POST': { rateLimit: 50, burstLimit: 100 },
        '/v1/chat/stream/POST': { rateLimit: 25, burstLimit: 50 },
        '/v1/moderate/POST': { rateLimit: 20, burstLimit: 40 },
        '/v1/summarize/POST': { rateLimit: 10, burstLimit: 20 },
        '/v1/analyze/POST': { rateLimit: 2, burstLimit: 5 },
        '/v1/ws-tickets/POST': { rateLimit: 30, burstLimit: 60 },
        '/v1/jobs/POST': { rateLimit: 10, burstLimit: 20 },
        '/v1/uploads/POST': { rateLimit: 10, burstLimit: 20 },
      },
    },
    websocket: {
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      maxConcurrentAnswers: 100,
      streamCompute: settings.webSocketStreamCompute ?? 'lambda',
    },
    chat: {
      memorySize: 1024,
      timeout: Duration.seconds(29),
      deadlineMs: 3000,
      responseCacheTtlSeconds: 300,
      ...(settings.provisionedConcurrency ? { provisionedConcurrency: settings.provisionedConcurrency } : {}),
      streamTimeout: Duration.minutes(3),
      compute: {
        chat: 'lambda',
        'chat-stream': 'lambda',
        moderate: 'lambda',
        summarize: 'lambda',
        analyze: 'lambda',
        ...settings.chatCompute,
      },
    },
    webhooks,
    tenants,
    endUsers,
    // Per key: 300 a second, three times a tenant's usage-plan rate (100 a second, 30 000 in 5
    // minutes). Per address: 120 a second, above that plan, so a tenant's back end behind one NAT
    // address meets its usage plan (429 for that key alone) before the WAF blocks the address.
    firewall: { requestsPerApiKeyPer5Minutes: 90_000, requestsPerIpPer5Minutes: 36_000 },
    alarms: {
      serverErrorRatePercent: 1,
      chatLatencyP99Ms: 3000,
      webSocketErrorRatePercent: 5,
      webhookClientErrorsPer5Minutes: 25,
      webhookServerErrorsPer5Minutes: 5,
      jobQueueAgeSeconds: 900,
      // The longest retry wait (8 h) and an hour.
      jobCallbackAgeSeconds: 32_400,
      functionErrorsPer5Minutes: 5,
      cacheUsagePercent: 80,
      accountConcurrency: { limit: 1000, usagePercent: 80 },
      monthlyBudgetUsd: settings.monthlyBudgetUsd,
      monthlyModelBudgetUsd: settings.monthlyModelBudgetUsd,
      bedrockThrottlesPer5Minutes: 10,
    },
    network,
    cache: settings.cache,
    events,
    jobs,
    orchestrator,
    logRetention: settings.logRetention,
    tracing: true,
    removalPolicy: settings.removalPolicy,
    terminationProtection: settings.terminationProtection,
  };
}

/**
 * The stacks' `env`: always a region — the stage's, else the primary region (Tokyo) — so a CLI
 * set to another region cannot deploy the platform there; the account when the stage pins one
 * (then credentials for another account fail the deploy). Never triggers context lookups.
 */
export function stackEnvironment(config: EnvironmentConfig): Environment {
  return {
    ...(config.account === undefined ? {} : { account: config.account }),
    region: config.region ?? primaryRegion,
  };
}
