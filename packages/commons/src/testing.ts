// The public surface of @mangaassist/commons/testing.

export { awsError } from './testing/aws-error.js';
export { createFakeClock, type FakeClock } from './testing/fake-clock.js';
export { manualClock, testEpoch } from './testing/manual-clock.js';
export { type LogEntry, recordingLogger } from './testing/recording-logger.js';
export { settlesWithin } from './testing/settles-within.js';
export { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.js';
