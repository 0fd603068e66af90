import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';

/**
 * An API Gateway WebSocket proxy event as the deployed integration delivers it: the typed
 * fields plus the headers of `$connect`/`$disconnect` and the context's identity, which
 * `@types/aws-lambda` leaves out.
 */
export type LocalWebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  readonly headers?: Record<string, string>;
  readonly multiValueHeaders?: Record<string, string[]>;
};

/** What the local gateway knows about one connection, from its upgrade request. */
export interface LocalConnection {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly stage: string;
  readonly domainName: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
}

/** A connection id shaped like API Gateway's (`L0SM9cOFvHcCIhw=`). */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

/** The connection's facts from its HTTP upgrade request. */
export function describeConnection(request: IncomingMessage, stage: string): LocalConnection {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] ?? '';
    const value = request.rawHeaders[index + 1] ?? '';
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  return {
    connectionId: newConnectionId(),
    connectedAt: Date.now(),
    stage,
    domainName: request.headers.host ?? 'localhost',
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    userAgent: request.headers['user-agent'] ?? '',
    headers,
    multiValueHeaders,
  };
}

/** The `$connect` event, with the upgrade URL's query string. */
export function connectEvent(connection: LocalConnection, url: URL): LocalWebSocketEvent {
  const query = [...url.searchParams.keys()].length > 0;
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    multiValueQueryStringParameters[name] = [...(multiValueQueryStringParameters[name] ?? []), value];
  }
  return {
    headers: connection.headers,
    multiValueHeaders: connection.multiValueHeaders,
    ...(query
      ? { queryStringParameters: Object.fromEntries(url.searchParams), multiValueQueryStringParameters }
      : {}),
    requestContext: requestContext(connection, '$connect', 'CONNECT'),
    isBase64Encoded: false,
  };
}

/** A message event, routed as API Gateway routes by `$request.body.action`. */
export function messageEvent(
  connection: LocalConnection,
  data: Buffer,
  isBinary: boolean,
  routes: ReadonlySet<string>,
): LocalWebSocketEvent {
  const body = isBinary ? data.toString('base64') : data.toString('utf8');
  return {
    requestContext: requestContext(connection, isBinary ? '$default' : routeOf(body, routes), 'MESSAGE'),
    body,
    isBase64Encoded: isBinary,
  };
}

/** The `$disconnect` event, with the close code and reason. */
export function disconnectEvent(
  connection: LocalConnection,
  code: number,
  reason: string,
): LocalWebSocketEvent {
  const context = {
    ...requestContext(connection, '$disconnect', 'DISCONNECT'),
    disconnectStatusCode: code,
    disconnectReason: reason,
  };
  return {
    headers: connection.headers,
    multiValueHeaders: connection.multiValueHeaders,
    requestContext: context,
    isBase64Encoded: false,
  };
}

/** The route key for a text message: its JSON `action` when a route has that name, else `$default`. */
export function routeOf(body: string, routes: ReadonlySet<string>): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return '$default';
  }
  const action =
    typeof json === 'object' && json !== null && 'action' in json
      ? (json as { action: unknown }).action
      : undefined;
  return typeof action === 'string' && routes.has(action) ? action : '$default';
}

function requestContext(
  connection: LocalConnection,
  routeKey: string,
  eventType: APIGatewayEventWebsocketRequestContextV2['eventType'],
): APIGatewayEventWebsocketRequestContextV2 {
  const now = new Date();
  const context = {
    routeKey,
    eventType,
    messageId: randomUUID(),
    extendedRequestId: randomUUID(),
    requestTime: apiGatewayTime(now),
    messageDirection: 'IN' as const,
    stage: connection.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now.getTime(),
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    requestId: randomUUID(),
    domainName: connection.domainName,
    connectionId: connection.connectionId,
    apiId: 'local',
  };
  return context;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime` format: `19/Jan/2023:21:13:26 +0000`. */
function apiGatewayTime(at: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${two(at.getUTCDate())}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:` +
    `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`
  );
}
