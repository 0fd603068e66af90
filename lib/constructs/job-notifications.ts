import { busEvents, defaultTargetRetry, type TargetRetryPolicy } from '@mangaassist/contracts';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnRule, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';

export interface JobNotificationsProps {
  /** Deployment stage: the topic and the rule are `mangaassist-<stage>-job-notifications`. */
  readonly stage: string;
  /** The AI bus the steps and the safety net publish `JobCompleted` and `JobFailed` on. */
  readonly eventBus: IEventBus;
  /**
   * How long and how often EventBridge retries publishing to the topic before dead-lettering.
   * @default defaultTargetRetry from `@mangaassist/contracts` (1 hour, 3 retries), as every contract rule
   */
  readonly retry?: TargetRetryPolicy;
  /**
   * What happens to the dead-letter queue and the topic's key when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The rule's name after the stage prefix, as a contract rule would name it (`eventRules`). */
const ruleName = 'job-notifications';
/** The rule's target id, as a contract target would name it. */
const targetId = 'job-notifications-topic';

/**
 * Job notifications for people and systems that subscribe (email, SQS, HTTPS): the SNS topic
 * `mangaassist-<stage>-job-notifications`, fed by an EventBridge rule on the AI bus for
 * `mangaassist.ai` `JobCompleted` and `JobFailed` events, which it receives whole (ids, status,
 * usage and cost, an error code and message; never a document's text). Subscriptions are made by
 * operators (`aws sns subscribe`), not by this construct.
 *
 * - The topic accepts only TLS (SNS3) and is encrypted (SNS2) with its own customer managed key,
 *   rotated yearly. Not the AWS managed `aws/sns` key: its policy cannot be changed, and
 *   EventBridge can publish to an encrypted topic only with the key's permission; a customer
 *   managed key, whose policy delegates to this account's IAM, lets the rule's role be granted
 *   `kms:GenerateDataKey*` and `kms:Decrypt` on it like any other permission.
 * - EventBridge publishes with a role of its own (assumable by EventBridge only for this rule)
 *   allowed `sns:Publish` on this topic and the key, instead of a topic policy naming the
 *   EventBridge service, which without conditions would let any account's rules publish here.
 * - The target retries for `retry` (as every contract rule's target) and then sends the event to
 *   `deadLetters`, whose depth is alarmed.
 *
 * The rule is defined here rather than in the contracts' `eventRules`, whose targets can only be
 * Lambda functions and API destinations (the local bus has no stand-in for a topic); the names
 * are those it would have there, so it can move without a replacement.
 */
export class JobNotifications extends Construct {
  /** The topic's name for a stage, as subscribers refer to it. */
  static topicName(stage: string): string {
    return `mangaassist-${stage}-job-notifications`;
  }

  readonly topic: Topic;
  readonly key: Key;
  readonly rule: Rule;
  /** The role EventBridge publishes to the topic with. */
  readonly publisher: Role;
  readonly deadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: JobNotificationsProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const retry = props.retry ?? defaultTargetRetry;

    this.key = new Key(this, 'TopicKey', {
      description: `MangaAssist ${props.stage}: encrypts the job notification topic`,
      enableKeyRotation: true,
      // Nothing encrypted with it outlives the topic: SNS keeps a message only until it is delivered.
      removalPolicy,
    });
    this.topic = new Topic(this, 'Topic', {
      topicName: JobNotifications.topicName(props.stage),
      displayName: `MangaAssist ${props.stage} document jobs`,
      masterKey: this.key,
      enforceSSL: true,
    });

    const stack = Stack.of(this);
    const fullRuleName = `mangaassist-${props.stage}-${ruleName}`;
    // The rule's ARN from its name (a rule on a custom bus: rule/<bus>/<rule>), not `rule.ruleArn`:
    // the rule refers to the role, so the role's trust policy cannot refer to the rule.
    const ruleArn = stack.formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: `${props.eventBus.eventBusName}/${fullRuleName}`,
    });
    this.publisher = new Role(this, 'PublishRole', {
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': ruleArn },
        },
      }),
      description: `MangaAssist ${props.stage}: EventBridge publishes job notifications to their topic`,
    });

    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters', {
      purpose:
        'JobCompleted and JobFailed events EventBridge could not publish to the job notification topic',
      removalPolicy,
    });

    this.rule = new Rule(this, 'Rule', {
      ruleName: fullRuleName,
      description: `MangaAssist ${props.stage}: JobCompleted and JobFailed events to the job notification topic`,
      eventBus: props.eventBus,
      eventPattern: {
        source: [busEvents.JobCompleted.source],
        detailType: [busEvents.JobCompleted.detailType, busEvents.JobFailed.detailType],
      },
    });
    this.rule.addTarget(
      new SnsTopic(this.topic, {
        role: this.publisher,
        deadLetterQueue: this.deadLetters.queue,
        maxEventAge: Duration.seconds(retry.maximumEventAgeSeconds),
        retryAttempts: retry.maximumRetryAttempts,
      }),
    );
    (this.rule.node.defaultChild as CfnRule).addPropertyOverride('Targets.0.Id', targetId);

    Validations.of(this.publisher).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'kms:GenerateDataKey* on the topic’s own key only, as aws-cdk-lib’s topic publish grant writes it: SNS generates a data key per message published to an encrypted topic. The other GenerateDataKey variants the wildcard covers give nothing beyond that on this one key.',
    });
  }
}
