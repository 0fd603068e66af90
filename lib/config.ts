import { consumerLimits } from '@mangaassist/consumers';
import { defaultTargetRetry, type Tenant, tenantSchema, webhookLimits } from '@mangaassist/contracts';
import {
  defaultRegionTargets,
  type Geography,
  loadModelCatalog,
  type RegionTarget,
  regionTargetsSchema,
} from '@mangaassist/fm-gateway/catalog';
import { Duration, type Environment, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * The one place where deployment environments differ. `bin/app.ts` picks an environment with
 * `cdk … -c env=dev|staging|prod` (default `dev`, from cdk.json); stacks and constructs receive
 * the resulting values and never branch on the stage name themselves.
 */

export const stages = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof stages)[number];

/** MangaAssist's home region (Tokyo), where the first Bedrock target lives too. */
export const primaryRegion = 'ap-northeast-1';

/** Where Bedrock requests may go and which models exist. */
export interface BedrockConfig {
  /** Failover targets in order of preference (`BEDROCK_REGION_TARGETS`). */
  readonly regionTargets: readonly RegionTarget[];
  /**
   * Geographies customer data may be processed in (`BEDROCK_ALLOWED_GEOGRAPHIES`); targets
   * outside them are neither called nor granted. Undefined = any configured target.
   */
  readonly allowedGeographies?: readonly Geography[];
  /**
   * JSON overrides of the default model catalog (`MODEL_CATALOG_JSON`), validated when the
   * config is built; undefined = the default catalog.
   */
  readonly modelCatalogOverridesJson?: string;
}

/** The REST API's stage. */
export interface ApiConfig {
  /** Steady-state requests per second across the stage (seed 002 §5.1: 100). */
  readonly throttlingRateLimit: number;
  /** Burst bucket size (seed 002 §5.1: 200). */
  readonly throttlingBurstLimit: number;
  /**
   * Let the stack set the account's API Gateway CloudWatch Logs role (`AWS::ApiGateway::Account`),
   * which execution logging needs. It is one setting per account and region: turn this off where
   * another stack or the platform team already manages it.
   */
  readonly manageCloudWatchRole: boolean;
}

/** The WebSocket API's stage (browsers' streaming chat). */
export interface WebSocketConfig {
  /** Steady-state messages per second across the stage (all connections together). */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
}

/** The chat functions: synchronous (seed 000 §1.2), SSE stream and WebSocket messages. */
export interface ChatFunctionConfig {
  /** MB; more memory is more CPU, which shortens SDK work around the Bedrock call. */
  readonly memorySize: number;
  /** Matches API Gateway's 29 s integration ceiling. */
  readonly timeout: Duration;
  /** Budget for one chat request including retries and fallbacks (`CHAT_DEADLINE_MS`). */
  readonly deadlineMs: number;
  /** Lifetime of cached complete answers (`RESPONSE_CACHE_TTL_SECONDS`; seed 000: 5 minutes). */
  readonly responseCacheTtlSeconds: number;
  /** Warm instances behind the `live` alias; undefined = none (cold starts allowed). */
  readonly provisionedConcurrency?: number;
  /**
   * Longest streamed answer (SSE `POST /v1/chat/stream` and WebSocket `sendMessage`): the
   * streaming functions' timeout and the SSE integration's. API Gateway streams up to 15 minutes;
   * 4 096 tokens at a slow 30 tokens/s take about 2 ½.
   */
  readonly streamTimeout: Duration;
}

/** The WAF web ACL on the REST stage (seed 003: AWS managed rules and a rate-based rule). */
export interface FirewallConfig {
  /** Requests one client IP may send in any 5 minutes before the ACL answers 429 (WAF minimum 10). */
  readonly requestsPerIpPer5Minutes: number;
}

