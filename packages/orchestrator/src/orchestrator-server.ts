import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, type Logger, type MetricsSink, silentLogger } from '@mangaassist/commons';
import {
  errorResponse,
  type HttpEndpoint,
  type HttpResponse,
  jsonResponse,
  type StreamingHttpEndpoint,
} from '@mangaassist/http';
import {
  nodeStreamingResponse,
  readRequestBody,
  sendHttpResponse,
  toHttpRequest,
} from '@mangaassist/http/node';
import { AdmissionGate, type AdmissionOptions, defaultAdmission } from './admission-gate.js';
import {
  type CuttableResponse,
  cuttableResponse,
  shutdownRefusal,
  shuttingDown,
} from './shutdown-aware-response.js';
import { type RequestSpan, type RequestTracing, startRequestSpan } from './tracing.js';

/** A route's endpoint: answered whole, or streamed (SSE). */
export type OrchestratorRoute =
  | { readonly kind: 'whole'; readonly endpoint: HttpEndpoint }
  | { readonly kind: 'streaming'; readonly endpoint: StreamingHttpEndpoint };

/** Who calls (the tenant the request is counted to), or the answer that refuses the request. */
export type Identification = { readonly tenantId: string } | { readonly refusal: HttpResponse };

/** One listener's routes and how it tells who calls. */
export interface OrchestratorDoor {
  /** By `"<METHOD> <path>"`, e.g. `"POST /v1/chat"`. */
  readonly routes: Readonly<Record<string, OrchestratorRoute>>;
  identify(headers: IncomingHttpHeaders, requestId: string): Identification;
}

/** A dependency `/readyz` checks; only a `required` one failing makes the server unready. */
export interface ReadinessProbe {
  readonly name: string;
  /**
   * Whether the server cannot answer without it. A dependency the platform degrades around (the
   * cache) is reported but not required: failing it would take every task out of the load
   * balancer at once, a worse outage than the one it reports.
   */
  readonly required: boolean;
  /** Resolves when reachable; rejects (or outlives `probeTimeoutMs`) when not. */
  check(signal: AbortSignal): Promise<void>;
}

export interface OrchestratorOptions {
  /** The public `/v1/*` routes, behind the load balancer (API Gateway through a VPC link). */
  readonly api: OrchestratorDoor;
  /** The internal FM proxy, for services in the VPC (Service Connect `fm-proxy:8080`). */
  readonly proxy: OrchestratorDoor;
  /** @default [] */
  readonly probes?: readonly ReadinessProbe[];
  /** Largest body read; larger is a 413. @default 10 MiB (API Gateway REST's limit) */
  readonly maxBodyBytes?: number;
  /** How long a client may take nothing before its stream is cut. @default 30 000 */
  readonly stallTimeoutMs?: number;
  /** @default 2000 */
  readonly probeTimeoutMs?: number;
  /**
   * How many requests may be starting at once (admitted, their answer not begun), and how long
   * the next ones wait before a 503 `overloaded` with `retry-after: 1`: a burst beyond the
   * server's pace is refused quickly instead of every request missing its first-token deadline.
   * Streams and whole answers are admitted apart, each up to the limit: a whole answer starts
   * until it ends, mostly waiting on the model, and must not hold a stream back.
   * @default defaultAdmission - 256 starting, 1 000 ms
   */
  readonly admission?: AdmissionOptions;
  /**
   * A SERVER span per request (not the health checks), continuing the caller's trace: named
   * `<METHOD> <route>`, with the door, request id, tenant and status.
   * @default - not traced
   */
  readonly tracing?: RequestTracing;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * Where the server reports, every `intervalMs` (60 000), how many streams and requests it has
   * open (`MangaAssist/Orchestrator` `ActiveStreams` and `OpenRequests`, with `dimensions`): the
   * figure the service scales on, as its CPU says little about waiting streams; and how many
   * requests it refused as overloaded since the last report (`OverloadRefusals`).
   * @default - not reported
   */
  readonly activity?: {
    readonly metrics: MetricsSink;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly intervalMs?: number;
  };
}

/** The namespace of the orchestrator's own metrics. */
export const orchestratorMetricsNamespace = 'MangaAssist/Orchestrator';

/** The 503 a request gets that waited its whole admission wait. */
export function overloadedRefusal(requestId: string): HttpResponse {
  return errorResponse(
    503,
    requestId,
    'overloaded',
    'This server is at capacity; send the request again in a second (another server may answer it).',
    { headers: { 'retry-after': '1' } },
  );
}

