// The public surface of @mangaassist/commons/testing.

export { awsError } from './testing/aws-error.js';
export { closedPort } from './testing/closed-port.js';
export { createFakeClock, type FakeClock } from './testing/fake-clock.js';
export { manualClock, testEpoch } from './testing/manual-clock.js';
export { type LogEntry, recordingLogger } from './testing/recording-logger.js';
export {
  installRecordingTraceSink,
  type RecordedSubsegment,
  type RecordingTraceSink,
  recordingTraceSink,
  sampledTraceHeader,
} from './testing/recording-trace-sink.js';
export {
  type ScriptedRedisServer,
  type ScriptedRedisServerOptions,
  scriptedRedisServer,
} from './testing/scripted-redis-server.js';
export { settlesWithin } from './testing/settles-within.js';
export { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.js';
