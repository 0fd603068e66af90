import { type Clock, type Logger, RateLimitedWarning } from '@mangaassist/commons';
import type { EventRule } from '@mangaassist/contracts';
import type { LocalDeadLetterQueue } from './dead-letter-queue.js';
import type { BusEvent, TargetOutcome } from './local-event-bus.js';
import {
  type CompiledRule,
  type CompiledTarget,
  compileLocalRules,
  type LocalTargets,
  ruleArn,
  targetInput,
} from './local-rules.js';
import type { TargetConcurrency } from './target-concurrency.js';
import {
  busClosedError,
  type DeliveryStatus,
  deliverWithRetries,
  type RetryTiming,
} from './target-delivery.js';

/** An accepted event, with when the bus accepted it. */
export interface AcceptedEvent {
  readonly event: BusEvent;
  readonly eventBusName: string;
  /** Wall-clock acceptance, for `aws.events.event.ingestion-time`. */
  readonly ingestedAt: Date;
  /** `clock.now()` at acceptance, for `maximumEventAgeSeconds`. */
  readonly acceptedAt: number;
}

/** Where the router writes what happened, for the `/_local/events` listing. */
export interface OutcomeRecorder {
  /** The event matched `rule`, whose targets will report one by one. */
  ruleMatched(eventId: string, rule: string, targetCount: number): void;
  targetStatus(eventId: string, rule: string, targetIndex: number, outcome: TargetOutcome): void;
}

export interface RuleRouterOptions {
  readonly account: string;
  readonly region: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly timing: RetryTiming;
  readonly deadLetters: LocalDeadLetterQueue;
  readonly recorder: OutcomeRecorder;
  readonly logger: Logger;
  /** How many calls of each local target run at once; the rest wait in order. */
  readonly concurrency: TargetConcurrency;
  /**
   * Deliveries one target may have waiting for a turn; an event beyond it goes straight to the
   * dead-letter queue (`local target backlog full`), so a target slower than the traffic cannot
   * grow the process without bound.
   */
  readonly maxWaitingPerTarget: number;
}

/** What closing the router left behind, for the bus's closing log line. */
export interface RouterCloseReport {
  /** Deliveries given up (`failed`, `bus closed`) because the router closed. */
  readonly givenUp: number;
  /** Accepted events that had not been matched against the rules yet, and never will be. */
  readonly unrouted: number;
}

/**
 * The rules of the local bus and the deliveries they start: matches accepted events against
 * every pattern rule of their bus, invokes each matched target asynchronously with its input,
 * retries failures by the target's retry policy and sends what it gives up on to the dead-letter
 * queue. At most `concurrency.limit` calls of one local target run at once; the others wait their
 * turn in order, each attempt (a retry too) queueing anew. Counts work in flight so that callers
 * can wait for quiet (`idle`), and stops on `close`.
 */
export class RuleRouter {
  readonly #options: RuleRouterOptions;
  readonly #rules: CompiledRule[] = [];
  #inFlight = 0;
  readonly #idleWaiters: (() => void)[] = [];
  /** One per delivery not yet settled, aborted on `close`. */
  readonly #deliveries = new Set<AbortController>();
  #running = 0;
  #closed = false;
  #givenUp = 0;
  #unrouted = 0;
  /** A target that cannot keep up turns away many events a second: one line every 10 s says so. */
  readonly #backlogWarning: RateLimitedWarning;

  constructor(options: RuleRouterOptions) {
    this.#options = options;
    this.#backlogWarning = new RateLimitedWarning(options.logger, () => options.clock.now(), 10_000);
  }