export interface ShutdownOptions {
  /** How long open requests have to finish; the ones still open then are ended with an error. */
  readonly drainMs: number;
  /**
   * The least time the listeners stay open after readiness fails, while the load balancer still
   * sends requests (its health check must fail first). @default 0
   */
  readonly lingerMs?: number;
  /** How long the answers of the requests ended at the end of the drain may take to leave. @default 2000 */
  readonly cutGraceMs?: number;
}

/** What the server tracks of an open request, from its arrival, to end it at the end of a drain. */
interface OpenRequest {
  /** Ends the request now with an answer or an error (never silently); resolves once sent. */
  cut(): Promise<void>;
  /** Settles when the server is done with the request. */
  finished: Promise<void>;
}

const healthPath = '/healthz';
const readinessPath = '/readyz';

/**
 * The Fargate orchestrator's HTTP server: two listeners (the public API and the internal FM
 * proxy) serving the platform's transport-neutral endpoints, the same ones the Lambda handlers
 * adapt, with no 29-second bound on a stream; `GET /healthz` (alive) and `GET /readyz` (required
 * dependencies reachable, and not shutting down) on both.
 *
 * Every refusal is JSON (`{ error: { code, message, request_id } }`): 404 `route_not_found`, 405
 * `method_not_allowed`, 413 `payload_too_large`, the door's own for an unidentified caller, 500
 * `internal_error` for an endpoint that throws. `shutdown` fails readiness at once, lets open
 * requests finish for the drain, then answers the rest: a stream ends with an error event
 * (`server_shutting_down`) and `[DONE]`, a request not answered yet gets 503.
 */
export class Orchestrator {
  readonly #options: OrchestratorOptions;
  readonly #logger: Logger;
  readonly #open = new Set<OpenRequest>();
  readonly #servers: { readonly api: Server; readonly proxy: Server };
  #draining = false;
  /** The drain is over: requests still arriving are refused. */
  #closing = false;
  /** Streaming requests open now. */
  #streams = 0;
  /** By route kind: see `admission`. */
  readonly #admission: Readonly<Record<OrchestratorRoute['kind'], AdmissionGate>>;
  /** Requests refused as overloaded since the last activity report. */
  #refusals = 0;
  #activityTimer: NodeJS.Timeout | undefined;