/** CloudWatch alarms on the APIs; they notify the stage's alarm topic. */
export interface AlarmsConfig {
  /** REST API: 5XXError / Count over 5 minutes, in percent, above which the alarm fires. */
  readonly serverErrorRatePercent: number;
  /** REST API: p99 `Latency` of `POST /v1/chat` over 5 minutes, ms (the chat SLA is 3 s). */
  readonly chatLatencyP99Ms: number;
  /**
   * WebSocket API: (integration + execution errors) / (connects + messages) over 5 minutes, in
   * percent. Rejected tickets count as integration errors, so a burst of forged tickets fires it.
   */
  readonly webSocketErrorRatePercent: number;
  /**
   * Each webhook function URL: 4xx answers in 5 minutes above which the alarm fires. A burst of
   * 401s is a partner signing with a secret the platform does not hold (a rotation done on one
   * side only) or someone probing the URL; 409/429 are deliveries racing their own retries.
   */
  readonly webhookClientErrorsPer5Minutes: number;
  /**
   * Each webhook function URL: 5xx answers in 5 minutes above which the alarm fires. A 5xx makes
   * the partner retry, so a few are harmless; a run of them means deliveries are piling up in the
   * partner's retry queue (a malformed secret, the idempotency table, the event bus).
   */
  readonly webhookServerErrorsPer5Minutes: number;
}

/**
 * The webhook receivers (`stripe`, `reviews`, `catalog`): one function each behind a Lambda
 * function URL on its `live` alias.
 */
export interface WebhooksConfig {
  /** MB per function (seed: 512; signature checks and DynamoDB calls, one short model call). */
  readonly memorySize: number;
  /**
   * Seed: 30 s, as long as any sender is expected to wait (Stripe does not publish its delivery
   * timeout; a late answer is a failed delivery, retried, and the idempotency claim holds it).
   * Must stay below the claim's in-progress time (`webhookLimits.inProgressTtlSeconds`): a claim
   * that expired under a still-running attempt would let the sender's retry process it again.
   */
  readonly timeout: Duration;
  /**
   * Concurrency reserved for each source's function, which is also its ceiling: a flood of
   * deliveries from one partner can neither starve the other receivers and the chat functions,
   * nor be starved by them. Lambda keeps 100 of the account's concurrency unreserved, so the
   * account needs at least 100 + 3 × this (the default account limit, 1 000, is enough; a new
   * account's lower limit is not: raise it first).
   */
  readonly reservedConcurrency: number;
  /** Warm instances behind each `live` alias (at most `reservedConcurrency`); undefined = none. */
  readonly provisionedConcurrency?: number;
}

/** The VPC the Redis cache lives in and the functions that use it reach it from. */
export interface NetworkConfig {
  /** Availability zones (ElastiCache Serverless needs subnets in at least two). */
  readonly maxAzs: number;
  /**
   * NAT gateways for the functions' egress (at least one). The functions must reach APIs no VPC
   * endpoint serves: the WebSocket `@connections` API (an execute-api endpoint serves only
   * private APIs) and Bedrock failover regions other than the VPC's own. One per AZ removes the
   * cross-AZ dependency; one is cheaper.
   */
  readonly natGateways: number;
}

/** ElastiCache Serverless limits: ceilings that cap the bill, not reservations. */
export interface CacheConfig {
  readonly maxDataStorageGb: number;
  /** ElastiCache Processing Units per second (1 000 – 15 000 000). */
  readonly maxEcpuPerSecond: number;
}

/** The critical-moderation alert: an EventBridge API destination behind a Connection. */
export interface ModerationWebhookConfig {
  /**
   * Where alerts are POSTed (Slack-style JSON with a `text` field). Must be `https://` and carry
   * no credential of its own (the template and the console show it): the credential is the API
   * key the Connection sends in `apiKeyHeader`. Slack's own incoming-webhook URLs embed their
   * token, so put a relay that checks the header in front of them.
   */
  readonly url: string;
  /** The header the Connection sends the key in (its value is a generated Secrets Manager secret). */
  readonly apiKeyHeader: string;
  /** Most alerts the destination sends per second (EventBridge queues the rest; 1 – 300). */
  readonly rateLimitPerSecond: number;
}

