/**
 * The one place where deployment environments differ: each stage's own settings. `environmentConfig`
 * (lib/config.ts) adds the values every stage shares, applies a deployment's overrides and validates
 * the result.
 */
import { stages } from '@mangaassist/contracts';
import type { Geography, RegionTarget } from '@mangaassist/fm-gateway/catalog';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { PromptAttackStrength } from '../constructs/model-guardrail.js';
import type {
  BedrockConfig,
  CacheConfig,
  ChatFunctionConfig,
  EndUsersConfig,
  Stage,
  TenantSettings,
  WebSocketConfig,
} from './types.js';

/** MangaAssist's home region (Tokyo), where the first Bedrock target lives too. */
export const primaryRegion = 'ap-northeast-1';

/** Whether `value` names a deployment stage (one of the contracts' `stages`). */
export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (stages as readonly string[]).includes(value);
}

/** What one stage sets itself; every other value is shared by all stages (see `environmentConfig`). */
export interface StageSettings {
  readonly account?: string;
  /**
   * Whether this stage's stack sets the account's API Gateway CloudWatch Logs role
   * (`ApiConfig.manageCloudWatchRole`). It is one setting per account and region: where several
   * stages share an account, exactly one of them sets it.
   * @default true
   */
  readonly manageApiGatewayAccount?: boolean;
  readonly region?: string;
  readonly regionTargets?: readonly RegionTarget[];
  readonly allowedGeographies?: readonly Geography[];
  readonly modelCatalogOverridesJson?: string;
  readonly unreachableAliases?: BedrockConfig['unreachableAliases'];
  readonly promptAttackStrength?: PromptAttackStrength;
  /** `BedrockConfig.invocationLogging`. @default - off */
  readonly invocationLogging?: BedrockConfig['invocationLogging'];
  readonly provisionedConcurrency?: number;
  /**
   * Concurrency reserved for each webhook receiver (`WebhooksConfig.reservedConcurrency`).
   * @default - none (a new account's concurrency limit cannot grant any)
   */
  readonly webhookReservedConcurrency?: number;
  readonly webhookProvisionedConcurrency?: number;
  readonly tenants: readonly TenantSettings[];
  /**
   * Who issues end users' tokens (`EndUsersConfig.oidc`).
   * @default - a Cognito user pool of the stage
   */
  readonly endUsersOidc?: EndUsersConfig['oidc'];
  readonly natGateways: number;
  /** `NetworkConfig.availabilityZones`. @default - two zones, whichever the region has */
  readonly availabilityZones?: readonly string[];
  /** `AlarmsConfig.monthlyBudgetUsd`. */
  readonly monthlyBudgetUsd: number;
  /** `AlarmsConfig.monthlyModelBudgetUsd`. */
  readonly monthlyModelBudgetUsd: number;
  readonly cache: CacheConfig;
  readonly senderEmail: string;
  readonly senderIdentity: string;
  readonly moderationWebhookUrl: string;
  /** Chunks of one document job asked of the model at once (`JobsConfig.chunkConcurrency`). */
  readonly jobChunkConcurrency: number;
  /** Where the REST chat routes run (`ChatFunctionConfig.compute`). @default every route on Lambda */
  readonly chatCompute?: Partial<ChatFunctionConfig['compute']>;
  /** Where WebSocket answers run (`WebSocketConfig.streamCompute`). @default 'lambda' */
  readonly webSocketStreamCompute?: WebSocketConfig['streamCompute'];
  /** The orchestrator's tasks: idle and at most (`OrchestratorConfig`). */
  readonly orchestratorTasks: { readonly desired: number; readonly max: number };
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
 * The store's own front ends. Pre-production takes the seed 003 usage plan (100 rps, burst 200,
 * 100 000 requests a month) with small budgets, so a runaway test stops early; production is
 * sized by the load model (`capacity.ts`): either front end may carry most of the month's
 * requests and model spend.
 */
