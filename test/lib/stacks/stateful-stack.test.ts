import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../../lib/config.js';
import { StatefulStack } from '../../../lib/stacks/stateful-stack.js';
import { unitTestApp } from '../support.js';

function build(environment: string) {
  const stack = new StatefulStack(unitTestApp(), 'Stateful', { config: environmentConfig(environment) });
  return { stack, template: Template.fromStack(stack) };
}

describe('StatefulStack', () => {
  it("holds the stage's AI event bus", () => {
    build('dev').template.hasResourceProperties('AWS::Events::EventBus', {
      Name: 'mangaassist-dev-ai-events',
    });
  });

  it('retains the bus and is protected from deletion in prod only', () => {
    const prod = build('prod');
    prod.template.hasResource('AWS::Events::EventBus', { DeletionPolicy: 'Retain' });
    expect(prod.stack.terminationProtection).toBe(true);
    const dev = build('dev');
    dev.template.hasResource('AWS::Events::EventBus', { DeletionPolicy: 'Delete' });
    expect(dev.stack.terminationProtection).toBe(false);
  });
});