/**
 * The AI event bus and its consumers. Values that belong to one deployment rather than to a
 * stage can also be given as context (`overridesFromContext`):
 * `cdk deploy -c env=prod -c senderEmail=orders@example.jp -c moderationWebhookUrl=https://… -c crossAccountBusArn=arn:…`.
 */
export interface EventsConfig {
  /** How long the bus archive keeps every MangaAssist event for replay (whole days; seed: 30). */
  readonly archiveRetention: Duration;
  /** MB per consumer function. */
  readonly consumerMemorySize: number;
  /** Per consumer invocation; the FM trigger waits on the model (several calls for a review). */
  readonly consumerTimeout: Duration;
  /** `From` of order confirmations (`SENDER_EMAIL`). */
  readonly senderEmail: string;
  /**
   * The SES identity the sender belongs to (the address, its domain or a parent domain), verified
   * in SES before the first order: the only identity the FM trigger may send from.
   */
  readonly senderIdentity: string;
  readonly moderationWebhook: ModerationWebhookConfig;
  /**
   * Forward every event of the bus to this bus (usually another account's); its resource policy
   * must let this account put events. Undefined = no forwarding.
   */
  readonly crossAccountBusArn?: string;
}

export interface EnvironmentConfig {
  readonly stage: Stage;
  /** Stack name prefix and resource-name prefix: `MangaAssist-${stage}`. */
  readonly stackPrefix: string;
  /** Account to deploy to; undefined = the CLI's credentials decide at deploy time. */
  readonly account?: string;
  /** Region to deploy to; undefined = the CLI's region (use `primaryRegion` when pinning). */
  readonly region?: string;
  readonly bedrock: BedrockConfig;
  readonly api: ApiConfig;
  readonly websocket: WebSocketConfig;
  readonly chat: ChatFunctionConfig;
  readonly webhooks: WebhooksConfig;
  /**
   * The API's tenants: one API key and usage plan each (throttle, monthly quota) and a daily
   * model budget the functions enforce (`TENANTS_JSON`). Unique ids.
   */
  readonly tenants: readonly Tenant[];
  readonly firewall: FirewallConfig;
  readonly alarms: AlarmsConfig;
  readonly network: NetworkConfig;
  readonly cache: CacheConfig;
  readonly events: EventsConfig;
  /** Retention of every log group: function logs, API access and execution logs. */
  readonly logRetention: RetentionDays;
  /** X-Ray active tracing on functions and the API stage. */
  readonly tracing: boolean;
  /** What happens to stateful resources and logs when their stack or construct goes away. */
  readonly removalPolicy: RemovalPolicy;
  /** CloudFormation termination protection on the stateful stack. */
  readonly terminationProtection: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A tenant as configured: `tenantSchema` fills in the seed defaults for what is left out. */
export type TenantSettings = Pick<Tenant, 'id' | 'name'> & Partial<Omit<Tenant, 'id' | 'name'>>;

interface StageSettings {
  readonly account?: string;
  readonly region?: string;
  readonly regionTargets?: readonly RegionTarget[];
  readonly allowedGeographies?: readonly Geography[];
  readonly modelCatalogOverridesJson?: string;
  readonly provisionedConcurrency?: number;
  readonly webhookProvisionedConcurrency?: number;
  readonly tenants: readonly TenantSettings[];
  readonly natGateways: number;
  readonly cache: CacheConfig;
  readonly senderEmail: string;
  readonly senderIdentity: string;
  readonly moderationWebhookUrl: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly terminationProtection: boolean;
}

/**
 * Japanese customers' prompts stay in Japan first, then Asia-Pacific (APPI-friendly); never the
 * US. Staging mirrors production so geography problems show up before release. Development may
 * fall back to the US profile so a quota-limited sandbox account still answers.
 */
const inAsiaPacific: readonly Geography[] = ['jp', 'apac'];

/**
 * The store's own front ends. Throttle and quota take the seed 003 defaults (100 rps, burst 200,
 * 100 000 requests a month); pre-production budgets are small so a runaway test stops early.
 */
function storeTenants(dailyBudgetUsd?: number): TenantSettings[] {
  const budget = dailyBudgetUsd === undefined ? {} : { dailyBudgetUsd };
  return [
    { id: 'manga-store-web', name: 'MangaAssist web store', ...budget },
    { id: 'manga-store-app', name: 'MangaAssist mobile app', ...budget },
  ];
}

/**
 * Lambda's environment holds at most 4 KB in total; the tenants list shares it with the gateway
 * settings. More tenants than fit belong in a table, not in `TENANTS_JSON`.
 */
const maxTenantsJsonBytes = 2048;
/** API Gateway API-key ids are 10 characters; a stand-in of that length sizes the JSON. */
const apiKeyIdStandIn = 'k'.repeat(10);

/**
 * Stand-ins under the reserved `example` domain, so `cdk synth` works offline and a deployment
 * that forgot them fails visibly (SES refuses an unverified sender, the alert lands in its DLQ and
 * alarms) instead of mailing or posting somewhere real. Override them per deployment with
 * `-c senderEmail=… -c senderIdentity=… -c moderationWebhookUrl=…`.
 */
function placeholderEventEndpoints(
  domain: string,
  stage: Stage,
): Pick<StageSettings, 'senderEmail' | 'senderIdentity' | 'moderationWebhookUrl'> {
  return {
    senderEmail: `orders@${domain}`,
    senderIdentity: domain,
    moderationWebhookUrl: `https://hooks.example.com/mangaassist/${stage}/moderation-alerts`,
  };
}

const stageSettings: Record<Stage, StageSettings> = {
  dev: {
    tenants: storeTenants(5),
    natGateways: 1,
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 5000 },
    ...placeholderEventEndpoints('dev.mangaassist.example', 'dev'),
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    terminationProtection: false,
  },
  staging: {
    allowedGeographies: inAsiaPacific,
    tenants: storeTenants(10),
    natGateways: 1,
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 5000 },
    ...placeholderEventEndpoints('staging.mangaassist.example', 'staging'),
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    terminationProtection: false,
  },
  prod: {
    allowedGeographies: inAsiaPacific,
    provisionedConcurrency: 2,
    webhookProvisionedConcurrency: 5,
    tenants: storeTenants(),
    natGateways: 2,
    cache: { maxDataStorageGb: 10, maxEcpuPerSecond: 100_000 },
    ...placeholderEventEndpoints('mangaassist.example', 'prod'),
    logRetention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    terminationProtection: true,
  },
};

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (stages as readonly string[]).includes(value);
}

