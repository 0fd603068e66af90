// The public surface of @mangaassist/tenants/redis.

export { RedisTicketStore } from './redis-ticket-store.js';
export { RedisUsageLedger } from './redis-usage-ledger.js';
