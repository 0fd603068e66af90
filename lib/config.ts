import {
  defaultRegionTargets,
  type Geography,
  loadModelCatalog,
  type RegionTarget,
  regionTargetsSchema,
} from '@mangaassist/core/catalog';
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

/** The synchronous chat function (seed 000 §1.2). */
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
  readonly chat: ChatFunctionConfig;
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

interface StageSettings {
  readonly account?: string;
  readonly region?: string;
  readonly regionTargets?: readonly RegionTarget[];
  readonly allowedGeographies?: readonly Geography[];
  readonly modelCatalogOverridesJson?: string;
  readonly provisionedConcurrency?: number;
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

const stageSettings: Record<Stage, StageSettings> = {
  dev: {
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    terminationProtection: false,
  },
  staging: {
    allowedGeographies: inAsiaPacific,
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    terminationProtection: false,
  },
  prod: {
    allowedGeographies: inAsiaPacific,
    provisionedConcurrency: 2,
    logRetention: RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    terminationProtection: true,
  },
};

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (stages as readonly string[]).includes(value);
}

/**
 * The configuration of one environment. Throws `ConfigError` for an unknown environment name,
 * invalid region targets or model catalog overrides, so `cdk synth` fails before any template.
 */
export function environmentConfig(environment: unknown): EnvironmentConfig {
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
    chat: {
      memorySize: 1024,
      timeout: Duration.seconds(29),
      deadlineMs: 3000,
      responseCacheTtlSeconds: 300,
      ...(settings.provisionedConcurrency ? { provisionedConcurrency: settings.provisionedConcurrency } : {}),
    },
    logRetention: settings.logRetention,
    tracing: true,
    removalPolicy: settings.removalPolicy,
    terminationProtection: settings.terminationProtection,
  };
}

/**
 * The stacks' `env`: environment-agnostic unless an account or region is configured; a pinned
 * account without a region deploys to the primary region. Never triggers context lookups.
 */
export function stackEnvironment(config: EnvironmentConfig): Environment | undefined {
  if (config.account === undefined && config.region === undefined) return undefined;
  return { account: config.account, region: config.region ?? primaryRegion };
}
