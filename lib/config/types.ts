/**
 * The shape of an environment's configuration: the typed values `environmentConfig` (lib/config.ts)
 * builds and the stacks and constructs receive. Types only; each stage's values are in `stages.ts`.
 */

import type { DeploymentStage, TaskName, Tenant } from '@mangaassist/contracts';
import type { Geography, ModelAlias, RegionTarget } from '@mangaassist/fm-gateway/catalog';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ChatRoute } from '../constructs/chat-api.js';
import type { PromptAttackStrength } from '../constructs/model-guardrail.js';

/** A deployment stage (`dev`, `staging`, `prod`): the contracts' `DeploymentStage` under its config name. */
export type Stage = DeploymentStage;

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
  /**
   * A Bedrock guardrail with a prompt-attack filter of this strength, applied to every user's new
   * message (chat, SSE, WebSocket, tasks, reviews); undefined = none.
   */
  readonly guardrail?: { readonly promptAttackStrength: PromptAttackStrength };
  /**
   * Aliases knowingly left pointing at a model with no target under `regionTargets` and
   * `allowedGeographies`, each with why: their calls go down the model's fallback ladder. Any
   * other such alias fails the synth, rather than quietly answering with another model.
   */
  readonly unreachableAliases?: Readonly<Partial<Record<ModelAlias, string>>>;
  /**
   * Bedrock model invocation logging to CloudWatch (`ModelInvocationLogging`): one setting per
   * account and region, so one stage per account turns it on. `includeText` logs customers'
   * prompts and answers too. Undefined = off.
   */
  readonly invocationLogging?: { readonly includeText: boolean };
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
  /**
   * Tighter limits on the expensive routes, by `<path>/<METHOD>` (`/v1/analyze/POST`), sized by
   * the load model (`capacity.ts`): a flood on one route (the quality model's) cannot take the
   * whole stage's rate.
   */
  readonly methodThrottles: Readonly<
    Record<string, { readonly rateLimit: number; readonly burstLimit: number }>
  >;
}

/** The WebSocket API's stage (browsers' streaming chat). */
export interface WebSocketConfig {
  /** Steady-state messages per second across the stage (all connections together). */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /**
   * Answers the stream function runs at once (the message queue's event source mapping's
   * maximum concurrency, 2–1000): each holds an instance for as long as it streams. Beyond it,
   * messages wait in the queue rather than throttle the account's other functions.
   */
  readonly maxConcurrentAnswers: number;
  /**
   * Where queued messages are answered: the stream function (`lambda`, one instance per streaming
   * answer), or the orchestrator's tasks (`fargate`), which long-poll the message queue, each
   * answering `maxConcurrentAnswers` at once; no stream function is deployed then.
   */
  readonly streamCompute: 'lambda' | 'fargate';
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
  /**
   * Where each REST chat and task route runs: a Lambda function, or the Fargate orchestrator
   * (through a VPC link and a private load balancer; same path, payloads and errors).
   */
  readonly compute: Readonly<Record<ChatRoute | TaskName, 'lambda' | 'fargate'>>;
}

/** The WAF web ACL on the REST stage (seed 003: AWS managed rules and a rate-based rule). */
export interface FirewallConfig {
  /**
   * Requests one API key may send in any 5 minutes before the ACL answers 429: a ceiling over the
   * usage plans (which throttle each tenant first), for a key used from many addresses.
   */
  readonly requestsPerApiKeyPer5Minutes: number;
  /**
   * Requests one client IP may send in any 5 minutes before the ACL answers 429 (WAF minimum 10):
   * a flood backstop, high enough for a tenant's back end behind one NAT address.
   */
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
  /**
   * Each job queue: age of its oldest message, seconds, above which the alarm fires. The starter
   * only starts executions, so a job waits seconds in a healthy queue; minutes mean the starter
   * is failing, throttled or out of concurrency.
   */
  readonly jobQueueAgeSeconds: number;
  /**
   * The job callback queue: age, seconds, of its oldest callback still on its first attempts
   * (SQS leaves messages received three times or more out of the metric, so callbacks retried on
   * their schedule do not count) above which the alarm fires: callbacks are not being attempted.
   */
  readonly jobCallbackAgeSeconds: number;
  /**
   * Each function: failed invocations (thrown, timed out, out of memory) in 5 minutes above which
   * its alarm fires. A handler's JSON error answers are not failures.
   */
  readonly functionErrorsPer5Minutes: number;
  /** The cache's ECPU and storage use, in percent of its configured ceilings, that alarms. */
  readonly cacheUsagePercent: number;
  /**
   * The account's Lambda concurrency quota (new accounts: 10 until raised; the default quota is
   * 1 000) and the share of it, in percent, whose claim alarms.
   */
  readonly accountConcurrency: { readonly limit: number; readonly usagePercent: number };
  /** USD a month the stage is expected to cost; its budget notifies at 80 % spent and 100 % forecast. */
  readonly monthlyBudgetUsd: number;
  /**
   * USD a month of Bedrock usage (untagged, so the account's): its own budget, and the hourly
   * model spend alarm at twice this month's hourly average.
   */
  readonly monthlyModelBudgetUsd: number;
  /**
   * Bedrock throttles in 5 minutes (every model of the region) above which the alarm fires: the
   * gateway falls back on a throttle, so a few are expected.
   */
  readonly bedrockThrottlesPer5Minutes: number;
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
   * account's lower limit, often 10, is not: the deploy would fail, so a stage meant for such an
   * account reserves none). Undefined = none: the receivers share the unreserved pool.
   */
  readonly reservedConcurrency?: number;
  /** Warm instances behind each `live` alias (at most `reservedConcurrency`); undefined = none. */
  readonly provisionedConcurrency?: number;
}

