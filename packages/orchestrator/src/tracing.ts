import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import { ConfigurationError } from '@mangaassist/commons';
import type { AttemptTracer } from '@mangaassist/fm-gateway';
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** How the server traces its requests: a SERVER span each, continuing the caller's trace. */
export interface RequestTracing {
  readonly tracer: Tracer;
  /** Reads the caller's trace from a request's headers (W3C `traceparent`, X-Ray `X-Amzn-Trace-Id`). */
  readonly propagator: TextMapPropagator;
}

/** A request's span: the server sets what it learns as it answers, then ends it once. */
export interface RequestSpan {
  setAttributes(attributes: Attributes): void;
  /**
   * Ends the span with the answer's status (5xx marks it an error), or, with none, as a request
   * whose client left before any answer (`error.type` `client_closed`). Call it once.
   */
  end(statusCode: number | undefined): void;
  /** Runs `answer` as this request's work: the model calls it makes are spans under this one. */
  run<T>(answer: () => T): T;
}

/** The trace context of the request being answered, wherever its work has got to. */
const requestContext = new AsyncLocalStorage<Context>();

/** Starts the SERVER span of a request, a child of the trace its headers carry, if any. */
export function startRequestSpan(
  tracing: RequestTracing,
  name: string,
  headers: IncomingHttpHeaders,
  attributes: Attributes,
): RequestSpan {
  const parent = tracing.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span: Span = tracing.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const context = trace.setSpan(parent, span);
  return {
    run: (answer) => requestContext.run(context, answer),
    setAttributes: (more) => {
      span.setAttributes(more);
    },
    end: (statusCode) => {
      if (statusCode === undefined) {
        span.setAttribute('error.type', 'client_closed');
      } else {
        span.setAttribute('http.response.status_code', statusCode);
        if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/**
 * A CLIENT span per target the gateway tries (a model at a region, its retries included), under
 * the request that asked: named `chat <Bedrock model id>` as OpenTelemetry's GenAI conventions
 * name a model call, with the region, the catalog model, the calls made, how it ended, and the
 * error code of a failure (an error span). A stream's ends at its first token, when the gateway's
 * failover is done.
 */
export function modelAttemptTracer(tracing: RequestTracing): AttemptTracer {
  return {
    start: (attempt) => {
      const span = tracing.tracer.startSpan(
        `chat ${attempt.modelId}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'aws.bedrock',
            'gen_ai.request.model': attempt.modelId,
            'cloud.region': attempt.region,
            'server.address': `bedrock-runtime.${attempt.region}.amazonaws.com`,
            'mangaassist.model': attempt.model,
          },
        },
        requestContext.getStore() ?? ROOT_CONTEXT,
      );
      return {
        end: (ended) => {
          span.setAttributes({
            'mangaassist.attempt.calls': ended.calls,
            'mangaassist.attempt.outcome': ended.outcome,
            ...(ended.reason ? { 'mangaassist.attempt.reason': ended.reason } : {}),
          });
          if (ended.error) {
            span.setAttribute('error.type', ended.error);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
  };
}

/**
 * Request tracing with its exporter: `shutdown` sends the spans still batched, for at most
 * `exportTimeoutMs`, and never rejects (a collector that is gone loses them, nothing else).
 */
export interface OtlpTracing extends RequestTracing {
  shutdown(): Promise<void>;
}

export interface OtlpTracingOptions {
  /** The collector's OTLP/HTTP base URL, e.g. the ADOT sidecar's `http://127.0.0.1:4318`. */
  readonly endpoint: string;
  /** `service.name` of the spans (X-Ray's service map node). */
  readonly serviceName: string;
  /**
   * The share of requests that start a trace (no sampled caller) recorded, 0–1. A request whose
   * caller decided (API Gateway's X-Ray sampling, a `traceparent`) follows that decision.
   * @default 0.05
   */
  readonly sampleRatio?: number;
  /** More resource attributes, e.g. `deployment.environment.name`. */
  readonly resource?: Attributes;
  /**
   * Longest an export may take, and so the shutdown's flush: a stopping task has its stop
   * timeout to spend, not the exporter's default 10 s. @default 2000
   */
  readonly exportTimeoutMs?: number;
}

/**
 * Traces to an OTLP/HTTP collector (the ADOT sidecar, which sends them on to X-Ray), in batches
 * off the request path. A new trace's ID starts with its time, as X-Ray's do, so X-Ray takes it
 * whatever its trace ID format setting; the X-Ray header is read as well as W3C's, so a request
 * API Gateway traced continues its trace.
 */
export function otlpTracing(options: OtlpTracingOptions): OtlpTracing {
  const ratio = options.sampleRatio ?? 0.05;
  const exportTimeoutMs = options.exportTimeoutMs ?? 2_000;
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`A trace sample ratio is between 0 and 1, got ${ratio}`);
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, ...options.resource }),
    idGenerator: new AWSXRayIdGenerator(),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({
          url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`,
          timeoutMillis: exportTimeoutMs,
        }),
        exportTimeoutMillis: exportTimeoutMs,
      }),
    ],
  });
  return {
    tracer: provider.getTracer('@mangaassist/orchestrator'),
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new AWSXRayPropagator()],
    }),
    shutdown: () => settledWithin(provider.shutdown(), exportTimeoutMs),
  };
}

/**
 * Tracing from `OTEL_EXPORTER_OTLP_ENDPOINT` (none: no tracing), `OTEL_SERVICE_NAME`
 * (`serviceName`) and `OTEL_TRACES_SAMPLER_ARG` (the root sample ratio, 0.05); a ratio out of
 * range fails at start, naming the variable.
 */
export function tracingFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  serviceName: string,
  resource: Attributes = {},
): OtlpTracing | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return undefined;
  const rawRatio = env.OTEL_TRACES_SAMPLER_ARG;
  const sampleRatio = rawRatio === undefined || rawRatio === '' ? undefined : Number(rawRatio);
  if (sampleRatio !== undefined && !(sampleRatio >= 0 && sampleRatio <= 1)) {
    throw new ConfigurationError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got ${rawRatio}`);
  }
  return otlpTracing({
    endpoint,
    serviceName: env.OTEL_SERVICE_NAME || serviceName,
    resource,
    ...(sampleRatio === undefined ? {} : { sampleRatio }),
  });
}

/** Waits for `work` to settle, `ms` at most, whatever it settles with. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