  constructor(options: OrchestratorOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#admission = {
      streaming: new AdmissionGate(options.admission ?? defaultAdmission),
      whole: new AdmissionGate(options.admission ?? defaultAdmission),
    };
    this.#servers = {
      api: createServer((request, response) => this.#serve('api', request, response)),
      proxy: createServer((request, response) => this.#serve('proxy', request, response)),
    };
    for (const server of Object.values(this.#servers)) {
      // Bounds receiving a request (headers and body, at most 10 MB), not answering it: a stream
      // may run for many minutes. A client dribbling its body is refused with 408.
      server.requestTimeout = 60_000;
      // Longer than the load balancer's idle timeout (350 s for an NLB), so it closes first.
      server.keepAliveTimeout = 360_000;
    }
  }

  /** Whether `shutdown` has begun. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being answered now. */
  get openRequests(): number {
    return this.#open.size;
  }

  /** Streams being answered now. */
  get activeStreams(): number {
    return this.#streams;
  }

  /** Requests admitted whose answer has not begun (`admission`). */
  get startingRequests(): number {
    return this.#admission.streaming.starting + this.#admission.whole.starting;
  }

  /** Reports the open streams and requests once (`activity`); the timer calls it every interval. */
  reportActivity(): void {
    const activity = this.#options.activity;
    if (!activity) return;
    activity.metrics.emit({
      namespace: orchestratorMetricsNamespace,
      dimensions: activity.dimensions,
      metrics: [
        { name: 'ActiveStreams', unit: 'Count', value: this.#streams },
        { name: 'OpenRequests', unit: 'Count', value: this.#open.size },
        { name: 'OverloadRefusals', unit: 'Count', value: this.#refusals },
      ],
    });
    this.#refusals = 0;
  }

  /**
   * Starts the listeners, both unless `api` is left out (a sidecar opens the FM proxy only);
   * resolves with their ports (0 picks a free one).
   */
  async listen(ports: { readonly api?: number; readonly proxy: number; readonly host?: string }) {
    const host = ports.host ?? '0.0.0.0';
    const listen = (server: Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    const proxy = await listen(this.#servers.proxy, ports.proxy);
    if (this.#options.activity && this.#activityTimer === undefined) {
      this.#activityTimer = setInterval(
        () => this.reportActivity(),
        this.#options.activity.intervalMs ?? 60_000,
      );
      // The report never keeps a stopping process alive.
      this.#activityTimer.unref();
    }
    const api = ports.api === undefined ? undefined : await listen(this.#servers.api, ports.api);
    return { proxy, ...(api === undefined ? {} : { api }) };
  }

  /**
   * Fails `/readyz` at once, keeps answering for at least `lingerMs` and until the open requests
   * end or `drainMs` runs out; then stops accepting, answers a request that still arrives on an
   * open connection with 503, ends the requests still open (a stream with an error event and
   * `[DONE]`, anything unanswered with 503: never silently), gives those answers `cutGraceMs` to
   * leave, and closes every connection. Idempotent: a second call waits for the first.
   */
  async shutdown(options: ShutdownOptions): Promise<void> {
    if (this.#draining) return this.#closed;
    this.#draining = true;
    this.#closed = this.#drain(options);
    return this.#closed;
  }

  #closed: Promise<void> = Promise.resolve();

  async #drain({ drainMs, lingerMs = 0, cutGraceMs = 2_000 }: ShutdownOptions): Promise<void> {
    const deadline = Date.now() + drainMs;
    this.#logger.info('orchestrator draining', { openRequests: this.#open.size, drainMs });
    await sleep(Math.min(lingerMs, drainMs));
    while (this.#open.size > 0 && Date.now() < deadline) {
      await settledOrAfter(Promise.all([...this.#open].map((open) => open.finished)), deadline - Date.now());
    }
    this.#closing = true;
    clearInterval(this.#activityTimer);
    const closed = Object.values(this.#servers)
      .filter((server) => server.listening)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    const left = [...this.#open];
    if (left.length > 0) {
      this.#logger.warn('orchestrator ending the requests still open', { openRequests: left.length });
      await settledOrAfter(Promise.all(left.map((open) => open.cut())), cutGraceMs);
    }
    for (const server of Object.values(this.#servers)) server.closeAllConnections();
    await Promise.all(closed);
    this.#logger.info('orchestrator stopped');
  }

  get #stallTimeoutMs(): number {
    return this.#options.stallTimeoutMs ?? 30_000;
  }

  #serve(doorName: 'api' | 'proxy', request: IncomingMessage, response: ServerResponse): void {
    const door = this.#options[doorName];
    const requestId = randomUUID();
    const span = this.#traceRequest(door, doorName, request, requestId);
    // `close` comes after the answer is sent, or when the connection ends without one.
    if (span) response.once('close', () => span.end(response.headersSent ? response.statusCode : undefined));
    if (this.#draining) response.shouldKeepAlive = false;
    if (this.#closing) {
      // Arrived on a connection still open after the drain: answered, never dropped.
      request.resume();
      sendHttpResponse(response, shutdownRefusal(requestId));
      return;
    }
    // Tracked from its arrival: a request still sending its body is answered at the end of a drain too.
    let cutStream: (() => Promise<void>) | undefined;
    const cut = new AbortController();
    const open: OpenRequest = {
      cut: async () => {
        cut.abort(new Error(shuttingDown.message));
        if (cutStream) await cutStream();
        else if (!response.headersSent) sendHttpResponse(response, shutdownRefusal(requestId));
      },
      finished: Promise.resolve(),
    };
    const answer = () =>
      this.#answer(door, request, response, requestId, span, {
        cut: cut.signal,
        onStream: (stream) => {
          cutStream = () => stream.cut();
        },
      });
    open.finished = (span ? span.run(answer) : answer())
      .catch((error: unknown) => {
        this.#logger.error('orchestrator request failed', { requestId, error: errorMessage(error) });
        if (!response.headersSent) {
          sendHttpResponse(
            response,
            errorResponse(500, requestId, 'internal_error', 'Something went wrong on our side.'),
          );
        } else {
          response.destroy();
        }
      })
      .finally(() => this.#open.delete(open));
    this.#open.add(open);
  }

  async #answer(
    door: OrchestratorDoor,
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    span: RequestSpan | undefined,
    drain: { readonly cut: AbortSignal; onStream(stream: CuttableResponse): void },
  ): Promise<void> {
    const path = requestPath(request);
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (path === healthPath && method === 'GET') {
      request.resume();
      sendHttpResponse(response, jsonResponse(200, requestId, { status: 'ok' }));
      return;
    }
    if (path === readinessPath && method === 'GET') {
      request.resume();
      sendHttpResponse(response, await this.#readiness(requestId));
      return;
    }
    const route = door.routes[`${request.method} ${path}`];
    if (route === undefined) {
      request.resume();
      const allowed = Object.keys(door.routes)
        .filter((key) => key.endsWith(` ${path}`))
        .map((key) => key.split(' ', 1)[0] ?? '');
      sendHttpResponse(
        response,
        allowed.length > 0
          ? errorResponse(
              405,
              requestId,
              'method_not_allowed',
              `${request.method} is not allowed on ${path}.`,
              {
                headers: { allow: allowed.join(', ') },
              },
            )
          : errorResponse(404, requestId, 'route_not_found', `No route ${request.method} ${path}.`),
      );
      return;
    }
    const caller = door.identify(request.headers, requestId);
    if ('refusal' in caller) {
      request.resume();
      sendHttpResponse(response, caller.refusal);
      return;
    }
    span?.setAttributes({ 'mangaassist.tenant_id': caller.tenantId });
    const maxBodyBytes = this.#options.maxBodyBytes ?? 10 * 1024 * 1024;
    const body = await readRequestBody(request, maxBodyBytes);
    // Cut while the body was arriving: the 503 has been sent.
    if (drain.cut.aborted) return;
    if (body === undefined) {
      sendHttpResponse(
        response,
        errorResponse(413, requestId, 'payload_too_large', `The body exceeds ${maxBodyBytes} bytes.`),
      );
      return;
    }
    const httpRequest = toHttpRequest(request, body, { path, requestId, tenantId: caller.tenantId });
    const gone = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) gone.abort(new Error('the client went away'));
    });
    // Aborts when the client goes away, stops reading, or the drain ends.
    const signal = AbortSignal.any([gone.signal, drain.cut]);
    const begun = await this.#admission[route.kind].admit(signal);
    // Gone: nobody to answer. Cut by the drain: its 503 has been sent.
    if (signal.aborted) {
      begun?.();
      return;
    }
    if (begun === undefined) {
      this.#refusals++;
      sendHttpResponse(response, overloadedRefusal(requestId));
      return;
    }
    try {
      if (route.kind === 'whole') {
        const answer = await route.endpoint(httpRequest, signal);
        // After a cut the 503 has been sent: the endpoint's late answer goes nowhere.
        if (!response.headersSent) sendHttpResponse(response, answer);
        return;
      }
      const transport = nodeStreamingResponse(response, {
        stallTimeoutMs: this.#stallTimeoutMs,
        onStall: () => gone.abort(new DOMException('The client stopped reading.', 'TimeoutError')),
      });
      const stream = cuttableResponse(
        {
          ...transport,
          start(statusCode, headers) {
            begun();
            transport.start(statusCode, headers);
          },
        },
        requestId,
      );
      drain.onStream(stream);
      this.#streams++;
      try {
        await route.endpoint(httpRequest, stream, signal);
      } finally {
        this.#streams--;
      }
    } finally {
      begun();
    }
  }

  /** The request's span, or none: untraced, or a health check (every few seconds, per task). */
  #traceRequest(
    door: OrchestratorDoor,
    doorName: string,
    request: IncomingMessage,
    requestId: string,
  ): RequestSpan | undefined {
    const tracing = this.#options.tracing;
    const path = requestPath(request);
    if (tracing === undefined || path === healthPath || path === readinessPath) return undefined;
    const method = request.method ?? 'GET';
    // A route's name, or the method alone for a path that is none (no unbounded span names).
    const route = `${method} ${path}` in door.routes ? path : undefined;
    return startRequestSpan(tracing, route ? `${method} ${route}` : method, request.headers, {
      'http.request.method': method,
      'url.path': path,
      ...(route ? { 'http.route': route } : {}),
      'mangaassist.door': doorName,
      'mangaassist.request_id': requestId,
    });
  }

  async #readiness(requestId: string): Promise<HttpResponse> {
    if (this.#draining) {
      return jsonResponse(503, requestId, { status: 'draining' });
    }
    const probes = this.#options.probes ?? [];
    const timeoutMs = this.#options.probeTimeoutMs ?? 2_000;
    const results = await Promise.all(
      probes.map(async (probe) => {
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          await Promise.race([
            probe.check(signal),
            new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), {
                once: true,
              }),
            ),
          ]);
          return { probe, problem: undefined };
        } catch (error) {
          return { probe, problem: errorMessage(error) };
        }
      }),
    );
    const checks = Object.fromEntries(
      results.map(({ probe, problem }) => [
        probe.name,
        problem === undefined ? 'ok' : `unreachable: ${problem}`,
      ]),
    );
    const ready = results.every(({ probe, problem }) => problem === undefined || !probe.required);
    return jsonResponse(ready ? 200 : 503, requestId, { status: ready ? 'ready' : 'unready', checks });
  }
}

/** The path as sent (API Gateway forwards it exactly): no normalisation, `//x` is not `/x`. */
function requestPath(request: IncomingMessage): string {
  return (request.url ?? '/').split('?', 1)[0] ?? '/';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Waits for `promise`, or `ms` at most; the timer goes with it, whichever comes first. */
async function settledOrAfter(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
