import { BedrockClient } from '@aws-sdk/client-bedrock';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@mangaassist/commons';
import type { ConsumerModel } from '@mangaassist/consumers';
import { DynamoDbProductCatalog, DynamoDbProductStore } from '@mangaassist/consumers/dynamodb';
import { defaultTargetRetry, type EventRule, productsTable, tableName } from '@mangaassist/contracts';
import type { FmGateway, GatewayConfig } from '@mangaassist/fm-gateway';
import { BedrockBatchInference } from '@mangaassist/fm-gateway/bedrock-batch';
import { makeReenrichmentStepsFunctionHandler } from '@mangaassist/fn-reenrichment';
import {
  batchCompletionEventPattern,
  batchSweepSchedule,
  makeBatchCompletion,
  makeReenrichmentSteps,
  reenrichmentWorkflowDefinition,
  reenrichmentWorkflowStates,
  type TaskCallbacks,
  TaskTokenGoneError,
} from '@mangaassist/reenrichment';
import { batchTarget } from '@mangaassist/reenrichment/platform';
import { localDocumentsBucket } from '../s3/bucket-object-store.js';
import type { FileDocumentStore } from '../s3/file-document-store.js';
import { type LocalStateMachines, TaskDoesNotExistError } from '../stepfunctions/local-state-machines.js';
import { localCredentials, localRegion, localStage } from './local-aws.js';

/** The re-enrichment state machine, as the stacks name it, locally. */
export const localReenrichmentWorkflowName = `mangaassist-${localStage}-catalog-reenrichment`;

/** The rule on the default bus that completes a batch job's waiting state, locally. */
export const localBatchCompletionRuleName = 'reenrichment-batch-completion';

/** The hourly rule that sweeps for ended batch jobs whose state change was lost, locally. */
export const localBatchSweepRuleName = 'reenrichment-batch-sweep';

export interface DevReenrichmentOptions {
  /** The embedded DynamoDB: the products table. */
  readonly documents: DynamoDBDocumentClient;
  /** The documents bucket: the manifest, the batch files and the task tokens. */
  readonly files: FileDocumentStore;
  /** The dev server's FM gateway, for the on-demand path. */
  readonly model: ConsumerModel & Pick<FmGateway, 'flush'>;
  /** The gateway's settings: batch jobs run the fast model in its first region target. */
  readonly gateway: GatewayConfig;
  /** The Bedrock emulator's URL: batch jobs go to its control plane. */
  readonly bedrockUrl: string;
  /** Where the state machine is added and runs. */
  readonly machines: LocalStateMachines;
  /** From this many products a run is one batch job. @default 1000 */
  readonly batchThreshold?: number;
  readonly logger: Logger;
}

/** Step Functions' SendTaskSuccess and SendTaskFailure on the local state machines. */
export function localTaskCallbacks(machines: LocalStateMachines): TaskCallbacks {
  const gone = (call: () => void) => {
    try {
      call();
    } catch (error) {
      if (error instanceof TaskDoesNotExistError) throw new TaskTokenGoneError(error.message);
      throw error;
    }
  };
  return {
    succeed: async (token, output) => gone(() => machines.sendTaskSuccess(token, output)),
    fail: async (token, error, cause) => gone(() => machines.sendTaskFailure(token, error, cause)),
  };
}

/**
 * The whole-catalog re-enrichment over local stand-ins: the state machine (the deployed ASL; its
 * Lambda Task states the steps) on the embedded DynamoDB's products table and the documents
 * bucket, batch jobs on the Bedrock emulator, and the completion of a batch job's waiting state
 * from its state change on the default bus, and the hourly sweep for a change that was lost (`rules`
 * and `target`, for the local bus; `POST /_local/schedules/reenrichment-batch-sweep` sweeps now). Start a run
 * with `POST /_local/executions {"state_machine": "mangaassist-local-catalog-reenrichment"}`.
 */
export function createDevReenrichment(options: DevReenrichmentOptions) {
  const { documents, files, machines, logger } = options;
  const products = tableName(localStage, productsTable);
  const batchClient = new BedrockClient({
    endpoint: options.bedrockUrl,
    region: localRegion,
    credentials: localCredentials,
  });
  const batch = new BedrockBatchInference(batchClient);
  const steps = makeReenrichmentSteps({
    catalog: new DynamoDbProductCatalog(documents, { tableName: products }),
    products: new DynamoDbProductStore(documents, { tableName: products }),
    objects: files,
    bucket: localDocumentsBucket,
    model: options.model,
    batch,
    batchModelId: batchTarget(options.gateway).modelId,
    batchRoleArn: `arn:aws:iam::000000000000:role/mangaassist-${localStage}-reenrichment-batch`,
    stage: localStage,
    ...(options.batchThreshold === undefined ? {} : { batchThreshold: options.batchThreshold }),
    logger,
  });
  // As deployed: the steps function sends the gateway's events before it answers.
  const handler = makeReenrichmentStepsFunctionHandler({
    handler: steps,
    flush: (ms) => options.model.flush(ms),
  });
  const { enrichProducts: _map, ...taskStates } = reenrichmentWorkflowStates;
  machines.add({
    name: localReenrichmentWorkflowName,
    definition: reenrichmentWorkflowDefinition(),
    tasks: Object.fromEntries(Object.values(taskStates).map((state) => [state, handler])),
  });
  const complete = makeBatchCompletion({
    objects: files,
    batch,
    callbacks: localTaskCallbacks(machines),
    stage: localStage,
    logger,
  });
  const target = { id: 'batch-completion', kind: 'lambda', retry: defaultTargetRetry } as const;
  return {
    rules: [
      {
        name: localBatchCompletionRuleName,
        description: 'Bedrock batch jobs of the re-enrichment ending: complete the waiting RunBatchJob state',
        eventPattern: batchCompletionEventPattern(localStage),
        targets: [target],
      },
      {
        name: localBatchSweepRuleName,
        description:
          'Hourly: complete the waiting RunBatchJob states of ended jobs whose state change was lost',
        schedule: batchSweepSchedule,
        targets: [target],
      },
    ] satisfies EventRule[],
    target: async (event: unknown) => ({ outcome: await complete(event) }),
    close: () => batchClient.destroy(),
  };
}
