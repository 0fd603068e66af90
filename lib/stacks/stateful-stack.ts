import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { AiEventBus } from '../constructs/ai-event-bus.js';

export interface StatefulStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * What holds state or is referenced by name from outside: the AI event bus now; tables,
 * archives and the schema registry later. Changes here are rare and reviewed with care
 * (termination protection and RETAIN in production).
 */
export class StatefulStack extends Stack {
  readonly eventBus: IEventBus;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, { terminationProtection: config.terminationProtection, ...stackProps });
    this.eventBus = new AiEventBus(this, 'AiEvents', {
      stage: config.stage,
      removalPolicy: config.removalPolicy,
    }).eventBus;
  }
}
