import { describe, expect, it } from 'vitest';
import {
  orchestratorCoreOptions,
  orchestratorEventBatching,
  orchestratorMaxSockets,
  orchestratorStreamTimeoutMs,
} from './orchestrator-platform.js';

describe('orchestratorCoreOptions', () => {
  it('pools enough Bedrock sockets for thousands of streams, lets one stream run 15 minutes and batches its events', () => {
    expect(orchestratorCoreOptions()).toEqual({
      maxSockets: orchestratorMaxSockets,
      eventBatching: {
        maxBatch: 10,
        lingerMs: 10,
        maxInFlight: 4,
        maxBuffered: 10_000,
        requestTimeoutMs: 5_000,
      },
      gateway: { streamTimeoutMs: 15 * 60_000 },
    });
    expect(orchestratorMaxSockets).toBeGreaterThanOrEqual(10_000);
    expect(orchestratorStreamTimeoutMs).toBe(900_000);
  });

  it('keeps what the caller sets, the gateway overrides merged over the orchestrator’s', () => {
    expect(orchestratorCoreOptions({ maxSockets: 10, gateway: { minAttemptMs: 5_000 } })).toEqual({
      maxSockets: 10,
      eventBatching: orchestratorEventBatching,
      gateway: { streamTimeoutMs: orchestratorStreamTimeoutMs, minAttemptMs: 5_000 },
    });
    expect(orchestratorCoreOptions({ gateway: { streamTimeoutMs: 60_000 } }).gateway).toEqual({
      streamTimeoutMs: 60_000,
    });
  });
});