/**
 * Settings of one deployment rather than of a stage, from CDK context (`overridesFromContext`).
 * Each replaces the stage's value.
 */
export interface DeploymentOverrides {
  readonly senderEmail?: string;
  readonly senderIdentity?: string;
  readonly moderationWebhookUrl?: string;
  readonly crossAccountBusArn?: string;
}

const overrideKeys = ['senderEmail', 'senderIdentity', 'moderationWebhookUrl', 'crossAccountBusArn'] as const;

/**
 * Reads `DeploymentOverrides` from CDK context (`-c senderEmail=…`, or `context` in cdk.json /
 * cdk.context.json). Unset or empty keys are left out; throws `ConfigError` for a value that is not
 * a string.
 */
export function overridesFromContext(tryGetContext: (key: string) => unknown): DeploymentOverrides {
  const overrides: Partial<Record<(typeof overrideKeys)[number], string>> = {};
  for (const key of overrideKeys) {
    const value: unknown = tryGetContext(key);
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw new ConfigError(`context ${key} must be a string`);
    overrides[key] = value.trim();
  }
  return overrides;
}

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
  const network: NetworkConfig = { maxAzs: 2, natGateways: settings.natGateways };
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
    reservedConcurrency: 50,
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
  return {
    stage: environment,
    stackPrefix: `MangaAssist-${environment}`,
    ...(settings.account ? { account: settings.account } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    bedrock: {
      regionTargets: targets.data,
      ...(settings.allowedGeographies ? { allowedGeographies: settings.allowedGeographies } : {}),
      ...(settings.modelCatalogOverridesJson
        ? { modelCatalogOverridesJson: settings.modelCatalogOverridesJson }
        : {}),
    },
    api: { throttlingRateLimit: 100, throttlingBurstLimit: 200, manageCloudWatchRole: true },
    websocket: { throttlingRateLimit: 100, throttlingBurstLimit: 200 },
    chat: {
      memorySize: 1024,
      timeout: Duration.seconds(29),
      deadlineMs: 3000,
      responseCacheTtlSeconds: 300,
      ...(settings.provisionedConcurrency ? { provisionedConcurrency: settings.provisionedConcurrency } : {}),
      streamTimeout: Duration.minutes(3),
    },
    webhooks,
    tenants,
    firewall: { requestsPerIpPer5Minutes: 2000 },
    alarms: {
      serverErrorRatePercent: 1,
      chatLatencyP99Ms: 3000,
      webSocketErrorRatePercent: 5,
      webhookClientErrorsPer5Minutes: 25,
      webhookServerErrorsPer5Minutes: 5,
    },
    network,
    cache: settings.cache,
    events,
    logRetention: settings.logRetention,
    tracing: true,
    removalPolicy: settings.removalPolicy,
    terminationProtection: settings.terminationProtection,
  };
}

