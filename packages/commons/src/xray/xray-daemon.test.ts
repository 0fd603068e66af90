import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sampledTraceHeader } from '../testing/recording-trace-sink.js';
import { daemonEndpoint, lambdaTraceSink, sampledParent, xrayDaemonSink } from './xray-daemon.js';

describe('sampledParent', () => {
  it('reads the trace and parent of a sampled header, and nothing of an unsampled or partial one', () => {
    expect(sampledParent(sampledTraceHeader)).toEqual({
      traceId: '1-5759e988-bd862e3fe1be46a994272793',
      parentId: '53995c3f42cd8ad8',
      header: sampledTraceHeader,
    });
    expect(sampledParent(sampledTraceHeader.replace('Sampled=1', 'Sampled=0'))).toBeUndefined();
    expect(sampledParent('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1')).toBeUndefined();
    expect(sampledParent(undefined)).toBeUndefined();
  });
});

describe('daemonEndpoint', () => {
  it('reads host:port and the UDP half of the two-protocol form, and refuses anything else', () => {
    expect(daemonEndpoint('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(daemonEndpoint('tcp:127.0.0.1:2001 udp:127.0.0.2:2002')).toEqual({
      host: '127.0.0.2',
      port: 2002,
    });
    expect(() => daemonEndpoint('localhost')).toThrow(/host:port/);
    expect(() => daemonEndpoint(':2000')).toThrow(/host:port/);
    expect(() => daemonEndpoint('localhost:65536')).toThrow(/host:port/);
    expect(daemonEndpoint('localhost:65535').port).toBe(65535);
  });
});

describe('lambdaTraceSink', () => {
  it('exists only in a Lambda function with the daemon beside it', () => {
    const daemonAddress = { AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000' };
    expect(lambdaTraceSink({ ...daemonAddress, AWS_LAMBDA_FUNCTION_NAME: 'f' })).toBeDefined();
    expect(lambdaTraceSink(daemonAddress)).toBeUndefined();
    expect(lambdaTraceSink({ AWS_LAMBDA_FUNCTION_NAME: 'f' })).toBeUndefined();
  });

  it('follows the trace header Lambda sets for each invocation', () => {
    const env: Record<string, string> = {
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      _X_AMZN_TRACE_ID: sampledTraceHeader,
    };
    const sink = lambdaTraceSink(env);
    expect(sink?.parent()?.parentId).toBe('53995c3f42cd8ad8');
    env._X_AMZN_TRACE_ID = sampledTraceHeader.replace('53995c3f42cd8ad8', '0123456789abcdef');
    expect(sink?.parent()?.parentId).toBe('0123456789abcdef');
  });
});

describe('xrayDaemonSink', () => {
  it('sends a subsegment document to the daemon over UDP, in its header-and-body framing', async () => {
    const daemon = createSocket('udp4');
    onTestFinished(() => {
      daemon.close();
    });
    const received = new Promise<string>((resolve) =>
      daemon.once('message', (message) => resolve(message.toString())),
    );
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const { port } = daemon.address() as AddressInfo;
    const sink = xrayDaemonSink({
      daemonAddress: `127.0.0.1:${port}`,
      traceHeader: () => sampledTraceHeader,
    });
    const parent = sink.parent();
    if (parent === undefined) throw new Error('the sampled header gave no parent');

    sink.send(parent, 'abcdef0123456789', { name: 'DynamoDB', namespace: 'aws', startTime: 1, endTime: 2 });

    const [header, body] = (await received).split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body ?? '')).toEqual({
      type: 'subsegment',
      id: 'abcdef0123456789',
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      parent_id: '53995c3f42cd8ad8',
      name: 'DynamoDB',
      namespace: 'aws',
      start_time: 1,
      end_time: 2,
    });
  });
});
