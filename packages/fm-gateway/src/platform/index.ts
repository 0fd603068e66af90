// The public surface of @mangaassist/fm-gateway/platform.

export { type CreateGatewayOptions, createGateway, type GatewayDependencies } from './create-gateway.js';
