import { type EventRule, eventConsumers, eventRules } from '@mangaassist/contracts';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { type DeploymentOverrides, environmentConfig, type Stage, stages } from '../../../lib/config.js';
import { pascalCase } from '../../../lib/constructs/pascal-case.js';
import { EventsStack } from '../../../lib/stacks/events-stack.js';
import { StatefulStack } from '../../../lib/stacks/stateful-stack.js';
import { flatten, functionEnvironment, logicalId, resourcesOf, unitTestApp } from '../support.js';

interface RuleTarget {
  readonly Id: string;
  readonly Arn: unknown;
  readonly RoleArn?: unknown;
  readonly RetryPolicy?: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  readonly DeadLetterConfig?: { Arn: unknown };
  readonly InputTransformer?: { InputPathsMap: Record<string, string>; InputTemplate: string };
}

interface RuleProperties {
  readonly Name: string;
  readonly Description: string;
  readonly State: string;
  readonly EventBusName?: unknown;
  readonly EventPattern?: unknown;
  readonly ScheduleExpression?: string;
  readonly Targets: RuleTarget[];
}

interface QueueProperties {
  readonly SqsManagedSseEnabled?: boolean;
  readonly MessageRetentionPeriod?: number;
}

interface AlarmProperties {
  readonly MetricName: string;
  readonly Dimensions: { Name: string; Value: unknown }[];
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
}

function build(stage: Stage, overrides: DeploymentOverrides = {}) {
  const app = unitTestApp();
  const config = environmentConfig(stage, overrides);
  const stateful = new StatefulStack(app, 'Stateful', { config });
  const topic = new Topic(new Stack(app, 'Alarms'), 'Topic');
  const stack = new EventsStack(app, 'Events', {
    config,
    eventBus: stateful.eventBus,
    tables: stateful.eventTables,
    recommendationsTable: stateful.recommendationsTable,
    documentsBucketName: stateful.documentsBucketName,
    catalogEnrichment: {
      queue: stateful.catalogEnrichment.reference,
      deadLetters: stateful.catalogEnrichment.deadLetters.queue,
    },
    moderationWebhookKey: stateful.moderationWebhookKey,
    alarmTopic: topic,
    consumerEntry: 'test/lib/fixtures/noop-handler.ts',
  });
  return { app, stack, stateful, template: Template.fromStack(stack) };
}

const dev = build('dev');
const { template } = dev;
const rules = resourcesOf<RuleProperties>(template, 'AWS::Events::Rule');
const busImport = (() => {
  const imports = rules.map((rule) => rule.properties.EventBusName).filter((name) => name !== undefined);
  return imports[0];
})();

function deployedRule(spec: EventRule): RuleProperties {
  const found = rules.find((rule) => rule.properties.Name === `mangaassist-dev-${spec.name}`);
  if (found === undefined) throw new Error(`rule ${spec.name} is not deployed`);
  return found.properties;
}

function consumerArn(consumer: string) {
  return {
    'Fn::GetAtt': [
      logicalId(template, 'AWS::Lambda::Function', `Consumers${pascalCase(consumer)}Function`),
      'Arn',
    ],
  };
}

const contractTargets = eventRules.flatMap((spec) => spec.targets.map((target) => ({ spec, target })));

