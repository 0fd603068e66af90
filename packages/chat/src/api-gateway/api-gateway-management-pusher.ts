import {
  type ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConnectionGoneError, type ConnectionPusher } from '../websocket/connection-pusher.js';

/**
 * A `ConnectionPusher` on API Gateway's management API (`PostToConnection`). The client is
 * injected and must point at the WebSocket stage's connections endpoint,
 * `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}` (the `endpoint` option of
 * `ApiGatewayManagementApiClient`), and the function needs `execute-api:ManageConnections`.
 *
 * Errors: `GoneException` (410: the client disconnected) becomes `ConnectionGoneError`; any
 * other error (throttling after the SDK's retries, `PayloadTooLargeException`, `ForbiddenException`)
 * is thrown as the SDK reports it.
 *
 * @example
 * const pusher = new ApiGatewayManagementPusher(new ApiGatewayManagementApiClient({ endpoint }));
 */
export class ApiGatewayManagementPusher implements ConnectionPusher {
  private readonly encoder = new TextEncoder();

  constructor(private readonly client: ApiGatewayManagementApiClient) {}

  async send(connectionId: string, data: string): Promise<void> {
    try {
      await this.client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: this.encoder.encode(data) }),
      );
    } catch (error) {
      if (isGone(error)) throw new ConnectionGoneError(connectionId);
      throw error;
    }
  }
}

/** By class, or by name (an error deserialised by another copy of the SDK is not an instance). */
function isGone(error: unknown): boolean {
  return error instanceof GoneException || (error instanceof Error && error.name === 'GoneException');
}
