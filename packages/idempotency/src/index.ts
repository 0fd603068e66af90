// The public surface of @mangaassist/idempotency.

export { assertIdempotencyKey } from './idempotency-rules.js';
export type { ClaimResult, CompletionResult, IdempotencyStore } from './idempotency-store.js';
export { MemoryIdempotencyStore, type MemoryIdempotencyStoreOptions } from './memory-idempotency-store.js';
export {
  IdempotencyUnavailableError,
  type OnceOutcome,
  type RunOnceOptions,
  type RunOnceResult,
  runOnce,
} from './run-once.js';