describe('EventsStack', () => {
  it('deploys every contract rule, the re-enrichment’s batch completion and sweep, and nothing else by default', () => {
    expect(rules.map((rule) => rule.properties.Name).sort()).toEqual(
      [
        ...eventRules.map((spec) => `mangaassist-dev-${spec.name}`),
        'mangaassist-dev-reenrichment-batch-completion',
        'mangaassist-dev-reenrichment-batch-sweep',
      ].sort(),
    );
  });

  it.each(eventRules.filter((spec) => spec.eventPattern !== undefined))(
    'matches $name with exactly the contract’s pattern, enabled, on the AI event bus',
    (spec) => {
      const rule = deployedRule(spec);
      expect(rule.EventPattern).toEqual(spec.eventPattern);
      expect(rule.State).toBe('ENABLED');
      // By name: no export pins the bus in the stateful stack.
      expect(rule.EventBusName).toBe('mangaassist-dev-ai-events');
      expect(rule.EventBusName).toEqual(busImport);
      expect(rule.Description).toBe(`MangaAssist dev: ${spec.description}`);
    },
  );

  it.each(eventRules.filter((spec) => spec.schedule !== undefined))(
    'runs $name on the default bus with the contract’s schedule',
    (spec) => {
      const rule = deployedRule(spec);
      expect(rule.ScheduleExpression).toBe(spec.schedule);
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.EventPattern).toBeUndefined();
      expect(rule.State).toBe('ENABLED');
    },
  );

  it.each(contractTargets.map(({ spec, target }) => [spec.name, target.id, spec, target] as const))(
    'sends %s to %s with the contract’s id, retry policy and input, and a DLQ',
    (_rule, _target, spec, target) => {
      const deployed = deployedRule(spec).Targets.find((candidate) => candidate.Id === target.id);
      expect(deployed).toBeDefined();
      expect(deployed?.RetryPolicy).toEqual({
        MaximumEventAgeInSeconds: target.retry.maximumEventAgeSeconds,
        MaximumRetryAttempts: target.retry.maximumRetryAttempts,
      });
      expect(deployed?.InputTransformer).toEqual(
        target.inputTransformer === undefined
          ? undefined
          : {
              InputPathsMap: target.inputTransformer.inputPathsMap,
              InputTemplate: target.inputTransformer.inputTemplate,
            },
      );
      const dlq = logicalId(
        template,
        'AWS::SQS::Queue',
        `Routing${pascalCase(spec.name)}${pascalCase(target.id)}Dlq`,
      );
      expect(deployed?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } });
      if (target.kind === 'lambda') {
        expect(deployed?.Arn).toEqual(consumerArn(target.handler ?? 'missing'));
      } else if (target.kind === 'state-machine') {
        expect(deployed?.Arn).toEqual({
          Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'RecommendationsStateMachine'),
        });
        expect(deployed?.RoleArn).toBeDefined();
      } else {
        expect(deployed?.Arn).toEqual({
          'Fn::GetAtt': [logicalId(template, 'AWS::Events::ApiDestination', 'ModerationAlert'), 'Arn'],
        });
        expect(deployed?.RoleArn).toBeDefined();
      }
    },
  );

  it("holds the stage's dashboard, reading the API stack's names from SSM parameters rather than exports", () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'MangaAssist-dev' });
    const parameters = Object.values(
      (template.toJSON() as { Parameters: Record<string, { Type: string; Default?: string }> }).Parameters,
    )
      .filter((parameter) => parameter.Type === 'AWS::SSM::Parameter::Value<String>')
      .map((parameter) => parameter.Default)
      .filter((name) => name?.startsWith('/mangaassist/'))
      .sort();
    expect(parameters).toEqual([
      '/mangaassist/dev/jobs/callbacks/queue',
      '/mangaassist/dev/jobs/low/queue',
      '/mangaassist/dev/jobs/normal/queue',
      '/mangaassist/dev/webhooks/catalog/function',
      '/mangaassist/dev/webhooks/reviews/function',
      '/mangaassist/dev/webhooks/stripe/function',
      '/mangaassist/dev/websocket/api-id',
    ]);
  });

  it('lets every rule invoke only the consumers it targets', () => {
    const permissions = resourcesOf<{ FunctionName: unknown; SourceArn: unknown; Principal: string }>(
      template,
      'AWS::Lambda::Permission',
    ).map((entry) => entry.properties);
    const lambdaTargets = contractTargets.filter(({ target }) => target.kind === 'lambda');
    // And the re-enrichment's batch completion, from its own two rules (state changes, sweep).
    expect(permissions).toHaveLength(lambdaTargets.length + 2);
    for (const { spec, target } of lambdaTargets) {
      expect(permissions).toContainEqual(
        expect.objectContaining({
          Principal: 'events.amazonaws.com',
          FunctionName: consumerArn(target.handler ?? 'missing'),
          SourceArn: {
            'Fn::GetAtt': [
              logicalId(template, 'AWS::Events::Rule', `Routing${pascalCase(spec.name)}`),
              'Arn',
            ],
          },
        }),
      );
    }
  });

  it('keeps every DLQ and failure queue encrypted, TLS-only, for 14 days', () => {
    const queues = resourcesOf<QueueProperties>(template, 'AWS::SQS::Queue');
    // And the DLQ of the re-enrichment's batch completion.
    expect(queues).toHaveLength(contractTargets.length + eventConsumers.length + 1);
    for (const { properties } of queues) {
      expect(properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    }
    const policies = resourcesOf<{
      Queues: unknown[];
      PolicyDocument: { Statement: { Effect: string; Condition?: unknown }[] };
    }>(template, 'AWS::SQS::QueuePolicy');
    for (const { logicalId: queue } of queues) {
      const policy = policies.find(
        ({ properties }) => flatten(properties.Queues) === flatten([{ Ref: queue }]),
      );
      expect(policy?.properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('runs one consumer function per contract consumer, the catalog enrichment’s, the recommendation steps and the re-enrichment’s two, with the stateful tables', () => {
    template.resourceCountIs('AWS::Lambda::Function', eventConsumers.length + 4);
    const fmTrigger = functionEnvironment(template, 'ConsumersFmTriggerFunction');
    expect(fmTrigger).toMatchObject({
      MANGA_ENV: 'dev',
      EVENT_CONSUMER: 'fm-trigger',
      SENDER_EMAIL: 'orders@dev.mangaassist.example',
      EVENT_BUS_NAME: busImport,
    });
    expect(fmTrigger).not.toHaveProperty('PRODUCTS_TABLE');
    const enrichment = functionEnvironment(template, 'CatalogEnrichmentFunction');
    expect(enrichment).toMatchObject({ EVENT_CONSUMER: 'catalog-enrichment', EVENT_BUS_NAME: busImport });
    expect(enrichment.PRODUCTS_TABLE).toBe('mangaassist-dev-products');
    const recommendations = functionEnvironment(template, 'RecommendationsStepsFunction');
    expect(recommendations).toMatchObject({ MANGA_ENV: 'dev', EVENT_BUS_NAME: busImport });
    expect(recommendations.RECOMMENDATIONS_TABLE).toBe('mangaassist-dev-recommendations');
    expect(recommendations.PRODUCTS_TABLE).toBe('mangaassist-dev-products');
    const reenrichment = functionEnvironment(template, 'ReenrichmentStepsFunction');
    expect(reenrichment.PRODUCTS_TABLE).toBe('mangaassist-dev-products');
    expect(flatten(reenrichment.DOCUMENTS_BUCKET)).toContain('mangaassist-dev-documents');
  });

  it('feeds the catalog enrichment from the stateful stack’s FIFO queue, one message at a time', () => {
    const [mapping] = resourcesOf<{ EventSourceArn: unknown }>(template, 'AWS::Lambda::EventSourceMapping');
    // By name: no export pins the queue in the stateful stack.
    expect(flatten(mapping?.properties.EventSourceArn)).toMatch(
      /^arn:.*:sqs:.*:mangaassist-dev-catalog-enrichment\.fifo$/,
    );
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it('sends critical moderation alerts to the configured webhook with the generated key', () => {
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      Name: 'mangaassist-dev-moderation-alerts',
      InvocationEndpoint: 'https://hooks.example.com/mangaassist/dev/moderation-alerts',
      HttpMethod: 'POST',
    });
    const [connection] = resourcesOf<{ AuthParameters: unknown }>(template, 'AWS::Events::Connection');
    expect(flatten(connection?.properties.AuthParameters)).toMatch(
      /resolve:secretsmanager:.*ModerationWebhookKey/,
    );
    const custom = build('dev', { moderationWebhookUrl: 'https://alerts.example.jp/hooks/moderation' });
    custom.template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://alerts.example.jp/hooks/moderation',
    });
  });

  it('alarms on every queue’s depth and every rule’s failed invocations, to the alarm topic', () => {
    const alarms = resourcesOf<AlarmProperties>(template, 'AWS::CloudWatch::Alarm').map(
      (entry) => entry.properties,
    );
    const depth = alarms.filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');
    const failed = alarms.filter((alarm) => alarm.MetricName === 'FailedInvocations');
    const executions = alarms.filter((alarm) =>
      ['ExecutionsFailed', 'ExecutionsTimedOut'].includes(alarm.MetricName),
    );
    // The recommendation and re-enrichment machines'.
    expect(executions).toHaveLength(4);
    // One per rule target's DLQ, per consumer's failure queue, the catalog enrichment's DLQ and
    // the re-enrichment batch completion's.
    expect(depth).toHaveLength(contractTargets.length + eventConsumers.length + 2);
    expect(flatten(depth.map((alarm) => alarm.Dimensions))).toMatch(
      /ImportValue.*CatalogEnrichmentDeadLetters/,
    );
    expect(failed).toHaveLength(eventRules.length);
    for (const spec of eventRules) {
      const rule = { Ref: logicalId(template, 'AWS::Events::Rule', `Routing${pascalCase(spec.name)}`) };
      const dimensions = [
        ...(spec.eventPattern ? [{ Name: 'EventBusName', Value: busImport }] : []),
        { Name: 'RuleName', Value: rule },
      ];
      expect(failed.map((alarm) => alarm.Dimensions)).toContainEqual(dimensions);
    }
    for (const alarm of alarms) {
      expect(flatten(alarm.AlarmActions)).toMatch(/ImportValue.*Topic/);
      expect(alarm.OKActions).toEqual(alarm.AlarmActions);
    }
  });

  it('forwards nothing to another account unless configured', () => {
    expect(dev.stack.forwarding).toBeUndefined();
    expect(rules.some((rule) => rule.properties.Name.endsWith('cross-account-forwarding'))).toBe(false);
  });

  it('forwards every event to the configured bus, with a DLQ and alarms, when configured', () => {
    const busArn = 'arn:aws:events:ap-northeast-1:111122223333:event-bus/mangaassist-central';
    const { template: forwarding } = build('prod', { crossAccountBusArn: busArn });
    forwarding.hasResourceProperties('AWS::Events::Rule', {
      Name: 'mangaassist-prod-cross-account-forwarding',
      EventPattern: { source: [{ prefix: '' }] },
      Targets: [
        {
          Id: 'Target0',
          Arn: busArn,
          RoleArn: {
            'Fn::GetAtt': [logicalId(forwarding, 'AWS::IAM::Role', 'CrossAccountForwardingRole'), 'Arn'],
          },
          DeadLetterConfig: {
            Arn: {
              'Fn::GetAtt': [logicalId(forwarding, 'AWS::SQS::Queue', 'CrossAccountForwardingDlq'), 'Arn'],
            },
          },
        },
      ],
    });
    // The contract's, the re-enrichment's batch completion and sweep, and the forwarding.
    forwarding.resourceCountIs('AWS::Events::Rule', eventRules.length + 3);
    forwarding.resourceCountIs(
      'AWS::CloudWatch::Alarm',
      // The catalog enrichment's DLQ; one more queue to watch (the forwarding DLQ) and one more
      // rule; the recommendation executions failed or timed out; the re-enrichment's executions
      // failed or timed out and its completion's DLQ.
      contractTargets.length +
        eventConsumers.length +
        1 +
        1 +
        eventRules.length +
        1 +
        2 +
        3 +
        // Per rule its DLQ deliveries too; the publishers' failures; errors and throttles per
        // function; the four consumer tables.
        eventRules.length +
        1 +
        1 +
        2 * Object.keys(forwarding.findResources('AWS::Lambda::Function')).length +
        4,
    );
  });

  it.each(stages)('leaves no AwsSolutions finding unfixed or unacknowledged in %s', (stage) => {
    const built =
      stage === 'dev'
        ? dev
        : build(stage, {
            crossAccountBusArn: 'arn:aws:events:ap-northeast-1:111122223333:event-bus/central',
          });
    built.app.synth();
    const violations = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(
      built.stack,
    ).violations;
    expect(violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
  });
});
