import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnBudget } from 'aws-cdk-lib/aws-budgets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** Deployment stage, for names and descriptions. */
  readonly stage: string;
  /**
   * What happens to the topic's key when the construct goes away.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * The stage's alarm topic: every alarm of the platform notifies it when it fires and when it
 * recovers, and the cost budget when spend crosses its thresholds (subscribe people or a chat
 * webhook to it). Encrypted with a customer managed key, because CloudWatch and Budgets can
 * publish to an encrypted topic only if the key policy lets them use it (the AWS managed
 * `aws/sns` key cannot); accepts TLS publishers only, and of the services only this account's
 * alarms and budgets.
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = new Key(this, 'TopicKey', {
      description: `MangaAssist ${props.stage}: encrypts the alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const publishers = ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com'];
    for (const service of publishers) {
      key.grant(new ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    this.topic = new Topic(this, 'Topic', {
      displayName: `MangaAssist ${props.stage} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: let this account's alarms and budgets publish.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'budgets',
              region: '',
              resource: 'budget',
              resourceName: '*',
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}

export interface CostBudgetProps {
  readonly stage: string;
  /** Where the notifications go (`AlarmTopic`). */
  readonly topic: Topic;
  /** USD a month the stage's tagged resources are expected to cost. */
  readonly monthlyUsd: number;
  /** USD a month of Bedrock usage the account is expected to spend. */
  readonly monthlyModelUsd: number;
}

/**
 * Two AWS Budgets, notifying `topic` when actual spend passes 80 % and when the month's forecast
 * passes 100 %:
 * - `mangaassist-<stage>-monthly`: the stage's resources (tagged `stage=<stage>`, once that tag
 *   is activated as a cost allocation tag in Billing);
 * - `mangaassist-<stage>-bedrock`: Amazon Bedrock. Model calls carry no tags, so this one counts
 *   the account's whole Bedrock spend, whichever stage made it.
 */
export class CostBudget extends Construct {
  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    const subscribers = [{ subscriptionType: 'SNS', address: props.topic.topicArn }];
    const notification = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => ({
      notification: {
        notificationType,
        comparisonOperator: 'GREATER_THAN',
        threshold,
        thresholdType: 'PERCENTAGE',
      },
      subscribers,
    });
    const budget = (id: string, name: string, amount: number, costFilters: Record<string, string[]>) =>
      new CfnBudget(this, id, {
        budget: {
          budgetName: `mangaassist-${props.stage}-${name}`,
          budgetType: 'COST',
          timeUnit: 'MONTHLY',
          budgetLimit: { amount, unit: 'USD' },
          costFilters,
        },
        notificationsWithSubscribers: [notification('ACTUAL', 80), notification('FORECASTED', 100)],
      });
    budget('Budget', 'monthly', props.monthlyUsd, { TagKeyValue: [`user:stage$${props.stage}`] });
    budget('ModelBudget', 'bedrock', props.monthlyModelUsd, { Service: ['Amazon Bedrock'] });
  }
}
