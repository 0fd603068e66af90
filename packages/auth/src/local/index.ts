// The local side of @mangaassist/auth: `pnpm dev`'s token issuer.

export {
  createLocalTokenIssuer,
  type LocalToken,
  type LocalTokenIssuer,
  type LocalTokenRequest,
} from './local-token-issuer.js';
