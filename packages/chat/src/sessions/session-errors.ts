/**
 * An append that kept losing the race for the next turn numbers: every attempt found them taken
 * by another writer of the same session. Nothing of the failed chunk was stored; the caller may
 * retry the whole append later or report the session as busy.
 */
export class SessionConflictError extends Error {
  override readonly name = 'SessionConflictError';
  constructor(
    readonly tenantId: string,
    readonly sessionId: string,
    /** Attempts made, the first included. */
    readonly attempts: number,
  ) {
    super(
      `Could not append to session ${sessionId} of tenant ${tenantId}: ` +
        `other writers took the next turn numbers ${attempts} times in a row`,
    );
  }
}
