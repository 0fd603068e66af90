import { describe, expect, it } from 'vitest';
import {
  orchestratorCoreOptions,
  orchestratorMaxSockets,
  orchestratorStreamTimeoutMs,
} from './orchestrator-platform.js';

describe('orchestratorCoreOptions', () => {
  it('pools enough Bedrock sockets for thousands of streams and lets one stream run 15 minutes', () => {
    expect(orchestratorCoreOptions()).toEqual({
      maxSockets: orchestratorMaxSockets,
      gateway: { streamTimeoutMs: 15 * 60_000 },
    });
    expect(orchestratorMaxSockets).toBeGreaterThanOrEqual(10_000);
    expect(orchestratorStreamTimeoutMs).toBe(900_000);
  });

  it('keeps what the caller sets, the gateway overrides merged over the orchestrator’s', () => {
    expect(orchestratorCoreOptions({ maxSockets: 10, gateway: { minAttemptMs: 5_000 } })).toEqual({
      maxSockets: 10,
      gateway: { streamTimeoutMs: orchestratorStreamTimeoutMs, minAttemptMs: 5_000 },
    });
    expect(orchestratorCoreOptions({ gateway: { streamTimeoutMs: 60_000 } }).gateway).toEqual({
      streamTimeoutMs: 60_000,
    });
  });
});
