// One gateway call in flight: what was asked, where it was routed, when it started and what has
// been tried. The ladder, the stream, the last resort and the result shaping all take a call, so
// it lives here rather than in `FmGateway`, and none of them needs to know the gateway.

import { randomUUID } from 'node:crypto';
import { type Clock, Deadline } from '@mangaassist/commons';
import type { InvocationTarget } from '../catalog/invocation-targets.js';
import type { ModelSpec } from '../catalog/model-catalog.js';
import type { RouteDecision } from '../routing/model-router.js';
import type { AttemptRecord, GatewayCallOptions, GatewayRequest, ModelSelector } from './gateway-types.js';

const defaultMaxTokens = 1024;
const defaultDeadlineMs = 3000;

/** An `AttemptRecord` still being filled in: the ladder updates it while it tries the target. */
export type MutableAttempt = { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] };

/**
 * The state of one call. `attempts` is one array for the whole call: every result and error of
 * the call refers to it, so it reads complete however the call ends.
 */
export interface GatewayCall {
  readonly requestId: string;
  readonly request: GatewayRequest;
  readonly routing: RouteDecision;
  /** The request's `maxTokens`, or 1024; each model still caps it at its catalog limit. */
  readonly maxTokens: number;
  /** Clock time the call started; latency and time to first token are measured from it. */
  readonly startedAt: number;
  readonly attempts: MutableAttempt[];
  /** What the response cache had for the call's own model; `off` until looked up, or without a cache. */
  cache: CacheOutcome;
}

/** A fresh answer served, a stale one only kept for the last resort, nothing, or no lookup. */
export type CacheOutcome = 'hit' | 'stale' | 'miss' | 'off';

/** What the ladder got from the model that answered, with the model and the target that answered. */
export interface Answered<T> {
  readonly value: T;
  /** Catalog key of the model that answered. */
  readonly key: string;
  readonly spec: ModelSpec;
  readonly target: InvocationTarget;
}

/**
 * Routes a request and starts its call. Throws whatever `selectModel` throws (`UnknownModelError`
 * for a name it cannot resolve), before anything is tried or published.
 */
export function startCall(request: GatewayRequest, selectModel: ModelSelector, clock: Clock): GatewayCall {
  const routing = selectModel({
    model: request.model ?? 'auto',
    ...(request.system !== undefined ? { system: request.system } : {}),
    messages: request.messages,
    ...(request.sessionId !== undefined ? { sessionId: request.sessionId } : {}),
  });
  return {
    requestId: request.requestId ?? randomUUID(),
    request,
    routing,
    maxTokens: request.maxTokens ?? defaultMaxTokens,
    startedAt: clock.now(),
    attempts: [],
    cache: 'off',
  };
}

/**
 * The deadline of one call (a whole answer, or a stream's first token): the caller's
 * `deadlineMs`, else `gatewayDefaultMs`, else 3000 ms. It carries the caller's signal; the caller
 * must `dispose()` it when the call ends.
 */
export function callDeadline(
  options: GatewayCallOptions,
  gatewayDefaultMs: number | undefined,
  clock: Clock,
): Deadline {
  return new Deadline(options.deadlineMs ?? gatewayDefaultMs ?? defaultDeadlineMs, {
    clock,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
