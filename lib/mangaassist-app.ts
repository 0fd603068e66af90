import { type App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type EnvironmentConfig, stackEnvironment } from './config.js';
import { AlarmsStack } from './stacks/alarms-stack.js';
import { ApiStack } from './stacks/api-stack.js';
import { EventsStack } from './stacks/events-stack.js';
import { StatefulStack } from './stacks/stateful-stack.js';

export interface MangaAssistStacks {
  readonly alarms: AlarmsStack;
  readonly stateful: StatefulStack;
  readonly api: ApiStack;
  readonly events: EventsStack;
}

/** Adds one environment's stacks (`MangaAssist-<stage>-Alarms`, `…-Stateful`, `…-Api`, `…-Events`) to `app`, tagged. */
export function addMangaAssistStacks(app: App, config: EnvironmentConfig): MangaAssistStacks {
  const env = stackEnvironment(config);
  const alarms = new AlarmsStack(app, `${config.stackPrefix}-Alarms`, {
    config,
    env,
    description: `MangaAssist ${config.stage}: the alarm topic every alarm notifies, and the monthly cost budget`,
  });
  const stateful = new StatefulStack(app, `${config.stackPrefix}-Stateful`, {
    config,
    env,
    description: `MangaAssist ${config.stage}: stateful resources (event bus, tables, document bucket, webhook and job callback secrets, cache, VPC)`,
  });
  const api = new ApiStack(app, `${config.stackPrefix}-Api`, {
    config,
    env,
    eventBus: stateful.eventBus,
    sessionsTable: stateful.sessionsTable,
    connectionsTable: stateful.connectionsTable,
    ticketsTable: stateful.ticketsTable,
    webhookIdempotencyTable: stateful.webhookIdempotencyTable,
    webhookSecret: stateful.webhookSecret,
    catalogEnrichmentQueue: stateful.catalogEnrichment.reference,
    callbackSecret: stateful.callbackSecret,
    jobsTable: stateful.jobsTable,
    recommendationsTable: stateful.recommendationsTable,
    documentsBucketName: stateful.documentsBucketName,
    functionNetwork: stateful.functionNetwork,
    alarmTopic: alarms.topic,
    ...(stateful.endUserPool
      ? {
          endUserPool: {
            issuer: stateful.endUserPool.issuer,
            clientId: stateful.endUserPool.client.userPoolClientId,
          },
        }
      : {}),
    description: `MangaAssist ${config.stage}: public REST and WebSocket APIs, webhook receivers, document jobs, recommendations, their functions, WAF and alarms`,
  });
  // The API stack refers to the bucket, tables, bus and queue by name and reads the cache's URL
  // from SSM, not through exports: make the order explicit.
  api.addStackDependency(stateful, 'the API stack refers to the stateful resources by name');
  const events = new EventsStack(app, `${config.stackPrefix}-Events`, {
    config,
    env,
    eventBus: stateful.eventBus,
    tables: stateful.eventTables,
    recommendationsTable: stateful.recommendationsTable,
    documentsBucketName: stateful.documentsBucketName,
    catalogEnrichment: {
      queue: stateful.catalogEnrichment.reference,
      deadLetters: stateful.catalogEnrichment.deadLetters.queue,
    },
    moderationWebhookKey: stateful.moderationWebhookKey,
    alarmTopic: alarms.topic,
    description: `MangaAssist ${config.stage}: event consumers, the recommendation and re-enrichment workflows, the AI bus's rules with their DLQs, the moderation alert webhook, forwarding and alarms`,
  });
  // Both refer to the stateful resources by name, and its dashboard reads the names the API stack
  // publishes (SSM parameters, not exports): make the order explicit.
  events.addStackDependency(stateful, 'the events stack refers to the bus, tables and queues by name');
  events.addStackDependency(api, "the events stack's dashboard reads the API stack's published names");
  // Not on auto scaling targets, load balancer listeners and dashboards: CloudFormation took
  // `Tags` on them only lately, and the linter run in CI (cfn-lint 1.51) still refuses the property.
  const untagged = {
    excludeResourceTypes: [
      'AWS::ApplicationAutoScaling::ScalableTarget',
      'AWS::ElasticLoadBalancingV2::Listener',
      'AWS::CloudWatch::Dashboard',
    ],
  };
  for (const stack of [alarms, stateful, api, events]) {
    Tags.of(stack).add('project', 'MangaAssist', untagged);
    Tags.of(stack).add('stage', config.stage, untagged);
  }
  return { alarms, stateful, api, events };
}

/**
 * Runs cdk-nag's AwsSolutions rules when the app synthesises: any finding that is neither fixed
 * nor acknowledged (`Validations.of(construct).acknowledge`, with its reason) fails the synth.
 * Acknowledgements are also written into the templates (`Metadata.cdk_nag`) as an audit trail.
 */
export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
}
