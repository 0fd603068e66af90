import { BedrockClient } from '@aws-sdk/client-bedrock';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AwsClientSettings,
  awsClientOptions,
  ConfigurationError,
  configFromEnvironment,
  type EnvironmentField,
  type Logger,
  silentLogger,
} from '@mangaassist/commons';
import { createDocumentClient } from '@mangaassist/commons/dynamodb';
import { traceAwsClient } from '@mangaassist/commons/tracing';
import { DynamoDbProductCatalog, DynamoDbProductStore } from '@mangaassist/consumers/dynamodb';
import { gatewayEnvironment as names, stageSchema, tableNameSchema } from '@mangaassist/contracts';
import {
  type GatewayConfig,
  invocationTargets,
  loadModelCatalog,
  resolveModelKey,
} from '@mangaassist/fm-gateway';
import { BedrockBatchInference } from '@mangaassist/fm-gateway/bedrock-batch';
import { createGateway } from '@mangaassist/fm-gateway/platform';
import * as z from 'zod/mini';
import { makeBatchCompletion, type TaskCallbacks } from '../batch-completion.js';
import { makeReenrichmentSteps, type ReenrichmentObjects } from '../reenrichment-steps.js';
import { SfnTaskCallbacks } from '../stepfunctions/sfn-task-callbacks.js';

export const reenrichmentConfigSchema = z.object({
  stage: stageSchema,
  productsTable: tableNameSchema,
  documentsBucket: z.string().check(z.minLength(3), z.maxLength(63)),
  batchRoleArn: z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'an IAM role ARN')),
  batchThreshold: z.optional(z.coerce.number().check(z.int(), z.minimum(100))),
  dynamoDbEndpoint: z.optional(z.url()),
});

export type ReenrichmentConfig = z.output<typeof reenrichmentConfigSchema>;

const reenrichmentEnvironmentFields = {
  stage: { variable: names.stage },
  productsTable: { variable: names.productsTable },
  documentsBucket: { variable: names.documentsBucket },
  batchRoleArn: { variable: names.reenrichmentBatchRoleArn },
  batchThreshold: { variable: names.reenrichmentBatchThreshold },
  dynamoDbEndpoint: { variable: names.dynamoDbEndpoint },
} as const satisfies Record<keyof ReenrichmentConfig, EnvironmentField>;

/**
 * The re-enrichment functions' settings. Throws `ConfigurationError` naming the variable that is
 * missing or invalid, so a bad deployment fails at cold start.
 */
export function reenrichmentConfigFromEnvironment(env: Readonly<Record<string, string | undefined>>) {
  return configFromEnvironment(reenrichmentConfigSchema, env, reenrichmentEnvironmentFields, 'reenrichment');
}

/**
 * Where the batch jobs run: the first region target the fast model can be invoked through, and
 * the id it is invoked with there (an inference profile's, `jp.anthropic…`). Throws
 * `ConfigurationError` when no target serves it.
 */
export function batchTarget(gateway: GatewayConfig, modelKey = 'fast'): { region: string; modelId: string } {
  const catalog = loadModelCatalog(gateway.modelCatalogJson);
  const key = resolveModelKey(catalog, modelKey);
  const spec = key === undefined ? undefined : catalog.models[key];
  const [target] = spec
    ? invocationTargets(spec, gateway.regionTargets, gateway.allowedGeographies).usable
    : [];
  if (target === undefined) {
    throw new ConfigurationError(`no region target serves the ${modelKey} model for batch inference`);
  }
  return { region: target.region, modelId: target.modelId };
}

/**
 * Throws `ConfigurationError` unless batch jobs run in `functionRegion` (when known): Bedrock
 * reports a job's state change on the default bus of the job's region, where only this stack's
 * rule can complete the waiting task, and reads its input from this stack's bucket.
 */
export function assertBatchRegion(batchRegion: string, functionRegion: string | undefined): void {
  if (functionRegion !== undefined && functionRegion !== batchRegion) {
    throw new ConfigurationError(
      `batch jobs would run in ${batchRegion} (the fast model's first region target) but the re-enrichment is deployed in ${functionRegion}: its state changes would never reach this stack's rule`,
    );
  }
}

