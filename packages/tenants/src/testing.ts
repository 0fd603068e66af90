// The public surface of @mangaassist/tenants/testing.

export { closedPort, silentServer, untilReady } from './testing/tenant-fixtures.js';
