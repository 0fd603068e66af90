// The composition root of the ticket door, and what the other tenant-aware roots share.

export {
  createTicketPlatform,
  type TicketPlatform,
  type TicketPlatformOptions,
  tenantDirectoryOf,
  tenantResolver,
  tenantsConfigFromEnvironment,
} from './ticket-platform.js';
export { type TicketStoreHandle, ticketStoreFor } from './ticket-stores.js';