/**
 * Throws `ConfigError` unless the webhook functions' timeout is shorter than an idempotency
 * claim's in-progress time, their reserved concurrency is a whole number of at least 1 (0 would
 * refuse every delivery) and their provisioned concurrency, when set, a whole number no larger
 * than it (Lambda refuses more warm instances than the function may run).
 */
export function checkWebhooks(environment: string, webhooks: WebhooksConfig): void {
  if (webhooks.timeout.toSeconds() >= webhookLimits.inProgressTtlSeconds) {
    throw new ConfigError(
      `${environment}: the webhook timeout must be shorter than an idempotency claim's ${webhookLimits.inProgressTtlSeconds} s in-progress time`,
    );
  }
  const { reservedConcurrency: reserved, provisionedConcurrency: provisioned } = webhooks;
  if (!Number.isInteger(reserved) || reserved < 1) {
    throw new ConfigError(`${environment}: webhook reservedConcurrency must be a whole number of at least 1`);
  }
  if (
    provisioned !== undefined &&
    (!Number.isInteger(provisioned) || provisioned < 1 || provisioned > reserved)
  ) {
    throw new ConfigError(
      `${environment}: webhook provisionedConcurrency must be a whole number from 1 to reservedConcurrency (${reserved})`,
    );
  }
}

const emailPattern = /^[^@\s]+@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/;
const headerNamePattern = /^[A-Za-z0-9-]{1,64}$/;
const eventBusArnPattern =
  /^arn:aws[a-z-]*:events:[a-z]{2}(-[a-z]+)+-\d:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256}$/;

/** The domain of an address (`orders@example.jp` -> `example.jp`); the address itself if it has none. */
function emailDomain(address: string): string {
  return emailPattern.exec(address)?.[1] ?? address;
}

/**
 * Throws `ConfigError` unless the archive keeps events for whole days and no longer than the
 * consumers remember handled events (`consumerLimits.dedupeTtlSeconds`, less the targets' maximum
 * event age: a replay of an older event would run again, a second confirmation email), a consumer
 * finishes before its idempotency claim expires (`consumerLimits.inProgressSeconds`), the sender is an address
 * covered by the SES identity (the address, its domain or a parent domain), the alert webhook is
 * an `https://` URL without credentials in it, its key header is a header name and its rate
 * 1 – 300 per second, and the forwarding bus, when set, is an event bus ARN.
 */
