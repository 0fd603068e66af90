import {
  type EventConsumer,
  type EventRule,
  type EventRuleTarget,
  type EventWorkflow,
  eventRules,
} from '@mangaassist/contracts';
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  type CfnRule,
  type IApiDestination,
  type IEventBus,
  type IRuleTarget,
  Rule,
  Schedule,
} from 'aws-cdk-lib/aws-events';
import { ApiDestination, LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ContractTargetInput } from './contract-rule-targets.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { pascalCase } from './pascal-case.js';

export class EventRoutingError extends Error {
  override readonly name = 'EventRoutingError';
}

export interface EventRoutingProps {
  /** Deployment stage: rules are named `mangaassist-<stage>-<contract rule name>`. */
  readonly stage: string;
  /** The custom bus the pattern rules listen on. */
  readonly eventBus: IEventBus;
  /** The function each `lambda` target invokes, by consumer. */
  readonly consumers: Readonly<Record<EventConsumer, IFunction>>;
  /** The API destination each `api-destination` target sends to, by target id. */
  readonly apiDestinations: Readonly<Record<string, IApiDestination>>;
  /** The state machine each `state-machine` target starts, by workflow. */
  readonly stateMachines: Readonly<Record<EventWorkflow, IStateMachine>>;
  /**
   * The rules to create.
   * @default eventRules from `@mangaassist/contracts`
   */
  readonly rules?: readonly EventRule[];
  /**
   * What happens to the DLQs (and the events in them) when the construct goes away.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One contract rule as deployed. */
export interface RoutedRule {
  readonly spec: EventRule;
  readonly rule: Rule;
  /** The bus the rule listens on; undefined for the account's default bus (schedules). */
  readonly eventBus?: IEventBus;
  /** Each target's DLQ, by contract target id. */
  readonly deadLetterQueues: Readonly<Record<string, Queue>>;
}

/**
 * The bus's rules, created from the contracts' `eventRules` so the deployed bus routes exactly as
 * the local one:
 *
 * - a pattern rule listens on the custom bus with the contract's pattern JSON verbatim (CDK's typed
 *   `EventPattern` cannot express `$or` or operator objects such as `prefix`);
 * - a schedule rule goes on the account's default bus, the only bus EventBridge runs schedules on;
 * - every target keeps its contract id, its retry policy (maximum event age, retry attempts), the
 *   contract's input transformer verbatim when it has one, and its own SQS DLQ (what EventBridge
 *   could not deliver after the retries; the queue policy admits only this rule);
 * - `lambda` targets invoke the consumer's function (which also gets the resource-based
 *   permission for this rule alone); `api-destination` targets send through the named API
 *   destination with a role that may invoke only it; `state-machine` targets start an execution
 *   of the workflow's state machine, the event as its input, with a role that may start only it.
 *
 * Throws `EventRoutingError` for a target whose function, API destination or state machine is
 * not given.
 */
export class EventRouting extends Construct {
  readonly rules: Readonly<Record<string, RoutedRule>>;

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    const rules: Record<string, RoutedRule> = {};
    for (const spec of props.rules ?? eventRules) {
      rules[spec.name] = this.route(spec, props);
    }
    this.rules = rules;
  }

  private route(spec: EventRule, props: EventRoutingProps): RoutedRule {
    const ruleId = pascalCase(spec.name);
    const ruleName = `mangaassist-${props.stage}-${spec.name}`;
    const description = `MangaAssist ${props.stage}: ${spec.description}`;
    let rule: Rule;
    let eventBus: IEventBus | undefined;
    if (spec.schedule !== undefined) {
      rule = new Rule(this, ruleId, { ruleName, description, schedule: Schedule.expression(spec.schedule) });
    } else if (spec.eventPattern !== undefined) {
      eventBus = props.eventBus;
      // `Rule` validates that it has a pattern of its own before it synthesises; this stand-in
      // (events from this account) satisfies it and never reaches the template: the contract's
      // JSON replaces the rendered pattern below.
      rule = new Rule(this, ruleId, {
        ruleName,
        description,
        eventBus,
        eventPattern: { account: [Stack.of(this).account] },
      });
      (rule.node.defaultChild as CfnRule).eventPattern = { ...spec.eventPattern };
    } else {
      throw new EventRoutingError(`rule ${spec.name} has neither an event pattern nor a schedule`);
    }

    const deadLetterQueues: Record<string, Queue> = {};
    for (const target of spec.targets) {
      const queue = new DeadLetterQueue(this, `${ruleId}${pascalCase(target.id)}Dlq`, {
        purpose: `events the ${spec.name} rule could not deliver to ${target.id}`,
        ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
      }).queue;
      deadLetterQueues[target.id] = queue;
      rule.addTarget(this.target(spec, target, queue, props));
    }
    // `addTarget` numbers targets `Target0`, `Target1` … in order; the contract's ids name them
    // instead, so the deployed bus, the local one and `/_local/events` agree.
    const cfnRule = rule.node.defaultChild as CfnRule;
    spec.targets.forEach((target, index) => {
      cfnRule.addPropertyOverride(`Targets.${index}.Id`, target.id);
    });
    return { spec, rule, ...(eventBus ? { eventBus } : {}), deadLetterQueues };
  }

  private target(
    spec: EventRule,
    target: EventRuleTarget,
    deadLetterQueue: Queue,
    props: EventRoutingProps,
  ): IRuleTarget {
    const options = {
      deadLetterQueue,
      maxEventAge: Duration.seconds(target.retry.maximumEventAgeSeconds),
      retryAttempts: target.retry.maximumRetryAttempts,
      ...(target.inputTransformer ? { event: new ContractTargetInput(target.inputTransformer) } : {}),
    };
    if (target.kind === 'lambda') {
      const fn = target.handler === undefined ? undefined : props.consumers[target.handler];
      if (fn === undefined) {
        throw new EventRoutingError(`rule ${spec.name}: no consumer function for target ${target.id}`);
      }
      return new LambdaFunction(fn, options);
    }
    if (target.kind === 'state-machine') {
      const machine = target.workflow === undefined ? undefined : props.stateMachines[target.workflow];
      if (machine === undefined) {
        throw new EventRoutingError(`rule ${spec.name}: no state machine for target ${target.id}`);
      }
      return new SfnStateMachine(machine, options);
    }
    const destination = props.apiDestinations[target.id];
    if (destination === undefined) {
      throw new EventRoutingError(`rule ${spec.name}: no API destination for target ${target.id}`);
    }
    return new ApiDestination(destination, options);
  }
}
