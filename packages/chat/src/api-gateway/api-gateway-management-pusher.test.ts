import {
  ApiGatewayManagementApiClient,
  ForbiddenException,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionGoneError } from '../websocket/connection-pusher.js';
import { ApiGatewayManagementPusher } from './api-gateway-management-pusher.js';

const managementMock = mockClient(ApiGatewayManagementApiClient);
// The mock replaces the client class's `send` for the whole worker: give it back to the files that follow.
afterAll(() => managementMock.restore());

beforeEach(() => {
  managementMock.reset();
});

function makePusher(): ApiGatewayManagementPusher {
  return new ApiGatewayManagementPusher(
    new ApiGatewayManagementApiClient({
      region: 'ap-northeast-1',
      endpoint: 'https://abc123.execute-api.ap-northeast-1.amazonaws.com/prod',
    }),
  );
}

const frame = JSON.stringify({ type: 'delta', stream_id: 's', seq: 1, text: '漫画' });

describe('ApiGatewayManagementPusher', () => {
  it('posts the frame to the connection as UTF-8 bytes', async () => {
    managementMock.on(PostToConnectionCommand).resolves({});
    await makePusher().send('L0SM9cOFvHcCIhw=', frame);
    expect(managementMock).toReceiveCommandWith(PostToConnectionCommand, {
      ConnectionId: 'L0SM9cOFvHcCIhw=',
      Data: new TextEncoder().encode(frame),
    });
  });

  it('reports a disconnected client (410 GoneException) as ConnectionGoneError', async () => {
    managementMock
      .on(PostToConnectionCommand)
      .rejects(new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } }));
    const sent = makePusher().send('L0SM9cOFvHcCIhw=', frame);
    await expect(sent).rejects.toBeInstanceOf(ConnectionGoneError);
    await expect(sent).rejects.toMatchObject({ connectionId: 'L0SM9cOFvHcCIhw=' });
  });

  it('throws any other failure as the SDK reports it', async () => {
    const forbidden = new ForbiddenException({ message: 'Forbidden', $metadata: { httpStatusCode: 403 } });
    managementMock.on(PostToConnectionCommand).rejects(forbidden);
    await expect(makePusher().send('L0SM9cOFvHcCIhw=', frame)).rejects.toBe(forbidden);
  });
});
