export {
  type BedrockEmulator,
  type BedrockEmulatorOptions,
  type FaultSpec,
  faultSpecSchema,
  type ScriptSpec,
  scriptSpecSchema,
  startBedrockEmulator,
} from './bedrock-emulator/index.js';
export { type DevServer, type DevServerOptions, startDevServer } from './dev-server/dev-server.js';
