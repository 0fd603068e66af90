import type { IncomingHttpHeaders } from 'node:http';
import { ConfigurationError } from '@mangaassist/commons';
import {
  type Attributes,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
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
  /** Ends the span with the answer's status (5xx marks it an error); call it once. */
  end(statusCode: number): void;
}

/** Starts the SERVER span of a request, a child of the trace its headers carry, if any. */
export function startRequestSpan(
  tracing: RequestTracing,
  name: string,
  headers: IncomingHttpHeaders,
  attributes: Attributes,
): RequestSpan {
  const parent = tracing.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span: Span = tracing.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return {
    setAttributes: (more) => {
      span.setAttributes(more);
    },
    end: (statusCode) => {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

/** Request tracing with its exporter: `shutdown` sends the spans still batched. */
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
}

/**
 * Traces to an OTLP/HTTP collector (the ADOT sidecar, which sends them on to X-Ray), in batches
 * off the request path. A new trace's ID starts with its time, as X-Ray's do, so X-Ray takes it
 * whatever its trace ID format setting; the X-Ray header is read as well as W3C's, so a request
 * API Gateway traced continues its trace.
 */
export function otlpTracing(options: OtlpTracingOptions): OtlpTracing {
  const ratio = options.sampleRatio ?? 0.05;
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`A trace sample ratio is between 0 and 1, got ${ratio}`);
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, ...options.resource }),
    idGenerator: new AWSXRayIdGenerator(),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` }),
      }),
    ],
  });
  return {
    tracer: provider.getTracer('@mangaassist/orchestrator'),
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new AWSXRayPropagator()],
    }),
    shutdown: () => provider.shutdown(),
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
