// Test doubles of @mangaassist/http, for this package's tests and its dependents'.

export {
  FakeResponseStream,
  fakeStreamingRuntime,
  settle,
  streamingProxyEvent,
} from './testing/lambda-streaming-fixtures.js';
