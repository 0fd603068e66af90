// The public surface of @mangaassist/tenants/testing.

export { closedPort, untilReady } from './testing/tenant-fixtures.js';
