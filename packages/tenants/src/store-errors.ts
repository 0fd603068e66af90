/**
 * Thrown by a `UsageLedger` adapter when its store cannot answer (unreachable, too slow). The
 * `BudgetGuard` treats it as "unknown spend" and fails open.
 */
export class UsageLedgerUnavailableError extends Error {
  override readonly name = 'UsageLedgerUnavailableError';
}

/**
 * Thrown by a `TicketStore` adapter when its store cannot answer (unreachable, too slow): the
 * ticket endpoint answers 503, and `$connect` should refuse the connection as a server error
 * rather than as a bad ticket.
 */
export class TicketStoreUnavailableError extends Error {
  override readonly name = 'TicketStoreUnavailableError';
}
