import type { EventRule, EventRuleTarget, TargetRetryPolicy } from '@mangaassist/contracts';
import { compileEventPattern, type EventMatcher } from './patterns/event-pattern.js';
import {
  applyInputTransformer,
  type InputTransformer,
  InvalidInputTransformerError,
  validateInputTransformer,
} from './patterns/input-transformer.js';

/** What a local target knows about the delivery it is running for. */
export interface LocalTargetContext {
  readonly ruleName: string;
  readonly ruleArn: string;
  /** The rule target's id (`moderation-handler`, `moderation-alert-webhook`). */
  readonly targetId: string;
  readonly eventId: string;
  readonly eventBusName: string;
  /** 1 for the first delivery, 2 for the first retry, and so on. */
  readonly attempt: number;
}

/**
 * A rule target run in process: the consumer function a Lambda target runs, or a local sink for
 * an API destination. Receives the event envelope, or what the target's input transformer makes
 * of it (parsed JSON; for an API destination, the text when it is not JSON). Resolves with what
 * the target answered — a Lambda's return value, listed as the target's `result` under
 * `/_local/events` (EventBridge itself ignores it) — or `undefined`. A rejection is a failed
 * delivery, retried by the target's retry policy unless it is a `NonRetryableTargetError`.
 */
export type LocalTarget = (input: unknown, context: LocalTargetContext) => Promise<unknown>;

/**
 * Local targets by the name a rule target is wired by: its `handler` (the consumer name) for a
 * Lambda target, its `id` for an API destination.
 */
export type LocalTargets = Readonly<Record<string, LocalTarget>>;

/**
 * A delivery that retrying cannot fix — as a Lambda refusing a payload that is not JSON, or an
 * API destination answering 4xx other than 429, which EventBridge does not retry. The event goes
 * straight to the target's dead-letter queue.
 */
export class NonRetryableTargetError extends Error {
  override readonly name = 'NonRetryableTargetError';
}

/** What the reserved input-transformer variables read (`aws.events.rule-name`, …). */
export type InputTransformerContext = Parameters<typeof applyInputTransformer>[2];

/** A rule target ready to invoke. */
export interface CompiledTarget {
  readonly id: string;
  /** The name it is run by in `LocalTargets`: the handler of a Lambda, the id of an API destination. */
  readonly key: string;
  readonly kind: EventRuleTarget['kind'];
  readonly invoke: LocalTarget;
  readonly inputTransformer?: InputTransformer;
  readonly retry: TargetRetryPolicy;
}

/** A rule ready to match and deliver: a pattern rule has `matches`, a scheduled rule `schedule`. */
export interface CompiledRule {
  readonly name: string;
  /** The bus whose events the rule sees; `undefined` for every bus. */
  readonly eventBusName: string | undefined;
  readonly matches?: EventMatcher;
  readonly schedule?: string;
  readonly targets: readonly CompiledTarget[];
}

/**
 * Checks and compiles `rules` for the local bus, as `PutRule` and `PutTargets` would check them.
 *
 * Throws `InvalidEventPatternError` for a pattern EventBridge refuses,
 * `InvalidInputTransformerError` for an input transformer it refuses, and `Error` for a rule
 * with neither or both of a pattern and a schedule, or a target with no local target to run
 * (`targets` has no entry for its handler, or for an API destination its id).
 */
export function compileLocalRules(
  rules: readonly EventRule[],
  targets: LocalTargets,
  eventBusName?: string,
): CompiledRule[] {
  return rules.map((rule) => {
    if ((rule.eventPattern === undefined) === (rule.schedule === undefined)) {
      throw new Error(`rule ${rule.name} needs either an event pattern or a schedule`);
    }
    return {
      name: rule.name,
      eventBusName,
      ...(rule.eventPattern === undefined ? {} : { matches: compileEventPattern(rule.eventPattern) }),
      ...(rule.schedule === undefined ? {} : { schedule: rule.schedule }),
      targets: rule.targets.map((target) => compileTarget(rule.name, target, targets)),
    };
  });
}

function compileTarget(ruleName: string, target: EventRuleTarget, targets: LocalTargets): CompiledTarget {
  const key = target.kind === 'lambda' ? (target.handler ?? target.id) : target.id;
  const invoke = key === undefined ? undefined : targets[key];
  if (key === undefined || invoke === undefined) {
    throw new Error(`no local target "${key ?? '(no handler)'}" for target ${target.id} of rule ${ruleName}`);
  }
  if (target.inputTransformer !== undefined) {
    const validation = validateInputTransformer(target.inputTransformer);
    if (!validation.ok) {
      throw new InvalidInputTransformerError(
        `target ${target.id} of rule ${ruleName}: ${validation.message}`,
      );
    }
  }
  return {
    id: target.id,
    key,
    kind: target.kind,
    invoke,
    ...(target.inputTransformer === undefined ? {} : { inputTransformer: target.inputTransformer }),
    retry: target.retry,
  };
}

/**
 * What `target` receives for `event`: the event itself, or its input transformer's output —
 * parsed, since a Lambda takes JSON. Throws `NonRetryableTargetError` when the transformed input
 * is not JSON and the target is a Lambda (Lambda refuses such a payload; an API destination
 * receives the text).
 */
export function targetInput(
  target: CompiledTarget,
  event: unknown,
  context: InputTransformerContext,
): unknown {
  if (target.inputTransformer === undefined) return event;
  const text = applyInputTransformer(target.inputTransformer, event, context);
  try {
    return JSON.parse(text);
  } catch {
    if (target.kind === 'api-destination') return text;
    throw new NonRetryableTargetError(
      `the transformed input of target ${target.id} is not valid JSON, which a Lambda target refuses`,
    );
  }
}

/**
 * A rule's ARN: `arn:aws:events:<region>:<account>:rule/<name>` on the default bus,
 * `…:rule/<bus>/<name>` on a custom bus.
 */
export function ruleArn(options: {
  readonly region: string;
  readonly account: string;
  readonly eventBusName: string;
  readonly ruleName: string;
}): string {
  const path =
    options.eventBusName === 'default' ? options.ruleName : `${options.eventBusName}/${options.ruleName}`;
  return `arn:aws:events:${options.region}:${options.account}:rule/${path}`;
}