/**
 * Asynchronous document jobs (`POST /v1/jobs`): the two priority lanes (SQS queues) and their
 * starter, the job state machine and its steps function.
 */
export interface JobsConfig {
  /**
   * Chunks of one job sent to the model at once: the workflow Map's `MaxConcurrency` (1–40).
   * Each is a model call of up to a few thousand tokens, charged to the account's Bedrock quota.
   */
  readonly chunkConcurrency: number;
  /**
   * Starter instances per lane: each event source mapping's maximum concurrency (2–1000; the
   * low lane's at most the normal lane's). The starter only starts executions, so this bounds
   * how fast queued jobs start, not how many run.
   */
  readonly laneConcurrency: { readonly normal: number; readonly low: number };
  /** The starter's timeout; each job queue's visibility timeout is six times it. */
  readonly starterTimeout: Duration;
  /**
   * Callback deliverer instances at most: the event source mapping's maximum concurrency
   * (2–1000). Each delivers up to 10 callbacks at once, so this also bounds the requests in
   * flight to tenants' endpoints (10 × this).
   */
  readonly callbackConcurrency: number;
  /** Jobs one tenant may run at once (1–1000); the next wait in their queue. */
  readonly jobsPerTenant: number;
  /** MB of the steps function (chunking, model calls, reading and writing documents). */
  readonly stepsMemorySize: number;
  /**
   * The steps function's timeout: at most the ASL's longest Task timeout (ProcessChunk, 300 s),
   * so that Lambda ends a step that hangs before its state does (the function's own error, not
   * States.Timeout), and above a model call's deadline (120 s) so a slow answer still fits.
   */
  readonly stepsTimeout: Duration;
}

/** The VPC the Redis cache lives in and the functions that use it reach it from. */
export interface NetworkConfig {
  /** Availability zones (ElastiCache Serverless needs subnets in at least two). */
  readonly maxAzs: number;
  /**
   * The zones by name, when the stage needs more than the two an account-agnostic stack can find
   * without a lookup (prod: three of Tokyo's).
   */
  readonly availabilityZones?: readonly string[];
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

/** The Fargate orchestrator (`packages/orchestrator`): how many tasks, how large. */
export interface OrchestratorConfig {
  /** Tasks while idle, and the fewest auto scaling leaves: 2 or more in prod (one per AZ). */
  readonly desiredCount: number;
  /** The most tasks auto scaling starts (CPU 60 %, memory 70 %). */
  readonly maxCount: number;
  /** vCPU units of a task (1024 = 1 vCPU); a Fargate size with `memoryLimitMiB`. */
  readonly cpu: number;
  /** MiB of a task. */
  readonly memoryLimitMiB: number;
}

/**
 * End users' tokens (`Authorization: Bearer <JWT>`), which the REST API's authorizer takes beside
 * tenant API keys; the tenant is the one `tenantClaim` names.
 */
export interface EndUsersConfig {
  /**
   * An OIDC issuer of your own (Auth0, Entra ID, Okta, a Cognito pool elsewhere): its exact `iss`,
   * the client ids its tokens are for (`aud`, or Cognito's `client_id`), and where its keys are
   * (its discovery document's `jwks_uri`: Okta `…/v1/keys`, Entra ID `…/discovery/v2.0/keys`).
   * Unset = a Cognito user pool of this stage, in the stateful stack, whose app client is the
   * audience.
   */
  readonly oidc?: {
    readonly issuer: string;
    readonly audience: readonly string[];
    readonly jwksUrl: string;
  };
  /** The claim naming the tenant (Cognito: the `tenant` custom attribute). */
  readonly tenantClaim: string;
}

/** Everything one environment is built from: the stacks and constructs read nothing else. */
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
  /** End users' tokens; unset = the API takes tenant API keys only. */
  readonly endUsers?: EndUsersConfig;
  readonly firewall: FirewallConfig;
  readonly alarms: AlarmsConfig;
  readonly network: NetworkConfig;
  readonly cache: CacheConfig;
  readonly events: EventsConfig;
  readonly jobs: JobsConfig;
  readonly orchestrator: OrchestratorConfig;
  /** Retention of every log group: function logs, API access and execution logs. */
  readonly logRetention: RetentionDays;
  /** X-Ray active tracing on functions and the API stage. */
  readonly tracing: boolean;
  /** What happens to stateful resources and logs when their stack or construct goes away. */
  readonly removalPolicy: RemovalPolicy;
  /** CloudFormation termination protection on the stateful stack. */
  readonly terminationProtection: boolean;
}

/** A tenant as configured: `tenantSchema` fills in the seed defaults for what is left out. */
export type TenantSettings = Pick<Tenant, 'id' | 'name'> & Partial<Omit<Tenant, 'id' | 'name'>>;