  /** See `LocalEventBus.addRules`. Adds nothing when any rule is invalid. */
  add(rules: readonly EventRule[], targets: LocalTargets, eventBusName?: string): void {
    const compiled = compileLocalRules(rules, targets, eventBusName);
    const names = new Set(this.#rules.map((rule) => rule.name));
    for (const rule of compiled) {
      if (names.has(rule.name)) throw new Error(`a rule named ${rule.name} is already on the local bus`);
      names.add(rule.name);
    }
    this.#rules.push(...compiled);
  }

  get hasRules(): boolean {
    return this.#rules.length > 0;
  }

  /** The scheduled rules, in the order they were added. */
  get scheduledRules(): readonly CompiledRule[] {
    return this.#rules.filter((rule) => rule.schedule !== undefined);
  }

  /** The scheduled rule named `name`; throws `Error` for an unknown name or a pattern rule. */
  scheduledRule(name: string): CompiledRule {
    const rule = this.#rules.find((candidate) => candidate.name === name);
    if (rule?.schedule === undefined) throw new Error(`no scheduled rule named ${name} on the local bus`);
    return rule;
  }

  /** The ARN of `rule` on `eventBusName` (its own bus when it has one). */
  arnOf(rule: CompiledRule, eventBusName: string): string {
    const { account, region } = this.#options;
    return ruleArn({ account, region, eventBusName: rule.eventBusName ?? eventBusName, ruleName: rule.name });
  }

  /**
   * Matches `accepted` against the pattern rules of its bus once the caller has moved on (the
   * sender never waits for targets), and delivers it to every target of every rule it matches.
   */
  route(accepted: AcceptedEvent): void {
    this.#track(
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (this.#closed) {
          this.#unrouted += 1;
          return;
        }
        for (const rule of this.#rules) {
          if (rule.matches === undefined) continue;
          if (rule.eventBusName !== undefined && rule.eventBusName !== accepted.eventBusName) continue;
          if (rule.matches(accepted.event)) this.deliver(rule, accepted);
        }
      }),
    );
  }

  /** Delivers `accepted` to every target of `rule`, without matching (a scheduled rule's event). */
  deliver(rule: CompiledRule, accepted: AcceptedEvent): void {
    if (this.#closed) return;
    const { recorder } = this.#options;
    recorder.ruleMatched(accepted.event.id, rule.name, rule.targets.length);
    rule.targets.forEach((target, index) => {
      this.#track(this.#deliverToTarget(rule, index, target, accepted));
    });
  }

  /** Resolves once no event is waiting to be matched and no delivery (or retry wait) is running. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Target calls running now (not those waiting for their turn or a retry). */
  get running(): number {
    return this.#running;
  }

  /**
   * Stops for good: events not matched yet never will be, nothing new is delivered, and every
   * delivery waiting for its turn or a retry gives up at once (`failed`, `bus closed`, no
   * dead letter). Target calls already running go on; one that then fails is not retried.
   * `idle` resolves once they settle. Calling it again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const delivery of this.#deliveries) delivery.abort();
  }

  /** What `close` has given up so far (deliveries still running may add to it). */
  get closeReport(): RouterCloseReport {
    return { givenUp: this.#givenUp, unrouted: this.#unrouted };
  }

  async #deliverToTarget(
    rule: CompiledRule,
    index: number,
    target: CompiledTarget,
    accepted: AcceptedEvent,
  ): Promise<void> {
    const { event, eventBusName } = accepted;
    const { clock, random, timing, recorder, deadLetters, logger, concurrency } = this.#options;
    const arn = this.arnOf(rule, eventBusName);
    const delivery = new AbortController();
    const onStatus = (status: DeliveryStatus): void => {
      const outcome: TargetOutcome =
        status.status === 'ok'
          ? {
              name: target.id,
              status: 'ok',
              ...(status.result === undefined ? {} : { result: status.result }),
            }
          : { name: target.id, status: status.status, error: status.error };
      recorder.targetStatus(event.id, rule.name, index, outcome);
      const fields = { eventId: event.id, rule: rule.name, target: target.id, attempts: status.attempts };
      // One line for all of them when the bus closes, rather than one per delivery.
      if (status.status === 'failed' && delivery.signal.aborted && status.error === busClosedError)
        this.#givenUp += 1;
      else if (status.status === 'failed')
        logger.warn('local rule target failed, retrying', { ...fields, error: status.error });
      if (status.status === 'dlq') {
        logger.error('local rule target gave up: event sent to its dead-letter queue', {
          ...fields,
          error: status.error,
        });
        deadLetters.send({
          rule: rule.name,
          target: target.id,
          event,
          error: status.error,
          attempts: status.attempts,
        });
      }
    };
    const { waiting } = concurrency.load(target.key);
    if (waiting >= this.#options.maxWaitingPerTarget) {
      const error = `local target backlog full: ${waiting} deliveries already wait for ${target.id}`;
      recorder.targetStatus(event.id, rule.name, index, { name: target.id, status: 'dlq', error });
      deadLetters.send({ rule: rule.name, target: target.id, event, error, attempts: 0 });
      this.#backlogWarning.warn('local rule target backlog full: events sent to its dead-letter queue', {
        rule: rule.name,
        target: target.id,
        waiting,
      });
      return;
    }
    this.#deliveries.add(delivery);
    try {
      await deliverWithRetries({
        attempt: async (attempt) => {
          const input = targetInput(target, event, {
            ruleName: rule.name,
            ruleArn: arn,
            ingestionTime: accepted.ingestedAt,
          });
          this.#running += 1;
          try {
            return await target.invoke(input, {
              ruleName: rule.name,
              ruleArn: arn,
              targetId: target.id,
              eventId: event.id,
              eventBusName,
              attempt,
            });
          } finally {
            this.#running -= 1;
          }
        },
        turn: (signal) => concurrency.acquire(target.key, signal),
        signal: delivery.signal,
        retry: target.retry,
        timing,
        clock,
        random,
        acceptedAt: accepted.acceptedAt,
        onStatus,
      });
    } finally {
      this.#deliveries.delete(delivery);
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight += 1;
    work
      .catch((error: unknown) => {
        this.#options.logger.error('local rule routing failed', {
          error: error instanceof Error ? error.stack : String(error),
        });
      })
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#inFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      });
  }
}
