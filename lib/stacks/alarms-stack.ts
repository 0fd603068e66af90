import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { AlarmTopic, CostBudget } from '../constructs/alarm-topic.js';

export interface AlarmsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * The stage's alarm topic and its cost budget, in a stack of their own that every other stack
 * depends on and that never changes with them: the topic's subscriptions outlive any redeploy or
 * replacement of the stacks whose alarms notify it.
 */
export class AlarmsStack extends Stack {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmsStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, stackProps);
    this.topic = new AlarmTopic(this, 'Alarms', {
      stage: config.stage,
      keyRemovalPolicy: config.removalPolicy,
    }).topic;
    new CostBudget(this, 'Cost', {
      stage: config.stage,
      topic: this.topic,
      monthlyUsd: config.alarms.monthlyBudgetUsd,
      monthlyModelUsd: config.alarms.monthlyModelBudgetUsd,
    });
  }
}
