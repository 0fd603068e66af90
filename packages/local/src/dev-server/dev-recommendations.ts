import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from '@mangaassist/commons';
import type { ConsumerModel } from '@mangaassist/consumers';
import { DynamoDbProductCatalog } from '@mangaassist/consumers/dynamodb';
import { productsTable, recommendationsTable, tableName } from '@mangaassist/contracts';
import type { EventPublisher } from '@mangaassist/events';
import {
  makeRecommendationStepsFunctionHandler,
  makeRecommendationsApiHandler,
} from '@mangaassist/fn-recommendations';
import { recommendationWorkflowDefinition, recommendationWorkflowStates } from '@mangaassist/recommendations';
import { DynamoDbRecommendationStore } from '@mangaassist/recommendations/dynamodb';
import {
  createRecommendationStepsPlatform,
  createRecommendationsApiPlatform,
  recommendationsConfigSchema,
} from '@mangaassist/recommendations/platform';
import type { LocalStateMachines } from '../stepfunctions/local-state-machines.js';
import { localStage } from './local-aws.js';

/** The recommendation state machine, as the stacks name it, locally. */
export const localRecommendationWorkflowName = `mangaassist-${localStage}-recommendations`;

export interface DevRecommendationsOptions {
  /** The embedded DynamoDB: the products and recommendations tables. */
  readonly documents: DynamoDBDocumentClient;
  /** The dev server's FM gateway. */
  readonly model: ConsumerModel;
  /** The local bus, for `Recommendation.Generated`. */
  readonly events: EventPublisher;
  /** Where the recommendation state machine is added and runs. */
  readonly machines: LocalStateMachines;
  readonly logger: Logger;
}

/**
 * The recommendation doors the stacks deploy, over local stand-ins: the state machine (the
 * deployed ASL, its Task states the deployed steps handler) and `GET /v1/recommendations` (the
 * deployed API handler), both on the embedded DynamoDB's tables. `target` is the schedule rule's
 * Step Functions target: it starts an execution with the scheduled event as its input.
 */
export function createDevRecommendations(options: DevRecommendationsOptions) {
  const { documents, machines, logger } = options;
  const config = recommendationsConfigSchema.parse({
    recommendationsTable: tableName(localStage, recommendationsTable),
    productsTable: tableName(localStage, productsTable),
  });
  const store = new DynamoDbRecommendationStore(documents, { tableName: config.recommendationsTable });
  const steps = makeRecommendationStepsFunctionHandler(
    createRecommendationStepsPlatform(config, {
      store,
      catalog: new DynamoDbProductCatalog(documents, { tableName: tableName(localStage, productsTable) }),
      events: options.events,
      model: options.model,
      logger,
    }),
  );
  machines.add({
    name: localRecommendationWorkflowName,
    definition: recommendationWorkflowDefinition(),
    tasks: Object.fromEntries(Object.values(recommendationWorkflowStates).map((state) => [state, steps])),
  });
  return {
    handler: makeRecommendationsApiHandler(createRecommendationsApiPlatform(config, { store, logger })),
    /** As EventBridge's Step Functions target: StartExecution with the event as input. */
    target: async (input: unknown) => ({
      executionArn: machines.start(localRecommendationWorkflowName, input),
    }),
  };
}
