import { registrySchemas } from '@mangaassist/contracts';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AiEventBus, type AiEventBusProps } from '../../../lib/constructs/ai-event-bus.js';
import { logicalId, unitTestApp } from '../support.js';

function build(props: Partial<AiEventBusProps> = {}) {
  const stack = new Stack(unitTestApp(), 'Test');
  const bus = new AiEventBus(stack, 'Events', { stage: 'staging', ...props });
  return { stack, bus, template: Template.fromStack(stack) };
}

const staging = build();

describe('AiEventBus', () => {
  it('creates a custom bus named after the stage', () => {
    staging.template.hasResourceProperties('AWS::Events::EventBus', {
      Name: 'mangaassist-staging-ai-events',
    });
  });

  it('is deleted with its stack unless told to retain', () => {
    staging.template.hasResource('AWS::Events::EventBus', { DeletionPolicy: 'Delete' });
    build({ removalPolicy: RemovalPolicy.RETAIN }).template.hasResource('AWS::Events::EventBus', {
      DeletionPolicy: 'Retain',
    });
  });

  it('archives every MangaAssist event of the bus for 30 days by default', () => {
    const { template } = staging;
    template.resourceCountIs('AWS::Events::Archive', 1);
    template.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'mangaassist-staging-ai-events-archive',
      SourceArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::Events::EventBus', 'EventsBus'), 'Arn'] },
      EventPattern: { source: [{ prefix: 'mangaassist.' }] },
      RetentionDays: 30,
    });
  });

  it('keeps archived events as long as configured, and retains the archive with the bus', () => {
    const { template } = build({ archiveRetention: Duration.days(90), removalPolicy: RemovalPolicy.RETAIN });
    template.hasResource('AWS::Events::Archive', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ RetentionDays: 90 }),
    });
  });

  it('registers the JSON Schema of every event type in the stage’s schema registry', () => {
    const { template } = staging;
    template.hasResourceProperties('AWS::EventSchemas::Registry', {
      RegistryName: 'mangaassist-staging-events',
    });
    template.resourceCountIs('AWS::EventSchemas::Schema', registrySchemas().length);
    expect(Object.keys(staging.bus.schemaRegistry.schemas)).toEqual(registrySchemas().map((s) => s.name));
  });

  it('leaves no AwsSolutions finding unfixed or unacknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(staging.stack).violations).toEqual([]);
  });
});
