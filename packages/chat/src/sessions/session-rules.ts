/**
 * Rules every session store applies the same way, so that the in-memory and the DynamoDB store
 * cannot drift apart.
 */

/**
 * The partition of one tenant's session: `<tenant>#<session id>`. Throws a `RangeError` for a
 * tenant id that is empty or contains `#` (tenant ids never do), because `a#b` + `c` and `a` +
 * `b#c` would otherwise share a partition and one tenant could read another's session.
 */
export function sessionPartitionKey(tenantId: string, sessionId: string): string {
  if (tenantId === '' || tenantId.includes('#')) {
    throw new RangeError(`A tenant id must be non-empty and free of "#", got ${JSON.stringify(tenantId)}`);
  }
  return `${tenantId}#${sessionId}`;
}

/** Throws a `RangeError` unless `limit` is an integer of at least 0. */
export function assertHistoryLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`A history limit must be an integer of at least 0, got ${limit}`);
  }
}
