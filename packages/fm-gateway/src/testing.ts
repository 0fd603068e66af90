// The public surface of @mangaassist/fm-gateway/testing.

export { cachedAnswer, cacheEpoch } from './testing/cache-fixtures.js';
export { createFakeRuntimes, type FakeCall, type FakeReply } from './testing/fake-model-runtime.js';
export { gatewayResult } from './testing/gateway-result.js';
export { japaneseStoreQuestions } from './testing/japanese-store-questions.js';
export { collect, collectUntilError } from './testing/stream-fixtures.js';