export function checkEvents(environment: string, events: EventsConfig): void {
  const days = events.archiveRetention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new ConfigError(
      `${environment}: the event archive keeps events for a whole number of days (at least 1)`,
    );
  }
  const rememberedSeconds = consumerLimits.dedupeTtlSeconds - defaultTargetRetry.maximumEventAgeSeconds;
  if (events.archiveRetention.toSeconds() > rememberedSeconds) {
    throw new ConfigError(
      `${environment}: the event archive must not outlast the consumers' memory of handled events (${Math.floor(rememberedSeconds / 86_400)} days): a replay of an older event would run it again`,
    );
  }
  if (events.consumerTimeout.toSeconds() >= consumerLimits.inProgressSeconds) {
    throw new ConfigError(
      `${environment}: the consumer timeout must be shorter than an idempotency claim's ${consumerLimits.inProgressSeconds} s in-progress time`,
    );
  }
  const domain = emailPattern.exec(events.senderEmail)?.[1];
  if (domain === undefined) {
    throw new ConfigError(`${environment}: senderEmail "${events.senderEmail}" is not an email address`);
  }
  const identity = events.senderIdentity.toLowerCase();
  const covered =
    identity === events.senderEmail.toLowerCase() ||
    identity === domain.toLowerCase() ||
    domain.toLowerCase().endsWith(`.${identity}`);
  if (!covered) {
    throw new ConfigError(
      `${environment}: senderIdentity "${events.senderIdentity}" does not cover senderEmail "${events.senderEmail}" (use the address, its domain or a parent domain)`,
    );
  }
  const { url, apiKeyHeader, rateLimitPerSecond } = events.moderationWebhook;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${environment}: moderationWebhookUrl "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(
      `${environment}: moderationWebhookUrl must be an https:// URL without credentials (the key goes in the Connection)`,
    );
  }
  if (!headerNamePattern.test(apiKeyHeader)) {
    throw new ConfigError(`${environment}: "${apiKeyHeader}" is not an HTTP header name`);
  }
  if (!Number.isInteger(rateLimitPerSecond) || rateLimitPerSecond < 1 || rateLimitPerSecond > 300) {
    throw new ConfigError(
      `${environment}: the moderation webhook rate must be a whole number from 1 to 300 per second`,
    );
  }
  if (events.crossAccountBusArn !== undefined && !eventBusArnPattern.test(events.crossAccountBusArn)) {
    throw new ConfigError(
      `${environment}: crossAccountBusArn "${events.crossAccountBusArn}" is not an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)`,
    );
  }
}

/**
 * Validates an environment's tenants and applies `tenantSchema`'s defaults. Throws
 * `ConfigError` for an empty list, an invalid tenant, a duplicate id, or more tenants than fit
 * in `TENANTS_JSON` (Lambda's environment is 4 KB in all).
 */
export function parseTenants(environment: string, settings: readonly TenantSettings[]): Tenant[] {
  const parsed = tenantSchema.array().min(1).safeParse(settings);
  if (!parsed.success) {
    throw new ConfigError(`${environment}: invalid tenants: ${parsed.error.message}`);
  }
  const ids = parsed.data.map((tenant) => tenant.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw new ConfigError(`${environment}: duplicate tenant id "${duplicate}"`);
  const estimate = JSON.stringify({
    tenants: parsed.data,
    apiKeys: Object.fromEntries(ids.map((id, index) => [`${apiKeyIdStandIn}${index}`, id])),
  });
  if (Buffer.byteLength(estimate) > maxTenantsJsonBytes) {
    throw new ConfigError(
      `${environment}: ${ids.length} tenants do not fit the Lambda environment (TENANTS_JSON over ${maxTenantsJsonBytes} bytes)`,
    );
  }
  return parsed.data;
}

/**
 * The stacks' `env`: environment-agnostic unless an account or region is configured; a pinned
 * account without a region deploys to the primary region. Never triggers context lookups.
 */
export function stackEnvironment(config: EnvironmentConfig): Environment | undefined {
  if (config.account === undefined && config.region === undefined) return undefined;
  return { account: config.account, region: config.region ?? primaryRegion };
}
