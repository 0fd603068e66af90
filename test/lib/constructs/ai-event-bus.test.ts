import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { AiEventBus } from '../../../lib/constructs/ai-event-bus.js';
import { unitTestApp } from '../support.js';

function build(removalPolicy?: RemovalPolicy) {
  const stack = new Stack(unitTestApp(), 'Test');
  new AiEventBus(stack, 'Events', { stage: 'staging', ...(removalPolicy ? { removalPolicy } : {}) });
  return Template.fromStack(stack);
}

describe('AiEventBus', () => {
  it('creates a custom bus named after the stage', () => {
    build().hasResourceProperties('AWS::Events::EventBus', { Name: 'mangaassist-staging-ai-events' });
  });

  it('is deleted with its stack unless told to retain', () => {
    build().hasResource('AWS::Events::EventBus', { DeletionPolicy: 'Delete' });
    build(RemovalPolicy.RETAIN).hasResource('AWS::Events::EventBus', { DeletionPolicy: 'Retain' });
  });
});