function storeTenants(limits: Pick<TenantSettings, 'dailyBudgetUsd' | 'quota'>): TenantSettings[] {
  return [
    { id: 'manga-store-web', name: 'MangaAssist web store', ...limits },
    // Its key ships inside the app: only end users' tokens admit its requests.
    { id: 'manga-store-app', name: 'MangaAssist mobile app', requireUserToken: true, ...limits },
  ];
}

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

/**
 * Claude Opus 4.5 has no `jp` or `apac` inference profile, so where customer data stays in
 * Asia-Pacific the quality alias has no target: `/v1/analyze` and `model: "quality"` answer
 * from its ladder's next model, Claude Sonnet 4.5, and say so in their `model` field.
 */
const qualityOutsideAsiaPacific = {
  quality:
    'Claude Opus 4.5 has no jp or apac inference profile: within Asia-Pacific the quality tier answers from Sonnet 4.5, the next model of its ladder.',
} as const;

/** Each stage's own settings, read only by `environmentConfig`. */
export const stageSettings: Record<Stage, StageSettings> = {
  dev: {
    tenants: storeTenants({ dailyBudgetUsd: 5 }),
    natGateways: 1,
    monthlyBudgetUsd: 300,
    monthlyModelBudgetUsd: 100,
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 5000 },
    ...placeholderEventEndpoints('dev.mangaassist.example', 'dev'),
    // A sandbox account's Bedrock quotas are small: one job must not take all of them.
    jobChunkConcurrency: 2,
    chatCompute: { chat: 'lambda', 'chat-stream': 'fargate' },
    // So that CI's synth and cfn-lint see the stream worker on Fargate too.
    webSocketStreamCompute: 'fargate',
    orchestratorTasks: { desired: 1, max: 2 },
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    terminationProtection: false,
  },
  staging: {
    allowedGeographies: inAsiaPacific,
    webhookReservedConcurrency: 50,
    unreachableAliases: qualityOutsideAsiaPacific,
    promptAttackStrength: 'HIGH',
    tenants: storeTenants({ dailyBudgetUsd: 10 }),
    natGateways: 1,
    monthlyBudgetUsd: 1_000,
    monthlyModelBudgetUsd: 300,
    cache: { maxDataStorageGb: 1, maxEcpuPerSecond: 5000 },
    ...placeholderEventEndpoints('staging.mangaassist.example', 'staging'),
    jobChunkConcurrency: 4,
    orchestratorTasks: { desired: 1, max: 4 },
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    terminationProtection: false,
  },
  prod: {
    allowedGeographies: inAsiaPacific,
    webhookReservedConcurrency: 50,
    unreachableAliases: qualityOutsideAsiaPacific,
    promptAttackStrength: 'HIGH',
    // Who called which model with how many tokens; never the customers' text.
    invocationLogging: { includeText: false },
    provisionedConcurrency: 2,
    webhookProvisionedConcurrency: 5,
    // The load model's month is ~19 M requests through the keys, ~$2 000 of model usage a day.
    tenants: storeTenants({ dailyBudgetUsd: 2_500, quota: { limit: 25_000_000, period: 'MONTH' } }),
    // Three zones, a NAT gateway in each: losing a zone leaves two thirds of everything serving.
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    natGateways: 3,
    // The stage's own resources (NAT gateways, Fargate, the cache, Lambda, logs) …
    monthlyBudgetUsd: 6_000,
    // … and Bedrock: the load model's month (lib/config/capacity.ts) is about $60 000.
    monthlyModelBudgetUsd: 70_000,
    cache: { maxDataStorageGb: 10, maxEcpuPerSecond: 100_000 },
    ...placeholderEventEndpoints('mangaassist.example', 'prod'),
    jobChunkConcurrency: 4,
    // Two tasks, one per AZ, whatever the load: one AZ's loss leaves the other answering.
    orchestratorTasks: { desired: 2, max: 20 },
    logRetention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    terminationProtection: true,
  },
};
