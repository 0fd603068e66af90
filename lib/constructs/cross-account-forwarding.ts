import type { RemovalPolicy } from 'aws-cdk-lib';
import { EventBus, type IEventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue.js';

export interface CrossAccountForwardingProps {
  /** Deployment stage: the rule is named `mangaassist-<stage>-cross-account-forwarding`. */
  readonly stage: string;
  /** The bus whose events are forwarded. */
  readonly eventBus: IEventBus;
  /** The receiving bus (`arn:aws:events:<region>:<account>:event-bus/<name>`). */
  readonly targetBusArn: string;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Forwards every event of `eventBus` to another bus, usually another account's (a data or
 * security account), through a role that may put events on that bus alone. What EventBridge
 * cannot deliver lands in the rule's DLQ.
 *
 * The receiving bus's resource policy must allow `events:PutEvents` from this account (or this
 * role). It must not forward back to this bus: two forwarding rules pointing at each other loop.
 */
export class CrossAccountForwarding extends Construct {
  readonly rule: Rule;
  readonly role: Role;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: CrossAccountForwardingProps) {
    super(scope, id);
    const target = EventBus.fromEventBusArn(this, 'TargetBus', props.targetBusArn);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('events.amazonaws.com'),
      description: `MangaAssist ${props.stage}: forwards the AI event bus to ${props.targetBusArn}`,
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'Dlq', {
      purpose: 'events the cross-account forwarding rule could not deliver',
      ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
    }).queue;
    this.rule = new Rule(this, 'Rule', {
      ruleName: `mangaassist-${props.stage}-cross-account-forwarding`,
      description: `MangaAssist ${props.stage}: every event of the bus to ${props.targetBusArn}`,
      eventBus: props.eventBus,
      // An empty prefix matches every source: everything the bus receives.
      eventPattern: { source: Match.prefix('') },
    });
    // The target adds `events:PutEvents` on the receiving bus alone to the role.
    this.rule.addTarget(
      new EventBusTarget(target, { role: this.role, deadLetterQueue: this.deadLetterQueue }),
    );
  }
}
