// The composition root of the FM gateway.

export {
  type CreateGatewayOptions,
  createGateway,
  type GatewayDependencies,
  gatewayEventBridgeSettings,
} from './create-gateway.js';