export interface ReenrichmentPlatformOptions extends AwsClientSettings {
  /** The documents bucket (`S3DocumentStore` deployed): manifest, batch files, task tokens. */
  readonly objects: ReenrichmentObjects;
  /** The settings of the FM gateway and of where batch jobs run. */
  readonly gateway: GatewayConfig;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** The function's own region (`AWS_REGION`): batch jobs must run there (`assertBatchRegion`). */
  readonly functionRegion?: string;
}

/**
 * The composition root of the re-enrichment's steps function: the products table (catalog pages
 * and AI content), the documents bucket, the FM gateway (it publishes its own
 * `InferenceCompleted` when a bus is configured) and Bedrock batch inference in the fast model's
 * first region. Opens no connection until first use.
 */
export function createReenrichmentStepsPlatform(
  config: ReenrichmentConfig,
  options: ReenrichmentPlatformOptions,
) {
  const logger = options.logger ?? silentLogger;
  const documents = documentClient(config, options);
  const gateway = createGateway(options.gateway, { ...options, logger });
  const target = batchTarget(options.gateway);
  assertBatchRegion(target.region, options.functionRegion);
  const bedrock = traceAwsClient(new BedrockClient({ region: target.region }));
  const handler = makeReenrichmentSteps({
    catalog: new DynamoDbProductCatalog(documents, { tableName: config.productsTable }),
    products: new DynamoDbProductStore(documents, { tableName: config.productsTable }),
    objects: options.objects,
    bucket: config.documentsBucket,
    model: gateway.gateway,
    batch: new BedrockBatchInference(bedrock),
    batchModelId: target.modelId,
    batchRoleArn: config.batchRoleArn,
    stage: config.stage,
    ...(config.batchThreshold === undefined ? {} : { batchThreshold: config.batchThreshold }),
    logger,
  });
  return {
    handler,
    /** Sends the gateway's pending `InferenceCompleted` events, waiting at most `ms`. */
    flush: (ms: number) => gateway.gateway.flush(ms),
    async close() {
      documents.destroy();
      bedrock.destroy();
      await gateway.close();
    },
  };
}

export type ReenrichmentStepsPlatform = ReturnType<typeof createReenrichmentStepsPlatform>;

export interface BatchCompletionPlatformOptions {
  readonly objects: ReenrichmentObjects;
  /** Where batch jobs run (`batchTarget`): the region their state changes come from. */
  readonly region: string;
  /** @default - Step Functions (`SfnTaskCallbacks`) */
  readonly callbacks?: TaskCallbacks;
  /** @default silentLogger */
  readonly logger?: Logger;
}

/**
 * The composition root of the batch completion function: the recorded task tokens, Bedrock's
 * GetModelInvocationJob and Step Functions' SendTaskSuccess / SendTaskFailure.
 */
export function createBatchCompletionPlatform(
  config: ReenrichmentConfig,
  options: BatchCompletionPlatformOptions,
) {
  const bedrock = traceAwsClient(new BedrockClient({ region: options.region }));
  const callbacks = callbacksOf(options);
  const handler = makeBatchCompletion({
    objects: options.objects,
    batch: new BedrockBatchInference(bedrock),
    callbacks: callbacks.callbacks,
    stage: config.stage,
    logger: options.logger ?? silentLogger,
  });
  return {
    handler,
    close() {
      bedrock.destroy();
      callbacks.close();
    },
  };
}

/** The given callbacks (left open), or Step Functions' (closed with the platform). */
function callbacksOf(options: BatchCompletionPlatformOptions): { callbacks: TaskCallbacks; close(): void } {
  if (options.callbacks) return { callbacks: options.callbacks, close: () => {} };
  const sfn = traceAwsClient(new SFNClient({}));
  return { callbacks: new SfnTaskCallbacks(sfn), close: () => sfn.destroy() };
}

function documentClient(config: ReenrichmentConfig, settings: AwsClientSettings): DynamoDBDocumentClient {
  return createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, settings));
}
